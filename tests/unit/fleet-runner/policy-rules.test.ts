import { expect } from "chai";
import { ecrScanAndImmutableTags, ecsContainerInsights } from "../../../policies/rules/containers";
import { fakeResource, violationsOf } from "../../helpers/policy";

describe("policy pack: container rules", function () {
  it("ecr-scan-immutable: repositories scan on push and keep tags immutable", async function () {
    const good = fakeResource("aws:ecr/repository:Repository", "images", {
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
    });
    expect(await violationsOf(ecrScanAndImmutableTags, [good])).to.deep.equal([]);
    const bad = fakeResource("aws:ecr/repository:Repository", "images", {});
    expect(await violationsOf(ecrScanAndImmutableTags, [bad])).to.deep.equal([
      "images does not scan images on push; set imageScanningConfiguration.scanOnPush to true",
      "images's tags are mutable (MUTABLE); set imageTagMutability to IMMUTABLE",
    ]);
  });

  it("ecs-container-insights: clusters record per-task metrics", async function () {
    const on = fakeResource("aws:ecs/cluster:Cluster", "fleet", {
      settings: [{ name: "containerInsights", value: "enabled" }],
    });
    const off = fakeResource("aws:ecs/cluster:Cluster", "fleet", {
      settings: [{ name: "containerInsights", value: "disabled" }],
    });
    expect(await violationsOf(ecsContainerInsights, [on])).to.deep.equal([]);
    expect(await violationsOf(ecsContainerInsights, [off])).to.deep.equal([
      "fleet has Container Insights off; add settings [{ name: containerInsights, value: enabled }]",
    ]);
  });
});
