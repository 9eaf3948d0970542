import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registerDocument } from "../documents";
import { accountScopeOutput } from "../shared/aws-scope";
import { buildClaimPolicyDocument, claimClientIdPrefix } from "./iot-policy";
import { buildProvisioningTemplateBody } from "./provisioning";
import { claimPolicyName, provisioningTemplateName } from "./naming";
import {
  iotTrustPolicy,
  lambdaTrustPolicy,
  provisioningHookRolePolicy,
  provisioningRolePolicy,
} from "./iam-documents";
import { lambdaBundle } from "../shared/lambda-bundle";
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

    // The hook: a plain module bundled with esbuild, logging into its own encrypted log group.
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-hook-logs`,
      {
        name: `/sensor-analytics/${deployment}/pre-provisioning-hook`,
        retentionInDays: args.logRetentionDays ?? 30,
        kmsKeyId: args.logsKmsKeyArn,
        tags,
      },
      child,
    );
    const hookPolicy = pulumi
      .all([scope, logGroup.arn])
      .apply(([s, logGroupArn]) => provisioningHookRolePolicy({ ...s, deployment, logGroupArn }));
    registerDocument(this, "iam-provisioning-hook-role", "json", hookPolicy);
    const hookRole = new aws.iam.Role(
      `${name}-hook-role`,
      {
        description: `Pre-provisioning hook of ${deployment}: logs and registry look-ups of the deployment's things`,
        assumeRolePolicy: pulumi.jsonStringify(scope.apply(lambdaTrustPolicy)),
        inlinePolicies: [{ name: "pre-provisioning-hook", policy: pulumi.jsonStringify(hookPolicy) }],
        tags,
      },
      child,
    );
    const bundle = lambdaBundle(PRE_PROVISIONING_HOOK_ENTRY);
    this.hook = new aws.lambda.Function(
      `${name}-hook`,
      {
        description: `Validates fleet-provisioning requests of ${deployment} (serial number, room, no existing certificate)`,
        runtime: "nodejs24.x",
        architectures: ["arm64"],
        code: bundle.archive,
        handler: bundle.handler,
        role: hookRole.arn,
        // IoT Core waits at most 5 seconds for the hook's answer.
        timeout: 5,
        memorySize: 256,
        environment: { variables: { DEPLOYMENT: deployment, ROOMS: JSON.stringify(args.rooms) } },
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        // IoT Core calls the hook synchronously and refuses the device on error: no asynchronous failure to
        // keep, so no dead-letter queue (the policy pack's lambda rule reads this tag).
        tags: { ...tags, "sensor-analytics:invocation": "synchronous" },
      },
      child,
    );

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
