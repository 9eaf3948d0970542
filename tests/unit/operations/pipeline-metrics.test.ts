// The pipeline metrics' one definition, written as CloudWatch embedded metric format by the functions' publisher
// and read back by the local backend's CloudWatch stand-in under the EMF specification's rules.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  emfRecord,
  parseEmfLine,
  PIPELINE_METRICS,
  pipelineMetricsOf,
} from "../../../components/operations/pipeline-metrics";
import { emfPublisher } from "../../../functions/ml-common/metrics";
import { LocalCloudWatch } from "../../../local/aws/cloudwatch";
import { formatPipelineMetrics } from "../../../local/summary";

const AT = Date.UTC(2026, 11, 7, 8, 0, 0);

describe("pipeline metrics", function () {
  it("one EMF line per publish: namespace, the Deployment dimension, each metric's name and unit, the values", function () {
    const lines: string[] = [];
    const publisher = emfPublisher(
      "sensors-prod",
      (line) => lines.push(line),
      () => AT,
    );
    publisher.publish({ readingsScored: 120, scoringLag: 42.5 });
    publisher.publish({});
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0]!)).to.deep.equal({
      _aws: {
        Timestamp: AT,
        CloudWatchMetrics: [
          {
            Namespace: "SensorAnalytics/Pipeline",
            Dimensions: [["Deployment"]],
            Metrics: [
              { Name: "ReadingsScored", Unit: "Count" },
              { Name: "ScoringLagSeconds", Unit: "Seconds" },
            ],
          },
        ],
      },
      Deployment: "sensors-prod",
      ReadingsScored: 120,
      ScoringLagSeconds: 42.5,
    });
    expect(parseEmfLine(lines[0]!)).to.deep.equal([
      {
        namespace: "SensorAnalytics/Pipeline",
        name: "ReadingsScored",
        unit: "Count",
        dimensions: { Deployment: "sensors-prod" },
        value: 120,
        timestampMs: AT,
      },
      {
        namespace: "SensorAnalytics/Pipeline",
        name: "ScoringLagSeconds",
        unit: "Seconds",
        dimensions: { Deployment: "sensors-prod" },
        value: 42.5,
        timestampMs: AT,
      },
    ]);
  });

  it("leaves out values that are not finite numbers (CloudWatch would drop the whole record)", function () {
    const record = emfRecord("d", { anomaliesDetected: NaN, modelAge: Infinity, readingsScored: 3 }, AT);
    expect(record._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name)).to.deep.equal(["ReadingsScored"]);
    expect(record).to.not.have.property("AnomaliesDetected");
  });

  it("every metric has a unique name, a CloudWatch unit and a publishing function", function () {
    const names = Object.values(PIPELINE_METRICS).map((m) => m.name);
    expect(new Set(names).size).to.equal(names.length);
    expect(pipelineMetricsOf("scoring")).to.include.members([
      "readingsScored",
      "anomaliesDetected",
      "scoringLag",
      "modelAge",
    ]);
    expect(pipelineMetricsOf("training")).to.include.members(["trainingVectors", "modelsPromoted"]);
    expect([...pipelineMetricsOf("scoring"), ...pipelineMetricsOf("training")].sort()).to.deep.equal(
      Object.keys(PIPELINE_METRICS).sort(),
    );
  });

  it("reads ordinary log lines as no metrics and reports EMF lines that break the specification", function () {
    expect(parseEmfLine("scoring window 2026-12-07 done")).to.equal(undefined);
    expect(parseEmfLine('{"level":"info","msg":"x"}')).to.equal(undefined);
    const bad = (doc: unknown) => parseEmfLine(JSON.stringify(doc));
    const directive = {
      Namespace: "N",
      Dimensions: [["Deployment"]],
      Metrics: [{ Name: "M", Unit: "Count" }],
    };
    expect(
      bad({ _aws: { Timestamp: "now", CloudWatchMetrics: [directive] }, Deployment: "d", M: 1 }),
    ).to.equal("_aws.Timestamp must be a non-negative integer (epoch milliseconds)");
    expect(bad({ _aws: { Timestamp: AT, CloudWatchMetrics: [directive] }, M: 1 })).to.equal(
      "dimension Deployment must name a string member of the record",
    );
    expect(
      bad({ _aws: { Timestamp: AT, CloudWatchMetrics: [directive] }, Deployment: "d", M: "1" }),
    ).to.equal("metric M must have a number (or an array of numbers) under its name");
    expect(
      bad({
        _aws: {
          Timestamp: AT,
          CloudWatchMetrics: [{ ...directive, Metrics: [{ Name: "M", Unit: "Hours" }] }],
        },
        Deployment: "d",
        M: 1,
      }),
    ).to.equal("metric M: unknown Unit Hours");
  });

  it("the local CloudWatch keeps each log line and aggregates each metric by its definition's statistic", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-cw-"));
    try {
      const cloudwatch = new LocalCloudWatch(dir);
      const sink = cloudwatch.logSink("sensors-dev-anomaly-scoring");
      const publisher = emfPublisher("sensors-dev", sink, () => AT);
      publisher.publish({ readingsScored: 10, scoringLag: 300 });
      publisher.publish({ readingsScored: 5, scoringLag: 120 });
      emfPublisher("sensors-prod", sink, () => AT).publish({ readingsScored: 99 });
      sink("plain text line");
      sink('{"_aws":{"Timestamp":-1,"CloudWatchMetrics":[]}}');
      const report = cloudwatch.pipelineMetrics("sensors-dev");
      expect(report.dimensions).to.deep.equal({ Deployment: "sensors-dev" });
      expect(report.metrics.ReadingsScored).to.deep.include({
        unit: "Count",
        statistic: "Sum",
        value: 15,
        datapoints: 2,
      });
      expect(report.metrics.ScoringLagSeconds).to.deep.include({
        statistic: "Maximum",
        value: 300,
        last: 120,
      });
      expect(report.metrics.ModelsPromoted).to.deep.include({ value: null, datapoints: 0 });
      expect(Object.keys(report.metrics).sort()).to.deep.equal(
        Object.values(PIPELINE_METRICS)
          .map((m) => m.name)
          .sort(),
      );
      expect(report.rejectedLines).to.equal(1);
      expect(formatPipelineMetrics(report)).to.equal(
        "ReadingsScored 15, ScoringLagSeconds 300 s (max); 1 EMF lines rejected",
      );
      const file = fs
        .readFileSync(path.join(dir, "sensors-dev-anomaly-scoring.log"), "utf8")
        .trim()
        .split("\n");
      expect(file).to.have.length(5);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
