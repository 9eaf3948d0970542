/**
 * The telemetry schema: the single place where the fields of a sensor reading are written down.
 *
 * Everything else is derived from {@link TELEMETRY_FIELDS}: the Glue table columns and Parquet conversion
 * (cloud), the topic rule's validation, the simulator's payloads, and the local backend's DuckDB tables.
 * Pure module: no Pulumi, no I/O.
 */

/** Logical type of a field, named after the Glue/Hive type it becomes in the catalog. */
export type TelemetryFieldType = "string" | "bigint" | "int" | "double";

/** Where a field's value comes from on the way into the lake. */
export type TelemetryFieldOrigin =
  /** Sent by the device in the JSON payload. */
  | "payload"
  /** Taken from the MQTT topic by the topic rule (the device cannot lie about it: the IoT policy pins it). */
  | "topic"
  /** Added by the topic rule on receipt. */
  | "rule";

export interface TelemetryField {
  readonly name: string;
  readonly type: TelemetryFieldType;
  readonly origin: TelemetryFieldOrigin;
  /** Unit of measure, e.g. `°C`; `undefined` for identifiers and enums. */
  readonly unit?: string;
  readonly description: string;
  /** Whether a reading without this field is invalid (quarantined). */
  readonly required: boolean;
  /** Inclusive lower bound for numeric fields. */
  readonly min?: number;
  /** Inclusive upper bound for numeric fields. */
  readonly max?: number;
  /** Allowed values for enumerated string fields. */
  readonly allowed?: readonly string[];
}

/** Earliest plausible reading time: anything earlier is a device clock that was never set. */
export const EARLIEST_READING_MS = Date.UTC(2020, 0, 1);
/** Latest plausible reading time (a sanity bound, not a business rule). */
export const LATEST_READING_MS = Date.UTC(2100, 0, 1);

/** Device status values a sensor reports about itself. */
export const DEVICE_STATUSES = ["ok", "degraded", "fault"] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/**
 * The fields of one reading, in column order. Ranges are the physical range of the sensor hardware we
 * model (a -40..125 °C digital temperature sensor, a capacitive humidity sensor, a BLE/Wi-Fi radio), so a
 * value outside them is a broken sensor or a broken payload, never a hot room.
 */
export const TELEMETRY_FIELDS: readonly TelemetryField[] = [
  {
    name: "device_id",
    type: "string",
    origin: "topic",
    description: "IoT thing name of the sensor (from the topic, which the IoT policy pins to the thing)",
    required: true,
  },
  {
    name: "room_id",
    type: "string",
    origin: "topic",
    description: "Room the sensor is installed in (from the topic)",
    required: true,
  },
  {
    name: "ts",
    type: "bigint",
    origin: "payload",
    unit: "ms since epoch (UTC)",
    description: "Time the reading was taken, by the device clock",
    required: true,
    min: EARLIEST_READING_MS,
    max: LATEST_READING_MS,
  },
  {
    name: "seq",
    type: "bigint",
    origin: "payload",
    description: "Per-device counter, +1 per reading; gaps are lost readings, repeats are duplicates",
    required: true,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
  },
  {
    name: "temperature_c",
    type: "double",
    origin: "payload",
    unit: "°C",
    description: "Air temperature",
    required: true,
    min: -40,
    max: 125,
  },
  {
    name: "humidity_pct",
    type: "double",
    origin: "payload",
    unit: "%RH",
    description: "Relative humidity",
    required: false,
    min: 0,
    max: 100,
  },
  {
    name: "battery_pct",
    type: "double",
    origin: "payload",
    unit: "%",
    description: "Remaining battery charge",
    required: false,
    min: 0,
    max: 100,
  },
  {
    name: "rssi_dbm",
    type: "int",
    origin: "payload",
    unit: "dBm",
    description: "Received signal strength of the sensor's radio",
    required: false,
    min: -130,
    max: 0,
  },
  {
    name: "status",
    type: "string",
    origin: "payload",
    description: "Self-reported device health",
    required: false,
    allowed: DEVICE_STATUSES,
  },
  {
    name: "received_at",
    type: "bigint",
    origin: "rule",
    unit: "ms since epoch (UTC)",
    description: "Time IoT Core received the message (the rule's timestamp())",
    required: true,
  },
];

/** A reading as a device publishes it (the payload fields). */
export interface TelemetryPayload {
  device_id: string;
  room_id: string;
  ts: number;
  seq: number;
  temperature_c: number;
  humidity_pct?: number;
  battery_pct?: number;
  rssi_dbm?: number;
  status?: DeviceStatus;
}

/** A reading as it is stored in the lake (payload + fields the rule adds). */
export interface TelemetryRecord extends TelemetryPayload {
  received_at: number;
}

/** Fields the device puts in its payload. `device_id`/`room_id` are sent too, for self-describing messages. */
export const PAYLOAD_FIELDS: readonly TelemetryField[] = TELEMETRY_FIELDS.filter((f) => f.origin !== "rule");

/** Look a field up by name; throws on a name the schema does not have (a typo must not pass silently). */
export function telemetryField(name: string): TelemetryField {
  const field = TELEMETRY_FIELDS.find((f) => f.name === name);
  if (!field) {
    throw new Error(
      `telemetry schema has no field "${name}"; known fields: ${TELEMETRY_FIELDS.map((f) => f.name).join(", ")}`,
    );
  }
  return field;
}

/** Glue/Athena column list, in schema order: what the Glue table, Firehose Parquet conversion and Athena use. */
export function glueColumns(): { name: string; type: TelemetryFieldType; comment: string }[] {
  return TELEMETRY_FIELDS.map((f) => ({
    name: f.name,
    type: f.type,
    comment: f.unit ? `${f.description} [${f.unit}]` : f.description,
  }));
}

/** DuckDB column types for the local lake, mapped from the same Glue types. */
export function duckDbColumns(): { name: string; type: "VARCHAR" | "BIGINT" | "INTEGER" | "DOUBLE" }[] {
  const map = { string: "VARCHAR", bigint: "BIGINT", int: "INTEGER", double: "DOUBLE" } as const;
  return TELEMETRY_FIELDS.map((f) => ({ name: f.name, type: map[f.type] }));
}

/** One reason a payload is invalid, phrased for the quarantine record. */
export interface ValidationProblem {
  readonly field: string;
  readonly reason: string;
}

/**
 * Validates a decoded payload against the schema: the reference implementation of what the topic rule's
 * WHERE clause accepts. Returns every problem, in schema order (an empty list means valid).
 * The topic gives `device_id`/`room_id`; a payload that claims a different identity is invalid.
 */
export function validatePayload(
  payload: unknown,
  fromTopic?: { deviceId: string; roomId: string },
): ValidationProblem[] {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return [{ field: "$", reason: "payload is not a JSON object" }];
  }
  const record = payload as Record<string, unknown>;
  const problems: ValidationProblem[] = [];
  for (const field of PAYLOAD_FIELDS) {
    const value = record[field.name];
    if (value === undefined || value === null) {
      if (field.required && field.origin === "payload")
        problems.push({ field: field.name, reason: "missing" });
      continue;
    }
    problems.push(...checkValue(field, value));
  }
  if (fromTopic) {
    if (record.device_id !== undefined && record.device_id !== fromTopic.deviceId) {
      problems.push({ field: "device_id", reason: `does not match topic (${fromTopic.deviceId})` });
    }
    if (record.room_id !== undefined && record.room_id !== fromTopic.roomId) {
      problems.push({ field: "room_id", reason: `does not match topic (${fromTopic.roomId})` });
    }
  }
  return problems;
}

function checkValue(field: TelemetryField, value: unknown): ValidationProblem[] {
  if (field.type === "string") {
    if (typeof value !== "string") return [{ field: field.name, reason: "not a string" }];
    if (field.allowed && !field.allowed.includes(value)) {
      return [{ field: field.name, reason: `not one of ${field.allowed.join("|")}` }];
    }
    return [];
  }
  if (typeof value !== "number" || !Number.isFinite(value))
    return [{ field: field.name, reason: "not a number" }];
  if ((field.type === "bigint" || field.type === "int") && !Number.isInteger(value)) {
    return [{ field: field.name, reason: "not an integer" }];
  }
  if (field.min !== undefined && value < field.min)
    return [{ field: field.name, reason: `below ${field.min}` }];
  if (field.max !== undefined && value > field.max)
    return [{ field: field.name, reason: `above ${field.max}` }];
  return [];
}
