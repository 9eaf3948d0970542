/**
 * The typed result of reading a stack's configuration ({@link PlatformConfig}), the problems reported on the way
 * ({@link ConfigProblem}, {@link ConfigError}) and the shape of the raw input. Pure data and types.
 */
import type { DeviceIdentity } from "../telemetry/fleet";
import type { ScheduleExpression } from "../schedule";
import type { FleetRunnerSettings } from "../fleet-runner/settings";
import type { StreamSettings } from "../streaming/stream-settings";
import type { HttpApiSettings } from "../api/api-settings";
import type { PollerSettings } from "../pollers/poller-settings";
import type { AlarmSettings } from "../operations/alarm-settings";
import type { AnomalyRunSettings } from "../ml/model-settings";

export const PROJECT = "sensor-analytics";

export type DatabaseEngine = "postgres" | "mysql" | "sqlserver";
export const DATABASE_ENGINES: readonly DatabaseEngine[] = ["postgres", "mysql", "sqlserver"];
export const DEFAULT_DATABASE_PORTS: Readonly<Record<DatabaseEngine, number>> = {
  postgres: 5432,
  mysql: 3306,
  sqlserver: 1433,
};

/** An existing VPC the Glue connection runs in (`existingGlueVpc` in the stack file). */
export interface ExistingGlueVpc {
  readonly vpcId: string;
  /** The VPC's primary IPv4 block: the database VPC routes it back across the peering. */
  readonly cidrBlock: string;
  /** Route tables of the Glue subnet(s): peering adds a route to the database VPC to each. */
  readonly routeTableIds: readonly string[];
  /** Private subnets; the Glue connection uses the first. */
  readonly privateSubnets: readonly { readonly id: string; readonly availabilityZone: string }[];
}

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const GLUE_WORKER_TYPES = ["G.025X", "G.1X", "G.2X", "G.4X", "G.8X"] as const;

/**
 * A secret string that does not print itself. Components wrap it with `pulumi.secret(...)`; the config
 * module stays free of Outputs so the local backend can use it too.
 */
export class SecretString {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The plain value; only to be handed straight to `pulumi.secret`. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "[secret]";
  }
  toJSON(): string {
    return "[secret]";
  }
}

export interface ExistingDatabase {
  readonly vpcId: string;
  readonly routeTableIds: readonly string[];
  readonly securityGroupId: string;
  readonly host: string;
  /** Existing Secrets Manager secret with `username` and `password`; preferred over {@link password}. */
  readonly secretArn?: string;
  readonly username: string;
  readonly password?: SecretString;
}

/** The whole stack configuration, validated. */
export interface PlatformConfig {
  /** The namespace the settings were read from (the project's name, unless a program chose another). */
  readonly project: string;
  readonly stack: string;
  /** File the values came from, for messages (e.g. `Pulumi.dev.yaml`). */
  readonly stackFile: string;
  readonly app: string;
  /** `<app>-<stack>`: prefix of thing names and topics' app segment, unique per stack. */
  readonly deployment: string;
  readonly region: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly protectData: boolean;
  readonly alertEmail?: string;
  readonly logRetentionDays: number;
  readonly fleet: {
    readonly rooms: readonly string[];
    readonly sensorsPerRoom: number;
    readonly fleetProvisioning: boolean;
    /** Every configured sensor, in a stable order. */
    readonly devices: readonly DeviceIdentity[];
  };
  readonly firehose: {
    readonly bufferSeconds: number;
    readonly bufferMiB: number;
    readonly dynamicPartitioning: boolean;
  };
  /** IoT Core logging level (account- and region-wide); `DISABLED` leaves IoT logging to another stack. */
  readonly iotLogLevel: "ERROR" | "WARN" | "INFO" | "DEBUG" | "DISABLED";
  readonly lake: {
    readonly rawRetentionDays: number;
    readonly curatedRetentionDays: number;
    /** `undefined` when the transition is disabled. */
    readonly infrequentAccessAfterDays?: number;
    readonly glacierAfterDays?: number;
    readonly noncurrentVersionDays: number;
    /** Glue/Athena database name (no `-`). */
    readonly catalogDatabase: string;
    readonly historicalPrefix: string;
  };
  readonly glue: {
    /** Block of the Glue VPC the stack creates (unused with `existingVpc`). */
    readonly vpcCidr: string;
    /**
     * An existing VPC for the Glue connection (`existingGlueVpc`) instead of the created one: plain strings, as
     * the stack file gives them, in the shape of the components' `VpcRef`.
     */
    readonly existingVpc?: ExistingGlueVpc;
    readonly version: string;
    readonly workerType: string;
    readonly workers: number;
    readonly jobTimeoutMinutes: number;
  };
  readonly database: {
    readonly mode: "demo" | "existing";
    readonly engine: DatabaseEngine;
    readonly vpcCidr: string;
    readonly port: number;
    readonly name: string;
    readonly instanceClass: string;
    /** Present exactly when `mode` is `existing`. */
    readonly existing?: ExistingDatabase;
  };
  readonly etl: {
    readonly schedule: ScheduleExpression;
    readonly crawlerPollSeconds: number;
    readonly crawlerMaxPolls: number;
  };
  readonly athena: {
    readonly bytesScannedCutoffPerQuery: number;
  };
  readonly quicksight: {
    readonly enabled: boolean;
    readonly principals: readonly string[];
  };
  readonly anomaly: AnomalyRunSettings & {
    readonly mode: "endpoint" | "batch";
    readonly numTrees: number;
    /** Absent: derived from `expectedAnomalyRate` (see samplesPerTreeFor). */
    readonly samplesPerTree?: number;
    /** Expected share of anomalous readings; sizes num_samples_per_tree when that is not set. */
    readonly expectedAnomalyRate: number;
    readonly shingleSize: number;
    readonly z: number;
    /** Feature set of the model's vectors: `deviation` (from the device's own baseline) or `temperature`. */
    readonly features: "deviation" | "temperature";
    /** Readings of a device's past that make its baseline. */
    readonly baselineReadings: number;
    /** Readings with one unchanged value that make a stuck sensor (0: off). */
    readonly stuckReadings: number;
    /** Readings missing before a reading that make a dropout (0: off). */
    readonly dropoutReadings: number;
    /** `room`: one model per room; `fleet`: one for all sensors. */
    readonly modelScope: "fleet" | "room";
    /** Alert when a score's upper-tail probability under its device's score distribution is below this. */
    readonly tailProbability: number;
    /** Scores of a sensor averaged before the tail probability judges them (1: each score alone). */
    readonly scoreAveraging: number;
    /** Endpoint mode: an HTTPS Lambda function URL with IAM auth for ad-hoc anomaly scores. */
    readonly scoringUrl: boolean;
  };
  /** The simulated fleet on ECS Fargate for load tests; `undefined` (off) unless the stack sets `fleetRunner`. */
  readonly fleetRunner?: FleetRunnerSettings;
  /**
   * The Kinesis stream between ingest and the lake, with real-time aggregates in DynamoDB; `undefined` (off)
   * unless the stack sets `ingestStream: kinesis`.
   */
  readonly ingestStream?: StreamSettings;
  /** HTTPS ingestion and the latest-state routes; `undefined` (off) unless the stack sets `httpApi`. */
  readonly httpApi?: HttpApiSettings;
  /** Scheduled REST pollers (none unless the stack lists `pollers`). */
  readonly pollers: readonly PollerSettings[];
  /** Alarm thresholds (`alarms`); derived ones are resolved by `resolveAlarmThresholds`. */
  readonly alarms: AlarmSettings;
  /** The CloudTrail audit trail of the lake's data events (`auditTrail`, `auditRetentionDays`). */
  readonly audit: {
    readonly enabled: boolean;
    /** Days the trail's log files are kept in the log bucket. */
    readonly retentionDays: number;
  };
}

/** One thing wrong with a stack's configuration. */
export interface ConfigProblem {
  /** Full key, e.g. `sensor-analytics:sensorsPerRoom`. */
  readonly key: string;
  /** The value received, as the stack file gave it (`undefined` when absent; secrets redacted). */
  readonly value: unknown;
  /** What the value must be. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
}

/** Thrown by {@link parsePlatformConfig} with every problem found. */
export class ConfigError extends Error {
  constructor(
    readonly problems: readonly ConfigProblem[],
    readonly stackFile: string,
  ) {
    super(
      `${problems.length} problem${problems.length === 1 ? "" : "s"} in the configuration of ${stackFile}:\n` +
        problems.map((p) => `  - ${formatProblem(p, stackFile)}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** `<key> <message> (got <value>) in <file>; fix: <fix>`: the one format every config error uses. */
export function formatProblem(problem: ConfigProblem, stackFile: string): string {
  const got = problem.value === undefined ? "nothing" : JSON.stringify(problem.value);
  return `${problem.key} ${problem.message} (got ${got}) in ${stackFile}; fix: ${problem.fix}`;
}

/**
 * The raw configuration of one stack: every value as the Pulumi engine hands it to a program (strings;
 * numbers, booleans and arrays JSON-encoded), keyed `namespace:key`.
 */
export interface RawStackConfig {
  readonly stack: string;
  readonly stackFile: string;
  readonly values: Readonly<Record<string, string>>;
  /** Keys whose values are secrets. */
  readonly secretKeys: ReadonlySet<string>;
}

/** A key declared in Pulumi.yaml's `config:` block. */
export interface DeclaredKey {
  /**
   * The Pulumi type. Absent for structured keys (an object such as `fleetRunner`): Pulumi's project config
   * types are string, integer, boolean and array, and the CLI does not type-check an untyped key, so this
   * module validates it field by field.
   */
  readonly type?: "string" | "integer" | "boolean" | "array";
  /** The items' type, for an array. */
  readonly items?: { readonly type: string };
  readonly description: string;
  readonly default?: unknown;
  readonly secret?: boolean;
}

/**
 * Optional secret settings, which Pulumi.yaml cannot declare: the CLI refuses a `secret: true` key with a
 * default (the default would be plain text) and requires one without a default in every stack file.
 */
export const OPTIONAL_SECRET_KEYS: Readonly<Record<string, DeclaredKey>> = {
  databasePassword: {
    type: "string",
    secret: true,
    description:
      "Password for databaseUsername, as a Pulumi secret (pulumi config set --secret); stored in Secrets Manager by the stack. Only for databaseMode existing without databaseSecretArn.",
  },
};
