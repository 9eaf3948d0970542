import type { FeatureSettings } from "../ml/feature-sql";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assetPath } from "../shared/package-assets";
import type { DatabaseEngine, PlatformConfig } from "../config";
import { registerDocument } from "../documents";
import { LAKE_ZONES, LakeZone } from "../lake/layout";
import { etlSqlKey, GLUE_SCRIPT_FILES, glueJobSpec, glueScriptKey } from "./job-spec";
import { ETL_JOBS, ETL_SQL_NAMES, EtlCrawlerKey, EtlJobKey, renderEtlSql } from "./transforms";

export type { EtlCrawlerKey };

export interface EtlJobsArgs {
  readonly buckets: {
    readonly raw: pulumi.Input<string>;
    readonly curated: pulumi.Input<string>;
    readonly artifacts: pulumi.Input<string>;
  };
  /** Key of the uploaded scripts and SQL files. @default - none: SSE-S3 */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined;
  readonly glueRoleArn: pulumi.Input<string>;
  readonly securityConfigurationName: pulumi.Input<string>;
  /** Catalog database the history and curated crawlers record their tables in. */
  readonly lakeDatabaseName: pulumi.Input<string>;
  /** Prefix of the historical CSV files in the raw bucket. */
  readonly historicalPrefix: string;
  /** The JDBC source the JDBC import reads. */
  readonly jdbc: { readonly connectionName: pulumi.Input<string>; readonly engine: DatabaseEngine };
  /** Glue version, worker type and count, job timeout. */
  readonly glue: PlatformConfig["glue"];
  /** How readings become the model's vectors (`buildModelSettings(...).features`). @default DEFAULT_FEATURES */
  readonly features?: FeatureSettings;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/** `s3History` → `s3-history`, for child names. */
const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** S3 location of a lake zone, and how deep its table folder is (bucket = level 1) for the crawler. */
function zoneTarget(bucket: pulumi.Input<string>, zone: LakeZone) {
  const prefix = LAKE_ZONES[zone].prefix;
  return {
    path: pulumi.interpolate`s3://${bucket}/${prefix}`,
    tableLevel: prefix.split("/").filter(Boolean).length + 1,
  };
}

/**
 * The ETL's Glue jobs and the crawlers that catalog their output. One script (`functions/glue/etl_job.py`)
 * runs every job; what a job does is its spec (`--job_spec`, non-overridable), built from `transforms.ts`.
 * The script, its helper and the rendered SQL files are uploaded to the artifacts bucket (SSE-KMS), so the
 * SQL a job runs is exactly the text the local backend runs.
 *
 * Jobs run one at a time each (`maxConcurrentRuns` 1) and never retry on their own (`maxRetries` 0): the
 * state machine decides about retries. Imports use job bookmarks; curation recomputes everything.
 */
export class EtlJobs extends pulumi.ComponentResource {
  public readonly jobs: Readonly<Record<EtlJobKey, aws.glue.Job>>;
  public readonly crawlers: Readonly<Record<EtlCrawlerKey, aws.glue.Crawler>>;

  constructor(name: string, args: EtlJobsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:etl:EtlJobs", name, {}, opts);
    const tags = { ...args.tags };
    const { buckets } = args;
    const upload = (logicalName: string, key: string, source: pulumi.asset.Asset) =>
      new aws.s3.BucketObjectv2(
        `${name}-${logicalName}`,
        {
          bucket: buckets.artifacts,
          key,
          source,
          ...(args.kmsKeyArn === undefined
            ? { serverSideEncryption: "AES256" }
            : { serverSideEncryption: "aws:kms", kmsKeyId: args.kmsKeyArn }),
          tags,
        },
        { parent: this },
      );

    const uploads: aws.s3.BucketObjectv2[] = [GLUE_SCRIPT_FILES.main, ...GLUE_SCRIPT_FILES.helpers].map(
      (file) =>
        upload(
          file.replace(/[._]/g, "-"),
          glueScriptKey(file),
          new pulumi.asset.FileAsset(assetPath("glue", file)),
        ),
    );
    for (const sqlName of ETL_SQL_NAMES) {
      const text = renderEtlSql(sqlName, { features: args.features });
      registerDocument(this, `etl-sql-${sqlName.replace(/_/g, "-")}`, "sql", text);
      uploads.push(
        upload(`sql-${sqlName.replace(/_/g, "-")}`, etlSqlKey(sqlName), new pulumi.asset.StringAsset(text)),
      );
    }

    const artifactsUri = (key: string) => pulumi.interpolate`s3://${buckets.artifacts}/${key}`;
    const job = (key: EtlJobKey): aws.glue.Job => {
      const definition = ETL_JOBS[key];
      const spec = pulumi
        .all([buckets.raw, buckets.curated, buckets.artifacts, args.jdbc.connectionName])
        .apply(([raw, curated, artifacts, connectionName]) =>
          glueJobSpec(key, {
            buckets: { raw, curated, artifacts },
            historicalPrefix: args.historicalPrefix,
            jdbc: { connectionName, engine: args.jdbc.engine },
          }),
        );
      registerDocument(this, `glue-job-spec-${kebab(key)}`, "json", spec);
      const readsJdbc = definition.sources.some((s) => s.kind === "jdbc");
      return new aws.glue.Job(
        `${name}-${kebab(key)}`,
        {
          description: definition.description,
          roleArn: args.glueRoleArn,
          glueVersion: args.glue.version,
          workerType: args.glue.workerType,
          numberOfWorkers: args.glue.workers,
          timeout: args.glue.jobTimeoutMinutes,
          maxRetries: 0,
          executionProperty: { maxConcurrentRuns: 1 },
          securityConfiguration: args.securityConfigurationName,
          connections: readsJdbc ? [args.jdbc.connectionName] : undefined,
          command: {
            name: "glueetl",
            pythonVersion: "3",
            scriptLocation: artifactsUri(glueScriptKey(GLUE_SCRIPT_FILES.main)),
          },
          defaultArguments: {
            "--job-language": "python",
            "--extra-py-files": pulumi
              .all(GLUE_SCRIPT_FILES.helpers.map((f) => artifactsUri(glueScriptKey(f))))
              .apply((uris) => uris.join(",")),
            "--TempDir": artifactsUri(LAKE_ZONES.glueTemp.prefix),
            "--job-bookmark-option": definition.bookmarks ? "job-bookmark-enable" : "job-bookmark-disable",
            "--enable-continuous-cloudwatch-log": "true",
            "--enable-metrics": "true",
            "--enable-observability-metrics": "true",
          },
          // What the job does is not a run-time choice: a run cannot be pointed at other data or SQL.
          nonOverridableArguments: { "--job_spec": pulumi.jsonStringify(spec) },
          tags,
        },
        { parent: this, dependsOn: uploads },
      );
    };
    this.jobs = { s3Import: job("s3Import"), jdbcImport: job("jdbcImport"), curate: job("curate") };

    const crawler = (
      key: EtlCrawlerKey,
      bucket: pulumi.Input<string>,
      zone: LakeZone,
      tablePrefix: string,
      incremental: boolean,
      description: string,
    ) => {
      const target = zoneTarget(bucket, zone);
      return new aws.glue.Crawler(
        `${name}-${kebab(key)}-crawler`,
        {
          description,
          role: args.glueRoleArn,
          databaseName: args.lakeDatabaseName,
          tablePrefix,
          s3Targets: [{ path: target.path, exclusions: ["**/_SUCCESS", "**/_temporary/**", "**_$folder$"] }],
          securityConfiguration: args.securityConfigurationName,
          // Imports only append (new rooms are new folders); curation rewrites everything each run.
          recrawlPolicy: { recrawlBehavior: incremental ? "CRAWL_NEW_FOLDERS_ONLY" : "CRAWL_EVERYTHING" },
          schemaChangePolicy: incremental
            ? { updateBehavior: "LOG", deleteBehavior: "LOG" }
            : { updateBehavior: "UPDATE_IN_DATABASE", deleteBehavior: "DEPRECATE_IN_DATABASE" },
          // One table at the zone's folder (named after it), partitions inheriting the table's schema.
          configuration: JSON.stringify({
            Version: 1.0,
            Grouping: {
              TableGroupingPolicy: "CombineCompatibleSchemas",
              TableLevelConfiguration: target.tableLevel,
            },
            CrawlerOutput: { Partitions: { AddOrUpdateBehavior: "InheritFromTable" } },
          }),
          tags,
        },
        { parent: this },
      );
    };
    this.crawlers = {
      s3History: crawler(
        "s3History",
        buckets.raw,
        "historicalS3",
        "historical_",
        true,
        "Catalogs the S3 import's output as historical_s3",
      ),
      jdbcHistory: crawler(
        "jdbcHistory",
        buckets.raw,
        "historicalJdbc",
        "historical_",
        true,
        "Catalogs the JDBC import's output as historical_jdbc",
      ),
      curated: crawler(
        "curated",
        buckets.curated,
        "curatedReadings",
        "curated_",
        false,
        "Catalogs the curated readings as curated_readings",
      ),
    };

    this.registerOutputs({
      jobNames: pulumi.all(Object.fromEntries(Object.entries(this.jobs).map(([k, j]) => [k, j.name]))),
      crawlerNames: pulumi.all(
        Object.fromEntries(Object.entries(this.crawlers).map(([k, c]) => [k, c.name])),
      ),
    });
  }
}
