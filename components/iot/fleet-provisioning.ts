import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { accountScopeOutput } from "../shared/aws-scope";
import { buildClaimPolicyDocument, claimClientIdPrefix } from "./iot-policy";
import { buildProvisioningTemplateBody } from "./provisioning";
import { claimPolicyName, provisioningTemplateName } from "./naming";
import { iotTrustPolicy, provisioningHookRolePolicy, provisioningRolePolicy } from "./iam-documents";
import { LambdaFunction } from "../shared/lambda-function";
import type { LambdaHandlerName } from "../shared/package-assets";

/** The pre-provisioning hook's bundle (`functions/pre-provisioning-hook/handler.ts`). */
export const PRE_PROVISIONING_HOOK_ENTRY: LambdaHandlerName = "pre-provisioning-hook";

export interface FleetProvisioningArgs {
  /** `<app>-<stack>`: prefix of thing names and of the template, policy and client-ID names. */
  readonly deployment: string;
  /** Rooms a sensor may register into; the hook refuses any other. */
  readonly rooms: readonly string[];
  /** Thing type of provisioned things (from {@link DeviceFleet}). */
  readonly thingTypeName: pulumi.Input<string>;
  /** The device IoT policy the template attaches to each new certificate (from {@link DeviceFleet}). */
  readonly devicePolicyName: pulumi.Input<string>;
  /** Retention of the hook's log group, in days. @default 30 */
  readonly logRetentionDays?: number;
  /** KMS key encrypting the hook's log group. @default - CloudWatch Logs' own encryption */
  readonly logsKmsKeyArn?: pulumi.Input<string>;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * Fleet provisioning by claim, for fleets too large to keep one thing and certificate per sensor in the stack:
 * a provisioning template (thing `<deployment>-<room>-<serial>`, room group, device policy), a pre-provisioning
 * hook Lambda that validates each request, the role IoT Core provisions with, and a shared claim certificate
 * whose policy allows nothing but the provisioning topics of this template.
 */
export class FleetProvisioning extends pulumi.ComponentResource {
  public readonly template: aws.iot.ProvisioningTemplate;
  public readonly templateName: string;
  public readonly hook: aws.lambda.Function;
  public readonly claimCertificate: aws.iot.Certificate;
  public readonly claimPolicy: aws.iot.Policy;
  /** Claim connections must use a client ID starting with this. */
  public readonly clientIdPrefix: string;

  constructor(name: string, args: FleetProvisioningArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:iot:FleetProvisioning", name, {}, opts);
    if (args.rooms.length === 0)
      throw new pulumi.ResourceError(
        "FleetProvisioning needs at least one room (sensor-analytics:rooms)",
        this,
      );
    const tags = { ...args.tags };
    const child = { parent: this };
    const { deployment } = args;
    this.templateName = provisioningTemplateName(deployment);
    this.clientIdPrefix = claimClientIdPrefix(deployment);

    const scope = accountScopeOutput(this);

    // The hook: IoT Core calls it synchronously and refuses the device on error, so it needs no dead-letter
    // queue. Its resources kept their names and this component as former parent when they moved under
    // LambdaFunction; its role's permissions, an inline entry of the role before, now replace that entry under
    // the same name instead of standing beside it.
    const hook = new LambdaFunction(
      `${name}-hook`,
      {
        entry: PRE_PROVISIONING_HOOK_ENTRY,
        description: `Validates fleet-provisioning requests of ${deployment} (serial number, room, no existing certificate)`,
        roleDescription: `Pre-provisioning hook of ${deployment}: logs, traces and registry look-ups of the deployment's things`,
        policy: ({ logGroupArn, scope: s }) => provisioningHookRolePolicy({ ...s, deployment, logGroupArn }),
        documentName: "provisioning-hook-role",
        inlinePolicyName: "pre-provisioning-hook",
        logGroupName: `/sensor-analytics/${deployment}/pre-provisioning-hook`,
        logRetentionDays: args.logRetentionDays,
        kmsKeyArn: args.logsKmsKeyArn,
        // IoT Core waits at most 5 seconds for the hook's answer.
        timeoutSeconds: 5,
        environment: { DEPLOYMENT: deployment, ROOMS: JSON.stringify(args.rooms) },
        formerly: { parent: this },
        tags,
      },
      child,
    );
    this.hook = hook.function;

    // IoT Core invokes the hook for this template only (the ARN is known from the template's name).
    const templateArn = scope.apply(
      (s) => `arn:${s.partition}:iot:${s.region}:${s.accountId}:provisioningtemplate/${this.templateName}`,
    );
    const invokePermission = new aws.lambda.Permission(
      `${name}-hook-invoke`,
      {
        function: this.hook.name,
        action: "lambda:InvokeFunction",
        principal: "iot.amazonaws.com",
        sourceArn: templateArn,
        sourceAccount: scope.accountId,
      },
      child,
    );

    const provisioningPolicy = pulumi
      .all([scope, args.thingTypeName, args.devicePolicyName])
      .apply(([s, thingTypeName, devicePolicyName]) =>
        provisioningRolePolicy({ ...s, deployment, thingTypeName, devicePolicyName }),
      );
    registerDocument(this, "iam-provisioning-role", "json", provisioningPolicy);
    const provisioningRole = new aws.iam.Role(
      `${name}-role`,
      {
        description: `IoT Core registers ${deployment} sensors with this role when they provision themselves`,
        assumeRolePolicy: pulumi.jsonStringify(scope.apply((s) => iotTrustPolicy(s))),
        inlinePolicies: [{ name: "register-sensors", policy: pulumi.jsonStringify(provisioningPolicy) }],
        tags,
      },
      child,
    );

    const body = pulumi
      .all([args.thingTypeName, args.devicePolicyName])
      .apply(([thingTypeName, devicePolicyName]) =>
        buildProvisioningTemplateBody({ deployment, thingTypeName, devicePolicyName }),
      );
    registerDocument(this, "iot-provisioning-template", "json", body);
    this.template = new aws.iot.ProvisioningTemplate(
      `${name}-template`,
      {
        name: this.templateName,
        description: `Sensors of ${deployment} registering themselves by claim`,
        enabled: true,
        provisioningRoleArn: provisioningRole.arn,
        templateBody: pulumi.jsonStringify(body),
        preProvisioningHook: { targetArn: this.hook.arn, payloadVersion: "2020-04-01" },
        tags,
      },
      { parent: this, dependsOn: [invokePermission] },
    );

    // The claim: one shared certificate (AWS generates its key pair), allowed only to provision.
    const claimDocument = scope.apply((s) =>
      buildClaimPolicyDocument({ ...s, deployment, templateName: this.templateName }),
    );
    registerDocument(this, "iot-claim-policy", "json", claimDocument);
    this.claimPolicy = new aws.iot.Policy(
      `${name}-claim-policy`,
      { name: claimPolicyName(deployment), policy: pulumi.jsonStringify(claimDocument), tags },
      child,
    );
    this.claimCertificate = new aws.iot.Certificate(`${name}-claim-cert`, { active: true }, child);
    new aws.iot.PolicyAttachment(
      `${name}-claim-policy-attachment`,
      { policy: this.claimPolicy.name, target: this.claimCertificate.arn },
      child,
    );

    this.registerOutputs({
      templateName: this.templateName,
      templateArn: this.template.arn,
      hookArn: this.hook.arn,
      claimCertificateArn: this.claimCertificate.arn,
      clientIdPrefix: this.clientIdPrefix,
    });
  }
}
