// The ad-hoc scoring URL handler against aws-sdk-client-mock.
import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { parseRequest, scoreRequest, AdHocDeps } from "../../../functions/adhoc-scoring/scoring-url";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { MODEL_KEYS } from "../../../components/ml/ml-layout";
import { S3Store } from "./scoring-s3-store";

const post = (body: unknown) => ({
  requestContext: { http: { method: "POST" } },
  body: JSON.stringify(body),
});

describe("ad-hoc scoring URL", () => {
  const setup = () => {
    const s3 = new S3Store();
    const runtimeClient = new SageMakerRuntimeClient({ region: "us-east-1" });
    const runtime = mockClient(runtimeClient);
    runtime.on(InvokeEndpointCommand).callsFake((input: { Body: Uint8Array }) => {
      const rows = Buffer.from(input.Body).toString("utf8").split("\n");
      return {
        Body: Buffer.from(
          JSON.stringify({
            scores: rows.map((r) => ({ score: Math.max(...r.split(",").map(Number)) / 5 })),
          }),
        ),
      };
    });
    const deps: AdHocDeps = {
      s3: s3.client,
      runtime: runtimeClient,
      artifactsBucket: "artifacts",
      endpointName: "sensors-prod-rcf",
      model: buildModelSettings({ numTrees: 50, samplesPerTree: 8, shingleSize: 2, z: 3 }),
      sleep: async () => {},
    };
    return { s3, runtime, deps };
  };

  it("scores consecutive readings' feature vectors against the threshold of the model in service", async () => {
    const { s3, runtime, deps } = setup();
    s3.put("artifacts", MODEL_KEYS.current, JSON.stringify({ runId: "20240601t030000-abc", threshold: 3 }));
    const response = await scoreRequest(
      post({
        readings: [1, 2, 3, 4].map((i) => ({
          device_id: "lab-01",
          ts: i * 1000,
          seq: i,
          temperature_c: i === 4 ? 40 : 20,
        })),
      }),
      deps,
    );
    expect(response.statusCode).to.equal(200);
    expect(JSON.parse(response.body)).to.deep.equal({
      modelVersion: "20240601t030000-abc",
      threshold: 3,
      // A vector (deviation and step, shingle 2) needs two readings with a baseline: readings 3 and 4.
      scores: [
        { device_id: "lab-01", ts: 3000, seq: 3, score: 0, anomalous: false },
        { device_id: "lab-01", ts: 4000, seq: 4, score: 4, anomalous: true },
      ],
    });
    expect(runtime.commandCalls(InvokeEndpointCommand)[0]!.args[0].input.EndpointName).to.equal(
      "sensors-prod-rcf",
    );
  });

  it("answers 400 with the reason for bad requests, 503 before the first model", async () => {
    const { deps } = setup();
    expect(parseRequest({ requestContext: { http: { method: "GET" } } })).to.equal(
      'use POST with a JSON body {"readings": [...]}',
    );
    expect(parseRequest({ requestContext: { http: { method: "POST" } }, body: "{" })).to.equal(
      "the body is not JSON",
    );
    expect(parseRequest(post({ readings: [{ device_id: "x", ts: 1, temperature_c: "hot" }] }))).to.equal(
      "readings[0]: seq, temperature_c missing or not valid",
    );
    expect(parseRequest(post({ readings: Array.from({ length: 1001 }, () => ({})) }))).to.equal(
      "at most 1000 readings per request (got 1001)",
    );
    expect(
      (await scoreRequest(post({ readings: [{ device_id: "x", ts: 1, seq: 1, temperature_c: 1 }] }), deps))
        .statusCode,
    ).to.equal(503);
  });
});
