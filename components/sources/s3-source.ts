import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface S3HistoricalSourceArgs {
  /** Raw bucket, where the landing prefix is. */
  readonly rawBucketName: pulumi.Input<string>;
  /** Prefix historical CSV files are dropped under, ending in "/". */
  readonly historicalPrefix: string;
  /** Role the crawler runs as. */
  readonly glueRoleArn: pulumi.Input<string>;
  /** Catalog database the crawler records the files' schema in. */
  readonly catalogDatabaseName: pulumi.Input<string>;
  readonly securityConfigurationName: pulumi.Input<string>;
  /** Glue cron expression for the crawler. @default - run on demand (the import job does not need the table) */
  readonly crawlerSchedule?: string;
  /** Tags merged into every taggable child. @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * Historical CSV files in the raw bucket's landing prefix as a Glue source: a CSV classifier that expects
 * a header row (the import requires one; `historical-schema.ts` lists its columns), and a crawler that records the files' schema. The crawler only looks
 * at folders it has not crawled (files are dropped in new batches, never rewritten) and only logs schema
 * changes instead of rewriting the table: a file with a different header is a problem to see, not a schema
 * to adopt, because the import job reads exactly the columns `historical-schema.ts` lists.
 */
export class S3HistoricalSource extends pulumi.ComponentResource {
  public readonly classifier: aws.glue.Classifier;
  public readonly crawler: aws.glue.Crawler;
  /** `s3://<raw bucket>/<prefix>`. */
  public readonly landingUri: pulumi.Output<string>;

  constructor(name: string, args: S3HistoricalSourceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sensor-analytics:sources:S3HistoricalSource", name, {}, opts);
    if (!/^([A-Za-z0-9_.-]+\/)+$/.test(args.historicalPrefix)) {
      throw new pulumi.ResourceError(
        `historicalPrefix must be folders ending in "/" (got "${args.historicalPrefix}"); set sensor-analytics:historicalPrefix`,
        this,
      );
    }
    const tags = { ...args.tags };
    this.landingUri = pulumi.interpolate`s3://${args.rawBucketName}/${args.historicalPrefix}`;

    this.classifier = new aws.glue.Classifier(
      `${name}-csv`,
      {
        csvClassifier: {
          containsHeader: "PRESENT",
          delimiter: ",",
          quoteSymbol: '"',
          allowSingleColumn: false,
          disableValueTrimming: false,
        },
      },
      { parent: this },
    );
    this.crawler = new aws.glue.Crawler(
      `${name}-crawler`,
      {
        description: "Records the schema of the historical CSV files in the landing prefix",
        role: args.glueRoleArn,
        databaseName: args.catalogDatabaseName,
        tablePrefix: "landing_",
        classifiers: [this.classifier.name],
        s3Targets: [{ path: this.landingUri, exclusions: ["**/_SUCCESS", "**/.*"] }],
        securityConfiguration: args.securityConfigurationName,
        // CRAWL_NEW_FOLDERS_ONLY requires LOG for both behaviours.
        recrawlPolicy: { recrawlBehavior: "CRAWL_NEW_FOLDERS_ONLY" },
        schemaChangePolicy: { updateBehavior: "LOG", deleteBehavior: "LOG" },
        configuration: JSON.stringify({
          Version: 1.0,
          Grouping: { TableGroupingPolicy: "CombineCompatibleSchemas" },
        }),
        schedule: args.crawlerSchedule,
        tags,
      },
      { parent: this },
    );
    this.registerOutputs({ crawlerName: this.crawler.name, landingUri: this.landingUri });
  }
}
