import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../../../policies/synth/project-dir";
import {
  exampleValueReason,
  findPlaceholders,
  isNonDeploymentAccount,
  placeholderMessage,
} from "../../../components/placeholders";
import { readStackFile } from "../../../components/stack-files";
import { stackConfig } from "../../helpers/mocks";

describe("example values in stack files", function () {
  it("finds every example value Pulumi.prod.yaml ships, item by item, and none in Pulumi.dev.yaml", function () {
    expect(findPlaceholders(readStackFile("dev"))).to.deep.equal([]);
    const prod = findPlaceholders(readStackFile("prod"));
    expect(prod.map((p) => `${p.key.replace("sensor-analytics:", "")}=${p.value}`)).to.deep.equal([
      "alertEmail=iot-oncall@example.com",
      "databaseHost=historian.corp.internal",
      "databaseRouteTableIds=rtb-0123456789abcdef0",
      "databaseRouteTableIds=rtb-0fedcba9876543210",
      "databaseSecretArn=arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/historian/glue-reader-AbCdEf",
      "databaseSecurityGroupId=sg-0123456789abcdef0",
      "databaseVpcId=vpc-0a1b2c3d4e5f60718",
      "quicksightPrincipals=arn:aws:quicksight:us-east-1:111122223333:group/default/iot-analysts",
      "quicksightPrincipals=arn:aws:quicksight:us-east-1:111122223333:user/default/ops-lead",
    ]);
  });

  it("marks each of them in the file", function () {
    const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8");
    for (const p of findPlaceholders(readStackFile("prod"))) {
      const line = text.split("\n").find((l) => l.includes(p.value))!;
      expect(line, p.value).to.match(/# EXAMPLE/);
    }
  });

  it("knows the documentation's account IDs, the shipped IDs and host, and reserved domains, and nothing else", function () {
    expect(exampleValueReason("arn:aws:iam::123456789012:role/x")).to.equal(
      "account 123456789012 is the AWS documentation's example account",
    );
    expect(exampleValueReason("db.test")).to.equal(
      "test is reserved for documentation (RFC 2606): nothing there resolves",
    );
    expect(exampleValueReason("ops@mail.example.org")).to.equal(
      "example.org is reserved for documentation (RFC 2606): nothing there receives e-mail",
    );
    for (const real of [
      "arn:aws:secretsmanager:us-east-1:210987654321:secret:prod/historian-AbCdEf",
      "historian.plant.acme.io",
      "vpc-0fe1d2c3b4a596870",
      "oncall@acme.io",
      "1111222233334",
      "cost-center=ops-0007",
    ])
      expect(exampleValueReason(real), real).to.equal(undefined);
  });

  it("are refused only where a deployment is real: not in the documentation's accounts, nor LocalStack's", function () {
    for (const account of ["111122223333", "123456789012", "000000000000"])
      expect(isNonDeploymentAccount(account), account).to.equal(true);
    expect(isNonDeploymentAccount("210987654321")).to.equal(false);
  });

  it("tells pulumi up which keys to set, in which file; secrets are not inspected", function () {
    const raw = stackConfig("prod", { databaseHost: "historian.plant.acme.io" });
    const withSecret = { ...raw, secretKeys: new Set([...raw.secretKeys, "sensor-analytics:alertEmail"]) };
    const found = findPlaceholders(withSecret);
    expect(found.map((p) => p.key)).to.not.include.members([
      "sensor-analytics:alertEmail",
      "sensor-analytics:databaseHost",
    ]);
    expect(placeholderMessage("Pulumi.prod.yaml", found.slice(0, 2), "210987654321")).to.equal(
      [
        "Pulumi.prod.yaml still holds example values; set this key to your own before deploying into account 210987654321 (pulumi config set <key> <value>):",
        '  - sensor-analytics:databaseRouteTableIds: "rtb-0123456789abcdef0" (an example ID shipped in Pulumi.prod.yaml)',
        '  - sensor-analytics:databaseRouteTableIds: "rtb-0fedcba9876543210" (an example ID shipped in Pulumi.prod.yaml)',
      ].join("\n"),
    );
  });
});
