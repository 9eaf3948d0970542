/**
 * Stack configuration: parse and validate everything a stack file says into one typed {@link PlatformConfig}
 * before any resource is created.
 *
 * Pulumi.yaml declares every key (type, description, default); this module holds the rules. Every problem is
 * collected and reported at once, each naming the key, the value received, the stack file and the fix, so a
 * user fixes a stack file in one pass instead of one `pulumi up` per typo.
 *
 * Only this module and index.ts read configuration; components receive plain typed args.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { fleetDevices, deploymentName, DeviceIdentity } from "./telemetry/fleet";
import { parseCidr, cidrsOverlap } from "./net/cidr";
import { parseSchedule, ScheduleExpression } from "./schedule";
import { readFleetRunnerSettings, type FleetRunnerSettings } from "./fleet-runner/settings";
import { PLATFORM_CONFIG_DECLARATIONS } from "./config-declarations";
import { INGEST_STREAM_KINDS, readStreamSettings, type StreamSettings } from "./streaming/stream-settings";
import { readHttpApiSettings, type HttpApiSettings } from "./api/api-settings";
import { readPollerSettings, type PollerSettings } from "./pollers/poller-settings";
import { ALARM_DEFAULTS, readAlarmSettings, type AlarmSettings } from "./operations/alarm-settings";

/** This template's Pulumi project name: the default namespace of every config key. */
export const PROJECT = "sensor-analytics";

export type DatabaseEngine = "postgres" | "mysql" | "sqlserver";
export const DATABASE_ENGINES: readonly DatabaseEngine[] = ["postgres", "mysql", "sqlserver"];
export const DEFAULT_DATABASE_PORTS: Readonly<Record<DatabaseEngine, number>> = {
  postgres: 5432,
  mysql: 3306,
  sqlserver: 1433,
};

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const GLUE_WORKER_TYPES = ["G.025X", "G.1X", "G.2X", "G.4X", "G.8X"] as const;

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
    readonly vpcCidr: string;
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
  readonly anomaly: {
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
    readonly trainingInstanceType: string;
    readonly inferenceInstanceType: string;
    readonly inferenceInstanceCount: number;
    readonly inferenceMaxInstances: number;
    readonly trainingSchedule: ScheduleExpression;
    readonly scoringSchedule: ScheduleExpression;
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

/** The `config:` declarations of a project's Pulumi.yaml, keyed without the project namespace. */
export function readProjectDeclarations(projectDir: string): Record<string, DeclaredKey> {
  const doc = parseYaml(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
    config?: Record<string, DeclaredKey>;
  };
  return doc.config ?? {};
}

/** Where {@link parsePlatformConfig} finds the platform's settings. */
export interface PlatformConfigOptions {
  /**
   * The namespace of the settings: `<namespace>:rooms`, `<namespace>:sensorsPerRoom`, ... Set it to your own
   * project's name to keep the platform's settings beside your own keys.
   * @default "sensor-analytics"
   */
  readonly namespace?: string;
  /**
   * Other keys your program reads in the same namespace (without it), left alone; any other key there that
   * is not a platform setting is reported, with the setting it was probably meant to be.
   * @default - none
   */
  readonly ownKeys?: readonly string[];
  /**
   * The settings with their types and defaults.
   * @default - the platform's ({@link PLATFORM_CONFIG_DECLARATIONS}, which this template's Pulumi.yaml declares)
   */
  readonly declarations?: Readonly<Record<string, DeclaredKey>>;
}

/**
 * Parses and validates a stack's configuration; unset keys take the defaults of
 * {@link PLATFORM_CONFIG_DECLARATIONS}.
 * @throws ConfigError listing every problem.
 */
export function parsePlatformConfig(
  raw: RawStackConfig,
  options: PlatformConfigOptions = {},
): PlatformConfig {
  const reader = new ConfigReader(
    raw,
    options.declarations ?? PLATFORM_CONFIG_DECLARATIONS,
    options.namespace ?? PROJECT,
    options.ownKeys ?? [],
  );
  const config = readAll(reader, raw);
  if (reader.problems.length > 0 || !config) throw new ConfigError(reader.problems, raw.stackFile);
  return config;
}

/** Like {@link parsePlatformConfig}, but returns the problems instead of throwing. */
export function validatePlatformConfig(
  raw: RawStackConfig,
  options: PlatformConfigOptions = {},
): { config?: PlatformConfig; problems: readonly ConfigProblem[] } {
  try {
    return { config: parsePlatformConfig(raw, options), problems: [] };
  } catch (err) {
    if (err instanceof ConfigError) return { problems: err.problems };
    throw err;
  }
}

class ConfigReader {
  readonly problems: ConfigProblem[] = [];
  constructor(
    private readonly raw: RawStackConfig,
    private readonly declarations: Readonly<Record<string, DeclaredKey>>,
    readonly namespace: string,
    ownKeys: readonly string[],
  ) {
    const known = new Set(
      [...Object.keys(declarations), ...Object.keys(OPTIONAL_SECRET_KEYS), ...ownKeys].map(
        (k) => `${namespace}:${k}`,
      ),
    );
    for (const key of Object.keys(raw.values)) {
      if (key.startsWith(`${namespace}:`) && !known.has(key)) {
        const close = closestKey(key.slice(namespace.length + 1), Object.keys(declarations));
        this.problems.push({
          key,
          value: this.display(key),
          message: "is not a setting of this project",
          fix: close
            ? `did you mean ${namespace}:${close}? Rename the key`
            : "remove it; Pulumi.yaml lists every setting with its description",
        });
      }
    }
  }

  full(key: string): string {
    return key.includes(":") ? key : `${this.namespace}:${key}`;
  }

  /** The value as received, for messages; secrets are never echoed. */
  display(fullKey: string): unknown {
    const text = this.raw.values[fullKey];
    if (text === undefined) return undefined;
    if (this.raw.secretKeys.has(fullKey)) return "[secret]";
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  /** The raw value, or the Pulumi.yaml default. */
  private value(key: string): unknown {
    const fullKey = this.full(key);
    const text = this.raw.values[fullKey];
    const declared = this.declarations[key];
    if (text === undefined) return declared?.default;
    if (declared?.type === "string") return text;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  problem(key: string, message: string, fix: string, value?: unknown): void {
    const fullKey = this.full(key);
    this.problems.push({ key: fullKey, value: value ?? this.display(fullKey), message, fix });
  }

  /**
   * Whether the stack sets a key to something. Empty ("" or an empty list) counts as not set: the CLI hands
   * the program Pulumi.yaml's empty defaults as values, so absent and empty must mean the same.
   */
  isSet(key: string): boolean {
    const text = this.raw.values[this.full(key)];
    if (text === undefined || text.trim() === "") return false;
    return !(this.declarations[key]?.type === "array" && text.replace(/\s/g, "") === "[]");
  }

  string(key: string, opts: { pattern?: RegExp; describe?: string; example?: string } = {}): string {
    const value = this.value(key);
    if (typeof value !== "string") {
      this.problem(key, "must be a string", `set it to ${opts.example ?? "a text value"}`);
      return "";
    }
    if (opts.pattern && !opts.pattern.test(value)) {
      this.problem(key, `must be ${opts.describe}`, `set it to a value like ${opts.example}`);
    }
    return value;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.value(key);
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
      this.problem(key, `must be one of ${allowed.join(", ")}`, `set it to one of ${allowed.join(", ")}`);
      return allowed[0] as T;
    }
    return value as T;
  }

  integer(key: string, min: number, max: number, example?: number): number {
    const value = this.value(key);
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.problem(
        key,
        `must be an integer from ${min} to ${max}`,
        `set it to a whole number in that range, e.g. ${example ?? min}`,
      );
      return min;
    }
    return value;
  }

  decimal(key: string, min: number, max: number): number {
    const value = this.value(key);
    const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problem(
        key,
        `must be a number from ${min} to ${max}`,
        `set it to a number in that range, e.g. ${min}`,
      );
      return min;
    }
    return n;
  }

  boolean(key: string): boolean {
    const value = this.value(key);
    if (typeof value !== "boolean") {
      this.problem(key, "must be true or false", "set it to true or false (without quotes)");
      return false;
    }
    return value;
  }

  stringArray(
    key: string,
    opts: { pattern?: RegExp; describe?: string; example?: string; minItems?: number },
  ): string[] {
    const value = this.value(key);
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
      this.problem(
        key,
        "must be a list of strings",
        `write it as a YAML list, e.g.\n      - ${opts.example ?? "value"}`,
      );
      return [];
    }
    const items = value as string[];
    if (opts.minItems !== undefined && items.length < opts.minItems) {
      this.problem(
        key,
        `must list at least ${opts.minItems} item${opts.minItems === 1 ? "" : "s"}`,
        `add ${opts.example ?? "an item"}`,
      );
    }
    const bad = opts.pattern ? items.filter((v) => !opts.pattern!.test(v)) : [];
    if (bad.length > 0) {
      this.problem(
        key,
        `must contain only ${opts.describe} (bad: ${bad.map((b) => JSON.stringify(b)).join(", ")})`,
        `change them to values like ${opts.example}`,
      );
    }
    const duplicates = items.filter((v, i) => items.indexOf(v) !== i);
    if (duplicates.length > 0) {
      this.problem(
        key,
        `must not repeat items (repeated: ${[...new Set(duplicates)].join(", ")})`,
        "remove the duplicates",
      );
    }
    return items;
  }

  /** A structured value (a map or a list) as the stack file or the Pulumi.yaml default gives it, unchecked. */
  structured(key: string): unknown {
    return this.value(key);
  }

  /** A structured (map) value; reports and returns `undefined` when it is not a map. */
  object(key: string): Record<string, unknown> | undefined {
    const value = this.value(key);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.problem(key, "must be a map of settings", `write it as a YAML map under ${this.full(key)}`);
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  secret(key: string): SecretString | undefined {
    const fullKey = this.full(key);
    const text = this.raw.values[fullKey];
    if (text === undefined || text === "") return undefined;
    if (!this.raw.secretKeys.has(fullKey)) {
      this.problem(
        key,
        "must be a secret, not plain text in the stack file",
        `remove it from the file and run \`pulumi config set --secret ${fullKey}\``,
        "[plain text, not shown]",
      );
    }
    return new SecretString(text);
  }
}

const APP = /^[a-z][a-z0-9]{0,15}$/;
const ROOM = /^[A-Za-z0-9_]{1,32}$/;
const STACK = /^[a-z0-9][a-z0-9-]{0,19}$/;
const ATHENA_NAME = /^[a-z0-9_]{1,255}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const REGION = /^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-[a-z]+-\d$/;
const TAG = /^[\p{L}\p{N} _.:/=+\-@]{1,128}=[\p{L}\p{N} _.:/=+\-@]{0,256}$/u;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const RTB_ID = /^rtb-[0-9a-f]{8,17}$/;
const SG_ID = /^sg-[0-9a-f]{8,17}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const QUICKSIGHT_ARN =
  /^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:\d{12}:(user|group)\/[A-Za-z0-9_.@+=-]+\/[A-Za-z0-9_.@+=/-]+$/;
const INSTANCE_TYPE = /^ml\.[a-z0-9]+\.[0-9]*x?large$/;
const DB_INSTANCE_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;

function readAll(r: ConfigReader, raw: RawStackConfig): PlatformConfig | undefined {
  const stackFile = raw.stackFile;
  if (!STACK.test(raw.stack)) {
    r.problems.push({
      key: "(stack name)",
      value: raw.stack,
      message:
        "must be 1-20 lowercase letters, digits or '-', starting with a letter or digit (it names things and topics)",
      fix: `create the stack with such a name (pulumi stack init dev) and rename ${stackFile} to match`,
    });
  }
  const region = (() => {
    const value = raw.values["aws:region"];
    if (value === undefined || !REGION.test(value)) {
      r.problems.push({
        key: "aws:region",
        value,
        message: "must name an AWS region",
        fix: "set it, e.g. `pulumi config set aws:region eu-west-1`",
      });
      return "us-east-1";
    }
    return value;
  })();

  const app = r.string("app", {
    pattern: APP,
    describe: "1-16 lowercase letters and digits, starting with a letter",
    example: "sensors",
  });
  const tagList = r.stringArray("tags", {
    pattern: TAG,
    describe: '"key=value" strings',
    example: "owner=platform-team",
  });
  const tags = Object.fromEntries(
    tagList.filter((t) => TAG.test(t)).map((t) => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)]),
  );
  const protectData = r.boolean("protectData");
  const alertEmail = r.string("alertEmail");
  if (alertEmail !== "" && !EMAIL.test(alertEmail)) {
    r.problem(
      "alertEmail",
      "must be an e-mail address or empty",
      'set it to an address like oncall@example.com, or to "" for no alerts',
    );
  }
  const logRetentionDays = r.integer("logRetentionDays", 1, 3653, 30);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    r.problem(
      "logRetentionDays",
      `must be a retention CloudWatch Logs accepts (${LOG_RETENTION_DAYS.join(", ")})`,
      "pick the nearest of those values",
    );
  }

  // Fleet
  const rooms = r.stringArray("rooms", {
    pattern: ROOM,
    describe: "room IDs of 1-32 letters, digits or '_'",
    example: "hall_a",
    minItems: 1,
  });
  const sensorsPerRoom = r.integer("sensorsPerRoom", 1, 10000, 4);
  const fleetProvisioning = r.boolean("fleetProvisioning");
  if (!fleetProvisioning && rooms.length * sensorsPerRoom > 2000) {
    r.problem(
      "sensorsPerRoom",
      `gives ${rooms.length * sensorsPerRoom} devices, more than the 2000 that per-device things and certificates keep manageable in stack state`,
      `set ${r.full("fleetProvisioning")} to true so devices register themselves by claim, or lower sensorsPerRoom`,
    );
  }

  // Ingest
  const bufferSeconds = r.integer("firehoseBufferSeconds", 0, 900, 60);
  const dynamicPartitioning = r.boolean("firehoseDynamicPartitioning");
  const bufferMiB = r.integer("firehoseBufferMiB", 1, 128, 64);
  if (bufferMiB < 64) {
    r.problem(
      "firehoseBufferMiB",
      "must be at least 64 (Firehose rejects smaller buffers for Parquet conversion, which the telemetry stream always uses, and for dynamic partitioning)",
      "set it to a value from 64 to 128",
    );
  }
  const iotLogLevel = r.oneOf("iotLogLevel", ["ERROR", "WARN", "INFO", "DEBUG", "DISABLED"] as const);

  // Lake
  const rawRetentionDays = r.integer("rawRetentionDays", 1, 36500, 30);
  const curatedRetentionDays = r.integer("curatedRetentionDays", 1, 36500, 90);
  const iaDays = r.integer("infrequentAccessAfterDays", 0, 36500, 30);
  if (iaDays !== 0 && iaDays < 30) {
    r.problem(
      "infrequentAccessAfterDays",
      "must be 0 (off) or at least 30 (S3 keeps objects in Standard for 30 days before Standard-IA)",
      "set it to 0 or to 30 or more",
    );
  }
  const glacierDays = r.integer("glacierAfterDays", 0, 36500, 180);
  if (glacierDays !== 0 && iaDays !== 0 && glacierDays < iaDays + 30) {
    r.problem(
      "glacierAfterDays",
      `must be at least 30 days after infrequentAccessAfterDays (${iaDays}) (S3 bills Standard-IA for 30 days minimum)`,
      `set it to ${iaDays + 30} or more, or to 0`,
    );
  }
  for (const [key, days] of [
    ["infrequentAccessAfterDays", iaDays],
    ["glacierAfterDays", glacierDays],
  ] as const) {
    if (days !== 0 && days >= Math.min(rawRetentionDays, curatedRetentionDays)) {
      r.problem(
        key,
        `must be less than the retention of the data it moves (rawRetentionDays ${rawRetentionDays}, curatedRetentionDays ${curatedRetentionDays})`,
        "lower it or raise the retention, or set it to 0",
      );
    }
  }
  const noncurrentVersionDays = r.integer("noncurrentVersionDays", 1, 36500, 7);
  const catalogRaw = r.string("catalogDatabase");
  const catalogDatabase = catalogRaw === "" ? `${app}_${raw.stack}`.replace(/-/g, "_") : catalogRaw;
  if (catalogRaw !== "" && !ATHENA_NAME.test(catalogRaw)) {
    r.problem(
      "catalogDatabase",
      catalogRaw.includes("-")
        ? "must not contain '-' (Athena cannot query databases whose names contain hyphens)"
        : "must be lowercase letters, digits and '_' (an Athena-safe name)",
      `set it to ${JSON.stringify(catalogRaw.toLowerCase().replace(/[^a-z0-9_]/g, "_"))}`,
    );
  }
  const historicalPrefix = r.string("historicalPrefix", {
    pattern: /^([A-Za-z0-9_.-]+\/)+$/,
    describe: "an S3 prefix of folders ending in '/'",
    example: "landing/historical/",
  });

  // Glue and historical database
  const glueVpcCidr = r.string("glueVpcCidr");
  const glueCidr = checkCidr(r, "glueVpcCidr", glueVpcCidr);
  const mode = r.oneOf("databaseMode", ["demo", "existing"] as const);
  const engine = r.oneOf("databaseEngine", DATABASE_ENGINES);
  const databaseVpcCidr = r.string("databaseVpcCidr");
  const dbCidr = checkCidr(r, "databaseVpcCidr", databaseVpcCidr);
  if (glueCidr && dbCidr && cidrsOverlap(glueCidr, dbCidr)) {
    r.problem(
      "databaseVpcCidr",
      `must not overlap glueVpcCidr (${glueVpcCidr}): VPC peering cannot route between overlapping ranges`,
      `choose a different glueVpcCidr (e.g. ${glueCidr.first >>> 24 === 10 ? "192.168.100.0/24" : "10.20.0.0/24"}) so the two ranges are disjoint`,
    );
  }
  const portValue = r.integer("databasePort", 0, 65535, 0);
  const port = portValue === 0 ? DEFAULT_DATABASE_PORTS[engine] : portValue;
  const databaseName = r.string("databaseName", {
    pattern: /^[A-Za-z_][A-Za-z0-9_]{0,62}$/,
    describe: "a database name (letters, digits, '_')",
    example: "telemetry",
  });
  const instanceClass = r.string("databaseInstanceClass", {
    pattern: DB_INSTANCE_CLASS,
    describe: "an RDS instance class",
    example: "db.t4g.micro",
  });
  const existing = readExistingDatabase(r, mode);

  const glueVersion = r.oneOf("glueVersion", ["4.0", "5.0"] as const);
  const workerType = r.oneOf("glueWorkerType", GLUE_WORKER_TYPES);
  const workers = r.integer("glueWorkers", 2, 299, 2);
  const jobTimeoutMinutes = r.integer("glueJobTimeoutMinutes", 1, 2880, 30);
  const etlSchedule = checkSchedule(r, "etlSchedule");
  const crawlerPollSeconds = r.integer("crawlerPollSeconds", 5, 3600, 30);
  const crawlerMaxPolls = r.integer("crawlerMaxPolls", 1, 1000, 40);

  // Analytics
  const cutoffMiB = r.integer("athenaBytesScannedCutoffMiB", 10, 1048576, 100);
  const quicksightEnabled = r.boolean("quicksightEnabled");
  const quicksightPrincipals = r.stringArray("quicksightPrincipals", {
    pattern: QUICKSIGHT_ARN,
    describe: "QuickSight user or group ARNs",
    example: "arn:aws:quicksight:us-east-1:111122223333:group/default/analysts",
  });
  if (quicksightEnabled && quicksightPrincipals.length === 0) {
    r.problem(
      "quicksightPrincipals",
      "must name at least one user or group when quicksightEnabled is true (otherwise nobody can open the dashboard)",
      "add a QuickSight user or group ARN, or set quicksightEnabled to false",
      [],
    );
  }

  // Anomaly detection
  const anomalyMode = r.oneOf("anomalyMode", ["endpoint", "batch"] as const);
  const numTrees = r.integer("rcfNumTrees", 50, 1000, 50);
  // 0 (the default) means absent: num_samples_per_tree then follows anomalyExpectedRate.
  const samplesPerTree = r.integer("rcfSamplesPerTree", 0, 2048, 512);
  const expectedAnomalyRate = r.decimal("anomalyExpectedRate", 0.0005, 0.5);
  const shingleSize = r.integer("rcfShingleSize", 1, 64, 1);
  const z = r.decimal("anomalyZ", 1, 10);
  const features = r.oneOf("anomalyFeatures", ["deviation", "temperature"] as const);
  const baselineReadings = r.integer("anomalyBaselineReadings", 2, 10000, 30);
  const stuckReadings = r.integer("anomalyStuckReadings", 0, 10000, 12);
  if (stuckReadings === 1)
    r.problem(
      "anomalyStuckReadings",
      "must be 0 (off) or at least 2",
      "set it to 0, or to 2 or more (e.g. 12)",
    );
  const dropoutReadings = r.integer("anomalyDropoutReadings", 0, 100000, 3);
  const modelScope = r.oneOf("anomalyModelScope", ["fleet", "room"] as const);
  const tailProbability = r.decimal("anomalyTailProbability", 1e-12, 0.01);
  if (modelScope === "room" && anomalyMode === "endpoint") {
    r.problem(
      "anomalyModelScope",
      "room needs anomalyMode batch (a real-time endpoint serves one model; room models score in batch transforms)",
      "set anomalyModelScope to fleet, or anomalyMode to batch",
    );
  }
  const trainingInstanceType = r.string("trainingInstanceType", {
    pattern: INSTANCE_TYPE,
    describe: "a SageMaker instance type",
    example: "ml.m5.large",
  });
  const inferenceInstanceType = r.string("inferenceInstanceType", {
    pattern: INSTANCE_TYPE,
    describe: "a SageMaker instance type",
    example: "ml.c5.xlarge",
  });
  const inferenceInstanceCount = r.integer("inferenceInstanceCount", 1, 100, 1);
  const inferenceMaxInstances = r.integer("inferenceMaxInstances", 1, 100, 1);
  if (inferenceMaxInstances < inferenceInstanceCount) {
    r.problem(
      "inferenceMaxInstances",
      `must be at least inferenceInstanceCount (${inferenceInstanceCount})`,
      `set it to ${inferenceInstanceCount} or more`,
    );
  }
  const trainingSchedule = checkSchedule(r, "trainingSchedule");
  const scoringSchedule = checkSchedule(r, "scoringSchedule");
  const scoringUrl = r.boolean("anomalyScoringUrl");
  if (scoringUrl && anomalyMode === "batch") {
    r.problem(
      "anomalyScoringUrl",
      "needs anomalyMode endpoint (batch mode has no endpoint to answer ad-hoc requests)",
      "set anomalyMode to endpoint, or anomalyScoringUrl to false",
    );
  }

  // Load tests: the simulated fleet as Fargate tasks. Off unless the stack sets fleetRunner with shards.
  const runnerValue = r.object("fleetRunner");
  const fleetRunner =
    runnerValue === undefined
      ? undefined
      : readFleetRunnerSettings(runnerValue, (field, message, fix, value) =>
          r.problem(field === "" ? "fleetRunner" : `fleetRunner.${field}`, message, fix, value),
        );
  if (runnerValue && Object.keys(runnerValue).length > 0 && !fleetProvisioning) {
    r.problem(
      "fleetRunner",
      "needs fleetProvisioning: the runner's devices register by claim (the certificates of thousands of devices fit neither stack state nor Secrets Manager's 64 KB secrets)",
      `set ${r.full("fleetProvisioning")} to true in this stack`,
    );
  }

  // Ways in besides MQTT: the ingest stream (and its real-time aggregates), the HTTP API, the REST pollers.
  const nested = (key: string) => (field: string, message: string, fix: string, value?: unknown) =>
    r.problem(
      field === "" ? key : field.startsWith("[") ? `${key}${field}` : `${key}.${field}`,
      message,
      fix,
      value,
    );
  const streamKind = r.oneOf("ingestStream", INGEST_STREAM_KINDS);
  const ingestStream = readStreamSettings(
    streamKind,
    r.structured("ingestStreamSettings"),
    nested("ingestStreamSettings"),
  );
  const httpApi = readHttpApiSettings(r.structured("httpApi"), nested("httpApi"));
  const pollers = readPollerSettings(r.structured("pollers"), nested("pollers"));
  // Operations: alarm thresholds and the audit trail.
  const alarmsValue = r.object("alarms");
  const alarms =
    alarmsValue === undefined
      ? undefined
      : readAlarmSettings(alarmsValue, (field, message, fix, value) =>
          r.problem(field === "" ? "alarms" : `alarms.${field}`, message, fix, value),
        );
  const auditTrail = r.boolean("auditTrail");
  const auditRetentionDays = r.integer("auditRetentionDays", 1, 36500, 365);

  if (r.problems.length > 0) return undefined;
  const deployment = deploymentName(app, raw.stack);
  return {
    project: r.namespace,
    stack: raw.stack,
    stackFile,
    app,
    deployment,
    region,
    tags,
    protectData,
    alertEmail: alertEmail === "" ? undefined : alertEmail,
    logRetentionDays,
    fleet: {
      rooms,
      sensorsPerRoom,
      fleetProvisioning,
      devices: fleetDevices(deployment, rooms, sensorsPerRoom),
    },
    firehose: { bufferSeconds, bufferMiB, dynamicPartitioning },
    iotLogLevel,
    lake: {
      rawRetentionDays,
      curatedRetentionDays,
      infrequentAccessAfterDays: iaDays === 0 ? undefined : iaDays,
      glacierAfterDays: glacierDays === 0 ? undefined : glacierDays,
      noncurrentVersionDays,
      catalogDatabase,
      historicalPrefix,
    },
    glue: { vpcCidr: glueVpcCidr, version: glueVersion, workerType, workers, jobTimeoutMinutes },
    database: { mode, engine, vpcCidr: databaseVpcCidr, port, name: databaseName, instanceClass, existing },
    etl: { schedule: etlSchedule!, crawlerPollSeconds, crawlerMaxPolls },
    athena: { bytesScannedCutoffPerQuery: cutoffMiB * 1024 * 1024 },
    quicksight: { enabled: quicksightEnabled, principals: quicksightPrincipals },
    anomaly: {
      mode: anomalyMode,
      numTrees,
      ...(samplesPerTree > 0 ? { samplesPerTree } : {}),
      expectedAnomalyRate,
      shingleSize,
      z,
      features,
      baselineReadings,
      stuckReadings,
      dropoutReadings,
      modelScope,
      tailProbability,
      trainingInstanceType,
      inferenceInstanceType,
      inferenceInstanceCount,
      inferenceMaxInstances,
      trainingSchedule: trainingSchedule!,
      scoringSchedule: scoringSchedule!,
      scoringUrl,
    },
    fleetRunner,
    ingestStream,
    httpApi,
    pollers,
    alarms: alarms ?? { ...ALARM_DEFAULTS },
    audit: { enabled: auditTrail, retentionDays: auditRetentionDays },
  };
}

function readExistingDatabase(r: ConfigReader, mode: "demo" | "existing"): ExistingDatabase | undefined {
  const existingKeys = [
    "databaseVpcId",
    "databaseRouteTableIds",
    "databaseSecurityGroupId",
    "databaseHost",
    "databaseSecretArn",
    "databasePassword",
  ];
  if (mode === "demo") {
    const stray = existingKeys.filter((k) => r.isSet(k));
    for (const key of stray) {
      r.problem(
        key,
        "applies only when databaseMode is existing (demo creates its own database VPC and database)",
        `remove it, or set ${r.full("databaseMode")} to existing`,
      );
    }
    return undefined;
  }
  const needed = "required when databaseMode is existing";
  const vpcId = r.string("databaseVpcId");
  if (!VPC_ID.test(vpcId))
    r.problem(
      "databaseVpcId",
      `must be a VPC ID (${needed})`,
      "set it to the database VPC's ID, e.g. vpc-0a1b2c3d4e5f60718",
    );
  const routeTableIds = r.stringArray("databaseRouteTableIds", {
    pattern: RTB_ID,
    describe: "route table IDs",
    example: "rtb-0123456789abcdef0",
  });
  if (routeTableIds.length === 0) {
    r.problem(
      "databaseRouteTableIds",
      `must list every route table of the database subnets (${needed}); without them the database cannot answer Glue across the peering`,
      "add each route table ID of the database VPC's subnets, e.g. - rtb-0123456789abcdef0",
      [],
    );
  }
  const securityGroupId = r.string("databaseSecurityGroupId");
  if (!SG_ID.test(securityGroupId))
    r.problem(
      "databaseSecurityGroupId",
      `must be a security group ID (${needed})`,
      "set it to the database's security group, e.g. sg-0123456789abcdef0",
    );
  const host = r.string("databaseHost");
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(host))
    r.problem(
      "databaseHost",
      `must be a host name or IP address (${needed})`,
      "set it to the database's DNS name",
    );
  const secretArnValue = r.string("databaseSecretArn");
  const username = r.string("databaseUsername", {
    pattern: /^[A-Za-z_][A-Za-z0-9_]{0,62}$/,
    describe: "a database user name",
    example: "glue_reader",
  });
  const password = r.secret("databasePassword");
  if (secretArnValue !== "" && !SECRET_ARN.test(secretArnValue)) {
    r.problem(
      "databaseSecretArn",
      "must be a Secrets Manager secret ARN",
      "copy the ARN from the Secrets Manager console",
    );
  }
  if (secretArnValue === "" && !password) {
    r.problem(
      "databaseSecretArn",
      `or databasePassword is ${needed}`,
      `set databaseSecretArn to the secret holding the credentials, or \`pulumi config set --secret ${r.full("databasePassword")}\``,
    );
  }
  if (secretArnValue !== "" && password) {
    r.problem(
      "databasePassword",
      "must not be set together with databaseSecretArn (the secret already holds the password)",
      "remove one of them",
    );
  }
  return {
    vpcId,
    routeTableIds,
    securityGroupId,
    host,
    secretArn: secretArnValue === "" ? undefined : secretArnValue,
    username,
    password,
  };
}

function checkCidr(r: ConfigReader, key: string, value: string) {
  const parsed = parseCidr(value);
  if (typeof parsed === "string") {
    r.problem(
      key,
      `must be an IPv4 CIDR block for a VPC (${parsed})`,
      "use a private range from /16 to /28, e.g. 10.20.0.0/24",
    );
    return undefined;
  }
  if (parsed.prefix < 16 || parsed.prefix > 28) {
    r.problem(
      key,
      "must have a prefix length from /16 to /28 (what a VPC allows)",
      "change the prefix length",
    );
    return undefined;
  }
  return parsed;
}

function checkSchedule(r: ConfigReader, key: string): ScheduleExpression | undefined {
  const value = r.string(key);
  const parsed = parseSchedule(value);
  if (typeof parsed === "string") {
    r.problem(
      key,
      `must be an EventBridge Scheduler expression: ${parsed}`,
      'use e.g. "rate(1 hour)" or "cron(0 2 * * ? *)" (minutes hours day-of-month month day-of-week year)',
    );
    return undefined;
  }
  return parsed;
}

/** The known name closest to `key` (case-insensitive edit distance), when close enough to be a typo. */
export function closestKey(key: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = levenshtein(key.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 4)) ? best.name : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
