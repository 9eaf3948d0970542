/**
 * Every setting of the platform: type, default and description, as Pulumi.yaml declares them (a unit test
 * keeps the two equal: the Pulumi CLI validates and applies Pulumi.yaml, this copy is what the package reads,
 * so a program that imports the package needs no Pulumi.yaml of ours). Pure data.
 */
import type { DeclaredKey } from "./config";

/** The platform's settings, keyed without a namespace. */
export const PLATFORM_CONFIG_DECLARATIONS: Readonly<Record<string, DeclaredKey>> = {
  app: {
    type: "string",
    default: "sensors",
    description:
      "Short application name used in MQTT topics, thing names and resource names (1-16 lowercase letters and digits).",
  },
  tags: {
    type: "array",
    items: {
      type: "string",
    },
    default: [],
    description: 'Extra tags for every taggable resource, as "key=value" strings.',
  },
  protectData: {
    type: "boolean",
    default: false,
    description:
      "Protect buckets, the KMS key, the catalog and the database from deletion (protect + retainOnDelete). When false, buckets are force-destroyable.",
  },
  alertEmail: {
    type: "string",
    default: "",
    description:
      "E-mail address subscribed to the pipeline failure and anomaly alert topics (empty for none).",
  },
  logRetentionDays: {
    type: "integer",
    default: 30,
    description: "Retention of CloudWatch log groups, in days (a value CloudWatch accepts, e.g. 7, 30, 365).",
  },
  rooms: {
    type: "array",
    items: {
      type: "string",
    },
    default: ["lab", "office"],
    description: "Room IDs; each becomes an IoT thing group and a partition in the lake.",
  },
  sensorsPerRoom: {
    type: "integer",
    default: 2,
    description:
      "Temperature sensors per room (1-10000); one IoT thing and certificate each unless fleetProvisioning is on.",
  },
  fleetProvisioning: {
    type: "boolean",
    default: false,
    description:
      "Register devices by claim on first connect (fleet provisioning) instead of one thing and certificate per sensor in the stack state. Use it for fleets too large for per-device resources.",
  },
  firehoseBufferSeconds: {
    type: "integer",
    default: 60,
    description:
      "Firehose buffering interval in seconds (0-900); lower means fresher data and more, smaller files.",
  },
  firehoseBufferMiB: {
    type: "integer",
    default: 64,
    description:
      "Firehose buffering size in MiB (64-128; Firehose needs at least 64 for Parquet conversion and dynamic partitioning).",
  },
  firehoseDynamicPartitioning: {
    type: "boolean",
    default: true,
    description: "Partition the raw zone by room and date with Firehose dynamic partitioning.",
  },
  iotLogLevel: {
    type: "string",
    default: "ERROR",
    description:
      "IoT Core logging level (ERROR, WARN, INFO, DEBUG), or DISABLED when another stack in the account and region owns IoT logging (it is one setting per account and region).",
  },
  rawRetentionDays: {
    type: "integer",
    default: 30,
    description: "Days raw readings are kept in the lake before they expire.",
  },
  curatedRetentionDays: {
    type: "integer",
    default: 90,
    description: "Days curated data (per-room CSV and Parquet) is kept.",
  },
  infrequentAccessAfterDays: {
    type: "integer",
    default: 0,
    description:
      "Move lake objects to S3 Standard-IA after this many days (0 to disable; S3 requires at least 30).",
  },
  glacierAfterDays: {
    type: "integer",
    default: 0,
    description: "Move lake objects to Glacier Instant Retrieval after this many days (0 to disable).",
  },
  noncurrentVersionDays: {
    type: "integer",
    default: 7,
    description: "Days a replaced or deleted object version is kept (versioning is always on).",
  },
  catalogDatabase: {
    type: "string",
    default: "",
    description:
      'Glue catalog database for the lake tables (lowercase letters, digits and "_"; no "-", which Athena rejects). Empty for "<app>_<stack>".',
  },
  historicalPrefix: {
    type: "string",
    default: "landing/historical/",
    description: "Prefix in the raw bucket where historical CSV files are dropped for the S3 import.",
  },
  glueVpcCidr: {
    type: "string",
    default: "10.20.0.0/24",
    description: "CIDR of the dedicated Glue VPC (must not overlap the database VPC; /16 to /28).",
  },
  databaseMode: {
    type: "string",
    default: "demo",
    description:
      '"demo" creates a database VPC and a small database in this stack; "existing" peers with the VPC of a database you already run.',
  },
  databaseEngine: {
    type: "string",
    default: "postgres",
    description: "Historical database engine, postgres, mysql or sqlserver.",
  },
  databaseVpcCidr: {
    type: "string",
    default: "10.30.0.0/24",
    description: "CIDR of the database VPC (the demo VPC to create, or the existing VPC's CIDR).",
  },
  databaseVpcId: {
    type: "string",
    default: "",
    description: "ID of the existing database VPC (databaseMode existing).",
  },
  databaseRouteTableIds: {
    type: "array",
    items: {
      type: "string",
    },
    default: [],
    description:
      "Route tables of the existing database VPC that need a route back to the Glue VPC (databaseMode existing).",
  },
  databaseSecurityGroupId: {
    type: "string",
    default: "",
    description:
      "Security group of the existing database; the stack adds one ingress rule from the Glue security group (databaseMode existing).",
  },
  databaseHost: {
    type: "string",
    default: "",
    description: "Host name of the existing database (databaseMode existing).",
  },
  databasePort: {
    type: "integer",
    default: 0,
    description: "Database port; 0 for the engine's default (5432, 3306, 1433).",
  },
  databaseName: {
    type: "string",
    default: "telemetry",
    description: "Database (catalog) name holding the historical readings.",
  },
  databaseSecretArn: {
    type: "string",
    default: "",
    description:
      'ARN of an existing Secrets Manager secret with "username" and "password" (databaseMode existing). Preferred over databasePassword.',
  },
  databaseUsername: {
    type: "string",
    default: "glue_reader",
    description: "Database user the Glue connection reads as (databaseMode existing with databasePassword).",
  },
  databaseInstanceClass: {
    type: "string",
    default: "db.t4g.micro",
    description: "Instance class of the demo database.",
  },
  glueVersion: {
    type: "string",
    default: "5.0",
    description: "AWS Glue version for the ETL jobs.",
  },
  glueWorkerType: {
    type: "string",
    default: "G.1X",
    description: "Glue worker type (G.1X, G.2X, G.4X, G.8X).",
  },
  glueWorkers: {
    type: "integer",
    default: 2,
    description: "Number of Glue workers per job (2-299).",
  },
  glueJobTimeoutMinutes: {
    type: "integer",
    default: 30,
    description: "Timeout of each Glue job, in minutes.",
  },
  etlSchedule: {
    type: "string",
    default: "cron(0 2 * * ? *)",
    description: "EventBridge Scheduler expression for the ETL state machine (cron(...) or rate(...)), UTC.",
  },
  crawlerPollSeconds: {
    type: "integer",
    default: 30,
    description: "Seconds between crawler status checks in the ETL state machine.",
  },
  crawlerMaxPolls: {
    type: "integer",
    default: 40,
    description: "Crawler status checks before the ETL gives up and fails.",
  },
  athenaBytesScannedCutoffMiB: {
    type: "integer",
    default: 100,
    description: "Per-query data scan limit of the Athena workgroup, in MiB (at least 10).",
  },
  quicksightEnabled: {
    type: "boolean",
    default: false,
    description:
      "Create the QuickSight data source, datasets and dashboard (needs a QuickSight subscription in the account).",
  },
  quicksightPrincipals: {
    type: "array",
    items: {
      type: "string",
    },
    default: [],
    description: "QuickSight user or group ARNs that may view the dashboard and datasets.",
  },
  anomalyMode: {
    type: "string",
    default: "batch",
    description:
      '"endpoint" keeps a real-time SageMaker endpoint; "batch" scores on schedule with batch transform (cheaper).',
  },
  rcfNumTrees: {
    type: "integer",
    default: 50,
    description: "Random Cut Forest num_trees (50-1000).",
  },
  rcfSamplesPerTree: {
    type: "integer",
    default: 512,
    description: "Random Cut Forest num_samples_per_tree (1-2048).",
  },
  rcfShingleSize: {
    type: "integer",
    default: 1,
    description: "Consecutive readings per feature vector (1 = no shingling).",
  },
  anomalyZ: {
    type: "string",
    default: "3",
    description:
      "Anomaly threshold in standard deviations above the mean training score (a decimal number, 1-10).",
  },
  trainingInstanceType: {
    type: "string",
    default: "ml.m5.large",
    description: "SageMaker training instance type.",
  },
  inferenceInstanceType: {
    type: "string",
    default: "ml.c5.xlarge",
    description: "SageMaker inference instance type (endpoint or batch transform).",
  },
  inferenceInstanceCount: {
    type: "integer",
    default: 1,
    description: "Initial (and minimum) endpoint instance count.",
  },
  inferenceMaxInstances: {
    type: "integer",
    default: 1,
    description:
      "Maximum endpoint instances under autoscaling (equal to inferenceInstanceCount disables autoscaling).",
  },
  trainingSchedule: {
    type: "string",
    default: "rate(1 day)",
    description: "EventBridge Scheduler expression for model retraining.",
  },
  scoringSchedule: {
    type: "string",
    default: "rate(1 hour)",
    description: "EventBridge Scheduler expression for anomaly scoring.",
  },
  anomalyScoringUrl: {
    type: "boolean",
    default: false,
    description: "Endpoint mode only. An HTTPS Lambda function URL with IAM auth for ad-hoc anomaly scores.",
  },
  fleetRunner: {
    description:
      'The simulated fleet as ECS Fargate tasks for load tests against this stack, off unless set with shards, e.g. { shards: 10, devicesPerShard: 5000, interval: 10s, profile: "0s:0,5m:50000,20m:50000,25m:0" }. Fields (default): shards (required), devicesPerShard (1000), interval (10s), profile (none: every device for duration), duration (30m), networking (private: interface endpoints, no NAT; or public), vpcCidr (10.60.0.0/24), cpu (1024), memory (2048), architecture (x86_64 or arm64), connectRate (500, the account\'s IoT Core connect quota, shared by the shards), runRetentionDays (30). Needs fleetProvisioning true.',
    default: {},
  },
};
