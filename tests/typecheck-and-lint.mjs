// `npm test`'s type-check and ESLint in one process, on one TypeScript program: `tsc --noEmit -p .` and
// `eslint .` each build the type program of the whole repository (about 12 CPU-seconds each), and ESLint's
// type-aware rules then ask its checker the types tsc already computed. Here the program tsc checks is the one
// ESLint's rules read (typescript-eslint's `programs`), with the same tsconfig.json and eslint.config.mjs, so
// it reports what `npm run typecheck` and `npm run lint`'s ESLint half report. A file ESLint lints that
// neither program holds is a parsing error, not skipped. Exits 1 on any diagnostic or ESLint problem.
import console from "node:console";
import process from "node:process";
import ts from "typescript";
import { ESLint } from "eslint";

/** The tsconfig files the programs come from: the repository's, and the platform-team example's own. */
const TSCONFIGS = ["tsconfig.json", "examples/platform-team/tsconfig.json"];

const host = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: ts.sys.getCurrentDirectory,
  getNewLine: () => ts.sys.newLine,
};

function program(configFile) {
  const problems = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => problems.push(d),
  });
  if (!parsed) return { problems };
  const built = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    projectReferences: parsed.projectReferences,
    configFileParsingDiagnostics: parsed.errors,
  });
  return { built, problems: [...parsed.errors, ...problems] };
}

const root = program(TSCONFIGS[0]);
// What tsc --noEmit -p . reports: the config's problems, then syntax, options, global and semantic ones.
const diagnostics = root.built ? [...root.problems, ...ts.getPreEmitDiagnostics(root.built)] : root.problems;
if (diagnostics.length > 0) {
  process.stdout.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  console.log(`typecheck: ${diagnostics.length} error(s) (tsc --noEmit -p .)`);
}

const others = TSCONFIGS.slice(1).map(program);
const configProblems = others.flatMap((o) => o.problems);
if (configProblems.length > 0)
  process.stdout.write(ts.formatDiagnosticsWithColorAndContext(configProblems, host));
const programs = [root, ...others].flatMap((p) => (p.built ? [p.built] : []));

const eslint = new ESLint({
  overrideConfig: {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: false, programs } },
  },
});
const results = await eslint.lintFiles(["."]);
const formatted = await (await eslint.loadFormatter("stylish")).format(results);
if (formatted) process.stdout.write(formatted);
const lintProblems = results.reduce((n, r) => n + r.errorCount + r.warningCount, 0);

process.exitCode = diagnostics.length > 0 || configProblems.length > 0 || lintProblems > 0 ? 1 : 0;
