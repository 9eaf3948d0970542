/**
 * A reading as a DynamoDB item and back: the schema's fields as attributes of their type (numbers `N`, strings
 * `S`), a field the reading lacks (or has as null) left out. Shared by the consumer that writes the latest
 * readings and the function that serves them.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { TELEMETRY_FIELDS, type TelemetryRecord } from "../../components/telemetry/schema";

/** The reading's schema fields as attributes. */
export function readingItem(reading: TelemetryRecord): Record<string, AttributeValue> {
  const values = reading as unknown as Record<string, unknown>;
  const item: Record<string, AttributeValue> = {};
  for (const field of TELEMETRY_FIELDS) {
    const value = values[field.name];
    if (typeof value === "number") item[field.name] = { N: String(value) };
    else if (typeof value === "string") item[field.name] = { S: value };
  }
  return item;
}

/** The reading stored in an item, in schema order, with its time as ISO 8601 (`reading_time`). */
export function itemReading(item: Readonly<Record<string, AttributeValue>>): Record<string, string | number> {
  const reading: Record<string, string | number> = {};
  for (const field of TELEMETRY_FIELDS) {
    const attr = item[field.name];
    if (attr?.N !== undefined) reading[field.name] = Number(attr.N);
    else if (attr?.S !== undefined) reading[field.name] = attr.S;
    if (field.name === "ts" && typeof reading.ts === "number")
      reading.reading_time = new Date(reading.ts).toISOString();
  }
  return reading;
}

/** A table key (`pk`, `sk`) as attributes. */
export function keyAttributes(key: {
  readonly pk: string;
  readonly sk: string;
}): Record<string, AttributeValue> {
  return { pk: { S: key.pk }, sk: { S: key.sk } };
}
