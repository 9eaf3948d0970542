/**
 * The components package as something a platform team installs: self-contained (no import or read outside
 * it), its dependencies exactly what it imports, every handler it deploys shipped pre-bundled, its settings'
 * defaults the ones Pulumi.yaml declares. `npm run test:package` checks the packed tarball in a fresh project.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { builtinModules } from "module";
import { readProjectDeclarations } from "../../../components/config";
import { PLATFORM_CONFIG_DECLARATIONS } from "../../../components/config-declarations";
import { LAMBDA_HANDLERS, PACKAGE_NAME, packageRoot } from "../../../components/shared/package-assets";
import { PROJECT_DIR } from "../../../policies/synth/project-dir";

const COMPONENTS = path.join(PROJECT_DIR, "components");
const manifest = JSON.parse(fs.readFileSync(path.join(COMPONENTS, "package.json"), "utf8")) as {
  name: string;
  private?: boolean;
  version: string;
  exports: Record<string, unknown>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

/** Every .ts file the package builds (not its build scripts). */
function packageSources(dir = COMPONENTS): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return ["dist", "node_modules", "assets", "scripts"].includes(entry.name) ? [] : packageSources(full);
    }
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** Module specifiers of a file's imports, requires and dynamic imports. */
function specifiers(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...code.matchAll(/(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*|^import\s+)"([^"\n]+)"/gm)].map(
    (m) => m[1]!,
  );
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

describe("the components package", function () {
  const sources = packageSources();

  it("is a public, versioned package with a root and a testing entry", function () {
    expect(manifest.name).to.equal(PACKAGE_NAME);
    expect(manifest.private).to.equal(undefined);
    expect(manifest.version).to.match(/^0\.\d+\.\d+$/);
    expect(Object.keys(manifest.exports)).to.include.members([".", "./testing"]);
    expect(packageRoot()).to.equal(COMPONENTS);
  });

  it("imports nothing from outside itself", function () {
    const outside = sources.flatMap((file) =>
      specifiers(file)
        .filter((s) => s.startsWith("."))
        .filter((s) => path.relative(COMPONENTS, path.resolve(path.dirname(file), s)).startsWith(".."))
        .map((s) => `${path.relative(PROJECT_DIR, file)}: ${s}`),
    );
    expect(outside).to.deep.equal([]);
  });

  it("declares exactly what it imports: Pulumi as peers (awsx optional), few runtime dependencies", function () {
    const imported = new Set(
      sources.flatMap((file) =>
        specifiers(file)
          .filter(
            (s) => !s.startsWith(".") && !s.startsWith("node:") && !builtinModules.includes(packageName(s)),
          )
          .map(packageName),
      ),
    );
    const declared = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)];
    expect([...imported].sort()).to.deep.equal(declared.sort());
    expect(Object.keys(manifest.peerDependencies).sort()).to.deep.equal([
      "@pulumi/aws",
      "@pulumi/awsx",
      "@pulumi/pulumi",
    ]);
    expect(manifest.peerDependenciesMeta["@pulumi/awsx"]?.optional).to.equal(true);
    // The runtime dependencies besides YAML are @pulumi/pulumi's own (the offline engine speaks its gRPC).
    expect(Object.keys(manifest.dependencies).sort()).to.deep.equal([
      "@grpc/grpc-js",
      "google-protobuf",
      "yaml",
    ]);
  });

  it("ships a pre-built bundle of every handler under functions/", function () {
    const handlers = fs
      .readdirSync(path.join(PROJECT_DIR, "functions"))
      .filter((d) => fs.existsSync(path.join(PROJECT_DIR, "functions", d, "handler.ts")));
    expect([...LAMBDA_HANDLERS].sort()).to.deep.equal(handlers.sort());
    for (const name of LAMBDA_HANDLERS) {
      expect(fs.existsSync(path.join(COMPONENTS, "assets", "lambda", `${name}.js`)), name).to.equal(true);
    }
  });

  it("knows the settings Pulumi.yaml declares, with the same types, defaults and descriptions", function () {
    expect(
      PLATFORM_CONFIG_DECLARATIONS,
      "components/config-declarations.ts differs from Pulumi.yaml: run npm run config:declarations",
    ).to.deep.equal(readProjectDeclarations(PROJECT_DIR));
  });
});
