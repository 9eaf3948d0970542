/**
 * From a REST response to candidate readings: a poller's mapping says where the records are (a JSONPath) and
 * where each telemetry field is in a record (a JSONPath, a constant, and an optional conversion). Pure: the
 * poller Lambda and the local backend run it, and config validation parses every path before deployment.
 *
 * A mapping never decides validity: a field it cannot find is left out and a value it cannot convert is passed
 * on as it came, so the schema's validation (the topic rules' checks) quarantines the reading with its reason
 * (`ts: missing`, `ts: not a number`) and the original record is kept.
 */
import { parseJsonPath, selectAll, type PathSegment } from "./jsonpath";

/** How a mapped value is converted before validation. */
export type ValueFormat = "iso8601" | "epoch-seconds" | "epoch-ms" | "number";
export const VALUE_FORMATS: readonly ValueFormat[] = ["iso8601", "epoch-seconds", "epoch-ms", "number"];

/** Where one telemetry field comes from. */
export type FieldMapping =
  | {
      /** JSONPath into the record (or, with `from: document`, into the whole response). */
      readonly path: string;
      /** @default "record" */
      readonly from?: "record" | "document";
      /** @default - the value as it is */
      readonly format?: ValueFormat;
    }
  | {
      /** The same value for every reading (e.g. the room of a station). */
      readonly value: string | number;
    };

export interface PollerMapping {
  /** JSONPath selecting the records in the response; each becomes one reading. @default "$" (the response is one) */
  readonly records?: string;
  /** Telemetry field name to where its value comes from. */
  readonly fields: Readonly<Record<string, FieldMapping>>;
}

interface CompiledField {
  readonly name: string;
  readonly mapping: FieldMapping;
  readonly path?: readonly PathSegment[];
}

/** A mapping with its paths parsed once. */
export interface CompiledMapping {
  readonly records: readonly PathSegment[];
  readonly fields: readonly CompiledField[];
}

/** Parses every path of a mapping. @throws JsonPathError naming the path and position */
export function compileMapping(mapping: PollerMapping): CompiledMapping {
  return {
    records: parseJsonPath(mapping.records ?? "$"),
    fields: Object.entries(mapping.fields).map(([name, m]) =>
      "path" in m ? { name, mapping: m, path: parseJsonPath(m.path) } : { name, mapping: m },
    ),
  };
}

/** ISO 8601 date-time with a zone, as REST APIs send times. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Converts a value; one that does not fit the format is returned unchanged, for validation to reject. */
export function convertValue(value: unknown, format: ValueFormat | undefined): unknown {
  if (format === undefined) return value;
  const numeric =
    typeof value === "number"
      ? value
      : typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))
        ? Number(value)
        : undefined;
  switch (format) {
    case "iso8601": {
      if (typeof value !== "string" || !ISO_8601.test(value)) return value;
      const ms = Date.parse(value);
      return Number.isFinite(ms) ? ms : value;
    }
    case "epoch-seconds":
      return numeric === undefined ? value : Math.round(numeric * 1000);
    case "epoch-ms":
    case "number":
      return numeric ?? value;
  }
}

/**
 * The candidate readings in a response: one object per selected record, with the mapped fields it has. Fields
 * not in the mapping are not read; extra members of the record are not forwarded.
 */
export function mapResponse(document: unknown, mapping: CompiledMapping): Record<string, unknown>[] {
  return selectAll(document, mapping.records).map((record) => {
    const reading: Record<string, unknown> = {};
    for (const field of mapping.fields) {
      const m = field.mapping;
      if ("value" in m) {
        reading[field.name] = m.value;
        continue;
      }
      const found = selectAll(m.from === "document" ? document : record, field.path!);
      if (found.length === 0) continue;
      reading[field.name] = convertValue(found[0], m.format);
    }
    return reading;
  });
}
