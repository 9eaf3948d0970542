/**
 * `npm run test:package`: the components package as a platform team gets it. Packs it (`npm pack`, which
 * builds it), copies `examples/platform-team` into a fresh directory, installs the tarball next to only
 * @pulumi/pulumi, @pulumi/aws and typescript (plus mocha and chai for the example's test) from the npm cache,
 * then checks, failing on the first problem:
 *
 * - plain `node` loads `DataLake` (and the `./testing` subpath) from the installed package;
 * - the example compiles with plain `tsc` under `strict`, `exactOptionalPropertyTypes`,
 *   `noPropertyAccessFromIndexSignature` and `noUncheckedIndexedAccess` (its tsconfig.json), and so does a
 *   consumer file with two `DataLake`s;
 * - the example's mocha test passes under plain node, and the program runs the way `pulumi up` runs it, through
 *   the package's own program runner (`runProgram`), with the stack's uneven rooms;
 * - one copy each of @pulumi/pulumi and @pulumi/aws is installed;
 * - the consumer's node_modules (package + @pulumi/pulumi + @pulumi/aws + typescript) weighs at most 1.3x a bare
 *   install of the same three (the ratio is printed).
 *
 * - the example also compiles and passes its test against the lowest @pulumi/pulumi and @pulumi/aws the
 *   package's peerDependencies accept.
 *
 * About 2-3 minutes (four installs, from the cache where it can), so it runs in `.ci/run`, not in `npm test`.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { scriptFlags } from "../../components/scripts/script-arguments";

const ROOT = path.resolve(__dirname, "..", "..");
const EXAMPLE = path.join(ROOT, "examples", "platform-team");
const MAX_SIZE_RATIO = 1.3;

/**
 * The version of a package installed under `nodeModules`: by default the repository's own, the versions it is
 * tested with (installed from the lockfile, so they are in the npm cache).
 */
function installedVersion(name: string, nodeModules = path.join(ROOT, "node_modules")): string {
  const manifest = path.join(nodeModules, name, "package.json");
  return (JSON.parse(fs.readFileSync(manifest, "utf8")) as { version: string }).version;
}

function step(title: string): void {
  console.log(`\n== ${title}`);
}

function run(cwd: string, command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  } catch (err) {
    const { stdout } = err as { stdout?: string };
    fail(`${path.basename(command)} ${args.join(" ").slice(0, 200)} failed in ${cwd}:\n${stdout ?? ""}`);
  }
}

function npm(cwd: string, args: string[]): string {
  return run(cwd, "npm", [...args, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"]);
}

function fail(message: string): never {
  console.error(`test:package: ${message}`);
  process.exit(1);
}

/** Bytes of every file under a directory (apparent size, so file systems compare alike). */
function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(full);
    else if (entry.isFile()) total += fs.statSync(full).size;
  }
  return total;
}

/** Every installed copy of a package under node_modules (nested ones included). */
function copiesOf(nodeModules: string, name: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    const candidate = path.join(dir, name, "package.json");
    if (fs.existsSync(candidate)) found.push(path.relative(nodeModules, path.dirname(candidate)));
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const child = path.join(dir, entry.name);
      if (entry.name.startsWith("@")) {
        for (const scoped of fs.readdirSync(child, { withFileTypes: true })) {
          const nested = path.join(child, scoped.name, "node_modules");
          if (scoped.isDirectory() && fs.existsSync(nested)) visit(nested);
        }
      } else {
        const nested = path.join(child, "node_modules");
        if (fs.existsSync(nested)) visit(nested);
      }
    }
  };
  visit(nodeModules);
  return found;
}

function writePackageJson(dir: string, dependencies: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "package.json"),
    `${JSON.stringify({ name: path.basename(dir), version: "1.0.0", private: true, dependencies }, null, 2)}\n`,
  );
}

/**
 * The lowest versions of @pulumi/pulumi and @pulumi/aws the package's peerDependencies accept (`^x.y.z` -> x.y.z):
 * the range is a claim, so the example is compiled and tested against its floor too.
 */
function peerFloors(): Record<string, string> {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "components", "package.json"), "utf8")) as {
    peerDependencies: Record<string, string>;
  };
  const floors: Record<string, string> = {};
  for (const name of ["@pulumi/pulumi", "@pulumi/aws"]) {
    const range =
      manifest.peerDependencies[name] ?? fail(`components/package.json: no peer dependency on ${name}`);
    const floor = /^\^(\d+\.\d+\.\d+)$/.exec(range)?.[1];
    if (!floor) fail(`components/package.json: peer ${name} "${range}" is not a caret range (^x.y.z)`);
    floors[name] = floor;
  }
  return floors;
}

function main(): void {
  const flags = scriptFlags(process.argv.slice(2), {
    command: "npm run test:package",
    about: [
      "Packs the components package (npm pack, which builds it), installs the tarball into a fresh copy of",
      "examples/platform-team next to only @pulumi/pulumi, @pulumi/aws and typescript, then checks what a platform",
      "team relies on: plain node loads it, the example compiles under strict flags and passes its test (also at the",
      "lowest peer versions the package accepts), one copy of each peer, and the install's size ratio. About 2-3",
      "minutes; needs the npm registry or cache. Exits 1 on the first problem.",
    ],
    flags: { "--keep": "keep the temporary project (its path is printed) to look at after a failure" },
  });
  if (!flags) return;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "sensor-analytics-package-"));
  const keep = flags.has("--keep");
  try {
    const base = {
      "@pulumi/pulumi": installedVersion("@pulumi/pulumi"),
      "@pulumi/aws": installedVersion("@pulumi/aws"),
      typescript: installedVersion("typescript"),
    };
    const testing = {
      mocha: installedVersion("mocha"),
      chai: installedVersion("chai"),
      "@types/mocha": installedVersion("@types/mocha"),
      "@types/chai": installedVersion("@types/chai"),
    };

    step("npm pack the components package (prepack builds it)");
    npm(ROOT, ["pack", "-w", "components", "--pack-destination", work]);
    const tarball = fs.readdirSync(work).find((f) => f.endsWith(".tgz"));
    if (!tarball) fail(`npm pack wrote no tarball into ${work}`);
    console.log(`${tarball}: ${(fs.statSync(path.join(work, tarball)).size / 1024).toFixed(0)} KiB`);
    const packageSpec = `file:${path.join(work, tarball)}`;

    step("install the example with the tarball, @pulumi/pulumi, @pulumi/aws, typescript, mocha and chai");
    const app = path.join(work, "app");
    fs.cpSync(EXAMPLE, app, {
      recursive: true,
      filter: (source) => !/[\\/](node_modules|bin)$/.test(source),
    });
    const manifest = JSON.parse(fs.readFileSync(path.join(app, "package.json"), "utf8")) as Record<
      string,
      unknown
    >;
    manifest["dependencies"] = { "@sensor-analytics/components": packageSpec, ...base };
    manifest["devDependencies"] = testing;
    fs.writeFileSync(path.join(app, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    npm(app, ["install"]);
    const nodeModules = path.join(app, "node_modules");
    for (const name of ["@pulumi/pulumi", "@pulumi/aws"]) {
      const copies = copiesOf(nodeModules, name);
      if (copies.length !== 1) fail(`${copies.length} copies of ${name} installed: ${copies.join(", ")}`);
      console.log(`one copy of ${name}: ${copies[0]}`);
    }
    for (const unwanted of [
      "@pulumi/awsx",
      "@pulumi/random",
      "esbuild",
      "@duckdb/node-api",
      "mqtt",
      "aws-crt",
    ]) {
      if (copiesOf(nodeModules, unwanted).length > 0)
        fail(`${unwanted} was installed; the package must not need it`);
    }

    step("plain node loads DataLake and the testing subpath from the package");
    console.log(
      run(app, process.execPath, [
        "-e",
        `const { DataLake, TelemetryIngest } = require("@sensor-analytics/components");
         const { runUnderMocks, runProgram, AwsMocks } = require("@sensor-analytics/components/testing");
         for (const [name, value] of Object.entries({ DataLake, TelemetryIngest, runUnderMocks, runProgram, AwsMocks }))
           if (typeof value !== "function") throw new Error(name + " is " + typeof value);
         console.log("DataLake, TelemetryIngest, runUnderMocks, runProgram, AwsMocks: loaded");`,
      ]).trim(),
    );

    step(
      "tsc under strict, exactOptionalPropertyTypes, noPropertyAccessFromIndexSignature, noUncheckedIndexedAccess",
    );
    fs.writeFileSync(
      path.join(app, "two-lakes.ts"),
      `import { DataLake } from "@sensor-analytics/components";
export const lakes = ["eu", "us"].map((region) => new DataLake(\`lake-\${region}\`, { rawRetentionDays: 30, curatedRetentionDays: 90 }));
`,
    );
    const tsc = path.join(nodeModules, "typescript", "bin", "tsc");
    run(app, process.execPath, [tsc, "-p", "."]);
    console.log("compiled: bin/");
    run(app, process.execPath, [tsc, "-p", ".", "--skipLibCheck", "false", "--noEmit"]);
    console.log(
      "compiled with skipLibCheck false too (the package's declaration files checked under the same flags)",
    );

    step("the example's mocha test, with plain node");
    console.log(
      run(app, process.execPath, [path.join(nodeModules, "mocha", "bin", "mocha.js"), "bin/test/*.test.js"]),
    );

    step("two DataLakes in one program, under the package's mocks");
    console.log(
      run(app, process.execPath, [
        "-e",
        `const { runUnderMocks } = require("@sensor-analytics/components/testing");
         runUnderMocks({ stack: "dev", stackFile: "Pulumi.dev.yaml", values: { "aws:region": "eu-west-1" }, secretKeys: new Set() },
           () => require("./bin/two-lakes.js").lakes.map((l) => l.bucketNames))
           .then((run) => {
             const buckets = run.resources.filter((r) => r.type === "aws:s3/bucket:Bucket").length;
             if (buckets !== 10) throw new Error("expected 10 buckets, got " + buckets);
             console.log("two DataLakes: " + buckets + " buckets, " + run.documents.length + " documents");
           })
           .catch((err) => { console.error(err); process.exit(1); });`,
      ]).trim(),
    );

    step("the program through the package's program runner (as pulumi up runs it), stack dev");
    console.log(
      run(app, process.execPath, [
        "-e",
        `const { runProgram } = require("@sensor-analytics/components/testing");
         runProgram({ projectDir: ".", stack: "dev" })
           .then((run) => {
             const things = run.resources.filter((r) => r.type === "aws:iot/thing:Thing").map((r) => r.inputs.name);
             if (things.length !== 6) throw new Error("expected 6 things (3 + 1 + 2), got " + things.join(", "));
             const unprovided = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:") && !/::factory::/.test(r.provider || ""));
             if (unprovided.length > 0) throw new Error("not through the team's provider: " + unprovided.map((r) => r.name).join(", "));
             console.log(run.entry.file + ": " + run.resources.length + " resources, things " + things.join(" ") + "; outputs " + Object.keys(run.outputs).join(", "));
           })
           .catch((err) => { console.error(err.message); process.exit(1); });`,
      ]).trim(),
    );

    step("the lowest @pulumi/pulumi and @pulumi/aws the package's peerDependencies accept");
    const floors = peerFloors();
    npm(app, [
      "install",
      "--no-save",
      ...Object.entries(floors).map(([name, version]) => `${name}@${version}`),
    ]);
    for (const [name, version] of Object.entries(floors)) {
      const installed = installedVersion(name, nodeModules);
      if (installed !== version) fail(`${name}: asked for ${version}, installed ${installed}`);
    }
    run(app, process.execPath, [tsc, "-p", ".", "--skipLibCheck", "false"]);
    run(app, process.execPath, [path.join(nodeModules, "mocha", "bin", "mocha.js"), "bin/test/*.test.js"]);
    console.log(
      `${Object.entries(floors)
        .map(([name, version]) => `${name} ${version}`)
        .join(", ")}: compiled (declaration files checked) and the example's test passed`,
    );

    step("size: the package with @pulumi/pulumi, @pulumi/aws and typescript, against the three alone");
    const consumer = path.join(work, "consumer");
    writePackageJson(consumer, { "@sensor-analytics/components": packageSpec, ...base });
    npm(consumer, ["install"]);
    const bare = path.join(work, "bare");
    writePackageJson(bare, base);
    npm(bare, ["install"]);
    const consumerBytes = directoryBytes(path.join(consumer, "node_modules"));
    const bareBytes = directoryBytes(path.join(bare, "node_modules"));
    const ratio = consumerBytes / bareBytes;
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    console.log(
      `consumer ${mib(consumerBytes)}, bare ${mib(bareBytes)}: ratio ${ratio.toFixed(3)} (limit ${MAX_SIZE_RATIO})`,
    );
    if (ratio > MAX_SIZE_RATIO) fail(`the consumer's node_modules is ${ratio.toFixed(2)}x a bare install`);
    console.log("\ntest:package: ok");
  } finally {
    if (keep) console.log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
