/**
 * `KinesisClient` and `FirehoseClient` over the local ingest log: what the HTTPS and poller handlers put into the
 * ingest stream or a delivery stream is appended to the fsync'ed log (the local stream), and acknowledged only
 * once it is durable, as Kinesis and Firehose acknowledge; from there the ingest pipeline routes it to the lake
 * writer and the real-time consumer. Each client is made for one source (`https/readings`, `poller/<name>`), so
 * the run summary counts readings per source.
 */
import {
  FirehoseClient,
  type PutRecordBatchCommandInput,
  type PutRecordCommandInput as FirehosePutInput,
} from "@aws-sdk/client-firehose";
import {
  KinesisClient,
  ResourceNotFoundException,
  type PutRecordCommandInput,
  type PutRecordsCommandInput,
} from "@aws-sdk/client-kinesis";
import { LOCAL_CLIENT_CONFIG, serveLocally } from "./serve-locally";

/** Which local target a record is put into. */
export type LocalRecordTarget = "stream" | "telemetry" | "quarantine";

/** Takes records into the local log; per record its sequence number (the LSN) or the error that kept it out. */
export interface LocalRecordSink {
  putRecords(
    target: LocalRecordTarget,
    source: string,
    records: readonly Buffer[],
  ): Promise<readonly (number | Error)[]>;
}

/** The shard every local stream record is on. */
export const LOCAL_SHARD_ID = "shardId-000000000000";

const notFound = (kind: string, name: string | undefined, known: readonly string[]) =>
  new ResourceNotFoundException({
    message: `${kind} ${name} not found (the local backend has ${known.join(", ")})`,
    $metadata: {},
  });

/** A Kinesis client whose one stream, `streamName`, is the local log. */
export function createLocalKinesisClient(
  sink: LocalRecordSink,
  streamName: string,
  source: string,
): KinesisClient {
  const put = async (name: string | undefined, data: readonly Uint8Array[]) => {
    if (name !== streamName) throw notFound("Stream", name, [streamName]);
    return sink.putRecords(
      "stream",
      source,
      data.map((d) => Buffer.from(d)),
    );
  };
  return serveLocally(new KinesisClient(LOCAL_CLIENT_CONFIG), "Kinesis", {
    PutRecordsCommand: async (input: PutRecordsCommandInput) => {
      const results = await put(
        input.StreamName,
        (input.Records ?? []).map((r) => r.Data!),
      );
      const records = results.map((r) =>
        typeof r === "number"
          ? { SequenceNumber: String(r), ShardId: LOCAL_SHARD_ID }
          : { ErrorCode: "InternalFailure", ErrorMessage: r.message },
      );
      return { FailedRecordCount: records.filter((r) => "ErrorCode" in r).length, Records: records };
    },
    PutRecordCommand: async (input: PutRecordCommandInput) => {
      const [result] = await put(input.StreamName, [input.Data!]);
      if (!(typeof result === "number")) throw result!;
      return { SequenceNumber: String(result), ShardId: LOCAL_SHARD_ID };
    },
  });
}

/** A Firehose client whose delivery streams are the local lake writer's telemetry and quarantine streams. */
export function createLocalFirehoseClient(
  sink: LocalRecordSink,
  names: { readonly telemetry: string; readonly quarantine: string },
  source: string,
): FirehoseClient {
  const target = (name: string | undefined): LocalRecordTarget => {
    if (name === names.telemetry) return "telemetry";
    if (name === names.quarantine) return "quarantine";
    throw notFound("Delivery stream", name, [names.telemetry, names.quarantine]);
  };
  return serveLocally(new FirehoseClient(LOCAL_CLIENT_CONFIG), "Firehose", {
    PutRecordBatchCommand: async (input: PutRecordBatchCommandInput) => {
      const results = await sink.putRecords(
        target(input.DeliveryStreamName),
        source,
        (input.Records ?? []).map((r) => Buffer.from(r.Data!)),
      );
      const responses = results.map((r) =>
        typeof r === "number"
          ? { RecordId: String(r) }
          : { ErrorCode: "ServiceUnavailableException", ErrorMessage: r.message },
      );
      return {
        FailedPutCount: responses.filter((r) => "ErrorCode" in r).length,
        Encrypted: true,
        RequestResponses: responses,
      };
    },
    PutRecordCommand: async (input: FirehosePutInput) => {
      const [result] = await sink.putRecords(target(input.DeliveryStreamName), source, [
        Buffer.from(input.Record!.Data!),
      ]);
      if (!(typeof result === "number")) throw result!;
      return { RecordId: String(result), Encrypted: true };
    },
  });
}
