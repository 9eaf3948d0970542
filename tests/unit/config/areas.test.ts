import { expect } from "chai";
import {
  ConfigReader,
  PROJECT,
  readAnomalyConfig,
  readFleetConfig,
  readIngestConfig,
  readLakeConfig,
  readOperationsConfig,
  readSourcesConfig,
} from "../../../components/config";
import { PLATFORM_CONFIG_DECLARATIONS } from "../../../components/config-declarations";

// Each area's rules, one readXConfig at a time, on a reader over a few keys (the rest take Pulumi.yaml's
// defaults). config.test.ts covers the whole file and the all-problems-at-once report.
function reader(values: Record<string, unknown>): ConfigReader {
  return new ConfigReader(
    {
      stack: "dev",
      stackFile: "Pulumi.dev.yaml",
      values: Object.fromEntries(
        Object.entries(values).map(([k, v]) => [
          `${PROJECT}:${k}`,
          typeof v === "string" ? v : JSON.stringify(v),
        ]),
      ),
      secretKeys: new Set(),
    },
    PLATFORM_CONFIG_DECLARATIONS,
    PROJECT,
    [],
  );
}
const keys = (r: ConfigReader) => r.problems.map((p) => p.key);

describe("config by area", () => {
  it("fleet: more than 2000 devices need fleet provisioning", () => {
    const r = reader({ rooms: ["a", "b"], sensorsPerRoom: 1001 });
    expect(readFleetConfig(r)).to.deep.equal({
      rooms: ["a", "b"],
      sensorsPerRoom: 1001,
      fleetProvisioning: false,
    });
    expect(keys(r)).to.deep.equal([`${PROJECT}:sensorsPerRoom`]);
    const ok = reader({ rooms: ["a", "b"], sensorsPerRoom: 1001, fleetProvisioning: true });
    readFleetConfig(ok);
    expect(ok.problems).to.deep.equal([]);
  });

  it("ingest: Firehose needs a buffer of at least 64 MiB for Parquet", () => {
    const r = reader({ firehoseBufferMiB: 32, firehoseBufferSeconds: 120 });
    expect(readIngestConfig(r).firehose.bufferSeconds).to.equal(120);
    expect(keys(r)).to.deep.equal([`${PROJECT}:firehoseBufferMiB`]);
  });

  it("lake: transitions 30 days apart and before retention; the catalog database defaults to <app>_<stack>", () => {
    const r = reader({ infrequentAccessAfterDays: 40, glacierAfterDays: 50, rawRetentionDays: 365 });
    const lake = readLakeConfig(r, "sensors", "dev");
    expect(lake.catalogDatabase).to.equal("sensors_dev");
    expect(keys(r)).to.deep.equal([`${PROJECT}:glacierAfterDays`]);
  });

  it("sources: the Glue and database VPCs must not overlap", () => {
    const r = reader({ glueVpcCidr: "10.20.0.0/24", databaseVpcCidr: "10.20.0.0/16" });
    readSourcesConfig(r);
    expect(keys(r)).to.deep.equal([`${PROJECT}:databaseVpcCidr`]);
    expect(r.problems[0]!.message).to.match(/must not overlap glueVpcCidr/);
  });

  it("anomaly: room models need batch mode", () => {
    const r = reader({ anomalyModelScope: "room", anomalyMode: "endpoint" });
    readAnomalyConfig(r);
    expect(keys(r)).to.deep.equal([`${PROJECT}:anomalyModelScope`]);
    const batch = reader({ anomalyModelScope: "room", anomalyMode: "batch" });
    expect(readAnomalyConfig(batch).modelScope).to.equal("room");
    expect(batch.problems).to.deep.equal([]);
  });

  it("operations: alarm thresholds default when unset, the audit trail reads its retention", () => {
    const r = reader({ auditTrail: true, auditRetentionDays: 90 });
    const operations = readOperationsConfig(r);
    expect(operations.audit).to.deep.equal({ enabled: true, retentionDays: 90 });
    expect(operations.alarms).to.be.an("object");
    expect(r.problems).to.deep.equal([]);
  });
});
