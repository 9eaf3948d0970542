import { expect } from "chai";
import { parseFleetFile } from "../../../components/telemetry/fleet-file";
import { parseLoadProfile } from "../../../components/telemetry/load-profile";
import {
  readFleetRunnerSettings,
  shardCommand,
  type FleetRunnerSettings,
} from "../../../components/fleet-runner/settings";
import { evaluatePolicies } from "../../../policies/harness";
import {
  recorded,
  runUnderMocks,
  stackConfig,
  unwrapSecrets,
  type ProgramRun,
  type Recorded,
} from "../../helpers/mocks";
import type { FleetRunnerOutput } from "../../../components/fleet-runner/outputs";
import { bucketRef, type VpcRef } from "../../../components/shared/resource-refs";

const IOT_HOST = "a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com";
const claim = {
  templateName: "sensors-loadtest-fleet",
  claimCertificatePem: "-----BEGIN CERTIFICATE-----\nY2xhaW0=\n-----END CERTIFICATE-----",
  claimPrivateKeyPem: "-----BEGIN RSA PRIVATE KEY-----\nY2xhaW0=\n-----END RSA PRIVATE KEY-----",
  clientIdPrefix: "sensors-loadtest--claim-",
};

function settings(overrides: Record<string, unknown>): FleetRunnerSettings {
  const problems: string[] = [];
  const read = readFleetRunnerSettings({ shards: 3, ...overrides }, (field, message) =>
    problems.push(`${field} ${message}`),
  );
  if (!read) throw new Error(problems.join("; "));
  return read;
}

/** The runner alone under mocks (no platform around it): fast, and every child is visible. */
async function runRunner(
  overrides: Record<string, unknown>,
  existingVpc?: VpcRef,
): Promise<ProgramRun<unknown> & Recorded & { output: FleetRunnerOutput }> {
  const run = await runUnderMocks(stackConfig("loadtest"), async () => {
    const { SensorFleetRunner } = await import("../../../components/fleet-runner/fleet-runner");
    const aws = await import("@pulumi/aws");
    const runner = new SensorFleetRunner("sensors-loadtest-fleet-runner", {
      deployment: "sensors-loadtest",
      settings: settings(overrides),
      rooms: ["hall_a", "office"],
      iotEndpoint: IOT_HOST,
      claim,
      kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555",
      image: { context: "devices", dockerfile: "devices/Dockerfile" },
      accessLogBucket: bucketRef(new aws.s3.Bucket("access-logs", {})),
      logRetentionDays: 7,
      existingVpc,
    });
    return { output: runner.output };
  });
  return Object.assign(run, recorded(run.resources), {
    output: (run.outputs as { output: FleetRunnerOutput }).output,
  });
}

const policyOf = (r: { inputs: Record<string, unknown> }) =>
  JSON.parse(r.inputs.policy as string) as {
    Statement: { Sid: string; Action: string[]; Resource: string | string[] }[];
  };

describe("fleet runner: SensorFleetRunner", function () {
  let privateRun: Awaited<ReturnType<typeof runRunner>>;
  let publicRun: Awaited<ReturnType<typeof runRunner>>;
  before(async function () {
    privateRun = await runRunner({ networking: "private", duration: "2h" });
    publicRun = await runRunner({
      networking: "public",
      architecture: "arm64",
      profile: "0s:0,1m:3000,2m:0",
    });
  });

  it("defines one awsx Fargate task definition per shard, each running the bundle with its own --shard i/n", function () {
    const definitions = privateRun.ofType("awsx:ecs:FargateTaskDefinition");
    expect(definitions.map((d) => d.inputs.family)).to.deep.equal([
      "sensors-loadtest-fleet-shard-1-of-3",
      "sensors-loadtest-fleet-shard-2-of-3",
      "sensors-loadtest-fleet-shard-3-of-3",
    ]);
    const commands = definitions.map((d) => (d.inputs.container as { command: string[] }).command);
    expect(commands.map((c) => c[c.indexOf("--shard") + 1])).to.deep.equal(["1/3", "2/3", "3/3"]);
    const [first] = commands;
    expect(first!.slice(0, 4)).to.deep.equal(["--fleet", "env:SENSOR_FLEET_FILE", "--target", "iot-core"]);
    expect(first).to.include.members(["--duration", "2h", "--devices", "3000", "--connect-rate", "166.67"]);
    const container = definitions[0]!.inputs.container as Record<string, unknown>;
    expect(container.image).to.match(
      /^111122223333\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/sensors-loadtest\/sensor-fleet@sha256:/,
    );
    expect(container.secrets).to.deep.equal([
      {
        name: "SENSOR_FLEET_FILE",
        valueFrom: privateRun.ofType("aws:secretsmanager/secret:Secret")[0]!.state.arn,
      },
    ]);
    expect(definitions[0]!.inputs).to.deep.include({ logGroup: { skip: true }, cpu: "1024", memory: "2048" });
    const image = privateRun.ofType("awsx:ecr:Image")[0]!;
    expect(image.inputs).to.deep.include({
      context: "devices",
      dockerfile: "devices/Dockerfile",
      platform: "linux/amd64",
    });
    // A profile replaces the duration; arm64 builds and runs on Graviton.
    const profiled = (
      publicRun.ofType("awsx:ecs:FargateTaskDefinition")[0]!.inputs.container as { command: string[] }
    ).command;
    expect(profiled).to.include.members(["--profile", "0s:0,1m:3000,2m:0"]);
    expect(profiled).not.to.include("--duration");
    expect(publicRun.ofType("awsx:ecr:Image")[0]!.inputs.platform).to.equal("linux/arm64");
  });

  it("keeps the claim-only fleet file in a KMS-encrypted secret that the simulator accepts", function () {
    const secret = privateRun.ofType("aws:secretsmanager/secret:Secret")[0]!;
    expect(secret.inputs.kmsKeyId).to.match(/^arn:aws:kms:/);
    const version = privateRun.ofType("aws:secretsmanager/secretVersion:SecretVersion")[0]!;
    const file = parseFleetFile(JSON.parse(unwrapSecrets(version.inputs.secretString) as string));
    expect(file).to.deep.include({ endpoint: IOT_HOST, deployment: "sensors-loadtest", devices: [] });
    expect(file.provisioning).to.deep.include({
      templateName: claim.templateName,
      clientIdPrefix: claim.clientIdPrefix,
    });
  });

  it("gives the task role no IoT permissions and S3 access only to its two prefixes, without wildcards", function () {
    const [task, execution] = ["task", "execution"].map((role) =>
      policyOf(privateRun.named("aws:iam/rolePolicy:RolePolicy", `sensors-loadtest-fleet-runner-${role}`)),
    );
    const actions = task!.Statement.flatMap((s) => s.Action);
    expect(actions.filter((a) => a.startsWith("iot:"))).to.deep.equal([]);
    expect(actions.filter((a) => a === "*" || a.endsWith(":*"))).to.deep.equal([]);
    const bucket = privateRun.named("aws:s3/bucket:Bucket", "sensors-loadtest-fleet-runner-runs").state
      .arn as string;
    expect(task!.Statement.flatMap((s) => s.Resource)).to.deep.equal([
      `${bucket}/runs/*`,
      `${bucket}/credentials/*`,
      bucket,
      "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555",
    ]);
    // The one "*" in the execution role is ECR's login, which takes no resource.
    expect(execution!.Statement.filter((s) => s.Resource === "*").map((s) => s.Sid)).to.deep.equal([
      "RegistryLoginWildcard",
    ]);
    const trust = JSON.parse(
      privateRun.named("aws:iam/role:Role", "sensors-loadtest-fleet-runner-task").inputs
        .assumeRolePolicy as string,
    );
    expect(trust.Statement[0].Condition).to.deep.equal({
      StringEquals: { "aws:SourceAccount": "111122223333" },
      ArnLike: { "aws:SourceArn": "arn:aws:ecs:eu-west-1:111122223333:*" },
    });
  });

  it("private networking: endpoints instead of NAT, IoT Core's host resolved to its endpoint, no route out", function () {
    const endpoints = privateRun.ofType("aws:ec2/vpcEndpoint:VpcEndpoint");
    expect(
      endpoints.map((e) => [
        e.inputs.serviceName,
        e.inputs.vpcEndpointType,
        e.inputs.privateDnsEnabled ?? null,
      ]),
    ).to.deep.equal([
      ["com.amazonaws.eu-west-1.s3", "Gateway", null],
      ["com.amazonaws.eu-west-1.ecr.api", "Interface", true],
      ["com.amazonaws.eu-west-1.ecr.dkr", "Interface", true],
      ["com.amazonaws.eu-west-1.logs", "Interface", true],
      ["com.amazonaws.eu-west-1.secretsmanager", "Interface", true],
      ["com.amazonaws.eu-west-1.iot.data", "Interface", false],
    ]);
    const zone = privateRun.ofType("aws:route53/zone:Zone")[0]!;
    expect(zone.inputs.name).to.equal(IOT_HOST);
    const record = privateRun.ofType("aws:route53/record:Record")[0]!;
    const iot = endpoints.find((e) => e.inputs.serviceName === "com.amazonaws.eu-west-1.iot.data")!;
    expect(record.inputs).to.deep.include({ name: IOT_HOST, type: "A", zoneId: zone.state.zoneId });
    expect((record.inputs.aliases as { name: string }[])[0]!.name).to.equal(
      (iot.state.dnsEntries as { dnsName: string }[])[0]!.dnsName,
    );
    expect(privateRun.ofType("aws:ec2/internetGateway:InternetGateway")).to.deep.equal([]);
    const egress = privateRun.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
    expect(egress.filter((r) => r.inputs.cidrIpv4 !== undefined)).to.deep.equal([]);
    expect(privateRun.output).to.deep.include({ assignPublicIp: false });
    expect(privateRun.output.subnetIds).to.have.length(1);
  });

  it("public networking: an internet gateway and public IPs, no endpoints, nothing inbound", function () {
    expect(publicRun.ofType("aws:ec2/vpcEndpoint:VpcEndpoint")).to.deep.equal([]);
    expect(publicRun.ofType("aws:ec2/internetGateway:InternetGateway")).to.have.length(1);
    expect(publicRun.ofType("aws:ec2/route:Route").map((r) => r.inputs.destinationCidrBlock)).to.deep.equal([
      "0.0.0.0/0",
      "0.0.0.0/0",
    ]);
    const egress = publicRun.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
    expect(egress.map((r) => [r.inputs.fromPort, r.inputs.cidrIpv4])).to.deep.equal([
      [443, "0.0.0.0/0"],
      [8883, "0.0.0.0/0"],
    ]);
    expect(publicRun.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).to.deep.equal([]);
    expect(publicRun.output).to.deep.include({ assignPublicIp: true, containerName: "simulator" });
    expect(publicRun.output.taskDefinitionArns).to.have.length(3);
  });

  it("passes the policy pack with no violations, in both networkings", async function () {
    for (const run of [privateRun, publicRun]) {
      // The access-log bucket stands in for the lake's; the runner's own resources are what is judged.
      const report = await evaluatePolicies(run.resources.filter((r) => r.name !== "access-logs"));
      expect(report.violations.map((v) => `${v.policy}: ${v.message}`)).to.deep.equal([]);
    }
  });

  it("a shard's command without a profile runs every device for the duration", function () {
    const command = shardCommand(settings({ shards: 4, devicesPerShard: 250, interval: "1m" }), 2, {
      rooms: ["lab"],
      fleetFileVariable: "F",
      credentialsUri: "s3://b/credentials/",
      runsUri: "s3://b/runs/",
    });
    expect(command.join(" ")).to.equal(
      "--fleet env:F --target iot-core --rooms lab --devices 1000 --shard 2/4 --interval 1m --duration 30m --connect-rate 125 --credentials s3://b/credentials/ --out s3://b/runs/ --json",
    );
    expect(parseLoadProfile("0s:0,1m:10").text).to.equal("0s:0,1m:10");
  });
});

describe("fleet runner in an existing VPC", function () {
  const platformVpc: VpcRef = {
    vpcId: "vpc-0platform",
    privateSubnets: [
      { id: "subnet-0platform-a", availabilityZone: "eu-west-1a" },
      { id: "subnet-0platform-b", availabilityZone: "eu-west-1b" },
    ],
  };
  let run: Awaited<ReturnType<typeof runRunner>>;
  before(async function () {
    run = await runRunner({ networking: "private" }, platformVpc);
  });

  it("creates only the tasks' security group in it: no VPC, subnet, route, flow log, endpoint or zone", function () {
    const created = [
      "aws:ec2/vpc:Vpc",
      "aws:ec2/subnet:Subnet",
      "aws:ec2/routeTable:RouteTable",
      "aws:ec2/route:Route",
      "aws:ec2/flowLog:FlowLog",
      "aws:ec2/internetGateway:InternetGateway",
      "aws:ec2/vpcEndpoint:VpcEndpoint",
      "aws:route53/zone:Zone",
    ].flatMap((type) => run.ofType(type).map((r) => r.name));
    expect(created).to.deep.equal([]);
    const groups = run.ofType("aws:ec2/securityGroup:SecurityGroup");
    expect(groups.map((g) => [g.name, g.inputs.vpcId])).to.deep.equal([
      ["sensors-loadtest-fleet-runner-net-tasks", "vpc-0platform"],
    ]);
    const egress = run.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
    expect(egress.map((r) => [r.inputs.fromPort, r.inputs.cidrIpv4])).to.deep.equal([
      [443, "0.0.0.0/0"],
      [8883, "0.0.0.0/0"],
    ]);
  });

  it("starts the tasks in all its private subnets without public addresses", function () {
    expect(run.output).to.deep.include({
      subnetIds: ["subnet-0platform-a", "subnet-0platform-b"],
      securityGroupIds: [run.ofType("aws:ec2/securityGroup:SecurityGroup")[0]!.id],
      assignPublicIp: false,
    });
  });

  it("refuses a VPC without private subnets, or public networking, naming the field and the fix", async function () {
    const error = await runRunner({ networking: "public" }, { vpcId: "vpc-0platform" }).then(
      () => undefined,
      (e: unknown) => String(e),
    );
    expect(error)
      .to.include(
        "existingVpc.privateSubnets has 0 subnet(s), 1 needed: the fleet runner's tasks run in the VPC's private subnets; pass the VPC's private subnets as { id, availabilityZone }",
      )
      .and.include('set networking to "private" or drop existingVpc');
  });
});
