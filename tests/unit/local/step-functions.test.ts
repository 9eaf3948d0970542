// The local Step Functions runner's drain (shutdown): an execution that starts another while it finishes, as
// the ETL starts model training, must not have that one aborted; what outlives the time limit is aborted.
import { expect } from "chai";
import { LocalStepFunctions } from "../../../local/etl/step-functions";
import type { StateMachineDefinition } from "../../../components/shared/asl/types";

const oneTask = (name: string): StateMachineDefinition => ({
  StartAt: name,
  States: {
    [name]: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", TimeoutSeconds: 60, End: true },
  },
});

describe("local step functions: drain", function () {
  it("waits for executions started while draining, and aborts only what outlives the limit", async () => {
    const sfn = new LocalStepFunctions(1, () => Date.now(), "arn:aws:states:eu-west-1:000000000000:");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const training = sfn.register("training", oneTask("Train"), {
      Train: async () => (await gate, { trained: true }),
    });
    const etl = sfn.register("etl", oneTask("Curate"), {
      Curate: async () => {
        await new Promise((resolve) => setImmediate(resolve)); // the drain has begun by now
        sfn.start(training, {}); // like the ETL's last step, it returns before training ends
        return { curated: true };
      },
    });
    // Training ends only after the ETL has: a drain that waited for the ETL alone would abort it.
    void sfn.start(etl, {}).done.then(() => setTimeout(release, 20));
    await sfn.drain(30_000);
    expect(sfn.list(etl).map((e) => e.status)).to.deep.equal(["SUCCEEDED"]);
    expect(sfn.list(training).map((e) => e.status)).to.deep.equal(["SUCCEEDED"]);

    const stuck = sfn.register("stuck", oneTask("Hang"), { Hang: () => new Promise(() => undefined) });
    sfn.start(stuck, {});
    await sfn.drain(10);
    expect(sfn.list(stuck).map((e) => e.status)).to.deep.equal(["ABORTED"]);
  });
});
