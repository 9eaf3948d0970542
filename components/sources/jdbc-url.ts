/**
 * JDBC connection strings and Glue connection types per database engine. Pure.
 *
 * The URL syntax differs by engine, and Glue rejects a connection whose URL does not match its driver:
 *   PostgreSQL  jdbc:postgresql://host:5432/db
 *   MySQL       jdbc:mysql://host:3306/db
 *   SQL Server  jdbc:sqlserver://host:1433;databaseName=db
 */
import type { DatabaseEngine } from "../config";

/** Glue's `connection_type` for reading the engine in a job (`create_dynamic_frame.from_options`). */
export const GLUE_CONNECTION_TYPES: Readonly<Record<DatabaseEngine, "postgresql" | "mysql" | "sqlserver">> = {
  postgres: "postgresql",
  mysql: "mysql",
  sqlserver: "sqlserver",
};

const HOST =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const DATABASE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export interface JdbcTarget {
  readonly engine: DatabaseEngine;
  readonly host: string;
  readonly port: number;
  readonly database: string;
}

/** Reasons the target cannot make a valid URL (empty when it can). */
export function validateJdbcTarget(target: JdbcTarget): string[] {
  const problems: string[] = [];
  if (!(target.engine in GLUE_CONNECTION_TYPES)) {
    problems.push(
      `engine must be one of ${Object.keys(GLUE_CONNECTION_TYPES).join(", ")} (got "${target.engine}")`,
    );
  }
  if (!HOST.test(target.host))
    problems.push(`host must be a DNS name or IPv4 address (got "${target.host}")`);
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535)
    problems.push(`port must be an integer from 1 to 65535 (got ${target.port})`);
  if (!DATABASE.test(target.database))
    problems.push(`database must be a name of letters, digits and "_" (got "${target.database}")`);
  return problems;
}

/** The JDBC URL in the engine's own syntax. Throws with every problem when the target is invalid. */
export function jdbcUrl(target: JdbcTarget): string {
  const problems = validateJdbcTarget(target);
  if (problems.length > 0) throw new Error(`cannot build a JDBC URL: ${problems.join("; ")}`);
  const { engine, host, port, database } = target;
  switch (engine) {
    case "postgres":
      return `jdbc:postgresql://${host}:${port}/${database}`;
    case "mysql":
      return `jdbc:mysql://${host}:${port}/${database}`;
    case "sqlserver":
      return `jdbc:sqlserver://${host}:${port};databaseName=${database}`;
  }
}
