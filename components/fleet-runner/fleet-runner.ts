import * as aws from "@pulumi/aws";
import type * as Awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { registerDocument } from "../documents";
import { buildCredentialsBundle, type ClaimCredentials } from "../iot/credentials";
import { SecureBucket } from "../lake/secure-bucket";
import type { BucketRef, VpcRef } from "../shared/resource-refs";
import { accountScopeOutput } from "../shared/aws-scope";
import { platformLogGroup } from "../shared/log-group";
import { serviceRole } from "../shared/service-role";
import { CREDENTIALS_PREFIX, executionRolePolicy, RUNS_PREFIX, taskRolePolicy } from "./iam-documents";
import { FleetRunnerNetwork } from "./network";
import { FLEET_FILE_VARIABLE, SIMULATOR_CONTAINER, type FleetRunnerOutput } from "./outputs";
import { shardCommand, type FleetRunnerSettings } from "./settings";

/** How the simulator's image is built (awsx.ecr.Image, with Docker, at `pulumi up`). */
export interface FleetRunnerImageArgs {
  /** Docker build context: the directory holding the bundle (`devices/` with `dist/` from `npm run fleet:bundle`). */
  readonly context: string;
  /** The Dockerfile. @default - `Dockerfile` in the context */
  readonly dockerfile?: string;
  /**
   * A file the context must hold, relative to it: the bundle. Missing, the component warns with the fix
   * (the Docker build would fail later with a bare "file not found").
   * @default "dist/sensor-fleet.cjs"
   */
  readonly requiredFile?: string;
}

export interface SensorFleetRunnerArgs {
  /** `<app>-<stack>`: names, the device names' prefix. */
  readonly deployment: string;
  /** The validated `fleetRunner` settings. */
  readonly settings: FleetRunnerSettings;
  /** Rooms the deployment's provisioning hook accepts; the runner's devices are spread over them. */
  readonly rooms: readonly string[];
  /** IoT Core's `iot:Data-ATS` host of the account. */
  readonly iotEndpoint: pulumi.Input<string>;
  /** Fleet provisioning by claim: the template and the claim certificate (a secret). */
  readonly claim: pulumi.Input<ClaimCredentials>;
  /**
   * Customer-managed key for the runner's bucket, secret and log group (the lake key).
   * @default - SSE-S3, `aws/secretsmanager`, CloudWatch Logs' own encryption: no `kms:*` statement
   */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  readonly image: FleetRunnerImageArgs;
  /**
   * A platform team's VPC for the tasks instead of one of their own: they run in all its `privateSubnets` (at
   * least one; no public addresses), and the VPC must already reach ECR, S3, CloudWatch Logs, Secrets Manager
   * and IoT Core's data endpoint (NAT or its own endpoints). Only the tasks' security group is created in it
   * (egress HTTPS and MQTT over TLS, nothing inbound): no VPC, subnet, route, flow log, internet gateway, VPC
   * endpoint or private hosted zone. `settings.vpcCidr` is then unused, and `settings.networking` must stay
   * `"private"`. `cidrBlock` and `routeTableIds` are not needed (nothing is peered).
   * @default - a VPC of the runner's own, from `settings.vpcCidr` and `settings.networking`
   */
  readonly existingVpc?: VpcRef | undefined;
  /** Bucket receiving the runner bucket's server access logs (the lake's log bucket). */
  readonly accessLogBucket: BucketRef;
  /** Retention of the task and flow logs, days. @default 30 */
  readonly logRetentionDays?: number;
  /** Keep the runner's bucket (saved device certificates) on `pulumi destroy`. @default false */
  readonly protectData?: boolean;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The simulated fleet as ECS Fargate tasks, for load tests against a deployed stack: `shards` task
 * definitions (awsx) each running the bundled simulator with `--shard i/n` and the same load profile, an ECS
 * cluster, the image (awsx.ecr.Image from `devices/Dockerfile`) in a scanned, immutable ECR repository, the
 * claim-only fleet file in Secrets Manager, a KMS-encrypted bucket for run summaries and the certificates
 * devices obtain by claim, task logs with retention, and the network ({@link FleetRunnerNetwork}). Nothing runs
 * until `npm run fleet:cloud -- --stack <stack> --run <name>` starts the tasks (ECS RunTask).
 *
 * IAM, the secret, the log group, the bucket, the endpoints and the security groups are plain `aws`
 * resources, so the policy pack (and the offline synth) sees them; awsx builds only the image and the task
 * definitions, whose inputs the synth records.
 */
export class SensorFleetRunner extends pulumi.ComponentResource {
  public readonly cluster: aws.ecs.Cluster;
  public readonly repository: aws.ecr.Repository;
  /** The simulator's image (an `awsx.ecr.Image`). */
  public readonly image: pulumi.Resource;
  /** The image's URI in the repository, with its digest. */
  public readonly imageUri: pulumi.Output<string>;
  /** One per shard (`awsx.ecs.FargateTaskDefinition`): `[i - 1]` runs `--shard i/n`. */
  public readonly taskDefinitions: pulumi.Resource[];
  /** The task definitions' ARNs, in shard order. */
  public readonly taskDefinitionArns: pulumi.Output<string>[];
  public readonly network: FleetRunnerNetwork;
  public readonly bucket: SecureBucket;
  public readonly fleetSecret: aws.secretsmanager.Secret;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly taskRole: aws.iam.Role;
  public readonly executionRole: aws.iam.Role;
  /** What `npm run fleet:cloud` needs (export it as the stack output `fleetRunner`). */
  public readonly output: pulumi.Output<FleetRunnerOutput>;

  constructor(name: string, args: SensorFleetRunnerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:fleet-runner:SensorFleetRunner", name, {}, opts);
    const { settings, deployment } = args;
    const tags = { ...args.tags };
    const child = { parent: this };
    const protect = args.protectData ?? false;
    const logRetentionDays = args.logRetentionDays ?? 30;
    const scope = accountScopeOutput(this);
    SensorFleetRunner.checkImageContext(args.image, this);

    this.network = new FleetRunnerNetwork(
      `${name}-net`,
      {
        networking: settings.networking,
        cidrBlock: settings.vpcCidr,
        existingVpc: args.existingVpc,
        iotEndpoint: args.iotEndpoint,
        kmsKeyArn: args.kmsKeyArn,
        logRetentionDays,
        tags,
      },
      child,
    );

    this.bucket = new SecureBucket(
      `${name}-runs`,
      {
        kmsKeyArn: args.kmsKeyArn,
        accessLogBucket: args.accessLogBucket,
        noncurrentVersionDays: 7,
        lifecycleRules: [
          { id: "expire-runs", prefix: RUNS_PREFIX, expireAfterDays: settings.runRetentionDays },
        ],
        forceDestroy: !protect,
        tags,
      },
      { parent: this, protect, retainOnDelete: protect },
    );

    this.fleetSecret = new aws.secretsmanager.Secret(
      `${name}-fleet-file`,
      {
        description: `Claim-only fleet file of ${deployment}'s fleet runner: IoT endpoint, CA and provisioning claim`,
        kmsKeyId: args.kmsKeyArn,
        recoveryWindowInDays: protect ? 30 : 7,
        tags,
      },
      child,
    );
    const fleetFile = pulumi
      .all([args.iotEndpoint, args.claim])
      .apply(([endpoint, claim]) => buildCredentialsBundle({ endpoint, deployment, devices: [], claim }));
    new aws.secretsmanager.SecretVersion(
      `${name}-fleet-file`,
      { secretId: this.fleetSecret.id, secretString: pulumi.secret(pulumi.jsonStringify(fleetFile)) },
      child,
    );

    this.logGroup = platformLogGroup(
      `${name}-logs`,
      {
        name: `/sensor-analytics/${deployment}/fleet-runner`,
        retentionDays: logRetentionDays,
        kmsKeyArn: args.kmsKeyArn,
        tags,
      },
      child,
    );

    this.repository = new aws.ecr.Repository(
      `${name}-images`,
      {
        name: `${deployment}/sensor-fleet`,
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        forceDelete: !protect,
        tags,
      },
      child,
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-images`,
      {
        repository: this.repository.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: "Keep the last 10 simulator images",
              selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 10 },
              action: { type: "expire" },
            },
          ],
        }),
      },
      child,
    );
    const awsx = loadAwsx(this);
    const image = new awsx.ecr.Image(
      `${name}-image`,
      {
        repositoryUrl: this.repository.repositoryUrl,
        context: args.image.context,
        dockerfile: args.image.dockerfile,
        platform: settings.architecture === "arm64" ? "linux/arm64" : "linux/amd64",
      },
      child,
    );
    this.image = image;
    this.imageUri = image.imageUri;

    const trust = (s: { partition: string; region: string; accountId: string }) => ({
      sourceArn: `arn:${s.partition}:ecs:${s.region}:${s.accountId}:*`,
    });
    const task = serviceRole(this, {
      service: "ecs-tasks.amazonaws.com",
      scope,
      trust,
      policy: pulumi
        .all([scope, this.bucket.arn, pulumi.output(args.kmsKeyArn)])
        .apply(([s, bucketArn, kmsKeyArn]) => taskRolePolicy({ scope: s, bucketArn, kmsKeyArn })),
      documentName: "iam-fleet-runner-task",
      roleName: `${name}-task`,
      policyName: `${name}-task`,
      description: `The simulator in ${deployment}'s fleet runner tasks: run files and saved certificates in its bucket`,
      tags,
    });
    const execution = serviceRole(this, {
      service: "ecs-tasks.amazonaws.com",
      scope,
      trust,
      policy: pulumi
        .all([
          scope,
          this.repository.arn,
          this.logGroup.arn,
          this.fleetSecret.arn,
          pulumi.output(args.kmsKeyArn),
        ])
        .apply(([s, repositoryArn, logGroupArn, fleetSecretArn, kmsKeyArn]) =>
          executionRolePolicy({ scope: s, repositoryArn, logGroupArn, fleetSecretArn, kmsKeyArn }),
        ),
      documentName: "iam-fleet-runner-execution",
      roleName: `${name}-execution`,
      policyName: `${name}-execution`,
      description: `ECS starting ${deployment}'s fleet runner tasks: image, logs, fleet file`,
      tags,
    });
    this.taskRole = task.role;
    this.executionRole = execution.role;

    this.cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      {
        name: `${deployment}-fleet-runner`,
        settings: [{ name: "containerInsights", value: "enabled" }],
        tags,
      },
      child,
    );

    const bucketName = this.bucket.name;
    const context = {
      rooms: args.rooms,
      fleetFileVariable: FLEET_FILE_VARIABLE,
      credentialsUri: pulumi.interpolate`s3://${bucketName}/${CREDENTIALS_PREFIX}`,
      runsUri: pulumi.interpolate`s3://${bucketName}/${RUNS_PREFIX}`,
    };
    const commands = pulumi
      .all([context.credentialsUri, context.runsUri])
      .apply(([credentialsUri, runsUri]) =>
        Array.from({ length: settings.shards }, (_, i) =>
          shardCommand(settings, i + 1, { ...context, credentialsUri, runsUri }),
        ),
      );
    registerDocument(this, "fleet-runner-commands", "json", commands);
    const region = scope.region;
    const taskDefinitions = Array.from({ length: settings.shards }, (_, i) => {
      const shard = i + 1;
      return new awsx.ecs.FargateTaskDefinition(
        `${name}-shard-${shard}`,
        {
          family: `${deployment}-fleet-shard-${shard}-of-${settings.shards}`,
          cpu: String(settings.cpu),
          memory: String(settings.memory),
          runtimePlatform: {
            operatingSystemFamily: "LINUX",
            cpuArchitecture: settings.architecture === "arm64" ? "ARM64" : "X86_64",
          },
          executionRole: { roleArn: this.executionRole.arn },
          taskRole: { roleArn: this.taskRole.arn },
          // The log group above (KMS, retention) instead of one awsx would create.
          logGroup: { skip: true },
          container: {
            name: SIMULATOR_CONTAINER,
            image: image.imageUri,
            essential: true,
            command: commands.apply((all) => all[i]!),
            secrets: [{ name: FLEET_FILE_VARIABLE, valueFrom: this.fleetSecret.arn }],
            logConfiguration: {
              logDriver: "awslogs",
              options: {
                "awslogs-group": this.logGroup.name,
                "awslogs-region": region,
                "awslogs-stream-prefix": `shard-${shard}`,
              },
            },
            readonlyRootFilesystem: true,
            // SIGTERM (fleet:cloud --stop) drains in-flight readings and writes the summary; Fargate allows 120 s.
            stopTimeout: 120,
            linuxParameters: { initProcessEnabled: true },
            // One socket per device.
            ulimits: [{ name: "nofile", softLimit: 65_535, hardLimit: 65_535 }],
          },
          tags,
        },
        { parent: this, dependsOn: [task.policy, execution.policy] },
      );
    });
    this.taskDefinitions = taskDefinitions;
    this.taskDefinitionArns = taskDefinitions.map((t) => t.taskDefinition.arn);

    this.output = pulumi
      .all([
        region,
        this.cluster.arn,
        pulumi.all(this.taskDefinitionArns),
        pulumi.all(this.network.subnetIds),
        this.network.securityGroup.id,
        context.runsUri,
        this.logGroup.name,
      ])
      .apply(([r, clusterArn, taskDefinitionArns, subnetIds, securityGroupId, runsUri, logGroupName]) => ({
        region: r,
        clusterArn,
        containerName: SIMULATOR_CONTAINER,
        taskDefinitionArns,
        subnetIds,
        securityGroupIds: [securityGroupId],
        assignPublicIp: this.network.assignPublicIp,
        runsUri,
        logGroupName,
      }));

    this.registerOutputs({ output: this.output, repositoryUrl: this.repository.repositoryUrl });
  }

  /** Warns (with the fix) when the image's build context lacks the bundle. */
  static checkImageContext(image: FleetRunnerImageArgs, resource: pulumi.Resource): void {
    const required = path.resolve(image.context, image.requiredFile ?? "dist/sensor-fleet.cjs");
    if (!fs.existsSync(required)) {
      void pulumi.log.warn(
        `${path.relative(process.cwd(), required)} is missing: the simulator image is built from it; run npm run fleet:bundle before pulumi up`,
        resource,
      );
    }
  }
}

/**
 * `@pulumi/awsx`, loaded when a fleet runner is built: it is an optional peer dependency of the package, so a
 * program that never runs load tests does not install it (nor the Docker plugins it brings).
 */
function loadAwsx(resource: pulumi.Resource): typeof Awsx {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@pulumi/awsx") as typeof Awsx;
  } catch (err) {
    if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
    throw new pulumi.ResourceError(
      "SensorFleetRunner builds its image and task definitions with @pulumi/awsx, an optional peer dependency " +
        "of @sensor-analytics/components that is not installed: run `npm install @pulumi/awsx@^3`",
      resource,
    );
  }
}
