// The promoted-model record that decides when the real-time endpoint can exist: its parameter name and value,
// the lookup `pulumi up` makes before declaring the endpoint (under mocks, against a mock Parameter Store),
// and the local backend's deployment doing the same with its own Parameter Store and SageMaker.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { ListModelsCommand } from "@aws-sdk/client-sagemaker";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import {
  NO_PROMOTED_MODEL,
  parsePromotedModel,
  planEndpoint,
  promotedModelParameterName,
  promotedModelPath,
  rcfEndpointName,
} from "../../../components/ml/ml-layout";
import { findPromotedModel } from "../../../components/ml/promoted-model";
import { runUnderMocks, stackConfig } from "../../helpers/mocks";
import { LocalObjectStore } from "../../../local/lake/object-store";
import { LocalSageMaker } from "../../../local/analytics/local-sagemaker";
import { LocalParameterStore } from "../../../local/aws/ssm";
import { deployLocalEndpoint } from "../../../local/analytics/endpoint-deployment";

const PARAMETER = "/sensor-analytics/sensors-prod/anomaly-model/promoted";
const PROMOTED = {
  runId: "20260101t030000-synth",
  modelName: "sensors-prod-rcf-20260101t030000-synth",
  promotedAt: "2026-01-01T03:00:00.000Z",
};

describe("promoted model record", () => {
  it("lives at a fixed parameter per deployment, named before any bucket exists", () => {
    expect(promotedModelPath("sensors-prod")).to.equal("/sensor-analytics/sensors-prod/anomaly-model");
    expect(promotedModelParameterName("sensors-prod")).to.equal(PARAMETER);
    expect(() => promotedModelPath("sensors prod")).to.throw(
      'deployment "sensors prod" must be letters, digits, ".", "_" and "-" to name its SSM parameters',
    );
    expect(rcfEndpointName("sensors-prod")).to.equal("sensors-prod-rcf");
  });

  it("reads none as no model, a promotion record as the model, and anything else as an error naming the parameter", () => {
    expect(parsePromotedModel(PARAMETER, NO_PROMOTED_MODEL)).to.equal(undefined);
    expect(parsePromotedModel(PARAMETER, JSON.stringify({ ...PROMOTED, extra: 1 }))).to.deep.equal(PROMOTED);
    for (const bad of ["", "yes", "{}", JSON.stringify({ ...PROMOTED, runId: "../x" }), "[1]", "null"]) {
      expect(() => parsePromotedModel(PARAMETER, bad), bad).to.throw(
        `SSM parameter ${PARAMETER} holds ${JSON.stringify(bad)}, neither "none" nor a promoted model`,
      );
    }
    expect(() => parsePromotedModel(PARAMETER, "yes")).to.throw(
      'Run the training again, or set it to "none" if no model has been promoted',
    );
  });

  it("plans the endpoint from the mode and whether a model is promoted", () => {
    expect(planEndpoint("sensors-prod", "batch", true)).to.deep.equal({ status: "batch-mode" });
    expect(planEndpoint("sensors-prod", "batch", false)).to.deep.equal({ status: "batch-mode" });
    expect(planEndpoint("sensors-prod", "endpoint", false)).to.deep.equal({
      status: "awaiting-first-model",
      awaitingEndpointName: "sensors-prod-rcf",
    });
    expect(planEndpoint("sensors-prod", "endpoint", true)).to.deep.equal({
      status: "serving",
      endpointName: "sensors-prod-rcf",
    });
  });

  describe("findPromotedModel (what pulumi up reads)", () => {
    const lookup = async (parameters: Record<string, string>) =>
      (
        await runUnderMocks(stackConfig("prod"), () => findPromotedModel("sensors-prod"), {
          ssmParameters: parameters,
        })
      ).value;

    it("finds nothing in a new account, and none before the first promotion", async () => {
      expect(await lookup({})).to.equal(undefined);
      expect(await lookup({ [PARAMETER]: NO_PROMOTED_MODEL })).to.equal(undefined);
    });

    it("finds the promoted model, ignoring other deployments and deeper parameters", async () => {
      expect(
        await lookup({
          [PARAMETER]: JSON.stringify(PROMOTED),
          "/sensor-analytics/sensors-dev/anomaly-model/promoted": "none",
          "/sensor-analytics/sensors-prod/anomaly-model/archive/promoted": "none",
        }),
      ).to.deep.equal(PROMOTED);
      expect(
        await lookup({ "/sensor-analytics/sensors-prod-2/anomaly-model/promoted": JSON.stringify(PROMOTED) }),
      ).to.equal(undefined);
    });

    it("fails the deployment on a value it cannot read, naming the parameter", async () => {
      let message = "";
      await lookup({ [PARAMETER]: "promoted!" }).catch((err: Error) => (message = err.message));
      expect(message).to.contain(`SSM parameter ${PARAMETER} holds "promoted!"`);
    });
  });

  describe("the local backend's deployment of the endpoint", () => {
    let dir: string;
    let store: LocalObjectStore;
    const deploy = (mode: "endpoint" | "batch") => {
      const parameters = new LocalParameterStore(path.join(dir, "ssm"));
      const sagemaker = new LocalSageMaker(store, path.join(dir, "sagemaker"), () => 0);
      const result = deployLocalEndpoint({
        deployment: "sensors-prod",
        mode,
        artifactsBucket: store.bucketNames.artifacts,
        parameters,
        sagemaker,
      });
      return { result, parameters, sagemaker };
    };

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-endpoint-"));
      store = new LocalObjectStore(path.join(dir, "lake"), "sensors-prod", () => 0);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("creates the record holding none and awaits the first model, with no endpoint", () => {
      const { result, parameters, sagemaker } = deploy("endpoint");
      expect(result).to.deep.equal({
        status: "awaiting-first-model",
        awaitingEndpointName: "sensors-prod-rcf",
        promoted: undefined,
        created: false,
      });
      expect(parameters.get(PARAMETER)).to.equal(NO_PROMOTED_MODEL);
      expect(sagemaker.hasEndpoint("sensors-prod-rcf")).to.equal(false);
      // SageMaker updates only an endpoint that exists, as retraining would find before pulumi up created it.
      expect(() =>
        sagemaker.updateEndpoint({ EndpointName: "sensors-prod-rcf", EndpointConfigName: "any" }),
      ).to.throw('Could not find endpoint "sensors-prod-rcf"');
    });

    it("once a promotion is recorded, creates the endpoint on the promoted artifact, once", async () => {
      const first = deploy("endpoint");
      // What the training function's promote step does through its SSM client.
      await first.parameters.client().send(
        new PutParameterCommand({
          Name: PARAMETER,
          Value: JSON.stringify(PROMOTED),
          Type: "String",
          Overwrite: true,
        }),
      );

      const second = deploy("endpoint");
      expect(second.result).to.deep.equal({
        status: "serving",
        endpointName: "sensors-prod-rcf",
        promoted: PROMOTED,
        created: true,
      });
      const endpoint = second.sagemaker.describeEndpoint("sensors-prod-rcf");
      expect(endpoint.EndpointConfigName).to.equal("sensors-prod-anomaly-endpoint-initial-config");
      const models = await second.sagemaker.client().send(new ListModelsCommand({}));
      expect(models.Models!.map((m) => m.ModelName)).to.deep.equal([
        "sensors-prod-anomaly-endpoint-initial-model",
      ]);
      const registry = JSON.parse(fs.readFileSync(path.join(dir, "sagemaker", "registry.json"), "utf8")) as {
        models: Record<string, { modelDataUrl: string }>;
      };
      expect(registry.models["sensors-prod-anomaly-endpoint-initial-model"]!.modelDataUrl).to.equal(
        "s3://sensors-prod-artifacts/models/current/model.tar.gz",
      );

      // The next start leaves the endpoint to retraining, which may have moved it to another config.
      second.sagemaker.createModel({ ModelName: "m2", PrimaryContainer: { ModelDataUrl: "s3://x/m2" } });
      second.sagemaker.createEndpointConfig({
        EndpointConfigName: "c2",
        ProductionVariants: [{ ModelName: "m2" }],
      });
      second.sagemaker.updateEndpoint({ EndpointName: "sensors-prod-rcf", EndpointConfigName: "c2" });
      const third = deploy("endpoint");
      expect(third.result.created).to.equal(false);
      expect(third.result.status).to.equal("serving");
      expect(third.sagemaker.describeEndpoint("sensors-prod-rcf").EndpointConfigName).to.equal("c2");
      expect(() =>
        third.sagemaker.createEndpoint({ EndpointName: "sensors-prod-rcf", EndpointConfigName: "c2" }),
      ).to.throw('Cannot create already existing endpoint "sensors-prod-rcf"');
    });

    it("in batch mode keeps the record but never makes an endpoint", () => {
      const { result, parameters } = deploy("batch");
      expect(result).to.deep.equal({ status: "batch-mode", promoted: undefined, created: false });
      expect(parameters.get(PARAMETER)).to.equal(NO_PROMOTED_MODEL);
    });

    it("refuses to overwrite a parameter without Overwrite, as Parameter Store does", () => {
      const { parameters } = deploy("endpoint");
      expect(() => parameters.put({ Name: PARAMETER, Value: "x" })).to.throw(
        `parameter ${PARAMETER} exists; set Overwrite to replace its value`,
      );
    });
  });
});
