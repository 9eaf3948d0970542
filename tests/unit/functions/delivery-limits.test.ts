// What the ingest functions send per call and what they retry: the service limits the mocks do not enforce.
import { expect } from "chai";
import {
  callBatches,
  FIREHOSE_BATCH_BYTES,
  isRetryableCallError,
  KINESIS_BATCH_BYTES,
} from "../../../functions/ingest-common/delivery";
import { isTransientError } from "../../../functions/ml-common/retry";

const record = (bytes: number, partitionKey = "gw-1") => ({ data: new Uint8Array(bytes), partitionKey });

describe("delivery: calls within the APIs' limits", function () {
  it("splits at 500 records per call", function () {
    const batches = callBatches(
      Array.from({ length: 1201 }, () => record(10)),
      FIREHOSE_BATCH_BYTES,
    );
    expect(batches.map((b) => b.length)).to.deep.equal([500, 500, 201]);
  });

  it("splits by bytes: 4 MB per PutRecordBatch, 5 MB per PutRecords (partition keys count)", function () {
    // 128 KiB readings (IoT Core's limit): 30 fit 4 MB, 38 fit 5 MB.
    const readings = Array.from({ length: 100 }, () => record(128 * 1024));
    const firehose = callBatches(readings, FIREHOSE_BATCH_BYTES);
    const kinesis = callBatches(readings, KINESIS_BATCH_BYTES);
    for (const [batches, limit] of [
      [firehose, FIREHOSE_BATCH_BYTES],
      [kinesis, KINESIS_BATCH_BYTES],
    ] as const) {
      expect(batches.flat()).to.have.length(100);
      for (const batch of batches)
        expect(batch.reduce((sum, r) => sum + r.data.length + r.partitionKey.length, 0)).to.be.at.most(limit);
    }
    expect(firehose[0]).to.have.length(30);
    expect(kinesis[0]).to.have.length(38);
  });

  it("never leaves a record out, however large", function () {
    expect(callBatches([record(FIREHOSE_BATCH_BYTES + 1)], FIREHOSE_BATCH_BYTES)).to.have.length(1);
  });
});

describe("retries: transient errors", function () {
  it("retries throttling, 5xx, timeouts and dropped connections, not validation errors", function () {
    const transient = [
      { name: "ThrottlingException" },
      { name: "TimeoutError" },
      { name: "Error", code: "ECONNRESET" },
      { name: "Error", code: "ETIMEDOUT" },
      { name: "InternalDependencyException", $metadata: { httpStatusCode: 530 } },
      { name: "ThrottledException", $metadata: { httpStatusCode: 429 } },
    ];
    for (const err of transient) expect(isTransientError(err), JSON.stringify(err)).to.equal(true);
    for (const err of [
      { name: "ValidationError", $metadata: { httpStatusCode: 400 } },
      { name: "ModelError", $metadata: { httpStatusCode: 424 } },
      { name: "Error", code: "ENOENT" },
    ])
      expect(isTransientError(err), JSON.stringify(err)).to.equal(false);
  });
});

describe("retries: a delivery call refused as a whole", function () {
  it("is retried for transient causes and the streams' throttles, not for access, missing streams or bad requests", function () {
    for (const err of [
      { name: "ServiceUnavailableException", $metadata: { httpStatusCode: 503 } },
      { name: "ProvisionedThroughputExceededException", $metadata: { httpStatusCode: 400 } },
      { name: "LimitExceededException", $metadata: { httpStatusCode: 400 } },
      { name: "KMSThrottlingException", $metadata: { httpStatusCode: 400 } },
      { name: "Error", code: "ECONNRESET" },
    ])
      expect(isRetryableCallError(err), JSON.stringify(err)).to.equal(true);
    for (const err of [
      { name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } },
      { name: "ResourceNotFoundException", $metadata: { httpStatusCode: 400 } },
      { name: "InvalidArgumentException", $metadata: { httpStatusCode: 400 } },
      { name: "KMSAccessDeniedException", $metadata: { httpStatusCode: 400 } },
    ])
      expect(isRetryableCallError(err), JSON.stringify(err)).to.equal(false);
  });
});
