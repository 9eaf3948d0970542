/**
 * The topic rules' validation, evaluated in TypeScript for the sources that do not come through IoT Core (the
 * HTTPS API and the REST pollers). Pure.
 *
 * Nothing here is a second copy of the rules: the checks, their order, their reasons and the record a valid
 * reading becomes all come from `telemetryChecks()` in `components/iot/rule-sql.ts`, which renders the same
 * checks into the rules' SQL. This module only evaluates each check's {@link CheckTest} with IoT SQL's semantics
 * (a missing field is `Undefined`, JSON `null` is `Null`, a comparison of a non-number is never true), and a
 * parity test runs both over the same mutated readings (`tests/unit/ingest/validation-parity.test.ts`).
 *
 * What IoT Core takes from the topic (the device and its room), a reading posted over HTTPS or polled from a
 * REST API carries itself: {@link ownIdentity} checks it (a topic segment's syntax, one of the deployment's
 * rooms) and then the rules run with that identity standing for the topic.
 */
import {
  NOT_JSON_REASON,
  QUARANTINE_FIELDS,
  telemetryChecks,
  topicSegment,
  type CheckTest,
  type TelemetryCheck,
} from "../iot/rule-sql";
import { isTopicSegment } from "../telemetry/topics";
import { TELEMETRY_FIELDS, telemetryField, type TelemetryRecord } from "../telemetry/schema";

/** Who sent a reading: what IoT Core reads from the topic. */
export interface ReadingIdentity {
  readonly deviceId: string;
  readonly roomId: string;
}

/** Where a reading goes: the lake's telemetry with its record, or quarantine with the reason. */
export type ReadingVerdict =
  | { readonly kind: "telemetry"; readonly record: TelemetryRecord }
  | { readonly kind: "quarantine"; readonly reason: string };

/** A rejected message as the quarantine rules write it (the fields of `QUARANTINE_FIELDS`, in that order). */
export interface QuarantineRecord {
  /** The MQTT topic, or the source of a reading that did not come over MQTT (`https/readings`, `poller/<name>`). */
  readonly topic: string;
  readonly room_id: string;
  readonly device_id: string;
  readonly received_at: number;
  readonly reason: string;
  readonly payload_base64: string;
}

/** IoT Core's message size limit; a reading posted or polled is held to the same (the quarantine keeps it). */
export const MAX_READING_BYTES = 128 * 1024;

/**
 * The most payload bytes a quarantine record keeps. The record goes to Firehose, whose records are at most
 * 1,000 KiB (PutRecordBatch); the payload travels base64-encoded (4/3 of its size) beside a few short fields, so
 * 700 KiB (933 KiB encoded) always fits. The HTTPS API refuses a body that would need more (413: nothing accepted,
 * nothing lost); {@link quarantineRecord} keeps the first bytes of a larger one and says so in the reason.
 */
export const MAX_QUARANTINED_PAYLOAD_BYTES = 700 * 1024;

/** The quarantine reason of a reading larger than {@link MAX_READING_BYTES}. */
export const OVERSIZED_REASON = `payload: larger than ${MAX_READING_BYTES} bytes`;

/** A field the payload does not have: IoT SQL's `Undefined`. */
const UNDEFINED = Symbol("Undefined");
type FieldValue = unknown;

/**
 * Decodes payload bytes as the rules engine does: a JSON document is JSON (whatever its type) except a bare JSON
 * string, which `decode(encode(*, 'base64'), 'base64')` returns as a string, like text that is not JSON at all.
 */
export function decodeReadingPayload(
  bytes: Buffer | string,
): { readonly json: true; readonly value: unknown } | { readonly json: false } {
  const text = typeof bytes === "string" ? bytes : bytes.toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return { json: false };
  }
  return typeof value === "string" ? { json: false } : { json: true, value };
}

/** Whether a check's test holds for a field's value (`UNDEFINED` when absent), with the topic's segments. */
function testHolds(test: CheckTest, value: FieldValue, segments: ReadonlyMap<number, string>): boolean {
  const present = value !== UNDEFINED && value !== null;
  switch (test.kind) {
    case "absent":
      return !present;
    case "not-string":
      return present && typeof value !== "string";
    case "not-allowed":
      return typeof value === "string" && test.allowed.every((allowed) => value !== allowed);
    case "not-number":
      return present && typeof value !== "number";
    case "not-integer":
      return typeof value === "number" && Math.floor(value) !== value;
    case "below":
      return typeof value === "number" && value < test.bound;
    case "above":
      return typeof value === "number" && value > test.bound;
    case "null":
      return value === null;
    case "differs-from-topic": {
      const segment = segments.get(test.segment);
      // `f <> topic(n)` is Undefined (not a match) when the topic has no such segment.
      return typeof value === "string" && segment !== undefined && value !== segment;
    }
  }
}

/** The checks once, with each topic field's segment, in rule order. */
let compiled: readonly TelemetryCheck[] | undefined;
const checks = () => (compiled ??= telemetryChecks());

/** Topic segment values of an identity, by segment number (as `topic(n)` reads them). */
function identitySegments(identity: ReadingIdentity): Map<number, string> {
  return new Map([
    [topicSegment(telemetryField("device_id")), identity.deviceId],
    [topicSegment(telemetryField("room_id")), identity.roomId],
  ]);
}

/** The fields of a payload value: a JSON object's own fields, none for anything else (an array, a number). */
function payloadFields(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * The topic rules' verdict on one decoded payload from a known identity (the topic's), received at
 * `receivedAt` (the rules' `timestamp()`): the first failing check's reason, or the record the telemetry rule
 * selects (schema fields in schema order, identity from the topic, fields the payload lacks left out).
 * A bare JSON string is not JSON to the rules ({@link NOT_JSON_REASON}).
 */
export function ruleVerdict(value: unknown, identity: ReadingIdentity, receivedAt: number): ReadingVerdict {
  if (typeof value === "string") return { kind: "quarantine", reason: NOT_JSON_REASON };
  const fields = payloadFields(value);
  const segments = identitySegments(identity);
  for (const check of checks()) {
    const fieldValue = Object.hasOwn(fields, check.field) ? fields[check.field] : UNDEFINED;
    if (testHolds(check.test, fieldValue, segments)) {
      const reason = check.reason.replace(
        /<topic\((\d+)\)>/g,
        (_, n: string) => segments.get(Number(n)) ?? "",
      );
      return { kind: "quarantine", reason };
    }
  }
  const record: Record<string, unknown> = {};
  for (const field of TELEMETRY_FIELDS) {
    if (field.origin === "topic") record[field.name] = segments.get(topicSegment(field));
    else if (field.origin === "rule") record[field.name] = receivedAt;
    else if (Object.hasOwn(fields, field.name)) record[field.name] = fields[field.name];
  }
  return { kind: "telemetry", record: record as unknown as TelemetryRecord };
}

/**
 * The identity a reading gives itself (over HTTPS or from a poller), where IoT Core would read the topic:
 * `device_id` and `room_id` must be present, strings, valid topic segments, and the room one of `rooms` when
 * given. Returns the identity or the first problem, worded like the rules' reasons.
 */
export function ownIdentity(
  value: unknown,
  rooms?: readonly string[],
): { readonly identity: ReadingIdentity } | { readonly reason: string } {
  const fields = payloadFields(value);
  const read = (name: "device_id" | "room_id"): string | { reason: string } => {
    const v = fields[name];
    if (v === undefined || v === null) return { reason: `${name}: missing` };
    if (typeof v !== "string") return { reason: `${name}: not a string` };
    if (!isTopicSegment(v)) return { reason: `${name}: not 1-64 letters, digits, "_" or "-"` };
    return v;
  };
  const deviceId = read("device_id");
  if (typeof deviceId !== "string") return deviceId;
  const roomId = read("room_id");
  if (typeof roomId !== "string") return roomId;
  if (rooms && rooms.length > 0 && !rooms.includes(roomId))
    return { reason: `room_id: not one of ${rooms.join("|")}` };
  return { identity: { deviceId, roomId } };
}

/**
 * The verdict on a reading that names its own identity: {@link ownIdentity}, then {@link ruleVerdict} with that
 * identity in the topic's place.
 */
export function selfDescribedVerdict(
  value: unknown,
  receivedAt: number,
  rooms?: readonly string[],
): ReadingVerdict {
  if (typeof value === "string") return { kind: "quarantine", reason: NOT_JSON_REASON };
  const own = ownIdentity(value, rooms);
  if ("reason" in own) return { kind: "quarantine", reason: own.reason };
  return ruleVerdict(value, own.identity, receivedAt);
}

/**
 * The quarantine record of a rejected reading from `source` (a topic, or `https/readings`, `poller/<name>`),
 * keeping the original bytes. Identity fields are the reading's own when they are strings, else empty.
 */
export function quarantineRecord(args: {
  readonly source: string;
  readonly value?: unknown;
  readonly identity?: ReadingIdentity;
  readonly receivedAt: number;
  readonly reason: string;
  readonly payload: Buffer;
}): QuarantineRecord {
  const fields = payloadFields(args.value);
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  const whole = args.payload.length <= MAX_QUARANTINED_PAYLOAD_BYTES;
  const payload = whole ? args.payload : args.payload.subarray(0, MAX_QUARANTINED_PAYLOAD_BYTES);
  const reason = whole
    ? args.reason
    : `${args.reason} (the first ${MAX_QUARANTINED_PAYLOAD_BYTES} of ${args.payload.length} bytes kept)`;
  const record: QuarantineRecord = {
    topic: args.source,
    room_id: args.identity?.roomId ?? text(fields.room_id),
    device_id: args.identity?.deviceId ?? text(fields.device_id),
    received_at: args.receivedAt,
    reason,
    payload_base64: payload.toString("base64"),
  };
  // In the rules' column order, so the quarantine files are alike whatever the source.
  return Object.fromEntries(QUARANTINE_FIELDS.map((f) => [f, record[f]])) as unknown as QuarantineRecord;
}
