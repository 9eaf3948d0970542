/**
 * The lake's layout: which bucket holds what, under which prefix. Pure, shared by the cloud components
 * (bucket policies, Firehose prefixes, Glue tables, crawlers) and the local backend's lake on disk, so
 * both write the same keys.
 *
 *   raw bucket        landing/historical/...        historical CSV files dropped by operators (config)
 *                     telemetry/room_id=/dt=/       live readings from Firehose (Parquet)
 *                     quarantine/                   readings the topic rule rejected, with the reason
 *                     errors/firehose/              records Firehose could not convert or deliver
 *                     errors/iot-rule/              messages the topic rule could not hand to Firehose
 *                     historical/s3/ historical/jdbc/   imports written by the Glue import jobs
 *   curated bucket    readings/room_id=/            merged live + historical (Parquet, for BI)
 *                     training/room_id=/            per-room CSV for model training
 *                     anomalies/room_id=/dt=/       scored anomaly records
 *   results bucket    athena/                       Athena query results
 *   artifacts bucket  glue/scripts/ functions/ models/   code and model artifacts
 *   logs bucket       s3-access/<bucket>/           S3 server access logs of every other bucket
 *                     cloudtrail/AWSLogs/           the audit trail's log files (auditTrail on)
 */

/** Buckets of the lake, by role. */
export type BucketRole = "raw" | "curated" | "results" | "artifacts" | "logs";
export const BUCKET_ROLES: readonly BucketRole[] = ["raw", "curated", "results", "artifacts", "logs"];

/** Where each kind of data lives: bucket role and key prefix (always ending in "/"). */
export const LAKE_ZONES = {
  telemetry: { bucket: "raw", prefix: "telemetry/" },
  quarantine: { bucket: "raw", prefix: "quarantine/" },
  firehoseErrors: { bucket: "raw", prefix: "errors/firehose/" },
  ruleErrors: { bucket: "raw", prefix: "errors/iot-rule/" },
  historicalS3: { bucket: "raw", prefix: "historical/s3/" },
  historicalJdbc: { bucket: "raw", prefix: "historical/jdbc/" },
  curatedReadings: { bucket: "curated", prefix: "readings/" },
  training: { bucket: "curated", prefix: "training/" },
  anomalies: { bucket: "curated", prefix: "anomalies/" },
  athenaResults: { bucket: "results", prefix: "athena/" },
  glueScripts: { bucket: "artifacts", prefix: "glue/scripts/" },
  glueTemp: { bucket: "artifacts", prefix: "glue/temp/" },
  models: { bucket: "artifacts", prefix: "models/" },
  accessLogs: { bucket: "logs", prefix: "s3-access/" },
  auditTrail: { bucket: "logs", prefix: "cloudtrail/" },
} as const satisfies Record<string, { bucket: BucketRole; prefix: string }>;

export type LakeZone = keyof typeof LAKE_ZONES;

/** Zones whose objects expire after the raw retention; the rest follow the curated retention. */
export const RAW_RETENTION_ZONES: readonly LakeZone[] = [
  "telemetry",
  "quarantine",
  "firehoseErrors",
  "ruleErrors",
  "historicalS3",
  "historicalJdbc",
];
