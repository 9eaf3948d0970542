/**
 * The ETL over an existing historical database given by reference (`existingDatabase`, a `DatabaseRef`): no
 * demo database, peering into the given VPC's route tables, the given secret and its key for Glue; and a clear
 * error when the database is named twice.
 */
import { expect } from "chai";
import { parsePlatformConfig } from "../../../components/config";
import type { DatabaseRef } from "../../../components/shared/resource-refs";
import { runEtl, type EtlRun } from "../etl/run-etl";
import { stackConfig } from "../../helpers/mocks";

const HISTORIAN: DatabaseRef = {
  vpc: { vpcId: "vpc-0historian", routeTableIds: ["rtb-0historian"] },
  host: "historian.corp.internal",
  securityGroupId: "sg-0historian",
  secretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:historian-AbCdEf",
  secretKmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/historian-key",
};
const { existing: _fromConfig, ...demoSettings } = parsePlatformConfig(stackConfig("dev")).database;
const existingMode = { ...demoSettings, mode: "existing" as const };

describe("Etl over an existing database given as a DatabaseRef", function () {
  let run: EtlRun;
  before(async function () {
    run = await runEtl("dev", {}, { database: existingMode, existingDatabase: HISTORIAN });
  });

  it("creates no database and peers with the given VPC, routing from its route tables", function () {
    expect(run.ofType("aws:rds/instance:Instance")).to.deep.equal([]);
    const [peering] = run.ofType("aws:ec2/vpcPeeringConnection:VpcPeeringConnection");
    expect(peering!.inputs.peerVpcId).to.equal(HISTORIAN.vpc.vpcId);
    const routeTables = run.ofType("aws:ec2/route:Route").map((r) => r.inputs.routeTableId);
    expect(routeTables).to.include("rtb-0historian");
    const ingress = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    expect(ingress.map((r) => r.inputs.securityGroupId)).to.include(HISTORIAN.securityGroupId);
  });

  it("lets Glue read the given secret and decrypt it with the given key", function () {
    const access = JSON.stringify(
      run.named("aws:iam/rolePolicy:RolePolicy", "sensors-dev-etl-glue-access").inputs.policy,
    );
    expect(access)
      .to.include(HISTORIAN.secretArn as string)
      .and.include(HISTORIAN.secretKmsKeyArn as string);
  });

  it("refuses a database named both by reference and by configuration, or in demo mode", async function () {
    const fromConfig = {
      ...existingMode,
      existing: {
        ...HISTORIAN.vpc,
        routeTableIds: ["rtb-1"],
        securityGroupId: "sg-1",
        host: "h",
        username: "u",
        secretArn: "arn:s",
      },
    };
    for (const database of [fromConfig, demoSettings]) {
      const error = await runEtl("dev", {}, { database, existingDatabase: HISTORIAN }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String(error)).to.match(/existingDatabase/);
    }
  });
});
