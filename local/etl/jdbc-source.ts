/**
 * The JDBC import's read, done the way Glue's JDBC reader does it over the network: connect to the database
 * named by a Glue connection (the local one points at PGlite served on the Postgres wire protocol by
 * pglite-socket), read the spec's table, only rows after the job bookmark, in bookmark order.
 */
import { Client, types } from "pg";
import { missingTableMessage, type GlueSourceSpec } from "../../components/etl/job-spec";

/** A Glue JDBC connection, resolved: where the database is and who to log in as. */
export interface JdbcConnection {
  readonly name: string;
  /** `jdbc:postgresql://host:port/database`. */
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

export interface JdbcRead {
  readonly rows: Record<string, string | number | null>[];
  /** Largest bookmark key value read (`null` when nothing new). */
  readonly lastKey: number | null;
}

const TIMESTAMP_OID = 1114;
const TIMESTAMPTZ_OID = 1184;
const INT8_OID = 20;

/** Parses `jdbc:postgresql://host:port/db`; other engines have no local stand-in. */
export function parsePostgresJdbcUrl(url: string): { host: string; port: number; database: string } {
  const match = /^jdbc:postgresql:\/\/([^:/]+):(\d+)\/([A-Za-z_][A-Za-z0-9_]*)$/.exec(url);
  if (!match)
    throw new Error(
      `the local backend reads only PostgreSQL JDBC URLs (jdbc:postgresql://host:port/db), got ${url}`,
    );
  return { host: match[1]!, port: Number(match[2]), database: match[3]! };
}

export async function readJdbcTable(
  connection: JdbcConnection,
  source: Extract<GlueSourceSpec, { kind: "jdbc" }>,
  afterKey: number | null,
): Promise<JdbcRead> {
  if (source.connection_type !== "postgresql") {
    throw new Error(
      `Glue connection ${connection.name} is ${source.connection_type}; the local historical database is PostgreSQL (PGlite)`,
    );
  }
  const target = parsePostgresJdbcUrl(connection.url);
  const client = new Client({
    ...target,
    user: connection.username,
    password: connection.password,
    connectionTimeoutMillis: 10_000,
    // Values as the wire gives them: timestamps without zone stay text (UTC by convention), never shifted
    // into this machine's zone as node-postgres would; bigints as text too, to be exact.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === TIMESTAMP_OID || oid === TIMESTAMPTZ_OID || oid === INT8_OID
          ? (value: string) => value
          : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
    },
  });
  await client.connect();
  try {
    const key = quoteIdent(source.bookmark_key);
    const columns = source.columns.map((c) => quoteIdent(c.name)).join(", ");
    const table = source.table.split(".").map(quoteIdent).join(".");
    const result = await client
      .query<Record<string, string | number | null>>(
        afterKey === null
          ? `SELECT ${columns} FROM ${table} ORDER BY ${key}`
          : `SELECT ${columns} FROM ${table} WHERE ${key} > $1 ORDER BY ${key}`,
        afterKey === null ? [] : [afterKey],
      )
      .catch((err: unknown) => {
        // As the Glue job script does: a missing table is reported as the configuration error it is.
        const message = missingTableMessage(source, err instanceof Error ? err.message : String(err));
        if (message) throw new Error(message, { cause: err });
        throw err;
      });
    const last =
      result.rows.length > 0 ? Number(result.rows[result.rows.length - 1]![source.bookmark_key]) : null;
    return { rows: result.rows, lastKey: last };
  } finally {
    await client.end();
  }
}

function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`"${name}" is not a plain SQL identifier`);
  return `"${name}"`;
}
