import { expect } from "chai";
import { runPipeline, PipelineRun } from "../iot/pipeline-program";
import { MOCK_ACCOUNT_ID } from "../../../components/testing";
import { TELEMETRY_PARTITION_JQ } from "../../../components/ingest/firehose-settings";
import { telemetryTableDefinition } from "../../../components/ingest/telemetry-table";
import { LakeDeliveryStream } from "../../../components/ingest/delivery-stream";

const STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream";
const ROLE = "aws:iam/role:Role";
const INGEST = "sensors-dev-telemetry-firehose";

interface S3Config {
  bucketArn: string;
  roleArn: string;
  prefix: string;
  errorOutputPrefix: string;
  bufferingInterval: number;
  bufferingSize: number;
  compressionFormat: string;
  kmsKeyArn: string;
  cloudwatchLoggingOptions: Record<string, unknown>;
  dataFormatConversionConfiguration?: Record<string, unknown>;
  dynamicPartitioningConfiguration?: Record<string, unknown>;
  processingConfiguration?: {
    enabled: boolean;
    processors: { type: string; parameters: { parameterName: string; parameterValue: string }[] }[];
  };
}
const s3Of = (run: PipelineRun, label: string) =>
  run.named(STREAM, `${run.config.deployment}-telemetry-firehose-${label}-stream`).inputs
    .extendedS3Configuration as S3Config;

describe("TelemetryIngest", function () {
  let dev: PipelineRun;
  let prod: PipelineRun;
  let flat: PipelineRun;
  before(async function () {
    dev = await runPipeline("dev");
    prod = await runPipeline("prod");
    flat = await runPipeline("dev", {
      firehoseDynamicPartitioning: false,
      firehoseBufferSeconds: 900,
      firehoseBufferMiB: 100,
    });
  });

  const keyArn = (run: PipelineRun) => run.ofType("aws:kms/key:Key")[0]!.state.arn as string;
  const raw = (run: PipelineRun) =>
    run.named("aws:s3/bucket:Bucket", `${run.config.deployment}-lake-raw`).state;

  describe("telemetry stream (defaults)", function () {
    it("writes into the raw bucket, partitioned by room and reading date with a JQ query", function () {
      const s3 = s3Of(dev, "telemetry");
      expect(s3.bucketArn).to.equal(raw(dev).arn);
      expect(s3.prefix).to.equal(
        "telemetry/room_id=!{partitionKeyFromQuery:room_id}/dt=!{partitionKeyFromQuery:dt}/",
      );
      expect(s3.dynamicPartitioningConfiguration).to.deep.equal({ enabled: true, retryDuration: 300 });
      expect(s3.processingConfiguration).to.deep.equal({
        enabled: true,
        processors: [
          {
            type: "MetadataExtraction",
            parameters: [
              { parameterName: "MetadataExtractionQuery", parameterValue: TELEMETRY_PARTITION_JQ },
              { parameterName: "JsonParsingEngine", parameterValue: "JQ-1.6" },
            ],
          },
        ],
      });
    });

    it("converts to Parquet with the schema of the Glue telemetry table", function () {
      const s3 = s3Of(dev, "telemetry");
      const role = dev.named(ROLE, `${INGEST}-telemetry-role`);
      expect(s3.compressionFormat).to.equal("UNCOMPRESSED");
      expect(s3.dataFormatConversionConfiguration).to.deep.equal({
        enabled: true,
        inputFormatConfiguration: { deserializer: { openXJsonSerDe: {} } },
        outputFormatConfiguration: { serializer: { parquetSerDe: { compression: "SNAPPY" } } },
        schemaConfiguration: {
          databaseName: "sensors_dev",
          tableName: "telemetry",
          roleArn: role.state.arn,
          region: "eu-west-1",
          versionId: "LATEST",
        },
      });
    });

    it("buffers as configured, keeps failed records under its error prefix and logs delivery errors", function () {
      const s3 = s3Of(dev, "telemetry");
      expect([s3.bufferingInterval, s3.bufferingSize]).to.deep.equal([60, 64]);
      expect(s3.errorOutputPrefix).to.equal(
        "errors/firehose/telemetry/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
      );
      const group = dev.named("aws:cloudwatch/logGroup:LogGroup", `${INGEST}-telemetry-logs`);
      expect(group.inputs).to.deep.include({
        name: `/aws/kinesisfirehose/${INGEST}-telemetry`,
        retentionInDays: 14,
        kmsKeyId: keyArn(dev),
      });
      expect(s3.cloudwatchLoggingOptions).to.deep.equal({
        enabled: true,
        logGroupName: group.inputs.name,
        logStreamName: "DestinationDelivery",
      });
    });

    it("encrypts the stream and its objects with the lake key", function () {
      const stream = dev.named(STREAM, `${INGEST}-telemetry-stream`);
      expect(stream.inputs.serverSideEncryption).to.deep.equal({
        enabled: true,
        keyType: "CUSTOMER_MANAGED_CMK",
        keyArn: keyArn(dev),
      });
      expect(s3Of(dev, "telemetry").kmsKeyArn).to.equal(keyArn(dev));
    });

    it("has a role limited to its own prefixes, the lake key through S3, its log stream and the schema table", function () {
      const role = dev.named(ROLE, `${INGEST}-telemetry-role`);
      const statements = JSON.parse((role.inputs.inlinePolicies as { policy: string }[])[0]!.policy)
        .Statement as Record<string, unknown>[];
      const bucket = raw(dev).arn as string;
      const logGroupArn = dev.named("aws:cloudwatch/logGroup:LogGroup", `${INGEST}-telemetry-logs`).state
        .arn as string;
      const glue = `arn:aws:glue:eu-west-1:${MOCK_ACCOUNT_ID}`;
      expect(statements.map((s) => [s.Sid, s.Resource])).to.deep.equal([
        ["LocateLakeBucket", bucket],
        ["WriteOwnPrefixes", [`${bucket}/telemetry/*`, `${bucket}/errors/firehose/telemetry/*`]],
        ["EncryptWithLakeKey", keyArn(dev)],
        ["LogDeliveryErrors", `${logGroupArn}:log-stream:DestinationDelivery`],
        [
          "ReadParquetSchema",
          [`${glue}:catalog`, `${glue}:database/sensors_dev`, `${glue}:table/sensors_dev/telemetry`],
        ],
      ]);
      expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement[0].Condition).to.deep.equal({
        StringEquals: { "sts:ExternalId": MOCK_ACCOUNT_ID },
      });
    });
  });

  describe("quarantine stream", function () {
    it("writes GZIP JSON lines by arrival date into the quarantine zone, encrypted and logged, without conversion", function () {
      const s3 = s3Of(dev, "quarantine");
      expect(s3).to.deep.include({
        prefix: "quarantine/dt=!{timestamp:yyyy-MM-dd}/",
        errorOutputPrefix:
          "errors/firehose/quarantine/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
        compressionFormat: "GZIP",
        kmsKeyArn: keyArn(dev),
      });
      expect(s3.dataFormatConversionConfiguration).to.equal(undefined);
      expect(s3.dynamicPartitioningConfiguration).to.equal(undefined);
      expect(s3.cloudwatchLoggingOptions.enabled).to.equal(true);
      const role = dev.named(ROLE, `${INGEST}-quarantine-role`);
      const policy = (role.inputs.inlinePolicies as { policy: string }[])[0]!.policy;
      expect(policy).not.to.contain("glue:");
      expect(policy).not.to.contain("/telemetry/*");
    });
  });

  describe("catalog", function () {
    it("creates the catalog database and the telemetry table from the schema, with partition projection", function () {
      const db = dev.named("aws:glue/catalogDatabase:CatalogDatabase", `${INGEST}-catalog-database`);
      expect(db.inputs.name).to.equal("sensors_dev");
      const table = dev.named("aws:glue/catalogTable:CatalogTable", `${INGEST}-catalog-telemetry`);
      const expected = telemetryTableDefinition({
        bucketName: raw(dev).bucket as string,
        rooms: ["lab", "office"],
        dynamicPartitioning: true,
      });
      expect(table.inputs).to.deep.include({
        databaseName: "sensors_dev",
        name: "telemetry",
        tableType: "EXTERNAL_TABLE",
      });
      expect(table.inputs.parameters).to.deep.equal(expected.parameters);
      expect(table.inputs.partitionKeys).to.deep.equal(expected.partitionKeys);
      expect(table.inputs.storageDescriptor).to.deep.equal(expected.storageDescriptor);
      expect([db.protect, table.protect]).to.deep.equal([false, false]);
    });
  });

  describe("prod", function () {
    it("buffers 300 s / 128 MiB, projects the six rooms and protects the catalog", function () {
      const s3 = s3Of(prod, "telemetry");
      expect([s3.bufferingInterval, s3.bufferingSize]).to.deep.equal([300, 128]);
      const table = prod.named(
        "aws:glue/catalogTable:CatalogTable",
        "sensors-prod-telemetry-firehose-catalog-telemetry",
      );
      expect((table.inputs.parameters as Record<string, string>)["projection.room_id.values"]).to.equal(
        "plant1_hall_a,plant1_hall_b,plant1_cold_store,plant2_hall_a,plant2_server_room,hq_office",
      );
      expect(table.protect).to.equal(true);
      expect(
        prod.named(
          "aws:glue/catalogDatabase:CatalogDatabase",
          "sensors-prod-telemetry-firehose-catalog-database",
        ).retainOnDelete,
      ).to.equal(true);
    });
  });

  describe("firehoseDynamicPartitioning: false (with other buffering)", function () {
    it("dates by arrival, extracts nothing, and keeps room_id a column", function () {
      const s3 = s3Of(flat, "telemetry");
      expect(s3.prefix).to.equal("telemetry/dt=!{timestamp:yyyy-MM-dd}/");
      expect(s3.dynamicPartitioningConfiguration).to.equal(undefined);
      expect(s3.processingConfiguration).to.equal(undefined);
      expect([s3.bufferingInterval, s3.bufferingSize]).to.deep.equal([900, 100]);
      const table = flat.named("aws:glue/catalogTable:CatalogTable", `${INGEST}-catalog-telemetry`);
      expect((table.inputs.partitionKeys as { name: string }[]).map((k) => k.name)).to.deep.equal(["dt"]);
    });
  });

  describe("validateArgs", function () {
    const base = {
      bucket: { name: "b", arn: "arn:aws:s3:::b" },
      kmsKeyArn: "k",
      prefix: "telemetry/room_id=!{partitionKeyFromQuery:room_id}/",
      errorOutputPrefix: "errors/!{firehose:error-output-type}/",
      buffering: { bufferSeconds: 60, bufferMiB: 64 },
      partitionQuery: "{room_id: .room_id}",
      parquetSchema: { databaseName: "d", tableName: "t" },
    };
    it("accepts a consistent stream and names each inconsistency", function () {
      expect(LakeDeliveryStream.validateArgs(base)).to.deep.equal([]);
      expect(
        LakeDeliveryStream.validateArgs({
          ...base,
          partitionQuery: undefined,
          errorOutputPrefix: "errors/",
          buffering: { bufferSeconds: 60, bufferMiB: 32 },
        }),
      ).to.deep.equal([
        "bufferMiB must be an integer from 64 to 128 (Firehose needs at least 64 MiB for Parquet conversion and dynamic partitioning) (got 32)",
        'errorOutputPrefix "errors/" must contain !{firehose:error-output-type} (Firehose requires it when prefixes use expressions)',
        'prefix "telemetry/room_id=!{partitionKeyFromQuery:room_id}/" uses partitionKeyFromQuery but no partitionQuery is given',
      ]);
      expect(LakeDeliveryStream.validateArgs({ ...base, prefix: "plain/" })).to.deep.equal([
        'partitionQuery is given but prefix "plain/" uses no !{partitionKeyFromQuery:...}',
      ]);
    });

    it("stops a stack whose buffer is too small for Parquet before anything is created (config catches it first)", async function () {
      let failure: unknown;
      try {
        await runPipeline("dev", { firehoseDynamicPartitioning: false, firehoseBufferMiB: 16 });
      } catch (err) {
        failure = err;
      }
      expect(String(failure)).to.contain(
        "sensor-analytics:firehoseBufferMiB must be at least 64 (Firehose rejects smaller buffers for Parquet conversion",
      );
    });
  });
});
