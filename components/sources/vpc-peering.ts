import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** One side of the peering. */
export interface PeeringSide {
  readonly vpcId: pulumi.Input<string>;
  /** The side's IPv4 block (the other side routes it into the peering). */
  readonly cidrBlock: string;
  /** Every route table of the side's subnets that must reach the other side. */
  readonly routeTableIds: readonly pulumi.Input<string>[];
}

export interface VpcPeeringArgs {
  /** The Glue VPC (the requester). */
  readonly glue: PeeringSide;
  /** The database VPC (the accepter; same account and region, so the peering is accepted at once). */
  readonly database: PeeringSide;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * Peers the Glue VPC with the database VPC and routes each side's block into the peering from every route
 * table of the other side (a route missing on either side is the classic "Glue cannot connect" case: the
 * SYN gets there, the answer does not come back). DNS resolution across the peering is on, so names that
 * resolve to private addresses in one VPC resolve the same from the other.
 */
export class VpcPeering extends pulumi.ComponentResource {
  public readonly connection: aws.ec2.VpcPeeringConnection;
  public readonly routes: aws.ec2.Route[];

  constructor(name: string, args: VpcPeeringArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:sources:VpcPeering", name, {}, opts);
    for (const [side, value] of Object.entries({ glue: args.glue, database: args.database })) {
      if (value.routeTableIds.length === 0) {
        throw new pulumi.ResourceError(
          `${side}.routeTableIds is empty: the ${side} VPC would have no route back across the peering; pass every route table of its subnets`,
          this,
        );
      }
    }
    const tags = { ...args.tags };
    this.connection = new aws.ec2.VpcPeeringConnection(
      name,
      {
        vpcId: args.glue.vpcId,
        peerVpcId: args.database.vpcId,
        autoAccept: true,
        tags: { ...tags, Name: name },
      },
      { parent: this },
    );
    new aws.ec2.PeeringConnectionOptions(
      `${name}-dns`,
      {
        vpcPeeringConnectionId: this.connection.id,
        requester: { allowRemoteVpcDnsResolution: true },
        accepter: { allowRemoteVpcDnsResolution: true },
      },
      { parent: this },
    );
    const route = (role: string, tableId: pulumi.Input<string>, index: number, destination: string) =>
      new aws.ec2.Route(
        `${name}-${role}-${index + 1}`,
        {
          routeTableId: tableId,
          destinationCidrBlock: destination,
          vpcPeeringConnectionId: this.connection.id,
        },
        { parent: this },
      );
    this.routes = [
      ...args.glue.routeTableIds.map((id, i) => route("glue-to-database", id, i, args.database.cidrBlock)),
      ...args.database.routeTableIds.map((id, i) => route("database-to-glue", id, i, args.glue.cidrBlock)),
    ];
    this.registerOutputs({ peeringConnectionId: this.connection.id });
  }
}
