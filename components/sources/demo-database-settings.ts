/**
 * RDS settings of the demo historical database per engine: the engine and pinned major version (a parameter
 * group is tied to a version family, so the version cannot float), the parameter that forces TLS, and what
 * the engine supports at creation. Pure.
 */
import type { DatabaseEngine } from "../config";

export interface DemoEngineSettings {
  /** RDS `engine`. */
  readonly engine: string;
  /** RDS `engineVersion` (major version; RDS picks the current minor and upgrades it). */
  readonly engineVersion: string;
  /** Parameter group family matching the version. */
  readonly family: string;
  /** The parameter that refuses unencrypted connections. */
  readonly forceTls: {
    readonly name: string;
    readonly value: string;
    readonly applyMethod: "immediate" | "pending-reboot";
  };
  /** Whether RDS can create the database at launch (`dbName`); SQL Server cannot. */
  readonly createsDatabase: boolean;
  /** Whether IAM database authentication exists for the engine. */
  readonly iamAuthentication: boolean;
  /** RDS `licenseModel`, where the engine needs one. */
  readonly licenseModel?: string;
  /** Log types exported to CloudWatch Logs. */
  readonly logExports: readonly string[];
}

export const DEMO_ENGINES: Readonly<Record<DatabaseEngine, DemoEngineSettings>> = {
  postgres: {
    engine: "postgres",
    engineVersion: "17",
    family: "postgres17",
    forceTls: { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
    createsDatabase: true,
    iamAuthentication: true,
    logExports: ["postgresql"],
  },
  mysql: {
    engine: "mysql",
    engineVersion: "8.4",
    family: "mysql8.4",
    forceTls: { name: "require_secure_transport", value: "1", applyMethod: "immediate" },
    createsDatabase: true,
    iamAuthentication: true,
    logExports: ["error"],
  },
  sqlserver: {
    // Express edition: free of license cost, enough for a demo (10 GB per database).
    engine: "sqlserver-ex",
    engineVersion: "16.00",
    family: "sqlserver-ex-16.0",
    forceTls: { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
    createsDatabase: false,
    iamAuthentication: false,
    licenseModel: "license-included",
    logExports: ["error"],
  },
};
