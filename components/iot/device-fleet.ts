import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { accountScopeOutput } from "../shared/aws-scope";
import { roomsOf, type DeviceIdentity } from "../telemetry/fleet";
import { buildDevicePolicyDocument, ROOM_ATTRIBUTE } from "./iot-policy";
import { devicePolicyName, thingGroupName, thingTypeName } from "./naming";
import type { FleetFile } from "../telemetry/fleet-file";
import { buildCredentialsBundle, DeviceCredentials } from "./credentials";
import { FleetProvisioning } from "./fleet-provisioning";

export interface DeviceFleetArgs {
  /** `<app>-<stack>`: prefix of every registry name and the topics' second segment. */
  readonly deployment: string;
  /**
   * The sensors, each with its room: `PlatformConfig.fleet.devices`, or any list, e.g.
   * `fleetDevices(deployment, { lab: 3, office: 1 })` for rooms of different sizes.
   */
  readonly devices: readonly DeviceIdentity[];
  /**
   * Rooms of the fleet; each becomes a static thing group (a room may have no sensors yet).
   * @default - the devices' rooms, in their order
   */
  readonly rooms?: readonly string[];
  /**
   * Register sensors by claim on first connect ({@link FleetProvisioning}) instead of one thing, certificate and
   * attachment per sensor in the stack.
   * @default false
   */
  readonly fleetProvisioning?: boolean;
  /** Retention of log groups (the provisioning hook's), in days. @default 30 */
  readonly logRetentionDays?: number;
  /** KMS key encrypting log groups. @default - CloudWatch Logs' own encryption */
  readonly logsKmsKeyArn?: pulumi.Input<string>;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * Device identity on IoT Core: a thing type, one static thing group per room, one IoT policy shared by every
 * device (scoped to the connecting thing through policy variables), and per configured sensor a thing with its
 * `room` attribute, an AWS-generated certificate attached exclusively to it, and the policy on the certificate.
 * With `fleetProvisioning`, sensors register themselves instead (see {@link FleetProvisioning}).
 *
 * Outputs the `iot:Data-ATS` endpoint and {@link credentials}, a secret bundle the fleet simulator reads.
 */
export class DeviceFleet extends pulumi.ComponentResource {
  public readonly endpoint: pulumi.Output<string>;
  public readonly thingType: aws.iot.ThingType;
  public readonly thingGroups: Readonly<Record<string, aws.iot.ThingGroup>>;
  public readonly policy: aws.iot.Policy;
  /** Things managed by the stack, by thing name (empty with fleet provisioning). */
  public readonly things: Readonly<Record<string, aws.iot.Thing>>;
  public readonly provisioning?: FleetProvisioning;
  /** Everything the fleet simulator needs to connect the fleet (a fleet file), as a Pulumi secret. */
  public readonly credentials: pulumi.Output<FleetFile>;

  constructor(name: string, args: DeviceFleetArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:iot:DeviceFleet", name, {}, opts);
    const problems = DeviceFleet.validateArgs(args);
    if (problems.length > 0) throw new pulumi.ResourceError(problems.join("; "), this);
    const tags = { ...args.tags };
    const child = { parent: this };
    const { deployment } = args;

    const scope = accountScopeOutput(this);
    this.endpoint = aws.iot.getEndpointOutput({ endpointType: "iot:Data-ATS" }, child).endpointAddress;

    this.thingType = new aws.iot.ThingType(
      `${name}-thing-type`,
      {
        name: thingTypeName(deployment),
        properties: {
          description: `Temperature sensors of ${deployment}`,
          searchableAttributes: [ROOM_ATTRIBUTE],
        },
        tags,
      },
      child,
    );
    const groups: Record<string, aws.iot.ThingGroup> = {};
    const rooms = args.rooms ?? roomsOf(args.devices);
    for (const room of rooms) {
      groups[room] = new aws.iot.ThingGroup(
        `${name}-group-${room}`,
        {
          name: thingGroupName(deployment, room),
          properties: {
            description: `Sensors in room ${room} (${deployment})`,
            attributePayload: { attributes: { [ROOM_ATTRIBUTE]: room } },
          },
          tags,
        },
        child,
      );
    }
    this.thingGroups = groups;

    const document = scope.apply((s) => buildDevicePolicyDocument({ ...s, deployment }));
    registerDocument(this, "iot-device-policy", "json", document);
    this.policy = new aws.iot.Policy(
      `${name}-device-policy`,
      { name: devicePolicyName(deployment), policy: pulumi.jsonStringify(document), tags },
      child,
    );

    const things: Record<string, aws.iot.Thing> = {};
    const credentials: pulumi.Output<DeviceCredentials>[] = [];
    if (!args.fleetProvisioning) {
      for (const device of args.devices) {
        // Child names use the thing name without the deployment prefix, e.g. "<name>-lab-001-thing".
        const key = `${name}-${device.thingName.slice(deployment.length + 1)}`;
        const thing = new aws.iot.Thing(
          `${key}-thing`,
          {
            name: device.thingName,
            thingTypeName: this.thingType.name,
            attributes: { [ROOM_ATTRIBUTE]: device.roomId },
          },
          child,
        );
        // No CSR: AWS IoT generates the key pair; the private key is a secret output of the certificate.
        const certificate = new aws.iot.Certificate(`${key}-cert`, { active: true }, child);
        new aws.iot.ThingPrincipalAttachment(
          `${key}-cert-attachment`,
          { thing: thing.name, principal: certificate.arn, thingPrincipalType: "EXCLUSIVE_THING" },
          child,
        );
        new aws.iot.PolicyAttachment(
          `${key}-policy-attachment`,
          { policy: this.policy.name, target: certificate.arn },
          child,
        );
        new aws.iot.ThingGroupMembership(
          `${key}-group-membership`,
          { thingGroupName: groups[device.roomId]!.name, thingName: thing.name },
          child,
        );
        things[device.thingName] = thing;
        credentials.push(
          pulumi
            .all([certificate.certificatePem, certificate.privateKey])
            .apply(([certificatePem, privateKeyPem]) => ({
              thingName: device.thingName,
              roomId: device.roomId,
              certificatePem,
              privateKeyPem,
            })),
        );
      }
    } else {
      this.provisioning = new FleetProvisioning(
        `${name}-provisioning`,
        {
          deployment,
          rooms,
          thingTypeName: this.thingType.name,
          devicePolicyName: this.policy.name,
          logRetentionDays: args.logRetentionDays,
          logsKmsKeyArn: args.logsKmsKeyArn,
          tags,
        },
        // The template puts new things into the room groups, which must exist first.
        { parent: this, dependsOn: Object.values(groups) },
      );
    }
    this.things = things;

    const provisioning = this.provisioning;
    const claim = provisioning
      ? pulumi
          .all([provisioning.claimCertificate.certificatePem, provisioning.claimCertificate.privateKey])
          .apply(([claimCertificatePem, claimPrivateKeyPem]) => ({
            templateName: provisioning.templateName,
            claimCertificatePem,
            claimPrivateKeyPem,
            clientIdPrefix: provisioning.clientIdPrefix,
          }))
      : pulumi.output(undefined);
    const devices = provisioning
      ? pulumi.output(args.devices.map((d) => ({ thingName: d.thingName, roomId: d.roomId })))
      : pulumi.all(credentials);
    this.credentials = pulumi.secret(
      pulumi
        .all([this.endpoint, devices, claim])
        .apply(([endpoint, deviceList, claimCredentials]) =>
          buildCredentialsBundle({ endpoint, deployment, devices: deviceList, claim: claimCredentials }),
        ),
    );

    this.registerOutputs({
      endpoint: this.endpoint,
      thingTypeName: this.thingType.name,
      policyName: this.policy.name,
      thingNames: Object.keys(things),
      credentials: this.credentials,
    });
  }

  /** Problems with the args, each naming the input and the fix; empty when they are usable. */
  static validateArgs(args: DeviceFleetArgs): string[] {
    const problems: string[] = [];
    const rooms = args.rooms ?? roomsOf(args.devices);
    if (rooms.length === 0) {
      problems.push("DeviceFleet needs at least one room: list rooms, or devices (each names its room)");
    }
    const strangers = args.devices.filter((d) => !rooms.includes(d.roomId));
    if (strangers.length > 0) {
      problems.push(
        `devices ${strangers.map((d) => d.thingName).join(", ")} are in rooms that are not in rooms (${rooms.join(", ")}); add the rooms or remove the devices`,
      );
    }
    const foreign = args.devices.filter((d) => !d.thingName.startsWith(`${args.deployment}-`));
    if (foreign.length > 0) {
      problems.push(
        `thing names ${foreign.map((d) => d.thingName).join(", ")} do not start with "${args.deployment}-"; build them with thingName() or fleetDevices()`,
      );
    }
    return problems;
  }
}
