/**
 * Minimal RFC 4180 CSV reading for the files the ML functions consume: Athena query results (every value
 * quoted, header row) and the curate job's per-room training CSV (header row, Spark's quoting). Pure.
 */

/** Splits CSV text into rows of fields. Handles quoted fields with commas, doubled quotes and newlines. */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endField = () => {
    row.push(field);
    field = "";
  };
  const endRow = () => {
    endField();
    if (!(row.length === 1 && row[0] === "")) rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") endField();
    else if (ch === "\n") endRow();
    else if (ch !== "\r") field += ch;
    i++;
  }
  if (quoted) throw new Error("CSV ends inside a quoted field");
  if (field !== "" || row.length > 0) endRow();
  return rows;
}

/**
 * Parses CSV with a header row into records keyed by column name, checking that the required columns are
 * present. Empty fields become `undefined`.
 * @param source name used in error messages (e.g. the S3 key)
 */
export function parseCsvRecords(
  text: string,
  required: readonly string[],
  source: string,
): Record<string, string | undefined>[] {
  const [header, ...rows] = parseCsvRows(text);
  if (!header) return [];
  const columns = header.map((h) => h.trim());
  const missing = required.filter((r) => !columns.includes(r));
  if (missing.length > 0) {
    throw new Error(
      `${source}: CSV header lacks column${missing.length === 1 ? "" : "s"} ${missing.join(", ")} (header: ${columns.join(",")})`,
    );
  }
  return rows.map((fields, index) => {
    if (fields.length !== columns.length) {
      throw new Error(
        `${source}: row ${index + 2} has ${fields.length} fields, the header has ${columns.length}`,
      );
    }
    return Object.fromEntries(columns.map((c, j) => [c, fields[j] === "" ? undefined : fields[j]]));
  });
}
