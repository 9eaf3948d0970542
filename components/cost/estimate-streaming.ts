/**
 * The lines of the other ways in and out, when the synth has them: the Kinesis ingest stream (on-demand or
 * provisioned, extended retention), the DynamoDB tables (the real-time consumer's writes, the pollers'
 * de-duplication, latest-state reads, storage and point-in-time recovery), the HTTP API's requests, and the
 * invocations of the consumer, the pollers and the API's functions. Pure; counts from the synth, schedules from
 * the config, volumes from the usage.
 */
import type { AddLine, EstimateInput } from "./estimate";
import { DAYS_PER_MONTH, HOURS_PER_MONTH, runsPerMonth, SECONDS_PER_MONTH } from "./schedule-runs";
import { fmt, GIB, type Usage } from "./usage";

/** Shards an on-demand stream starts with (it adds more only under more than 4 MB/s of writes). */
const ON_DEMAND_SHARDS = 4;
/** Readers of the stream: Firehose (into the lake) and the real-time consumer. */
const STREAM_READERS = 2;

export function streamingLines(
  addLine: AddLine,
  { config: c, inventory, devices, assumptions: a }: EstimateInput,
  usage: Usage,
): void {
  const stream = inventory.kinesisStreams[0];
  const polls = c.pollers.reduce((sum, p) => sum + runsPerMonth(p.schedule), 0);
  const polledRecords = polls * a.pollerRecordsPerPoll;
  // Of a poll's readings, those the source produced since the last poll are new (one per intervalSeconds).
  const newPolledRecords = c.pollers.reduce((sum, p) => {
    const runs = runsPerMonth(p.schedule);
    const newPerPoll =
      runs > 0 ? Math.min(a.pollerRecordsPerPoll, SECONDS_PER_MONTH / runs / a.intervalSeconds) : 0;
    return sum + runs * newPerPoll;
  }, 0);
  const apiRequests = inventory.httpApis > 0 ? a.apiRequestsPerMonth : 0;
  // Readings through the stream: the fleet's valid readings (the topic rule) and the polled ones.
  const records = stream ? usage.validRecords + newPolledRecords : 0;
  const recordsNote = `${fmt(usage.validRecords)} readings from the topic rule + ${fmt(newPolledRecords)} new polled ones (${fmt(polls)} polls, the readings of the time since the last poll at one per ${a.intervalSeconds} s)`;

  if (stream) {
    const extraHours = Math.max(0, stream.retentionHours - 24);
    if (stream.onDemand) {
      const ingestGb = (records * Math.ceil(usage.recordBytes / 1024) * 1024) / GIB;
      addLine(
        "Amazon Kinesis Data Streams",
        "On-demand stream",
        "kinesis.onDemandStreamHour",
        HOURS_PER_MONTH,
        "fixed",
        [`${inventory.kinesisStreams.length} on-demand stream in the synth, all month`],
      );
      addLine(
        "Amazon Kinesis Data Streams",
        "Data ingested",
        "kinesis.onDemandIngestGb",
        ingestGb,
        "devices",
        [
          recordsNote,
          `${usage.recordBytes} B records, each billed as ${Math.ceil(usage.recordBytes / 1024)} KB`,
        ],
      );
      addLine(
        "Amazon Kinesis Data Streams",
        "Data retrieved",
        "kinesis.onDemandRetrievalGb",
        ingestGb * STREAM_READERS,
        "devices",
        ["read twice: by Firehose into the lake and by the real-time consumer"],
      );
      if (extraHours > 0)
        addLine(
          "Amazon Kinesis Data Streams",
          "Extended retention",
          "kinesis.extendedRetentionGb",
          ingestGb * (extraHours / HOURS_PER_MONTH),
          "devices",
          [
            `retentionHours ${stream.retentionHours}: each GB kept ${extraHours} hours beyond the included 24`,
          ],
        );
    } else {
      addLine(
        "Amazon Kinesis Data Streams",
        "Shards",
        "kinesis.shardHour",
        stream.shards * HOURS_PER_MONTH,
        "fixed",
        [`${stream.shards} provisioned shards all month`],
      );
      addLine(
        "Amazon Kinesis Data Streams",
        "PUT payload units",
        "kinesis.putPayloadUnits",
        (records * Math.ceil(usage.recordBytes / (25 * 1024))) / 1e6,
        "devices",
        [recordsNote, "one 25 KB payload unit per record"],
      );
      if (extraHours > 0)
        addLine(
          "Amazon Kinesis Data Streams",
          "Extended retention",
          "kinesis.extendedRetentionShardHour",
          stream.shards * HOURS_PER_MONTH,
          "fixed",
          [`retentionHours ${stream.retentionHours} (more than 24) on every shard`],
        );
    }
  }

  // The consumer runs once per batch: full batches under load, otherwise one per batching window and shard.
  const consumer = stream ? c.ingestStream?.consumer : undefined;
  const shards = stream ? (stream.onDemand ? ON_DEMAND_SHARDS : stream.shards) : 0;
  const batches = consumer
    ? Math.min(
        records,
        Math.max(
          records / consumer.batchSize,
          (shards * SECONDS_PER_MONTH) / Math.max(1, consumer.batchWindowSeconds),
        ),
      )
    : 0;
  const perBatch = batches > 0 ? records / batches : 0;
  const rooms = c.fleet.rooms.length;

  if (inventory.dynamoTables.length > 0) {
    // Per batch: one conditional put per device in it (latest reading), a read and a put per room's hour.
    const consumerWrites = batches * (Math.min(devices, perBatch) + Math.min(rooms, perBatch));
    const consumerReads = batches * Math.min(rooms, perBatch);
    const stateReads = consumer ? apiRequests : 0;
    addLine(
      "Amazon DynamoDB",
      "Write request units",
      "dynamodb.writeRequestUnits",
      (consumerWrites + polledRecords) / 1e6,
      "devices",
      [
        `real-time consumer: ${fmt(batches)} batches of ${fmt(perBatch)} readings (batchSize ${consumer?.batchSize ?? "-"}, ${consumer?.batchWindowSeconds ?? "-"} s window, ${shards} shards), each putting the latest reading of every device in it and every room's hourly aggregate`,
        `pollers: one conditional put per polled reading (de-duplication), ${fmt(polledRecords)}`,
      ],
    );
    addLine(
      "Amazon DynamoDB",
      "Read request units",
      "dynamodb.readRequestUnits",
      (consumerReads + stateReads) / 1e6,
      "devices",
      [
        "real-time consumer: a consistent read of each room's hourly aggregate per batch",
        `latest-state routes: one unit per API request, counting all ${fmt(apiRequests)} as reads (an upper bound)`,
      ],
    );
    const aggregateItems = consumer ? rooms * shards * 24 * (c.ingestStream?.aggregateTtlDays ?? 0) : 0;
    const dedupItems = c.pollers.reduce(
      (sum, p) => sum + (runsPerMonth(p.schedule) / DAYS_PER_MONTH) * a.pollerRecordsPerPoll * p.dedupDays,
      0,
    );
    const latestItems = consumer ? devices : 0;
    const tableGb = ((latestItems + aggregateItems + dedupItems) * a.tableItemBytes) / GIB;
    const itemsNote = `${fmt(latestItems)} latest readings, ${fmt(aggregateItems)} hourly aggregates (rooms × shards × ${c.ingestStream?.aggregateTtlDays ?? 0} days), ${fmt(dedupItems)} de-duplication keys, ${a.tableItemBytes} B each`;
    addLine("Amazon DynamoDB", "Storage", "dynamodb.storage", tableGb, "devices", [itemsNote]);
    if (inventory.dynamoTables.some((t) => t.pointInTimeRecovery))
      addLine("Amazon DynamoDB", "Point-in-time recovery", "dynamodb.pitr", tableGb, "devices", [
        `${inventory.dynamoTables.filter((t) => t.pointInTimeRecovery).length} tables with continuous backups`,
      ]);
  }

  if (inventory.httpApis > 0)
    addLine(
      "Amazon API Gateway",
      "HTTP API requests",
      "apigateway.httpRequests",
      apiRequests / 1e6,
      "fixed",
      [`${fmt(apiRequests)} requests a month (assumption apiRequestsPerMonth)`],
    );

  const invocations = batches + polls + apiRequests;
  if (invocations > 0) {
    const memoryGb =
      inventory.functions.reduce((sum, f) => sum + f.memoryMiB, 0) /
      Math.max(1, inventory.functions.length) /
      1024;
    const arm = inventory.functions.every((f) => f.arm64);
    addLine("AWS Lambda", "Requests (ways in and out)", "lambda.requests", invocations / 1e6, "devices", [
      `real-time consumer ${fmt(batches)} batches, pollers ${fmt(polls)} polls, HTTP API functions ${fmt(apiRequests)} requests`,
    ]);
    addLine(
      "AWS Lambda",
      "Compute (ways in and out)",
      arm ? "lambda.gbSecondArm" : "lambda.gbSecondX86",
      invocations * (a.sourceLambdaMilliseconds / 1000) * memoryGb,
      "devices",
      [
        `${a.sourceLambdaMilliseconds} ms per invocation at the functions' average ${fmt(memoryGb * 1024)} MiB`,
      ],
    );
  }
}
