import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFleetFile, type FleetFile } from "../../../components/telemetry/fleet-file";
import { ANOMALY_KINDS } from "../../../devices/model/anomalies";
import { helpText } from "../../../devices/help";
import { FLEET_OPTIONS, parseFleetOptions, UsageError } from "../../../devices/options";
import { planFleet } from "../../../devices/plan";
import { createCertificateAuthority, issueDeviceCertificate } from "../../../devices/pki";

describe("devices: CLI options", () => {
  it("has a default for every run setting", () => {
    const o = parseFleetOptions([]);
    expect(o).to.deep.include({
      help: false,
      target: undefined,
      fleetPath: undefined,
      devices: undefined,
      rooms: ["lab", "office"],
      intervalMs: 10_000,
      durationMs: undefined,
      count: undefined,
      protocol: "5",
      qos: 1,
      seed: "1",
      anomalies: { rate: 0, kinds: [] },
      speed: 1,
      shard: { index: 1, count: 1 },
      connectRate: 500,
      queueSize: 1000,
      maxInFlight: 20,
      drainTimeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      json: false,
      quiet: false,
    });
  });

  it("parses every option and its alias", () => {
    const o = parseFleetOptions(
      [
        ["-t", "mqtts://broker.local:8883"],
        ["-n", "12"],
        ["--rooms", "a,b,c"],
        ["--deployment", "plant-prod"],
        ["-i", "250ms"],
        ["-d", "2h"],
        ["-c", "50"],
        ["--protocol", "3.1.1"],
        ["--qos", "0"],
        ["--seed", "demo"],
        ["--anomalies", "1%,spike"],
        ["--labels", "l.csv"],
        ["--speed", "60"],
        ["--start", "2025-01-06T00:00:00Z"],
        ["--shard", "2/3"],
        ["--connect-rate", "50"],
        ["--queue-size", "10"],
        ["--max-in-flight", "5"],
        ["--drain-timeout", "5s"],
        ["--connect-timeout", "3s"],
        ["--json"],
        ["-q"],
      ].flat(),
    );
    expect(o).to.deep.include({
      target: { kind: "broker", url: "mqtts://broker.local:8883", tls: true },
      devices: 12,
      rooms: ["a", "b", "c"],
      deployment: "plant-prod",
      intervalMs: 250,
      durationMs: 7_200_000,
      count: 50,
      protocol: "3.1.1",
      qos: 0,
      seed: "demo",
      anomalies: { rate: 0.01, kinds: ["spike"] },
      labelsPath: "l.csv",
      speed: 60,
      startTs: Date.UTC(2025, 0, 6),
      shard: { index: 2, count: 3 },
      connectRate: 50,
      queueSize: 10,
      maxInFlight: 5,
      drainTimeoutMs: 5_000,
      connectTimeoutMs: 3_000,
      json: true,
      quiet: true,
    });
  });

  it("rejects bad values with the option, the value and the fix", () => {
    const cases: [string[], string][] = [
      [
        ["--interval", "5"],
        '--interval must be a duration with a unit: ms, s, m, h or d, e.g. 500ms or 10s (got "5")',
      ],
      [["--interval", "0ms"], '--interval must be from 1 ms to 86400000 ms (got "0ms")'],
      [["--devices=-3"], '--devices must be an integer from 1 to 1000000 (got "-3")'],
      [["--devices", "2.5"], '--devices must be an integer from 1 to 1000000 (got "2.5")'],
      [["--qos", "2"], '--qos must be 0 or 1 (got "2"); QoS 2 is not supported by AWS IoT Core'],
      [["--protocol", "4"], '--protocol must be 5 or 3.1.1 (got "4")'],
      [["--speed", "0"], '--speed must be a number from 0.001 to 10000000 (got "0")'],
      [
        ["--target", "http://x"],
        '--target must be iot-core or an mqtt:// or mqtts:// URL such as mqtt://127.0.0.1:1883 (got "http://x")',
      ],
      [
        ["--target", "iot-core"],
        "--target iot-core needs --fleet <file> (the endpoint, CA and device certificates)",
      ],
      [
        ["--start", "yesterday"],
        '--start must be an ISO 8601 time such as 2025-01-06T00:00:00Z (got "yesterday")',
      ],
      [
        ["--rooms", "lab,of/fice"],
        '--rooms "of/fice" cannot be used in an MQTT topic: use 1-64 letters, digits, "_" or "-" (no "/", "+", "#")',
      ],
      [
        ["--fleet", "f.json", "--deployment", "a"],
        "--deployment cannot be combined with --fleet: the fleet file names the devices, rooms and deployment",
      ],
      [
        ["--profile", "0s:0,5m"],
        'load profile point 2 "5m" must be time:devices with a unit on the time, e.g. 5m:10000 (in "0s:0,5m:10000,20m:10000,25m:0" style)',
      ],
      [
        ["--profile", "1m:10,5m:0"],
        'a load profile starts at 0s (got "1m:10" first): add a point such as 0s:0 in front',
      ],
      [
        ["--out", "s3://"],
        '--out must be a directory or an s3://bucket/prefix location such as s3://my-bucket/fleet/ (got "s3://")',
      ],
      [
        ["--run", "a/b"],
        '--run must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (got "a/b")',
      ],
      [["--at", "soon"], '--at must be an ISO 8601 time such as 2025-01-06T09:00:00Z (got "soon")'],
      [
        ["--shard", "3"],
        '--shard must be i/n with 1 <= i <= n, e.g. 2/4 for the second of four parts (got "3")',
      ],
      [["--frobnicate"], "unknown option --frobnicate. Run with --help for the options."],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseFleetOptions(argv), argv.join(" ")).to.throw(UsageError, message);
    }
  });

  it("documents every option in --help, with its default, and in devices/README.md", () => {
    const help = helpText();
    const readme = readFileSync(join(__dirname, "../../../devices/README.md"), "utf8");
    for (const option of FLEET_OPTIONS) {
      expect(help).to.include(`--${option.name}`);
      expect(readme, `README row for --${option.name}`).to.match(
        new RegExp(`\\| \`(-\\w, )?--${option.name}[ \`]`),
      );
    }
    expect(help).to.include("(default: 10s)");
    for (const kind of ANOMALY_KINDS) expect(help).to.include(kind);
  });
});

describe("devices: run plan", () => {
  it("names devices from --deployment, --rooms and --devices, room by room", () => {
    const { config } = planFleet(
      parseFleetOptions(["--devices", "5", "--deployment", "plant-test", "--rooms", "a,b"]),
    );
    expect(config.devices).to.deep.equal([
      { thingName: "plant-test-a-001", roomId: "a", rank: 0 },
      { thingName: "plant-test-a-002", roomId: "a", rank: 1 },
      { thingName: "plant-test-a-003", roomId: "a", rank: 2 },
      { thingName: "plant-test-b-001", roomId: "b", rank: 3 },
      { thingName: "plant-test-b-002", roomId: "b", rank: 4 },
    ]);
    expect(config.transport.description).to.equal("mqtt.js mqtt://127.0.0.1:1883");
    expect(config.deployment).to.equal("plant-test");
  });

  it("runs disjoint shards that together cover the fleet", () => {
    const all = planFleet(parseFleetOptions(["--devices", "40"])).config.devices.map((d) => d.thingName);
    const parts = [1, 2, 3].map((i) =>
      planFleet(parseFleetOptions(["--devices", "40", "--shard", `${i}/3`])).config.devices.map(
        (d) => d.thingName,
      ),
    );
    expect(parts.flat().sort()).to.deep.equal([...all].sort());
    expect(parts.every((p) => p.length > 0)).to.equal(true);
  });

  describe("with a fleet file", () => {
    let dir: string;
    let path: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), "plan-"));
      const ca = createCertificateAuthority();
      const cert = issueDeviceCertificate(ca, "sensors-prod-lab-001");
      const file: FleetFile = {
        endpoint: "abc-ats.iot.eu-west-1.amazonaws.com",
        caCertPem: ca.certificatePem,
        deployment: "sensors-prod",
        devices: ["lab-001", "lab-002", "hall-001"].map((n) => ({
          thingName: `sensors-prod-${n}`,
          roomId: n.split("-")[0] as string,
          certificatePem: cert.certificatePem,
          privateKeyPem: cert.privateKeyPem,
        })),
      };
      path = join(dir, "fleet.json");
      writeFleetFile(path, file);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("targets IoT Core through the SDK with each device's certificate, and --devices takes the first n", () => {
      const { config, warnings } = planFleet(parseFleetOptions(["--fleet", path, "--devices", "2"]));
      expect(config.transport.description).to.equal(
        "aws-iot-device-sdk-v2 mqtts://abc-ats.iot.eu-west-1.amazonaws.com:8883",
      );
      expect(config.deployment).to.equal("sensors-prod");
      expect(config.devices.map((d) => [d.thingName, d.roomId, d.credentials !== undefined])).to.deep.equal([
        ["sensors-prod-lab-001", "lab", true],
        ["sensors-prod-lab-002", "lab", true],
      ]);
      expect(warnings).to.deep.equal([]);
    });

    it("refuses more than IoT Core's 100 publishes per second per connection", () => {
      expect(() => planFleet(parseFleetOptions(["--fleet", path, "--interval", "5ms"]))).to.throw(
        UsageError,
        "--interval 5ms at --speed 1 is 200 publishes/s per device; AWS IoT Core allows 100/s per connection: raise --interval or lower --speed",
      );
      expect(() =>
        planFleet(parseFleetOptions(["--fleet", path, "--interval", "1s", "--speed", "1000"])),
      ).to.throw(/1000 publishes\/s per device/);
    });

    it("warns when certificates would go unused or anomalies unlabelled", () => {
      const { warnings } = planFleet(
        parseFleetOptions(["--fleet", path, "--target", "mqtt://127.0.0.1:1883", "--anomalies", "0.01"]),
      );
      expect(warnings).to.deep.equal([
        "mqtt://127.0.0.1:1883 is plain MQTT: the fleet file's certificates are not used",
        "anomalies are injected but --labels is not set: the ground truth will not be saved",
      ]);
    });

    it("refuses --rooms with a fleet file that lists its devices", () => {
      expect(() => planFleet(parseFleetOptions(["--fleet", path, "--rooms", "lab"]))).to.throw(
        UsageError,
        "--rooms cannot be combined with a fleet file that lists its devices: the file names the devices and rooms",
      );
    });

    it("reads the fleet file from an environment variable (a container's secret)", () => {
      process.env.I16_TEST_FLEET = readFileSync(path, "utf8");
      try {
        const { config } = planFleet(parseFleetOptions(["--fleet", "env:I16_TEST_FLEET"]));
        expect(config.devices.map((d) => d.thingName)).to.deep.equal([
          "sensors-prod-lab-001",
          "sensors-prod-lab-002",
          "sensors-prod-hall-001",
        ]);
      } finally {
        delete process.env.I16_TEST_FLEET;
      }
      expect(() => planFleet(parseFleetOptions(["--fleet", "env:I16_UNSET_FLEET"]))).to.throw(
        UsageError,
        /^--fleet env:I16_UNSET_FLEET is not a valid fleet file:\n {2}- the environment variable I16_UNSET_FLEET is not set/,
      );
    });

    it("names the devices itself from a claim-only fleet file (no device list, a provisioning claim)", () => {
      const ca = createCertificateAuthority();
      const claim = issueDeviceCertificate(ca, "claim");
      const claimOnly = join(dir, "claim.json");
      writeFleetFile(claimOnly, {
        endpoint: "abc-ats.iot.eu-west-1.amazonaws.com",
        caCertPem: ca.certificatePem,
        deployment: "sensors-loadtest",
        devices: [],
        provisioning: {
          templateName: "sensors-loadtest-fleet",
          claimCertificatePem: claim.certificatePem,
          claimPrivateKeyPem: claim.privateKeyPem,
          clientIdPrefix: "sensors-loadtest--claim-",
        },
      });
      const { config } = planFleet(
        parseFleetOptions(["--fleet", claimOnly, "--devices", "3", "--rooms", "hall", "--shard", "1/1"]),
      );
      expect(config.devices.map((d) => [d.thingName, d.credentials])).to.deep.equal([
        ["sensors-loadtest-hall-001", undefined],
        ["sensors-loadtest-hall-002", undefined],
        ["sensors-loadtest-hall-003", undefined],
      ]);
      expect(config.provisioning?.templateName).to.equal("sensors-loadtest-fleet");
    });

    it("reports an invalid fleet file as a usage error naming the file", () => {
      expect(() => planFleet(parseFleetOptions(["--fleet", join(dir, "missing.json")]))).to.throw(
        UsageError,
        /^--fleet .*missing.json is not a valid fleet file:\n {2}- cannot read the file \(ENOENT/,
      );
    });
  });
});
