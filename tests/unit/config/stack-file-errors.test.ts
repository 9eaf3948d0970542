// Stack files a person got wrong: invalid YAML is reported with file, line and column; a key in a misspelled
// project namespace is an error with the key it was meant to be; another provider's unknown key or an unknown
// namespace is a warning with a suggestion.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../../../components/config";
import { PROJECT_DIR } from "../../../policies/synth/project-dir";
import { AWS_PROVIDER_KEYS, checkNamespaces } from "../../../components/config-namespaces";
import { readStackFile, StackFileError } from "../../../components/stack-files";
import { testTempDir } from "../../helpers/temp-dir";

function stackDir(body: string): string {
  const dir = testTempDir("stackfile-errors-");
  fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  fs.writeFileSync(path.join(dir, "Pulumi.qa.yaml"), body);
  return dir;
}

const check = (values: Record<string, string>) =>
  checkNamespaces({ stackFile: "Pulumi.qa.yaml", values, secretKeys: new Set() });

describe("stack file errors", function () {
  it("names file, line and column of invalid YAML", function () {
    const dir = stackDir(
      "config:\n  aws:region: eu-west-1\n  sensor-analytics:rooms: [lab, office\n  sensor-analytics:sensorsPerRoom: 2\n",
    );
    let error: unknown;
    try {
      readStackFile("qa", dir);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(StackFileError);
    const e = error as StackFileError;
    expect([e.line, e.column]).to.deep.equal([4, 3]);
    expect(e.message).to.match(/Pulumi\.qa\.yaml:4:3: not valid YAML: .*; fix the file there$/);
    expect(e.message).to.not.contain("\n");
  });

  it("refuses a key in a misspelling of the project's namespace, naming the key it was meant to be", function () {
    const dir = stackDir("config:\n  aws:region: eu-west-1\n  sensor-analytic:rooms: [lab]\n");
    expect(() => readStackFile("qa", dir)).to.throw(
      ConfigError,
      /sensor-analytic:rooms is in namespace "sensor-analytic", which nothing reads.*\(got "\[\\"lab\\"\]"\) in Pulumi\.qa\.yaml; fix: did you mean sensor-analytics:rooms\?/,
    );
  });

  it("warns about another provider's unknown key and unknown namespaces, with a suggestion", function () {
    const { problems, warnings } = check({
      "aws:region": "eu-west-1",
      "aws:regoin": "eu-west-2",
      "aws:profile": "dev",
      "pulumi:tags": "{}",
      "sensor-analytics:rooms": "[]",
      "awz:region": "x",
      "acme:thing": "y",
    });
    expect(problems).to.deep.equal([]);
    expect(warnings).to.deep.equal([
      "aws:regoin in Pulumi.qa.yaml is not a setting of the aws provider, so it has no effect; did you mean aws:region?",
      'awz:region in Pulumi.qa.yaml is in namespace "awz", which neither this program nor its providers read; did you mean aws:region?',
      'acme:thing in Pulumi.qa.yaml is in namespace "acme", which neither this program nor its providers read; settings of this project are sensor-analytics:<name>',
    ]);
  });

  it("knows every setting of the installed AWS provider", async function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const vars = require("@pulumi/aws/config/vars") as Record<string, unknown>;
    expect([...AWS_PROVIDER_KEYS].sort()).to.deep.equal(Object.keys(vars).sort());
  });
});
