import { expect } from "chai";
import {
  adHocScoringEnvironment,
  ingestDelaySeconds,
  ML_ENV,
  scoringFunctionEnvironment,
  trainingFunctionEnvironment,
} from "../../../components/ml/ml-env";
import { buildModelSettings } from "../../../components/ml/model-settings";
import { scoringSettingsFromEnv } from "../../../functions/anomaly-scoring/handler";
import { trainingSettingsFromEnv } from "../../../functions/model-training/handler";

// The environment the components set on the ML Lambdas and the local backend hands the same handlers comes from
// one builder per function; these tests read it back through the handlers' own settings readers.
describe("ML functions' environment contract", () => {
  const model = buildModelSettings({ numTrees: 50, shingleSize: 4, z: 3 });
  const scoring = {
    deployment: "sa-dev",
    curatedBucket: "curated",
    artifactsBucket: "artifacts",
    alertTopicArn: "arn:aws:sns:us-east-1:111122223333:alerts",
    model,
    ingestDelaySeconds: ingestDelaySeconds(60),
  };

  it("scoring: what the builder writes, the handler reads", () => {
    const env = scoringFunctionEnvironment({ ...scoring, endpointName: "sa-dev-rcf" });
    expect(scoringSettingsFromEnv(env)).to.deep.include({
      deployment: "sa-dev",
      curatedBucket: "curated",
      artifactsBucket: "artifacts",
      alertTopicArn: scoring.alertTopicArn,
      endpointName: "sa-dev-rcf",
      model,
      ingestDelayMs: 360_000,
    });
    expect(scoringFunctionEnvironment(scoring)).to.not.have.property(ML_ENV.endpointName);
  });

  it("training and ad-hoc scoring: what the builders write, the handlers read", () => {
    const env = trainingFunctionEnvironment({
      deployment: "sa-dev",
      curatedBucket: "curated",
      artifactsBucket: "artifacts",
      model,
      promotedModelParameter: "/sa-dev/anomaly/promoted-model",
    });
    expect(trainingSettingsFromEnv(env)).to.deep.include({
      curatedBucket: "curated",
      model,
      promotedModelParameter: "/sa-dev/anomaly/promoted-model",
    });
    const adHoc = adHocScoringEnvironment({ artifactsBucket: "artifacts", endpointName: "ep", model });
    expect(Object.keys(adHoc).sort()).to.deep.equal(
      [ML_ENV.artifactsBucket, ML_ENV.endpointName, ML_ENV.modelSettings].sort(),
    );
  });

  it("the ingest delay is one Firehose buffer plus five minutes, and refuses a buffer that is not whole seconds", () => {
    expect(ingestDelaySeconds(0)).to.equal(300);
    expect(ingestDelaySeconds(900)).to.equal(1200);
    expect(() => ingestDelaySeconds(-1)).to.throw("firehose buffer must be a whole number of seconds");
  });
});
