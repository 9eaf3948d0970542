/**
 * What the two building blocks ({@link LambdaFunction}, {@link StateMachine}) take alike, and the aliases of
 * resources that moved under one: a stack deployed before knows them by their former parent and logical name,
 * and without an alias `pulumi up` would replace them (a new function, a new log group losing its history).
 */
import type * as pulumi from "@pulumi/pulumi";

/** Where a building block's resources stood before the block existed. */
export interface FormerPlace<Child extends string> {
  /** The component they were children of. */
  readonly parent: pulumi.Resource;
  /** Their logical names there, by child. @default - the names they have now */
  readonly names?: Partial<Record<Child, string>>;
}

/** What both building blocks ({@link LambdaFunction}, {@link StateMachine}) take alike. */
export interface BuildingBlockArgs<Child extends string> {
  /** Days the log group keeps events. @default 30 */
  readonly logRetentionDays?: number;
  /** Key of the log group. @default - CloudWatch Logs' own encryption */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  /**
   * Where the resources stood before they were grouped under this component (a component that made them
   * itself), so a stack deployed then keeps them instead of replacing them. @default - a new deployment
   */
  readonly formerly?: FormerPlace<Child>;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/** Resource options of a child named `name`: its parent, and an alias for its former place if there was one. */
export function childOptions<Child extends string>(
  parent: pulumi.Resource,
  formerly: FormerPlace<Child> | undefined,
  child: Child,
  name: string,
): { parent: pulumi.Resource; aliases?: pulumi.Alias[] } {
  if (formerly === undefined) return { parent };
  return { parent, aliases: [{ parent: formerly.parent, name: formerly.names?.[child] ?? name }] };
}
