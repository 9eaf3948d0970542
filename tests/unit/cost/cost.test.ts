// The cost estimate: its arithmetic on small cases computed by hand, the shipped price table, and the estimate of
// the shipped stacks from their synth (how it moves with the fleet, the CLI's JSON).
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parsePlatformConfig } from "../../../components/config";
import { PROJECT_DIR } from "../../../policies/synth/project-dir";
import { readStackFile } from "../../../components/stack-files";
import { parseSchedule, type ScheduleExpression } from "../../../components/schedule";
import { assumptionsWith } from "../../../components/cost/assumptions";
import { estimateStack, main, parseCostArgs, PRICE_TABLE_FILE } from "../../../policies/cost/cli";
import { estimateMonthlyCost, storageByClass, type CostEstimate } from "../../../components/cost/estimate";
import { formatEstimate } from "../../../components/cost/format";
import {
  charge,
  loadPriceTable,
  priceTableProblems,
  RegionPrices,
  type PriceTable,
} from "../../../components/cost/prices";
import { runsPerMonth } from "../../../components/cost/schedule-runs";
import { synthInventory, type SynthResourceRow } from "../../../components/cost/synth-inventory";
import { synthOnce } from "../../helpers/synth-runs";

const schedule = (text: string) => parseSchedule(text) as ScheduleExpression;
const line = (estimate: CostEstimate, service: string, item: string) => {
  const found = estimate.services.find((s) => s.service === service)?.lines.find((l) => l.item === item);
  if (!found) throw new Error(`no line ${service} / ${item}`);
  return found;
};

describe("cost estimate: arithmetic", function () {
  it("charges volume tiers in order", function () {
    const tiered = {
      usd: 1,
      per: "million messages",
      source: "https://example.com",
      read: "2026-12-07",
      tiers: [{ upTo: 1000, usd: 1 }, { upTo: 5000, usd: 0.8 }, { usd: 0.7 }],
    };
    expect(charge(tiered, 500)).to.equal(500);
    // 1000 × 1 + 4000 × 0.8 + 1000 × 0.7
    expect(charge(tiered, 6000)).to.be.closeTo(4900, 1e-9);
    expect(charge({ ...tiered, tiers: undefined, usd: 0.023 }, 100)).to.be.closeTo(2.3, 1e-12);
  });

  it("counts schedule runs in a 730-hour month", function () {
    expect(runsPerMonth(schedule("rate(1 hour)"))).to.equal(730);
    expect(runsPerMonth(schedule("rate(15 minutes)"))).to.equal(2920);
    expect(runsPerMonth(schedule("cron(0 2 * * ? *)"))).to.be.closeTo(730 / 24, 1e-9);
    expect(runsPerMonth(schedule("cron(0 */6 * * ? *)"))).to.be.closeTo((4 * 730) / 24, 1e-9);
    expect(runsPerMonth(schedule("cron(0,30 9-17 ? * MON-FRI *)"))).to.be.closeTo(
      2 * 9 * (5 / 7) * (730 / 24),
      1e-9,
    );
    expect(runsPerMonth(schedule("cron(0 3 1 * ? *)"))).to.equal(1);
  });

  it("spreads stored data over the lifecycle's storage classes", function () {
    // 2 GiB a day kept a year: 30 days Standard, 150 days Standard-IA, 185 days Glacier IR (steady state).
    expect(storageByClass(2, 365, 30, 180)).to.deep.equal({ standard: 60, standardIa: 300, glacierIr: 370 });
    expect(storageByClass(2, 30)).to.deep.equal({ standard: 60, standardIa: 0, glacierIr: 0 });
  });

  it("prices a small fleet line by line as computed by hand", function () {
    const shipped = loadPriceTable(PRICE_TABLE_FILE);
    const region = { ...shipped.regions["us-east-1"]! };
    const set = (id: string, usd: number) => (region[id] = { ...region[id]!, usd, tiers: undefined });
    set("iot.messaging", 1);
    set("iot.connectivity", 0.08);
    set("firehose.ingestion", 0.03);
    set("vpc.interfaceEndpointHour", 0.01);
    set("glue.etlDpuHour", 0.44);
    set("cloudwatch.alarmMetric", 0.1);
    const table: PriceTable = { ...shipped, regions: { "us-east-1": region } };
    const rows: SynthResourceRow[] = [
      { type: "aws:iot/topicRule:TopicRule", name: "t", inputs: {} },
      { type: "aws:iot/topicRule:TopicRule", name: "q", inputs: {} },
      {
        type: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        name: "telemetry",
        inputs: {
          extendedS3Configuration: {
            bufferingInterval: 60,
            bufferingSize: 64,
            dataFormatConversionConfiguration: { enabled: true },
            dynamicPartitioningConfiguration: { enabled: true },
          },
        },
      },
      { type: "aws:glue/job:Job", name: "curate", inputs: { workerType: "G.1X", numberOfWorkers: 2 } },
      ...[1, 2].map((i) => ({
        type: "aws:ec2/vpcEndpoint:VpcEndpoint",
        name: `e${i}`,
        inputs: { vpcEndpointType: "Interface", subnetIds: ["a", "b"] },
      })),
      { type: "aws:cloudwatch/metricAlarm:MetricAlarm", name: "a1", inputs: { metricName: "Errors" } },
      {
        type: "aws:cloudwatch/metricAlarm:MetricAlarm",
        name: "a2",
        inputs: {
          metricQueries: [
            { id: "e", expression: "m1+m2" },
            { id: "m1", metric: {} },
            { id: "m2", metric: {} },
          ],
        },
      },
    ];
    const config = parsePlatformConfig(readStackFile("dev")); // ETL cron(0 */6 * * ? *), two rooms
    const estimate = estimateMonthlyCost({
      config,
      inventory: synthInventory(rows),
      prices: new RegionPrices(table, "us-east-1", PRICE_TABLE_FILE),
      devices: 10,
      assumptions: assumptionsWith({ quarantinePercent: 0 }),
    });
    // 10 sensors, one reading a minute: 10 × 2,628,000 / 60 = 438,000 messages.
    expect(estimate.messagesPerMonth).to.equal(438_000);
    expect(line(estimate, "AWS IoT Core", "Messaging").monthlyUsd).to.be.closeTo(0.438, 1e-9);
    // Always connected: 10 × 43,800 minutes = 0.438 million minutes × $0.08.
    expect(line(estimate, "AWS IoT Core", "Connectivity").monthlyUsd).to.be.closeTo(0.03504, 1e-9);
    // Two rules each triggered by every message: 0.876 million.
    expect(line(estimate, "AWS IoT Core", "Rules triggered").quantity).to.be.closeTo(0.876, 1e-9);
    // Every 240 B record billed as 5 KiB: 438,000 × 5,120 B = 2.0885 GiB × $0.03.
    expect(line(estimate, "Amazon Data Firehose", "Ingestion").monthlyUsd).to.be.closeTo(
      ((438_000 * 5120) / 1024 ** 3) * 0.03,
      1e-9,
    );
    // One object per room per 60 s flush: 2 × 43,800 = 87,600 objects.
    expect(line(estimate, "Amazon Data Firehose", "Objects delivered (partitioned)").quantity).to.be.closeTo(
      87.6,
      1e-9,
    );
    // 2 endpoints × 2 zones × 730 h × $0.01.
    expect(line(estimate, "Amazon VPC", "Interface endpoints").monthlyUsd).to.be.closeTo(29.2, 1e-9);
    // Curate every ETL run (4 a day) + the JDBC import once a day, 2 G.1X workers, 10 minutes each:
    // (121.67 + 30.42) × 2 DPU × 10/60 h × $0.44.
    expect(line(estimate, "AWS Glue", "ETL jobs").monthlyUsd).to.be.closeTo(
      ((730 / 6 + 730 / 24) * 2 * 10 * 0.44) / 60,
      1e-9,
    );
    // One single-metric alarm and one metric math alarm over two metrics: 3 alarm metrics × $0.10.
    expect(line(estimate, "Amazon CloudWatch", "Alarms").monthlyUsd).to.be.closeTo(0.3, 1e-12);
    const sum = estimate.services.reduce(
      (total, s) => total + s.lines.reduce((t, l) => t + l.monthlyUsd, 0),
      0,
    );
    expect(estimate.totalMonthlyUsd).to.be.closeTo(sum, 1e-9);
  });
});

describe("cost estimate: the price table", function () {
  it("ships a usable table: every price with its source page and read date, the same items in every region", function () {
    const table = loadPriceTable(PRICE_TABLE_FILE);
    expect(priceTableProblems(table)).to.deep.equal([]);
    const [first, ...others] = Object.values(table.regions).map((r) => Object.keys(r).sort());
    for (const keys of others) expect(keys).to.deep.equal(first);
    for (const stack of ["dev", "prod", "loadtest"])
      expect(Object.keys(table.regions)).to.include(parsePlatformConfig(readStackFile(stack)).region);
    expect(table.provenance).to.contain("NOT re-read");
    // A figure checked against its page says which page and what it states there.
    const confirmed = Object.values(table.regions).flatMap((r) =>
      Object.values(r).filter((p) => p.confirmedBy),
    );
    expect(confirmed).to.not.deep.equal([]);
    for (const price of confirmed) expect(price.confirmedBy).to.contain("https://aws.amazon.com/");
  });

  it("names the broken entry and the missing price or region", function () {
    const table = loadPriceTable(PRICE_TABLE_FILE);
    const broken = {
      ...table,
      regions: {
        "us-east-1": {
          "kms.key": {
            usd: -1,
            per: "key-month",
            source: "aws.amazon.com",
            read: "Dec 2026",
            confirmedBy: "",
          },
        },
      },
    };
    expect(priceTableProblems(broken)).to.deep.equal([
      "us-east-1 kms.key: usd must be a number >= 0",
      "us-east-1 kms.key: source must be the https URL of the pricing page",
      "us-east-1 kms.key: read must be the date the price was read (YYYY-MM-DD)",
      "us-east-1 kms.key: confirmedBy must name the page the price was checked against (or be left out)",
    ]);
    expect(() => new RegionPrices(table, "ap-south-2", PRICE_TABLE_FILE)).to.throw(
      /has no prices for ap-south-2 \(it has us-east-1, eu-west-1\); add a "ap-south-2" block/,
    );
    expect(() =>
      new RegionPrices(table, "us-east-1", PRICE_TABLE_FILE).get("sagemaker.hosting.ml.p5.48xlarge"),
    ).to.throw(/has no price "sagemaker.hosting.ml.p5.48xlarge" for us-east-1; add it/);
  });
});

describe("cost estimate of the shipped stacks", function () {
  this.timeout(180_000);
  let synthDir: Record<string, string>;
  before(async function () {
    // Started together: each synth is a Node.js process of its own.
    const [dev, prod, streaming] = await Promise.all([
      synthOnce("dev"),
      synthOnce("prod"),
      synthOnce("streaming"),
    ]);
    synthDir = {
      dev: path.dirname(dev.outDir),
      prod: path.dirname(prod.outDir),
      streaming: path.dirname(streaming.outDir),
    };
  });
  const options = (stack: string, devices?: number) => ({
    stack,
    synthDir: synthDir[stack]!,
    resynth: false,
    pricesFile: PRICE_TABLE_FILE,
    json: true,
    devices,
    assumptions: {},
  });

  it("is what the README's monthly table says, row by row (a drift in the stacks or the prices shows here)", function () {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
    const header = readme.split("\n").find((l) => /^\| stack \| sensors \|\s+total \|/.test(l));
    expect(header, "the README's cost table").to.not.equal(undefined);
    const columns = header!
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    // The README's column names for the estimate's services.
    const SERVICES: Record<string, string> = {
      "IoT Core": "AWS IoT Core",
      Firehose: "Amazon Data Firehose",
      S3: "Amazon S3",
      Glue: "AWS Glue",
      SageMaker: "Amazon SageMaker",
      "VPC endpoints": "Amazon VPC",
      CloudTrail: "AWS CloudTrail",
      Athena: "Amazon Athena",
    };
    const number = (cell: string) => Number(cell.replace(/[*,]/g, ""));
    const rows = readme
      .split("\n")
      .filter((l) => /^\| (dev|prod)\s+\|\s+[\d,]+ \|/.test(l))
      .map((l) =>
        l
          .split("|")
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    expect(rows).to.have.length(8);
    for (const cells of rows) {
      const [stack, sensors] = [cells[0]!, number(cells[1]!)];
      const estimate = estimateStack(options(stack, sensors));
      const row = `${stack} at ${sensors} sensors`;
      expect(number(cells[2]!), `${row}: total`).to.equal(Math.round(estimate.totalMonthlyUsd));
      columns.slice(3).forEach((column, i) => {
        const service = estimate.services.find((s) => s.service === SERVICES[column]);
        expect(number(cells[i + 3]!), `${row}: ${column}`).to.equal(Math.round(service?.monthlyUsd ?? 0));
      });
    }
  });

  it("doubling the devices raises the IoT and Firehose lines and leaves the fixed lines alone", function () {
    const base = estimateStack(options("dev", 1000));
    const doubled = estimateStack(options("dev", 2000));
    const service = (e: CostEstimate, name: string) => e.services.find((s) => s.service === name)!.monthlyUsd;
    for (const name of ["AWS IoT Core", "Amazon Data Firehose"])
      expect(service(doubled, name), name).to.be.greaterThan(service(base, name) * 1.5);
    expect(line(doubled, "AWS IoT Core", "Messaging").monthlyUsd).to.be.closeTo(
      2 * line(base, "AWS IoT Core", "Messaging").monthlyUsd,
      1e-9,
    );
    const fixed = base.services.flatMap((s) => s.lines).filter((l) => l.scales === "fixed");
    expect(fixed.map((l) => l.service)).to.include.members([
      "Amazon VPC",
      "AWS KMS",
      "Amazon SageMaker",
      "Amazon RDS",
    ]);
    for (const l of fixed)
      expect(line(doubled, l.service, l.item).monthlyUsd, `${l.service} ${l.item}`).to.equal(l.monthlyUsd);
    expect(doubled.totalMonthlyUsd).to.be.greaterThan(base.totalMonthlyUsd);
  });

  it("dev and prod: a total and a per-service breakdown as JSON, the stacks' differences priced", async function () {
    const printed: string[] = [];
    const log = console.log;
    console.log = (text: string) => void printed.push(text);
    try {
      expect(await main(["--stack", "dev", "--json", "--synth-dir", synthDir.dev!])).to.equal(0);
      expect(
        await main(["--stack", "prod", "--json", "--synth-dir", synthDir.prod!, "--interval", "5m"]),
      ).to.equal(0);
    } finally {
      console.log = log;
    }
    type Printed = Omit<CostEstimate, "assumptions"> & {
      prices: { provenance: string };
      assumptions: Record<string, { value: number; unit: string; description: string }>;
    };
    const [dev, prod] = printed.map((p) => JSON.parse(p) as Printed);
    expect(prod!.assumptions.intervalSeconds).to.deep.equal({
      value: 300,
      unit: "s",
      description: "each sensor publishes one reading this often (--interval)",
    });
    for (const e of [dev!, prod!]) {
      expect(e.totalMonthlyUsd).to.be.greaterThan(0);
      expect(e.services.reduce((t, s) => t + s.monthlyUsd, 0)).to.be.closeTo(e.totalMonthlyUsd, 1e-6);
      expect(e.prices.provenance).to.contain("pricing pages");
      for (const l of e.services.flatMap((s) => s.lines)) expect(l.assumptions.length, l.item).to.be.above(0);
    }
    expect(dev!.region).to.equal("eu-west-1");
    expect(dev!.devices).to.equal(4);
    expect(prod!.devices).to.equal(48);
    expect(prod!.intervalSeconds).to.equal(300);
    const items = (e: Printed) => e.services.flatMap((s) => s.lines.map((l) => `${s.service}: ${l.item}`));
    expect(items(prod!)).to.include.members([
      "Amazon SageMaker: Real-time endpoint (ml.c5.xlarge)",
      "AWS CloudTrail: S3 data events",
    ]);
    expect(items(dev!)).to.include.members([
      "Amazon SageMaker: Scoring batch transforms (ml.m5.large)",
      "Amazon RDS: db.t4g.micro (postgres)",
    ]);
    expect(items(dev!)).to.not.include("AWS CloudTrail: S3 data events");
    // Two ml.c5.xlarge instances all month at the table's us-east-1 price.
    const endpoint = line(
      prod as unknown as CostEstimate,
      "Amazon SageMaker",
      "Real-time endpoint (ml.c5.xlarge)",
    );
    expect(endpoint.quantity).to.equal(2 * 730);
    expect(endpoint.monthlyUsd).to.be.closeTo(2 * 730 * endpoint.price.usd, 1e-9);
  });

  it("streaming: prices the Kinesis stream, the DynamoDB tables, the HTTP API and the sources' invocations; dev has none", function () {
    const streaming = estimateStack({ ...options("streaming"), assumptions: { apiRequestsPerMonth: 2e6 } });
    const dev = estimateStack(options("dev"));
    const services = (e: CostEstimate) => e.services.map((s) => s.service);
    for (const service of ["Amazon Kinesis Data Streams", "Amazon DynamoDB", "Amazon API Gateway"]) {
      expect(services(streaming), service).to.include(service);
      expect(services(dev), service).to.not.include(service);
    }
    // Pulumi.streaming.yaml: one on-demand stream all month, kept 48 hours (24 beyond the included day).
    const stream = line(streaming, "Amazon Kinesis Data Streams", "On-demand stream");
    expect(stream).to.deep.include({ quantity: 730, scales: "fixed" });
    expect(stream.monthlyUsd).to.be.closeTo(730 * stream.price.usd, 1e-9);
    const ingested = line(streaming, "Amazon Kinesis Data Streams", "Data ingested").quantity;
    expect(line(streaming, "Amazon Kinesis Data Streams", "Data retrieved").quantity).to.be.closeTo(
      2 * ingested,
      1e-9,
    );
    expect(line(streaming, "Amazon Kinesis Data Streams", "Extended retention").quantity).to.be.closeTo(
      (ingested * 24) / 730,
      1e-9,
    );
    // The poller (rate(2 minutes)): 21,900 polls, 10 readings checked each, 2 of them new (one a minute).
    const writes = line(streaming, "Amazon DynamoDB", "Write request units");
    expect(writes.assumptions.join(" ")).to.contain("219,000");
    expect(line(streaming, "Amazon API Gateway", "HTTP API requests").quantity).to.equal(2);
    expect(line(streaming, "Amazon DynamoDB", "Point-in-time recovery").quantity).to.be.greaterThan(0);
    const invocations = line(streaming, "AWS Lambda", "Requests (ways in and out)").quantity * 1e6;
    expect(invocations).to.be.greaterThan(2e6 + 21_900);
    expect(streaming.services.reduce((t, s) => t + s.monthlyUsd, 0)).to.be.closeTo(
      streaming.totalMonthlyUsd,
      1e-6,
    );
  });

  it("the CLI: --help, a table for people, and exit 2 with the reason for a bad option", function () {
    const help = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(PROJECT_DIR, "policies/cost/cli.ts"), "--help"],
      {
        cwd: PROJECT_DIR,
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(help.status).to.equal(0);
    expect(help.stdout)
      .to.contain("--devices <n>")
      .and.contain("--assume <key>=<value>")
      .and.contain("jqMicrosecondsPerRecord");
    expect(() => parseCostArgs(["--devices", "0"])).to.throw(
      '--devices must be a whole number above 0 (got "0")',
    );
    expect(() => parseCostArgs(["--interval", "5"])).to.throw(
      '--interval must be a duration with a unit, e.g. 10s or 1m (got "5")',
    );
    expect(() => parseCostArgs(["--assume", "sensors=3"])).to.throw('--assume: unknown assumption "sensors"');
    const text = formatEstimate(estimateStack(options("prod")), "provenance", "data/pricing/aws-prices.json");
    const lines = text.split("\n");
    expect(lines[0]).to.match(/^Monthly cost estimate for stack prod \(us-east-1\): \$[\d,]+\.\d\d a month$/);
    const messaging = lines.findIndex((l) => l.startsWith("  Messaging"));
    expect(lines[messaging + 1]).to.equal(
      "      · 48 sensors × one reading every 60 s × 2,628,000 s a month = 2,102,400 messages",
    );
    expect(lines.find((l) => l.startsWith("Total"))).to.match(/^Total\s+[\d,]+\.\d\d$/);
    // Each figure says whether it was checked against its page or written from memory.
    const priceLine = (price: string) => lines.find((l) => l.includes(`(https://aws.amazon.com/${price}`));
    expect(priceLine("kms/pricing/")).to.match(
      /\$1 per key-month \(https:\/\/aws.amazon.com\/kms\/pricing\/, checked \d{4}-\d\d-\d\d\)$/,
    );
    expect(priceLine("iot-core/pricing/")).to.match(
      /, from memory \d{4}-\d\d-\d\d, not checked against the page\)$/,
    );
  });
});
