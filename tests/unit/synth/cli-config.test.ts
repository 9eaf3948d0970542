import { expect } from "chai";
import * as path from "path";
import { parsePlatformConfig } from "../../../components/config";
import { PROJECT_DIR } from "../../../policies/synth/project-dir";
import { listStacks } from "../../../components/stack-files";
import {
  applyProjectConfig,
  languageHostConfigEnv,
  loadProject,
  loadStackConfig,
  ProjectError,
  PulumiProject,
  readStackValues,
  resolveProgramEntry,
  StackConfigError,
} from "../../../components/testing";
import { tempProject } from "../../helpers/temp-project";

const PROJECT_YAML = "name: demo\nruntime: nodejs\n";

/** The messages the CLI's stack-config validation gives a stack file, or [] when it accepts it. */
function cliMessages(project: PulumiProject, stackYaml: string): string[] {
  const dir = tempProject({ "Pulumi.dev.yaml": stackYaml });
  try {
    applyProjectConfig(project, "dev", "Pulumi.dev.yaml", readStackValues(project.name, "dev", dir).values);
    return [];
  } catch (err) {
    if (err instanceof StackConfigError) return [...err.messages];
    throw err;
  }
}

describe("the Pulumi CLI's view of the project", function () {
  const project = loadProject(PROJECT_DIR);

  describe("entry point: the file pulumi up loads", function () {
    it("is index.ts, set by Pulumi.yaml main, whatever package.json's main says", function () {
      const entry = resolveProgramEntry(project);
      expect(entry).to.deep.include({
        programDirectory: PROJECT_DIR,
        entryPoint: "index.ts",
        file: path.join(PROJECT_DIR, "index.ts"),
        source: "Pulumi.yaml main",
      });
      expect(entry.warning).to.equal(undefined);
    });

    it("without Pulumi.yaml main, is package.json's exports, else its main, else the directory's index", function () {
      const resolve = (pkg: object, extra: Record<string, string> = {}) => {
        const dir = tempProject({
          "Pulumi.yaml": PROJECT_YAML,
          "package.json": JSON.stringify(pkg),
          "index.ts": "",
          "lib/entry.ts": "",
          ...extra,
        });
        const entry = resolveProgramEntry(loadProject(dir));
        return { file: path.relative(dir, entry.file), source: entry.source, warning: entry.warning };
      };
      expect(resolve({ main: "lib/entry.ts" })).to.deep.equal({
        file: "lib/entry.ts",
        source: 'package.json "main"',
        warning: undefined,
      });
      expect(resolve({ main: "index.ts", exports: "./lib/entry.ts" }).file).to.equal("lib/entry.ts");
      expect(resolve({ exports: { ".": { require: "./lib/entry.ts" } } }).source).to.equal(
        'package.json "exports"',
      );
      expect(resolve({})).to.deep.equal({
        file: "index.ts",
        source: "the program directory's index",
        warning: undefined,
      });
      expect(resolve({}, { "index.js": "" }).file).to.equal("index.js");
      const missing = resolve({ main: "dist/index.js" });
      expect(missing.file).to.equal("index.ts");
      expect(missing.warning).to.match(
        /^Could not find entry point 'dist\/index.js' specified in package.json; using '.*' instead$/,
      );
    });

    it("refuses a main outside the project, as the CLI does", function () {
      const dir = tempProject({
        "Pulumi.yaml": `${PROJECT_YAML}main: ../elsewhere.ts\n`,
        "package.json": "{}",
      });
      expect(() => resolveProgramEntry(loadProject(dir))).to.throw(
        ProjectError,
        "project 'main' must be a subfolder",
      );
    });
  });

  describe("stack-config validation (ValidateStackConfigAndApplyProjectConfig)", function () {
    it("accepts every shipped stack file, and hands the program Pulumi.yaml's defaults as values", function () {
      expect(listStacks(PROJECT_DIR)).to.include.members(["dev", "prod"]);
      for (const stack of listStacks(PROJECT_DIR)) {
        const config = loadStackConfig(project, stack);
        // The program accepts what the CLI hands it, empty defaults included.
        const parsed = parsePlatformConfig({
          stack,
          stackFile: config.stackFile,
          values: config.values,
          secretKeys: new Set(config.secretKeys),
        });
        expect(parsed.stack, stack).to.equal(stack);
      }
      const dev = loadStackConfig(project, "dev");
      expect(dev.values).to.include({
        "sensor-analytics:databaseVpcId": "",
        "sensor-analytics:databaseRouteTableIds": "[]",
        "sensor-analytics:app": "sensors",
        "sensor-analytics:sensorsPerRoom": "2",
        "sensor-analytics:firehoseDynamicPartitioning": "true",
        "sensor-analytics:rooms": '["lab","office"]',
      });
      expect(dev.secretKeys).to.deep.equal([]);
    });

    it("Pulumi.yaml gives every key a default and no secret key one (the CLI refuses a plain default)", function () {
      for (const [key, declared] of Object.entries(project.config)) {
        expect(declared.default, key).to.not.equal(undefined);
        expect(declared.secret ?? false, key).to.equal(false);
      }
    });

    it("refuses a secret key whose value is plain text, or only a default, with the CLI's message", function () {
      const withSecret: PulumiProject = {
        ...project,
        config: { ...project.config, databasePassword: { type: "string", secret: true, default: "" } },
      };
      expect(cliMessages(withSecret, "config:\n  aws:region: eu-west-1\n")).to.deep.equal([
        "Stack 'dev' with configuration key 'databasePassword' must be encrypted as it's secret",
      ]);
      const required: PulumiProject = {
        ...project,
        config: { ...project.config, databasePassword: { type: "string", secret: true } },
      };
      expect(
        cliMessages(
          required,
          "config:\n  aws:region: eu-west-1\n  sensor-analytics:databasePassword: hunter2\n",
        ),
      ).to.deep.equal([
        "Stack 'dev' with configuration key 'databasePassword' must be encrypted as it's secret",
      ]);
      expect(
        cliMessages(
          required,
          "config:\n  sensor-analytics:databasePassword:\n    secure: v1:bm9uY2U=:Y2lwaGVy\n",
        ),
      ).to.deep.equal([]);
    });

    it("requires every declared key without a default, naming them as the CLI does", function () {
      const strict: PulumiProject = {
        ...project,
        config: {
          ...project.config,
          databaseHost: { type: "string" },
          databaseVpcId: { type: "string" },
          alertEmail: { type: "string" },
        },
      };
      expect(cliMessages(strict, "config:\n  aws:region: eu-west-1\n")).to.deep.equal([
        "Stack 'dev' is missing configuration values 'alertEmail', 'databaseHost' and 'databaseVpcId'",
      ]);
      expect(
        cliMessages(strict, "config:\n  alertEmail: a@b.io\n  sensor-analytics:databaseVpcId: vpc-1\n"),
      ).to.deep.equal(["Stack 'dev' is missing configuration value 'databaseHost'"]);
    });

    it("checks each value's type: integers and booleans as written, lists item by item", function () {
      expect(
        cliMessages(
          project,
          [
            "config:",
            "  sensor-analytics:sensorsPerRoom: many",
            "  sensor-analytics:protectData: yes",
            "  sensor-analytics:rooms: lab",
            "  sensor-analytics:tags: [1, 2]",
            "  sensor-analytics:logRetentionDays: 14",
            "  sensor-analytics:glueVersion: 5.0",
          ].join("\n"),
        ),
      ).to.deep.equal([
        "Stack 'dev' with configuration key 'protectData' must be of type 'boolean'",
        "Stack 'dev' with configuration key 'rooms' must be of type 'array<string>'",
        "Stack 'dev' with configuration key 'sensorsPerRoom' must be of type 'integer'",
        "Stack 'dev' with configuration key 'tags' must be of type 'array<string>'",
      ]);
    });

    it("hands the program PULUMI_CONFIG with <namespace>:config:<name> keys, and the secret keys", function () {
      const env = languageHostConfigEnv({
        values: { "aws:region": "eu-west-1", "sensor-analytics:rooms": '["lab"]' },
        secretKeys: ["sensor-analytics:databasePassword"],
      });
      expect(JSON.parse(env.PULUMI_CONFIG!)).to.deep.equal({
        "aws:config:region": "eu-west-1",
        "sensor-analytics:config:rooms": '["lab"]',
      });
      expect(JSON.parse(env.PULUMI_CONFIG_SECRET_KEYS!)).to.deep.equal(["sensor-analytics:databasePassword"]);
    });

    it("refuses a Pulumi.yaml default of the wrong type, as the CLI does", function () {
      const dir = tempProject({
        "Pulumi.yaml": `${PROJECT_YAML}config:\n  workers:\n    type: integer\n    default: two\n`,
      });
      expect(() => loadProject(dir)).to.throw(
        "The default value specified for configuration key 'workers' is not of the expected type 'integer'",
      );
    });
  });
});
