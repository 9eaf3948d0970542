import { expect } from "chai";
import { ESLint, Linter } from "eslint";
import * as path from "node:path";
import * as tseslint from "typescript-eslint";

// `npm run lint` must fail on a breach of the import boundaries (eslint.boundaries.mjs, included by
// eslint.config.mjs). The rule settings come from the repository's own config, resolved for a path inside each
// area (calculateConfigForFile reads the config without type-checking anything); the snippets are then linted
// in memory with that rule alone, so the test costs milliseconds rather than a type-aware program.
describe("import boundaries (npm run lint)", function () {
  const repoRoot = path.resolve(__dirname, "../../..");
  const eslint = new ESLint({ cwd: repoRoot });
  const linter = new Linter({ configType: "flat" });

  async function boundaryErrors(file: string, code: string): Promise<string[]> {
    const filePath = path.join(repoRoot, file);
    const resolved = (await eslint.calculateConfigForFile(filePath)) as Linter.Config;
    const rule = resolved.rules?.["no-restricted-imports"];
    expect(rule, `eslint.config.mjs sets no-restricted-imports for ${file}`).to.not.equal(undefined);
    const messages = linter.verify(
      code,
      [
        {
          files: ["**/*.ts"],
          languageOptions: { parser: tseslint.parser },
          rules: { "no-restricted-imports": rule },
        },
      ],
      filePath,
    );
    expect(messages.filter((m) => m.fatal)).to.deep.equal([]);
    return messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
  }

  it("fails on a file under local/ that imports @pulumi/pulumi (and devices/, functions/ alike)", async () => {
    const code = 'import * as pulumi from "@pulumi/pulumi";\nexport const name = pulumi.getStack();\n';
    for (const file of ["local/etl/probe.ts", "devices/probe.ts", "functions/etl-planner/probe.ts"]) {
      const errors = await boundaryErrors(file, code);
      expect(errors, file).to.have.length(1);
      expect(errors[0]).to.match(/Pulumi SDK belongs to components/);
    }
    expect(await boundaryErrors("local/probe.ts", 'export { s } from "@pulumi/aws/s3";\n')).to.have.length(1);
  });

  it("fails on a component that imports devices/, local/ or policies/ by relative path", async () => {
    for (const specifier of [
      "../../devices/plan",
      "../../local/clock",
      "../policies/synth/synth",
      "../../devices",
    ]) {
      const errors = await boundaryErrors("components/iot/probe.ts", `export * from "${specifier}";\n`);
      expect(errors, specifier).to.have.length(1);
      expect(errors[0]).to.match(/never imports local\/, devices\/ or policies\//);
    }
  });

  it("fails on a handler that imports the local backend", async () => {
    const errors = await boundaryErrors(
      "functions/etl-planner/probe.ts",
      'export { x } from "../../local/clock";\n',
    );
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/never depend on the local backend/);
  });

  it("passes the imports each area is allowed", async () => {
    expect(
      await boundaryErrors("local/probe.ts", 'export * from "../components/iot/rule-sql";\n'),
    ).to.deep.equal([]);
    expect(
      await boundaryErrors("devices/probe.ts", 'export * from "../components/telemetry/fleet";\n'),
    ).to.deep.equal([]);
    expect(
      await boundaryErrors("components/iot/probe.ts", 'export * from "../shared/service-role";\n'),
    ).to.deep.equal([]);
    expect(
      await boundaryErrors("functions/etl-planner/probe.ts", 'export * from "../../components/etl/plan";\n'),
    ).to.deep.equal([]);
  });
});
