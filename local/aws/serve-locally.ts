/**
 * Real AWS SDK v3 clients whose commands are answered in-process. The handler modules under `functions/` take
 * their clients injected (`GlueClient`, `S3Client`, ...); the local backend gives them genuine client objects
 * whose `send` answers each command from a local implementation (the local lake, the local Glue job registry,
 * the TypeScript Random Cut Forest) instead of sending a request. The handler code runs unchanged, with its
 * real types; a command the local backend does not implement fails with an error that names it, never with a
 * silent default.
 *
 * `send` is replaced on the instance (not through the middleware stack or the prototype), so nothing else in
 * the process (another test's `aws-sdk-client-mock` on the class, say) can route these clients elsewhere.
 */

/** A local implementation of one command: its input in, its output (without `$metadata`) out. */
export type LocalCommandHandler = (input: never) => unknown;

/** The local backend does not implement a command a handler sent. */
export class UnsupportedLocalCommandError extends Error {
  constructor(service: string, command: string, supported: readonly string[]) {
    super(
      `the local backend's ${service} does not implement ${command} (it implements ${supported.join(", ")})`,
    );
    this.name = "UnsupportedLocalCommandError";
  }
}

type Callback = (error: unknown, output?: unknown) => void;

/**
 * Answers every command of `client` with `handlers[<CommandName>]` (e.g. `GetObjectCommand`).
 * @returns the same client, for chaining
 */
export function serveLocally<C extends object>(
  client: C,
  service: string,
  handlers: Readonly<Record<string, LocalCommandHandler>>,
): C {
  const supported = Object.keys(handlers);
  const answer = async (command: { readonly input: object }): Promise<unknown> => {
    const name = command.constructor.name;
    const handler = handlers[name];
    if (!handler) throw new UnsupportedLocalCommandError(service, name, supported);
    const output = await (handler as (input: object) => unknown)(command.input);
    return { $metadata: { httpStatusCode: 200 }, ...(output as object) };
  };
  const send = (
    command: { readonly input: object },
    optionsOrCallback?: unknown,
    callback?: unknown,
  ): Promise<unknown> | void => {
    const cb = (typeof optionsOrCallback === "function" ? optionsOrCallback : callback) as
      Callback | undefined;
    if (!cb) return answer(command);
    answer(command).then(
      (output) => cb(null, output),
      (error: unknown) => cb(error),
    );
  };
  Object.defineProperty(client, "send", { value: send, writable: false, enumerable: false });
  return client;
}

/** Client settings that keep the SDK from looking for a region or credentials it will never use. */
export const LOCAL_CLIENT_CONFIG = {
  region: "local",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
} as const;
