import { expect } from "chai";
import { unwrapSecrets } from "../../helpers/mocks";
import { isSecretValue } from "../../../components/testing";
import type { RecordedResource } from "../../helpers/mocks";
import { runEtl, EtlRun } from "../etl/run-etl";
import { GLUE_INTERFACE_ENDPOINTS } from "../../../components/sources/network-plan";
import { DEMO_MASTER_USER } from "../../../components/sources/demo-database";

const T = {
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  routeTable: "aws:ec2/routeTable:RouteTable",
  route: "aws:ec2/route:Route",
  peering: "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  flowLog: "aws:ec2/flowLog:FlowLog",
  connection: "aws:glue/connection:Connection",
  crawler: "aws:glue/crawler:Crawler",
  rds: "aws:rds/instance:Instance",
  parameterGroup: "aws:rds/parameterGroup:ParameterGroup",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
};

describe("historical sources (dev: demo database in its own VPC)", function () {
  let dev: EtlRun;
  let glueVpc: RecordedResource;
  let dbVpc: RecordedResource;
  let glueSg: RecordedResource;
  let dbSg: RecordedResource;
  const tablesOf = (vpc: RecordedResource) =>
    dev.ofType(T.routeTable).filter((t) => t.inputs.vpcId === vpc.id);

  before(async function () {
    dev = await runEtl("dev");
    glueVpc = dev.named(T.vpc, "sensors-dev-etl-sources-glue-vpc");
    dbVpc = dev.named(T.vpc, "sensors-dev-etl-sources-database-vpc");
    glueSg = dev.named(T.sg, "sensors-dev-etl-sources-glue-glue");
    dbSg = dev.named(T.sg, "sensors-dev-etl-sources-database-database");
  });

  it("builds the Glue VPC and the database VPC from the configured blocks, two private subnets each", function () {
    expect(glueVpc.inputs).to.include({
      cidrBlock: "10.20.0.0/24",
      enableDnsSupport: true,
      enableDnsHostnames: true,
    });
    expect(dbVpc.inputs).to.include({ cidrBlock: "10.30.0.0/24" });
    const subnetsOf = (vpc: RecordedResource) =>
      dev.ofType(T.subnet).filter((s) => s.inputs.vpcId === vpc.id);
    expect(
      subnetsOf(glueVpc).map((s) => [
        s.inputs.cidrBlock,
        s.inputs.availabilityZone,
        s.inputs.mapPublicIpOnLaunch,
      ]),
    ).to.deep.equal([
      ["10.20.0.0/25", "eu-west-1a", false],
      ["10.20.0.128/25", "eu-west-1b", false],
    ]);
    expect(subnetsOf(dbVpc).map((s) => s.inputs.cidrBlock)).to.deep.equal(["10.30.0.0/25", "10.30.0.128/25"]);
    expect(dev.ofType("aws:ec2/internetGateway:InternetGateway")).to.have.length(0);
    expect(dev.ofType("aws:ec2/natGateway:NatGateway")).to.have.length(0);
  });

  it("peers the two VPCs and routes each block into the peering from every route table of the other side", function () {
    const [peering] = dev.ofType(T.peering);
    expect(dev.ofType(T.peering)).to.have.length(1);
    expect(peering!.inputs).to.include({ vpcId: glueVpc.id, peerVpcId: dbVpc.id, autoAccept: true });
    const routesIn = (vpc: RecordedResource, destination: string) =>
      tablesOf(vpc).map((table) =>
        dev
          .ofType(T.route)
          .filter((r) => r.inputs.routeTableId === table.id && r.inputs.destinationCidrBlock === destination),
      );
    for (const routes of routesIn(glueVpc, "10.30.0.0/24")) {
      expect(routes).to.have.length(1);
      expect(routes[0]!.inputs.vpcPeeringConnectionId).to.equal(peering!.id);
    }
    for (const routes of routesIn(dbVpc, "10.20.0.0/24")) {
      expect(routes).to.have.length(1);
      expect(routes[0]!.inputs.vpcPeeringConnectionId).to.equal(peering!.id);
    }
    expect(tablesOf(glueVpc)).to.have.length(2);
    expect(tablesOf(dbVpc)).to.have.length(2);
    const options = dev.ofType("aws:ec2/peeringConnectionOptions:PeeringConnectionOptions")[0]!;
    expect(options.inputs).to.deep.include({
      vpcPeeringConnectionId: peering!.id,
      requester: { allowRemoteVpcDnsResolution: true },
      accepter: { allowRemoteVpcDnsResolution: true },
    });
  });

  it("gives the Glue security group the self-referencing all-TCP ingress rule Glue requires, and nothing else inbound", function () {
    const ingress = dev.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === glueSg.id);
    expect(ingress.map((r) => r.inputs)).to.deep.equal([
      {
        securityGroupId: glueSg.id,
        referencedSecurityGroupId: glueSg.id,
        ipProtocol: "tcp",
        fromPort: 0,
        toPort: 65535,
        description: "Glue requires all TCP between the workers of a job",
      },
    ]);
  });

  it("lets Glue out only to itself, S3, the interface endpoints and the database port in the peer VPC", function () {
    const egress = dev.ofType(T.egress).filter((r) => r.inputs.securityGroupId === glueSg.id);
    const s3 = dev.named(T.endpoint, "sensors-dev-etl-sources-glue-s3");
    const endpointSg = dev.named(T.sg, "sensors-dev-etl-sources-glue-endpoints");
    expect(
      egress.map((r) => [
        r.inputs.referencedSecurityGroupId ?? r.inputs.prefixListId ?? r.inputs.cidrIpv4,
        r.inputs.fromPort,
        r.inputs.toPort,
      ]),
    ).to.have.deep.members([
      [glueSg.id, 0, 65535],
      [s3.state.prefixListId, 443, 443],
      [endpointSg.id, 443, 443],
      ["10.30.0.0/24", 5432, 5432],
    ]);
  });

  it("opens the database port only to the Glue security group and the seed function's", function () {
    const seedSg = dev.named(T.sg, "sensors-dev-etl-sources-database-seed-function");
    const ingress = dev.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === dbSg.id);
    expect(
      ingress.map((r) => [
        r.inputs.referencedSecurityGroupId,
        r.inputs.ipProtocol,
        r.inputs.fromPort,
        r.inputs.toPort,
      ]),
    ).to.have.deep.members([
      [glueSg.id, "tcp", 5432, 5432],
      [seedSg.id, "tcp", 5432, 5432],
    ]);
    for (const rule of ingress) expect(rule.inputs).to.not.have.any.keys("cidrIpv4", "cidrIpv6");
  });

  it("seeds the demo database once at deploy, from a function in its VPC that reaches only the database and Secrets Manager", function () {
    const config = dev.value.config;
    const seedSg = dev.named(T.sg, "sensors-dev-etl-sources-database-seed-function");
    const endpointSg = dev.named(T.sg, "sensors-dev-etl-sources-database-seed-endpoint");
    const fn = dev.named("aws:lambda/function:Function", "sensors-dev-etl-sources-database-seed-function");
    const db = dev.ofType(T.rds)[0]!;
    const dbSubnets = dev
      .ofType(T.subnet)
      .filter((s) => s.inputs.vpcId === dbVpc.id)
      .map((s) => s.id);
    expect(fn.inputs.vpcConfig).to.deep.equal({ subnetIds: dbSubnets, securityGroupIds: [seedSg.id] });
    expect((fn.inputs.environment as { variables: Record<string, string> }).variables).to.deep.equal({
      DB_HOST: db.state.address,
      DB_PORT: "5432",
      DB_NAME: "telemetry",
      DB_SECRET_ARN: (db.state.masterUserSecrets as { secretArn: string }[])[0]!.secretArn,
      NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
    });
    const invocation = dev.ofType("aws:lambda/invocation:Invocation");
    expect(invocation).to.have.length(1);
    expect(invocation[0]!.inputs.functionName).to.equal(fn.state.name);
    expect(JSON.parse(invocation[0]!.inputs.input as string)).to.deep.equal({
      deployment: "sensors-dev",
      rooms: config.fleet.rooms,
      sensorsPerRoom: config.fleet.sensorsPerRoom,
      days: 1,
      intervalSeconds: 10,
      seed: "1",
    });
    // A replaced database is seeded again; the invocation waits for the network and the role's policy.
    expect(invocation[0]!.inputs.triggers).to.deep.equal({ database: db.state.resourceId });
    expect(invocation[0]!.dependsOn).to.include(
      dev.named("aws:iam/rolePolicy:RolePolicy", "sensors-dev-etl-sources-database-seed-function-policy").urn,
    );
    const egress = dev.ofType(T.egress).filter((r) => r.inputs.securityGroupId === seedSg.id);
    expect(egress.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.fromPort])).to.deep.equal([
      [dbSg.id, 5432],
      [endpointSg.id, 443],
    ]);
    expect(
      dev.named(T.endpoint, "sensors-dev-etl-sources-database-seed-secretsmanager").inputs,
    ).to.deep.include({
      vpcId: dbVpc.id,
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
      serviceName: "com.amazonaws.eu-west-1.secretsmanager",
      securityGroupIds: [endpointSg.id],
    });
  });

  it("reaches S3 through a gateway endpoint on every Glue route table and the other services through interface endpoints", function () {
    const s3 = dev.named(T.endpoint, "sensors-dev-etl-sources-glue-s3");
    expect(s3.inputs).to.deep.include({
      vpcEndpointType: "Gateway",
      serviceName: "com.amazonaws.eu-west-1.s3",
      routeTableIds: tablesOf(glueVpc).map((t) => t.id),
    });
    const connectionSubnet = dev.named(T.subnet, "sensors-dev-etl-sources-glue-private-1");
    for (const service of GLUE_INTERFACE_ENDPOINTS) {
      const endpoint = dev.named(T.endpoint, `sensors-dev-etl-sources-glue-${service}`);
      expect(endpoint.inputs).to.deep.include({
        vpcEndpointType: "Interface",
        serviceName: `com.amazonaws.eu-west-1.${service}`,
        privateDnsEnabled: true,
        subnetIds: [connectionSubnet.id],
      });
    }
  });

  it("logs the flows of both VPCs into KMS-encrypted log groups and strips both default security groups", function () {
    const keyArn = dev.ofType("aws:kms/key:Key")[0]!.state.arn;
    const flowLogs = dev.ofType(T.flowLog);
    expect(flowLogs.map((f) => f.inputs.vpcId).sort()).to.deep.equal([glueVpc.id, dbVpc.id].sort());
    for (const flowLog of flowLogs) {
      expect(flowLog.inputs).to.include({ trafficType: "ALL", logDestinationType: "cloud-watch-logs" });
      const group = dev.ofType(T.logGroup).find((g) => g.state.arn === flowLog.inputs.logDestination)!;
      expect(group.inputs).to.include({ kmsKeyId: keyArn, retentionInDays: 14 });
    }
    const defaults = dev.ofType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
    expect(defaults.map((d) => d.inputs.vpcId).sort()).to.deep.equal([glueVpc.id, dbVpc.id].sort());
    for (const d of defaults) expect(d.inputs.ingress ?? []).to.deep.equal([]);
  });

  it("creates a private, encrypted PostgreSQL whose password RDS keeps in Secrets Manager, with TLS forced", function () {
    const keyArn = dev.ofType("aws:kms/key:Key")[0]!.state.arn;
    const db = dev.ofType(T.rds)[0]!;
    expect(db.inputs).to.include({
      engine: "postgres",
      engineVersion: "17",
      instanceClass: "db.t4g.micro",
      dbName: "telemetry",
      port: 5432,
      username: DEMO_MASTER_USER,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: keyArn,
      storageEncrypted: true,
      kmsKeyId: keyArn,
      publiclyAccessible: false,
      deletionProtection: false,
      skipFinalSnapshot: true,
    });
    expect(db.inputs).to.not.have.property("password");
    expect(db.inputs.vpcSecurityGroupIds).to.deep.equal([dbSg.id]);
    expect(db.protect).to.equal(false);
    const parameters = dev.ofType(T.parameterGroup)[0]!;
    expect(parameters.inputs).to.deep.include({
      family: "postgres17",
      parameters: [{ name: "rds.force_ssl", value: "1", applyMethod: "immediate" }],
    });
    expect(db.inputs.parameterGroupName).to.equal(parameters.state.name);
    const logGroup = dev.named(T.logGroup, "sensors-dev-etl-sources-database-log-postgresql");
    expect(logGroup.inputs).to.include({
      name: `/aws/rds/instance/${db.inputs.identifier as string}/postgresql`,
      kmsKeyId: keyArn,
    });
  });

  it("defines the JDBC connection with the engine's URL, the RDS-managed secret, TLS and the Glue subnet, zone and security group", function () {
    const db = dev.ofType(T.rds)[0]!;
    const secretArn = (db.state.masterUserSecrets as { secretArn: string }[])[0]!.secretArn;
    const connection = dev.ofType(T.connection)[0]!;
    const subnet = dev.named(T.subnet, "sensors-dev-etl-sources-glue-private-1");
    // The provider marks connectionProperties secret (it may carry credentials), so the mocks keep it secret.
    expect(isSecretValue(connection.inputs.connectionProperties)).to.equal(true);
    expect(unwrapSecrets(connection.inputs)).to.deep.include({
      connectionType: "JDBC",
      connectionProperties: {
        JDBC_CONNECTION_URL: `jdbc:postgresql://${db.state.address as string}:5432/telemetry`,
        SECRET_ID: secretArn,
        JDBC_ENFORCE_SSL: "true",
      },
      physicalConnectionRequirements: {
        subnetId: subnet.id,
        availabilityZone: "eu-west-1a",
        securityGroupIdLists: [glueSg.id],
      },
    });
    // The RDS-managed secret is used as is: nothing is stored twice.
    expect(dev.ofType(T.secret)).to.have.length(0);
  });

  it("crawls the readings table through the connection and the landing prefix's CSV files into the sources database", function () {
    const connection = dev.ofType(T.connection)[0]!;
    const sources = dev.named("aws:glue/catalogDatabase:CatalogDatabase", "sensors-dev-etl-glue-sources");
    expect(sources.inputs.name).to.equal("sensors_dev_sources");
    const jdbcCrawler = dev.named(T.crawler, "sensors-dev-etl-sources-jdbc-crawler");
    expect(jdbcCrawler.inputs).to.deep.include({
      databaseName: "sensors_dev_sources",
      jdbcTargets: [{ connectionName: connection.state.name, path: "telemetry/public/readings" }],
    });
    const landing = dev.named(T.crawler, "sensors-dev-etl-sources-s3-crawler");
    const raw = dev.named("aws:s3/bucket:Bucket", "sensors-dev-lake-raw");
    expect(landing.inputs).to.deep.include({
      databaseName: "sensors_dev_sources",
      recrawlPolicy: { recrawlBehavior: "CRAWL_NEW_FOLDERS_ONLY" },
      schemaChangePolicy: { updateBehavior: "LOG", deleteBehavior: "LOG" },
    });
    expect((landing.inputs.s3Targets as { path: string }[])[0]!.path).to.equal(
      `s3://${raw.state.bucket as string}/landing/historical/`,
    );
    const classifier = dev.ofType("aws:glue/classifier:Classifier")[0]!;
    expect(landing.inputs.classifiers).to.deep.equal([classifier.state.name]);
    expect(classifier.inputs.csvClassifier).to.deep.include({ containsHeader: "PRESENT", delimiter: "," });
  });
});

describe("historical sources (prod: existing SQL Server in another VPC)", function () {
  let prod: EtlRun;
  before(async function () {
    prod = await runEtl("prod");
  });

  it("creates no database VPC or database, and peers with the configured VPC", function () {
    expect(prod.ofType(T.rds)).to.have.length(0);
    expect(prod.ofType(T.vpc).map((v) => v.name)).to.deep.equal(["sensors-prod-etl-sources-glue-vpc"]);
    const glueVpc = prod.ofType(T.vpc)[0]!;
    expect(prod.ofType(T.peering)[0]!.inputs).to.include({
      vpcId: glueVpc.id,
      peerVpcId: "vpc-0a1b2c3d4e5f60718",
    });
  });

  it("routes the Glue block from each configured route table and the database block from each Glue route table", function () {
    const routes = prod.ofType(T.route);
    const peering = prod.ofType(T.peering)[0]!;
    const back = routes.filter((r) => r.inputs.destinationCidrBlock === "10.40.0.0/24");
    expect(back.map((r) => r.inputs.routeTableId)).to.deep.equal([
      "rtb-0123456789abcdef0",
      "rtb-0fedcba9876543210",
    ]);
    const out = routes.filter((r) => r.inputs.destinationCidrBlock === "172.16.0.0/16");
    expect(out.map((r) => r.inputs.routeTableId).sort()).to.deep.equal(
      prod
        .ofType(T.routeTable)
        .map((t) => t.id)
        .sort(),
    );
    for (const r of routes) expect(r.inputs.vpcPeeringConnectionId).to.equal(peering.id);
  });

  it("adds one ingress rule to the existing database security group, from the Glue security group on 1433", function () {
    const glueSg = prod.named(T.sg, "sensors-prod-etl-sources-glue-glue");
    const rules = prod.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === "sg-0123456789abcdef0");
    expect(rules.map((r) => r.inputs)).to.deep.equal([
      {
        securityGroupId: "sg-0123456789abcdef0",
        referencedSecurityGroupId: glueSg.id,
        ipProtocol: "tcp",
        fromPort: 1433,
        toPort: 1433,
        description: "sqlserver from the Glue security group across the VPC peering",
      },
    ]);
  });

  it("uses SQL Server's URL syntax and the configured secret", function () {
    expect(unwrapSecrets(prod.ofType(T.connection)[0]!.inputs.connectionProperties)).to.deep.equal({
      JDBC_CONNECTION_URL: "jdbc:sqlserver://historian.corp.internal:1433;databaseName=historian",
      SECRET_ID: "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/historian/glue-reader-AbCdEf",
      JDBC_ENFORCE_SSL: "true",
    });
    expect(prod.named(T.crawler, "sensors-prod-etl-sources-jdbc-crawler").inputs.jdbcTargets).to.deep.equal([
      { connectionName: prod.ofType(T.connection)[0]!.state.name, path: "historian/dbo/readings" },
    ]);
    expect(prod.ofType(T.secret)).to.have.length(0);
  });
});

describe("historical sources: overrides and errors", function () {
  it("stores a configured password in a KMS-encrypted secret when no secret ARN is given", async function () {
    const run = await runEtl(
      "prod",
      { databaseSecretArn: undefined, databasePassword: "s3cr3t-Passw0rd" },
      {},
      ["databasePassword"],
    );
    const keyArn = run.ofType("aws:kms/key:Key")[0]!.state.arn;
    const secret = run.ofType(T.secret)[0]!;
    expect(secret.inputs).to.include({ kmsKeyId: keyArn, recoveryWindowInDays: 30 });
    const version = run.ofType(T.secretVersion)[0]!;
    expect(JSON.parse(unwrapSecrets(version.inputs.secretString) as string)).to.deep.equal({
      username: "glue_reader",
      password: "s3cr3t-Passw0rd",
    });
    expect(
      (unwrapSecrets(run.ofType(T.connection)[0]!.inputs.connectionProperties) as Record<string, string>)
        .SECRET_ID,
    ).to.equal(secret.state.arn);
  });

  it("uses each engine's port and URL for a demo MySQL, which starts empty (the seed speaks PostgreSQL)", async function () {
    const run = await runEtl("dev", { databaseEngine: "mysql" });
    expect(run.ofType("aws:lambda/invocation:Invocation")).to.have.length(0);
    const db = run.ofType(T.rds)[0]!;
    expect(db.inputs).to.include({ engine: "mysql", port: 3306 });
    expect(
      (unwrapSecrets(run.ofType(T.connection)[0]!.inputs.connectionProperties) as Record<string, string>)
        .JDBC_CONNECTION_URL,
    ).to.equal(`jdbc:mysql://${db.state.address as string}:3306/telemetry`);
    expect(run.ofType(T.parameterGroup)[0]!.inputs.parameters).to.deep.equal([
      { name: "require_secure_transport", value: "1", applyMethod: "immediate" },
    ]);
  });

  it("protects the demo database when protectData is on", async function () {
    const run = await runEtl("dev", { protectData: true });
    const db = run.ofType(T.rds)[0]!;
    expect(db.inputs).to.include({
      deletionProtection: true,
      skipFinalSnapshot: false,
      backupRetentionPeriod: 7,
    });
    expect(db.protect).to.equal(true);
    expect(db.retainOnDelete).to.equal(true);
  });

  it("refuses a Glue VPC too small for the JDBC import's workers before creating anything", async function () {
    let caught: Error | undefined;
    await runEtl("dev", { glueVpcCidr: "10.20.0.0/27", glueWorkers: 20 }).catch((e: Error) => (caught = e));
    expect(caught?.message).to.contain(
      "sensor-analytics:glueVpcCidr 10.20.0.0/27 leaves 11 usable addresses in the Glue connection's subnet 10.20.0.0/28, but a JDBC import with 20 workers needs 26",
    );
    expect(caught?.message).to.contain("in Pulumi.dev.yaml");
  });
});
