/**
 * The contract between the ETL state machine, its planning function and whoever starts an execution (the
 * schedule, an operator, the local backend). Pure types and constants: the state machine builder reads
 * these field names, the planner writes them.
 */

/** What an execution may be started with. Every field is optional: the schedule starts it with `{}`. */
export interface EtlExecutionInput {
  /** Run the S3 import even if no new historical file arrived. @default false */
  readonly forceS3Import?: boolean;
  /** Run the JDBC import even if the last one is recent. @default false */
  readonly forceJdbcImport?: boolean;
  /** Never run the S3 import in this execution (wins over force). @default false */
  readonly skipS3Import?: boolean;
  /** Never run the JDBC import in this execution (wins over force). @default false */
  readonly skipJdbcImport?: boolean;
  /**
   * Start the model-training state machine after curation (only when the ETL was built with one).
   * @default - the planner's default (on when a training machine is configured)
   */
  readonly startTraining?: boolean;
}

/** Why an import runs or not, for the execution history and the failure notice. */
export type ImportDecisionReason =
  | "forced"
  | "skipped by input"
  | "new files since last import"
  | "no new files since last import"
  | "no historical files"
  | "never imported"
  | "last import older than refresh interval"
  | "last import within refresh interval"
  | "import already running";

/** The planner's answer; the state machine writes it at `$.plan`. */
export interface EtlPlan {
  readonly runS3Import: boolean;
  readonly runJdbcImport: boolean;
  readonly startTraining: boolean;
  readonly reasons: {
    readonly s3Import: ImportDecisionReason;
    readonly jdbcImport: ImportDecisionReason;
  };
}

/** Paths in the execution state where each step leaves its result. */
export const ETL_PATHS = {
  plan: "$.plan",
  imports: "$.imports",
  curate: "$.curate",
  training: "$.training",
} as const;

/** Environment variables of the planning function, set by the EtlStateMachine component. */
export const PLANNER_ENV = {
  s3ImportJobName: "S3_IMPORT_JOB_NAME",
  jdbcImportJobName: "JDBC_IMPORT_JOB_NAME",
  landingBucket: "LANDING_BUCKET",
  landingPrefix: "LANDING_PREFIX",
  jdbcRefreshHours: "JDBC_REFRESH_HOURS",
  trainingEnabled: "TRAINING_ENABLED",
} as const;
