import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import {
  ConfigError,
  formatProblem,
  parsePlatformConfig,
  readProjectDeclarations,
  validatePlatformConfig,
} from "../../../components/config";
import { PROJECT_DIR } from "../../../policies/synth/project-dir";
import { PLACEHOLDER_SECRET, readStackFile } from "../../../components/stack-files";
import { stackConfig } from "../../helpers/mocks";
import { testTempDir } from "../../helpers/temp-dir";

/** Every problem message for a stack with overrides, formatted exactly as users see them. */
function problems(stack: string, overrides: Record<string, unknown>, secretKeys: string[] = []): string[] {
  const raw = stackConfig(stack, overrides);
  const withSecrets = { ...raw, secretKeys: new Set([...raw.secretKeys, ...secretKeys]) };
  return validatePlatformConfig(withSecrets).problems.map((p) => formatProblem(p, raw.stackFile));
}

describe("stack configuration", function () {
  describe("the shipped stacks", function () {
    it("dev parses into a small, destroyable configuration", function () {
      const dev = parsePlatformConfig(readStackFile("dev"));
      expect(dev.deployment).to.equal("sensors-dev");
      expect(dev.region).to.equal("eu-west-1");
      expect(dev.protectData).to.equal(false);
      expect(dev.fleet.devices.map((d) => d.thingName)).to.deep.equal([
        "sensors-dev-lab-001",
        "sensors-dev-lab-002",
        "sensors-dev-office-001",
        "sensors-dev-office-002",
      ]);
      expect(dev.database.mode).to.equal("demo");
      expect(dev.database.port).to.equal(5432);
      expect(dev.anomaly.mode).to.equal("batch");
      expect(dev.quicksight.enabled).to.equal(false);
      expect(dev.athena.bytesScannedCutoffPerQuery).to.equal(100 * 1024 * 1024);
      expect(dev.lake.catalogDatabase).to.equal("sensors_dev");
    });

    it("prod differs where it should: protection, sizes, an existing database, a real-time endpoint", function () {
      const prod = parsePlatformConfig(readStackFile("prod"));
      expect(prod.protectData).to.equal(true);
      expect(prod.fleet.devices).to.have.length(48);
      expect(prod.database.mode).to.equal("existing");
      expect(prod.database.engine).to.equal("sqlserver");
      expect(prod.database.port).to.equal(1433);
      expect(prod.database.existing?.routeTableIds).to.deep.equal([
        "rtb-0123456789abcdef0",
        "rtb-0fedcba9876543210",
      ]);
      expect(prod.anomaly).to.include({
        mode: "endpoint",
        inferenceInstanceType: "ml.c5.xlarge",
        inferenceInstanceCount: 2,
        inferenceMaxInstances: 6,
      });
      expect(prod.quicksight.enabled).to.equal(true);
      expect(prod.firehose).to.deep.equal({ bufferSeconds: 300, bufferMiB: 128, dynamicPartitioning: true });
      expect(prod.tags).to.deep.include({ environment: "prod", "data-classification": "internal" });
    });

    it("Pulumi.yaml declares a type, description and default for every project key", function () {
      const declarations = readProjectDeclarations(PROJECT_DIR);
      for (const [key, decl] of Object.entries(declarations)) {
        // Maps and lists of maps have no Pulumi type (the CLI knows none for objects): their default is a map or a
        // list, config.ts checks them.
        if (decl.type === undefined)
          expect(decl.default, key).to.satisfy((d: unknown) => typeof d === "object");
        else expect(decl.type, key).to.be.oneOf(["string", "integer", "boolean", "array"]);
        expect(decl.description, key).to.be.a("string").and.have.length.above(10);
        expect(decl, key).to.have.property("default");
      }
    });

    it("every key the stack files set is declared in Pulumi.yaml", function () {
      const declared = new Set(
        Object.keys(readProjectDeclarations(PROJECT_DIR)).map((k) => `sensor-analytics:${k}`),
      );
      for (const stack of ["dev", "prod", "loadtest"]) {
        for (const key of Object.keys(readStackFile(stack).values)) {
          if (key.startsWith("sensor-analytics:"))
            expect(declared.has(key), `${stack}: ${key}`).to.equal(true);
        }
      }
    });
  });

  describe("the fleet runner (fleetRunner)", function () {
    it("is off in the shipped dev and prod stacks and on in Pulumi.loadtest.yaml", function () {
      expect(parsePlatformConfig(readStackFile("dev")).fleetRunner).to.equal(undefined);
      expect(parsePlatformConfig(readStackFile("prod")).fleetRunner).to.equal(undefined);
      const runner = parsePlatformConfig(readStackFile("loadtest")).fleetRunner!;
      expect(runner).to.deep.include({
        shards: 10,
        devicesPerShard: 5000,
        interval: "10s",
        networking: "private",
        connectRate: 500,
      });
      expect(runner.profile!.text).to.equal("0s:0,5m:50000,20m:50000,25m:0");
    });

    it("reports each bad field under its own key, and what it depends on", function () {
      expect(
        problems("loadtest", {
          fleetRunner: {
            devicesPerShard: 0,
            interval: "10",
            networking: "nat",
            memory: 1000,
            profile: "0s:0,1s:900",
          },
        }),
      ).to.deep.equal([
        "sensor-analytics:fleetRunner.shards is required to turn the fleet runner on (got nothing) in Pulumi.loadtest.yaml; fix: add shards: 2 (or remove fleetRunner)",
        "sensor-analytics:fleetRunner.shards must be an integer from 1 to 100 (got nothing) in Pulumi.loadtest.yaml; fix: set it to a whole number in that range",
        "sensor-analytics:fleetRunner.devicesPerShard must be an integer from 1 to 20000 (got 0) in Pulumi.loadtest.yaml; fix: set it to a whole number in that range",
        'sensor-analytics:fleetRunner.interval must be a duration with a unit (ms, s, m, h, d) (got "10") in Pulumi.loadtest.yaml; fix: set it to e.g. 10s',
        "sensor-analytics:fleetRunner.memory is not a Fargate size for cpu 1024 (2048-8192 MiB) (got 1000) in Pulumi.loadtest.yaml; fix: pick one of 2048, 3072, 4096, 5120, 6144, 7168, 8192",
        'sensor-analytics:fleetRunner.networking must be one of private, public (got "nat") in Pulumi.loadtest.yaml; fix: set it to one of private, public',
      ]);
      expect(
        problems("loadtest", { fleetRunner: { shards: 2, devicesPerShard: 100, profile: "0s:0,1s:900" } }),
      ).to.deep.equal([
        'sensor-analytics:fleetRunner.profile peaks at 900 devices but shards × devicesPerShard is 200 (got "0s:0,1s:900") in Pulumi.loadtest.yaml; fix: raise devicesPerShard to 450 or shards, or lower the profile',
        "sensor-analytics:fleetRunner.profile climbs by 900 devices/s, faster than connectRate 500/s (IoT Core's default quota is 500 connects/s per account) (got \"0s:0,1s:900\") in Pulumi.loadtest.yaml; fix: lengthen the ramp, or raise connectRate once the account's quota is raised",
      ]);
      expect(problems("dev", { fleetRunner: { shards: 2, sharts: 3 } })).to.deep.equal([
        "sensor-analytics:fleetRunner.sharts is not a fleet runner setting (got 3) in Pulumi.dev.yaml; fix: use one of shards, devicesPerShard, interval, duration, networking, vpcCidr, cpu, memory, architecture, connectRate, runRetentionDays, profile",
        'sensor-analytics:fleetRunner needs fleetProvisioning: the runner\'s devices register by claim (the certificates of thousands of devices fit neither stack state nor Secrets Manager\'s 64 KB secrets) (got {"shards":2,"sharts":3}) in Pulumi.dev.yaml; fix: set sensor-analytics:fleetProvisioning to true in this stack',
      ]);
    });
  });

  describe("errors name the key, the value, the stack file and the fix", function () {
    it("reports a value out of range", function () {
      expect(problems("dev", { sensorsPerRoom: -3 })).to.deep.equal([
        "sensor-analytics:sensorsPerRoom must be an integer from 1 to 10000 (got -3) in Pulumi.dev.yaml; fix: set it to a whole number in that range, e.g. 4",
      ]);
    });

    it("reports every problem at once, not one per run", function () {
      const found = problems("dev", {
        sensorsPerRoom: 0,
        firehoseBufferSeconds: 1000,
        app: "My-App",
        alertEmail: "oncall",
      });
      expect(found).to.have.length(4);
      expect(found.map((m) => m.split(" ")[0])).to.deep.equal([
        "sensor-analytics:app",
        "sensor-analytics:alertEmail",
        "sensor-analytics:sensorsPerRoom",
        "sensor-analytics:firehoseBufferSeconds",
      ]);
    });

    it("needs a buffer interval of at least 60 s while Firehose partitions dynamically (no zero buffering)", function () {
      expect(problems("dev", { firehoseBufferSeconds: 10 })).to.deep.equal([
        "sensor-analytics:firehoseBufferSeconds must be at least 60 while firehoseDynamicPartitioning is on (Firehose has no zero buffering for dynamically partitioned streams) (got 10) in Pulumi.dev.yaml; fix: set it to a value from 60 to 900, or set firehoseDynamicPartitioning: false",
      ]);
      expect(
        problems("dev", { firehoseBufferSeconds: 10, firehoseDynamicPartitioning: false }),
      ).to.deep.equal([]);
    });

    it("ConfigError lists the problems under the stack file's name", function () {
      const raw = stackConfig("prod", { sensorsPerRoom: 0, rooms: [] });
      try {
        parsePlatformConfig(raw);
        expect.fail("should have thrown");
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        expect((err as Error).message.split("\n")[0]).to.equal(
          "2 problems in the configuration of Pulumi.prod.yaml:",
        );
      }
    });

    it("rejects overlapping Glue and database VPC ranges (peering cannot route them)", function () {
      expect(problems("dev", { glueVpcCidr: "10.30.0.0/16" })).to.deep.equal([
        'sensor-analytics:databaseVpcCidr must not overlap glueVpcCidr (10.30.0.0/16): VPC peering cannot route between overlapping ranges (got "10.30.0.0/24") in Pulumi.dev.yaml; fix: choose a different glueVpcCidr (e.g. 192.168.100.0/24) so the two ranges are disjoint',
      ]);
    });

    it("rejects a CIDR with host bits set and one too large for a VPC", function () {
      expect(problems("dev", { glueVpcCidr: "10.20.0.5/24", databaseVpcCidr: "10.0.0.0/8" })).to.deep.equal([
        'sensor-analytics:glueVpcCidr must be an IPv4 CIDR block for a VPC ("10.20.0.5/24" has host bits set; the network address is 10.20.0.0/24) (got "10.20.0.5/24") in Pulumi.dev.yaml; fix: use a private range from /16 to /28, e.g. 10.20.0.0/24',
        'sensor-analytics:databaseVpcCidr must have a prefix length from /16 to /28 (what a VPC allows) (got "10.0.0.0/8") in Pulumi.dev.yaml; fix: change the prefix length',
      ]);
    });

    it("rejects schedule expressions that do not parse", function () {
      expect(
        problems("dev", { etlSchedule: "cron(0 2 * * *)", scoringSchedule: "rate(1 hours)" }),
      ).to.deep.equal([
        'sensor-analytics:etlSchedule must be an EventBridge Scheduler expression: cron needs 6 fields (minutes hours day-of-month month day-of-week year), found 5 (got "cron(0 2 * * *)") in Pulumi.dev.yaml; fix: use e.g. "rate(1 hour)" or "cron(0 2 * * ? *)" (minutes hours day-of-month month day-of-week year)',
        'sensor-analytics:scoringSchedule must be an EventBridge Scheduler expression: write "rate(1 hour)" (got "rate(1 hours)") in Pulumi.dev.yaml; fix: use e.g. "rate(1 hour)" or "cron(0 2 * * ? *)" (minutes hours day-of-month month day-of-week year)',
      ]);
    });

    it("rejects a cron expression with both day fields set", function () {
      expect(problems("dev", { trainingSchedule: "cron(0 3 * * MON *)" })).to.deep.equal([
        'sensor-analytics:trainingSchedule must be an EventBridge Scheduler expression: exactly one of day-of-month and day-of-week must be ? (got "cron(0 3 * * MON *)") in Pulumi.dev.yaml; fix: use e.g. "rate(1 hour)" or "cron(0 2 * * ? *)" (minutes hours day-of-month month day-of-week year)',
      ]);
    });

    it("requires a Firehose buffer of at least 64 MiB (Parquet conversion and dynamic partitioning)", function () {
      const message =
        "sensor-analytics:firehoseBufferMiB must be at least 64 (Firehose rejects smaller buffers for Parquet conversion, which the telemetry stream always uses, and for dynamic partitioning) (got 5) in Pulumi.dev.yaml; fix: set it to a value from 64 to 128";
      expect(problems("dev", { firehoseBufferMiB: 5 })).to.deep.equal([message]);
      expect(problems("dev", { firehoseBufferMiB: 5, firehoseDynamicPartitioning: false })).to.deep.equal([
        message,
      ]);
      expect(problems("dev", { firehoseBufferMiB: 64 })).to.deep.equal([]);
    });

    it("accepts IoT log levels and DISABLED", function () {
      expect(problems("dev", { iotLogLevel: "DISABLED" })).to.deep.equal([]);
      expect(problems("dev", { iotLogLevel: "VERBOSE" })).to.deep.equal([
        'sensor-analytics:iotLogLevel must be one of ERROR, WARN, INFO, DEBUG, DISABLED (got "VERBOSE") in Pulumi.dev.yaml; fix: set it to one of ERROR, WARN, INFO, DEBUG, DISABLED',
      ]);
    });

    it("rejects Athena names with '-'", function () {
      expect(problems("dev", { catalogDatabase: "sensor-lake" })).to.deep.equal([
        `sensor-analytics:catalogDatabase must not contain '-' (Athena cannot query databases whose names contain hyphens) (got "sensor-lake") in Pulumi.dev.yaml; fix: set it to "sensor_lake"`,
      ]);
    });

    it("derives an Athena-safe catalog name from a stack name with '-'", function () {
      const raw = { ...stackConfig("dev"), stack: "eu-staging", stackFile: "Pulumi.eu-staging.yaml" };
      expect(parsePlatformConfig(raw).lake.catalogDatabase).to.equal("sensors_eu_staging");
    });

    it("suggests the right key for a typo", function () {
      expect(problems("dev", { sensorPerRoom: 3 })).to.deep.equal([
        "sensor-analytics:sensorPerRoom is not a setting of this project (got 3) in Pulumi.dev.yaml; fix: did you mean sensor-analytics:sensorsPerRoom? Rename the key",
      ]);
    });

    it("requires aws:region", function () {
      expect(problems("dev", { "aws:region": undefined })).to.deep.equal([
        "aws:region must name an AWS region (got nothing) in Pulumi.dev.yaml; fix: set it, e.g. `pulumi config set aws:region eu-west-1`",
      ]);
    });

    it("rejects bad room IDs and repeated rooms", function () {
      expect(problems("dev", { rooms: ["lab", "lab", "room/1"] })).to.deep.equal([
        `sensor-analytics:rooms must contain only room IDs of 1-32 letters, digits or '_' (bad: "room/1") (got ["lab","lab","room/1"]) in Pulumi.dev.yaml; fix: change them to values like hall_a`,
        `sensor-analytics:rooms must not repeat items (repeated: lab) (got ["lab","lab","room/1"]) in Pulumi.dev.yaml; fix: remove the duplicates`,
      ]);
    });

    it("points large fleets at fleet provisioning", function () {
      expect(problems("dev", { sensorsPerRoom: 1500 })).to.deep.equal([
        "sensor-analytics:sensorsPerRoom gives 3000 devices, more than the 2000 that per-device things and certificates keep manageable in stack state (got 1500) in Pulumi.dev.yaml; fix: set sensor-analytics:fleetProvisioning to true so devices register themselves by claim, or lower sensorsPerRoom",
      ]);
      expect(problems("dev", { sensorsPerRoom: 1500, fleetProvisioning: true })).to.deep.equal([]);
    });

    it("requires an existing database's route tables, and names every missing piece", function () {
      expect(
        problems("prod", { databaseRouteTableIds: [], databaseSecurityGroupId: "default" }),
      ).to.deep.equal([
        `sensor-analytics:databaseRouteTableIds must list every route table of the database subnets (required when databaseMode is existing); without them the database cannot answer Glue across the peering (got []) in Pulumi.prod.yaml; fix: add each route table ID of the database VPC's subnets, e.g. - rtb-0123456789abcdef0`,
        `sensor-analytics:databaseSecurityGroupId must be a security group ID (required when databaseMode is existing) (got "default") in Pulumi.prod.yaml; fix: set it to the database's security group, e.g. sg-0123456789abcdef0`,
      ]);
    });

    it("rejects a database engine it does not know", function () {
      expect(problems("dev", { databaseEngine: "oracle" })).to.deep.equal([
        'sensor-analytics:databaseEngine must be one of postgres, mysql, sqlserver (got "oracle") in Pulumi.dev.yaml; fix: set it to one of postgres, mysql, sqlserver',
      ]);
    });

    it("reads existingGlueVpc field by field, naming each bad field, the stack file and the fix", function () {
      const vpc = {
        vpcId: "vpc-0a1b2c3d4e5f60718",
        cidrBlock: "10.40.0.0/16",
        routeTableIds: ["rtb-0123456789abcdef0"],
        privateSubnets: [{ id: "subnet-0123456789abcdef0", availabilityZone: "eu-west-1a" }],
      };
      // Pulumi.dev.yaml's glueVpcCidr stays: the CLI would hand the program Pulumi.yaml's default for it anyway.
      expect(problems("dev", { existingGlueVpc: vpc })).to.deep.equal([]);
      expect(problems("dev", { existingGlueVpc: {} })).to.deep.equal([]); // the default: create the Glue VPC
      expect(
        problems("dev", {
          existingGlueVpc: {
            vpcID: "vpc-0a1b2c3d4e5f60718",
            cidrBlock: "10.40.0.0/33",
            routeTableIds: ["rtb-x"],
            privateSubnets: [{ id: "subnet-0123456789abcdef0" }],
          },
        }),
      ).to.deep.equal([
        'sensor-analytics:existingGlueVpc.vpcID is not a field of existingGlueVpc (got "vpc-0a1b2c3d4e5f60718") in Pulumi.dev.yaml; fix: did you mean vpcId?',
        "sensor-analytics:existingGlueVpc.vpcId must be a VPC ID (got nothing) in Pulumi.dev.yaml; fix: set it to the VPC's ID, e.g. vpc-0a1b2c3d4e5f60718",
        'sensor-analytics:existingGlueVpc.routeTableIds must contain only route table IDs (bad: "rtb-x") (got ["rtb-x"]) in Pulumi.dev.yaml; fix: write them as a YAML list, e.g. routeTableIds: [rtb-0123456789abcdef0]',
        'sensor-analytics:existingGlueVpc.privateSubnets must contain only { id: subnet-..., availabilityZone: <zone> } entries (bad: {"id":"subnet-0123456789abcdef0"}) (got [{"id":"subnet-0123456789abcdef0"}]) in Pulumi.dev.yaml; fix: e.g. privateSubnets: [{ id: subnet-0123456789abcdef0, availabilityZone: eu-west-1a }]',
        'sensor-analytics:existingGlueVpc.cidrBlock must be the VPC\'s primary IPv4 block, /16 to /28 (got "10.40.0.0/33") in Pulumi.dev.yaml; fix: copy it from the VPC console, e.g. 10.40.0.0/24',
      ]);
    });

    it("refuses an existingGlueVpc block overlapping the database VPC, and ignores glueVpcCidr beside it", function () {
      const vpc = {
        vpcId: "vpc-0a1b2c3d4e5f60718",
        cidrBlock: "10.30.0.0/16", // Pulumi.dev.yaml's databaseVpcCidr is 10.30.0.0/24
        routeTableIds: ["rtb-0123456789abcdef0"],
        privateSubnets: [{ id: "subnet-0123456789abcdef0", availabilityZone: "eu-west-1a" }],
      };
      expect(problems("dev", { existingGlueVpc: vpc })).to.deep.equal([
        'sensor-analytics:databaseVpcCidr must not overlap existingGlueVpc.cidrBlock (10.30.0.0/16): VPC peering cannot route between overlapping ranges (got "10.30.0.0/24") in Pulumi.dev.yaml; fix: set databaseVpcCidr to the database VPC\'s own block; if it really overlaps the Glue VPC, place Glue in another VPC (or drop existingGlueVpc to create one)',
      ]);
    });

    it("accepts an existing database inside the existing Glue VPC (one VPC, no peering, the same block)", function () {
      const glueVpc = {
        vpcId: "vpc-0a1b2c3d4e5f60718", // Pulumi.prod.yaml's (example) databaseVpcId
        cidrBlock: "10.30.0.0/16",
        routeTableIds: ["rtb-0123456789abcdef0"],
        privateSubnets: [{ id: "subnet-0123456789abcdef0", availabilityZone: "eu-west-1a" }],
      };
      const prod = readStackFile("prod").values;
      expect(prod["sensor-analytics:databaseMode"]).to.equal("existing");
      expect(prod["sensor-analytics:databaseVpcId"]).to.equal(glueVpc.vpcId);
      const overlapping = (found: string[]) => found.filter((p) => p.includes("must not overlap"));
      expect(
        overlapping(problems("prod", { existingGlueVpc: glueVpc, databaseVpcCidr: "10.30.0.0/16" })),
      ).to.deep.equal([]);
      const otherVpc = { ...glueVpc, vpcId: "vpc-0fedcba9876543210" };
      expect(
        overlapping(problems("prod", { existingGlueVpc: otherVpc, databaseVpcCidr: "10.30.0.0/16" })),
      ).to.have.length(1);
    });

    it("rejects existing-database keys in demo mode", function () {
      expect(problems("dev", { databaseVpcId: "vpc-0a1b2c3d4e5f60718" })).to.deep.equal([
        'sensor-analytics:databaseVpcId applies only when databaseMode is existing (demo creates its own database VPC and database) (got "vpc-0a1b2c3d4e5f60718") in Pulumi.dev.yaml; fix: remove it, or set sensor-analytics:databaseMode to existing',
      ]);
    });

    it("reads an empty value as not set, as the CLI hands the program Pulumi.yaml's empty defaults", function () {
      const empty = {
        databaseVpcId: "",
        databaseRouteTableIds: [],
        databaseSecurityGroupId: "",
        databaseHost: "",
        databaseSecretArn: "",
      };
      expect(problems("dev", empty)).to.deep.equal([]);
      expect(problems("dev", { ...empty, databaseRouteTableIds: ["rtb-0123456789abcdef0"] })).to.have.length(
        1,
      );
      expect(problems("prod", { databaseHost: "" })).to.deep.equal([
        'sensor-analytics:databaseHost must be a host name or IP address (required when databaseMode is existing) (got "") in Pulumi.prod.yaml; fix: set it to the database\'s DNS name',
      ]);
    });

    it("refuses a database password in plain text and never echoes it", function () {
      const found = problems("prod", { databaseSecretArn: "", databasePassword: "hunter2" });
      expect(found).to.deep.equal([
        'sensor-analytics:databasePassword must be a secret, not plain text in the stack file (got "[plain text, not shown]") in Pulumi.prod.yaml; fix: remove it from the file and run `pulumi config set --secret sensor-analytics:databasePassword`',
      ]);
      expect(found.join("")).not.to.contain("hunter2");
    });

    it("accepts the password as a secret and keeps it out of JSON", function () {
      const raw = stackConfig("prod", { databaseSecretArn: "", databasePassword: "hunter2" });
      const config = parsePlatformConfig({
        ...raw,
        secretKeys: new Set(["sensor-analytics:databasePassword"]),
      });
      expect(config.database.existing?.password?.reveal()).to.equal("hunter2");
      expect(JSON.stringify(config)).not.to.contain("hunter2");
    });

    it("requires principals when QuickSight is on", function () {
      expect(problems("dev", { quicksightEnabled: true })).to.deep.equal([
        "sensor-analytics:quicksightPrincipals must name at least one user or group when quicksightEnabled is true (otherwise nobody can open the dashboard) (got []) in Pulumi.dev.yaml; fix: add a QuickSight user or group ARN, or set quicksightEnabled to false",
      ]);
    });

    it("offers the ad-hoc scoring URL only with an endpoint", function () {
      expect(problems("prod", { anomalyScoringUrl: true })).to.deep.equal([]);
      expect(problems("dev", { anomalyScoringUrl: true })).to.deep.equal([
        "sensor-analytics:anomalyScoringUrl needs anomalyMode endpoint (batch mode has no endpoint to answer ad-hoc requests) (got true) in Pulumi.dev.yaml; fix: set anomalyMode to endpoint, or anomalyScoringUrl to false",
      ]);
    });

    it("takes the anomaly model's features, rules, scope and alert policy, with defaults and checks", function () {
      const dev = parsePlatformConfig(readStackFile("dev")).anomaly;
      expect(dev).to.include({
        features: "deviation",
        baselineReadings: 30,
        stuckReadings: 12,
        dropoutReadings: 3,
        modelScope: "fleet",
        tailProbability: 0.00001,
        scoreAveraging: 3,
        expectedAnomalyRate: 0.002,
      });
      expect(dev).to.not.have.property("samplesPerTree"); // 0, the default: derived from the expected rate
      const set = parsePlatformConfig(
        stackConfig("dev", {
          anomalyFeatures: "temperature",
          anomalyBaselineReadings: 60,
          anomalyStuckReadings: 0,
          anomalyModelScope: "room",
          anomalyTailProbability: "0.0001",
          anomalyScoreAveraging: 1,
          anomalyExpectedRate: "0.01",
          rcfSamplesPerTree: 128,
        }),
      ).anomaly;
      expect(set).to.include({
        features: "temperature",
        baselineReadings: 60,
        stuckReadings: 0,
        modelScope: "room",
        tailProbability: 0.0001,
        scoreAveraging: 1,
        expectedAnomalyRate: 0.01,
        samplesPerTree: 128,
      });
      expect(
        problems("dev", {
          anomalyFeatures: "humidity",
          anomalyStuckReadings: 1,
          anomalyExpectedRate: "0.9",
          anomalyScoreAveraging: 0,
        }),
      ).to.deep.equal([
        "sensor-analytics:anomalyExpectedRate must be a number from 0.0005 to 0.5 (got 0.9) in Pulumi.dev.yaml; fix: set it to a number in that range, e.g. 0.0005",
        'sensor-analytics:anomalyFeatures must be one of deviation, temperature (got "humidity") in Pulumi.dev.yaml; fix: set it to one of deviation, temperature',
        "sensor-analytics:anomalyStuckReadings must be 0 (off) or at least 2 (got 1) in Pulumi.dev.yaml; fix: set it to 0, or to 2 or more (e.g. 12)",
        "sensor-analytics:anomalyScoreAveraging must be an integer from 1 to 100 (got 0) in Pulumi.dev.yaml; fix: set it to a whole number in that range, e.g. 3",
      ]);
      expect(problems("prod", { anomalyModelScope: "room" })).to.deep.equal([
        'sensor-analytics:anomalyModelScope room needs anomalyMode batch (a real-time endpoint serves one model; room models score in batch transforms) (got "room") in Pulumi.prod.yaml; fix: set anomalyModelScope to fleet, or anomalyMode to batch',
      ]);
    });

    it("keeps autoscaling bounds consistent", function () {
      expect(problems("prod", { inferenceMaxInstances: 1 })).to.deep.equal([
        "sensor-analytics:inferenceMaxInstances must be at least inferenceInstanceCount (2) (got 1) in Pulumi.prod.yaml; fix: set it to 2 or more",
      ]);
    });

    it("orders storage transitions before expiry and IA before Glacier", function () {
      expect(problems("prod", { glacierAfterDays: 40 })).to.deep.equal([
        "sensor-analytics:glacierAfterDays must be at least 30 days after infrequentAccessAfterDays (30) (S3 bills Standard-IA for 30 days minimum) (got 40) in Pulumi.prod.yaml; fix: set it to 60 or more, or to 0",
      ]);
      expect(problems("prod", { infrequentAccessAfterDays: 10 })).to.have.length(1);
      expect(problems("prod", { rawRetentionDays: 100 })[0]).to.match(
        /^sensor-analytics:glacierAfterDays must be less than the retention/,
      );
    });

    it("accepts only CloudWatch Logs retention values", function () {
      expect(problems("dev", { logRetentionDays: 10 })[0]).to.match(
        /^sensor-analytics:logRetentionDays must be a retention CloudWatch Logs accepts \(1, 3, 5, 7, 14, 30,.*\(got 10\) in Pulumi.dev.yaml; fix: pick the nearest of those values$/,
      );
    });
  });

  describe("stack files", function () {
    it("reads secure: values as placeholder secrets", function () {
      const dir = testTempDir("stackfile-");
      fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      fs.writeFileSync(
        path.join(dir, "Pulumi.qa.yaml"),
        "config:\n  aws:region: eu-west-1\n  sensorsPerRoom: 3\n  sensor-analytics:databasePassword:\n    secure: AAABAKzxq1\n",
      );
      const raw = readStackFile("qa", dir);
      expect(raw.values["sensor-analytics:sensorsPerRoom"]).to.equal("3");
      expect(raw.values["sensor-analytics:databasePassword"]).to.equal(PLACEHOLDER_SECRET);
      expect([...raw.secretKeys]).to.deep.equal(["sensor-analytics:databasePassword"]);
    });

    it("names the stacks that exist when one is missing", function () {
      expect(() => readStackFile("nope")).to.throw(
        /no stack file Pulumi.nope.yaml in .*; stacks found: dev, loadtest, prod/,
      );
    });
  });
});
