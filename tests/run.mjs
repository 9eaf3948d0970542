// `npm test`: the type-check, the lint and the unit suites (mocha in parallel mode, 2 workers: .mocharc.json),
// started together, so the single-threaded checks fill the gaps the suites leave while they wait on child
// processes. The type-check and ESLint run in one process on one TypeScript program
// (tests/typecheck-and-lint.mjs: what `npm run typecheck` and `npm run lint`'s ESLint report, for about 30
// CPU-seconds less than the two apart); Prettier's check is the lint's other half. The suites print as they
// run; each check's output is printed when it ends (all of it when it fails). Exits 1 if any of them failed,
// naming which.
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import console from "node:console";
import process from "node:process";

const CHECKS = [
  { name: "typecheck and eslint", script: "typecheck-and-eslint" },
  { name: "prettier", script: "format:check" },
];
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

if (process.argv.includes("--help")) {
  console.log(`Usage: npm test

Runs the type-check and ESLint (\`npm run typecheck-and-eslint\`: what \`npm run typecheck\` and
\`npm run lint\`'s ESLint report, on one TypeScript program), Prettier's check (\`npm run format:check\`)
and \`npm run test:unit\` side by side; exits 1 if any fails. Run one of them alone with its own npm script.`);
  process.exit(0);
}

function run(script, { live }) {
  return new Promise((resolve) => {
    const child = spawn(npm, ["run", "--silent", script], { stdio: live ? "inherit" : "pipe" });
    const chunks = [];
    if (!live) {
      child.stdout.on("data", (c) => chunks.push(c));
      child.stderr.on("data", (c) => chunks.push(c));
    }
    child.on("close", (code, signal) => resolve({ code: code ?? 1, signal, output: Buffer.concat(chunks) }));
  });
}

const started = Date.now();
const checks = CHECKS.map(async (check) => {
  const result = await run(check.script, { live: false });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (result.code === 0) {
    process.stderr.write(`npm test: ${check.name} passed (${seconds} s)\n`);
  } else {
    process.stderr.write(`\nnpm test: ${check.name} FAILED (npm run ${check.script}):\n`);
    process.stderr.write(result.output);
  }
  return { ...check, ...result };
});
const suites = run("test:unit", { live: true }).then((r) => ({
  name: "test:unit",
  script: "test:unit",
  ...r,
}));

const results = await Promise.all([...checks, suites]);
const failed = results.filter((r) => r.code !== 0);
if (failed.length > 0) {
  process.stderr.write(`npm test: failed: ${failed.map((r) => `npm run ${r.script}`).join(", ")}\n`);
  process.exit(1);
}
process.stderr.write(
  `npm test: typecheck, lint and unit suites passed (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
);
