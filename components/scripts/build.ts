/**
 * The package's build (`npm run build -w components`; `prepack` runs it, so `npm pack` and `npm publish`
 * always ship a fresh one): the assets (Lambda bundles, Glue scripts), then `tsc` to `dist/` (JavaScript and
 * declaration files), then the SQL files the code reads beside its modules. `--assets-only` builds the
 * assets alone (what the repository's own tests and programs, which run the sources, need).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { buildAssets } from "./assets";
import { scriptFlags } from "./script-arguments";

const PACKAGE_DIR = path.resolve(__dirname, "..");

function copySqlFiles(fromDir: string, toDir: string): number {
  let copied = 0;
  for (const entry of fs.readdirSync(fromDir, { withFileTypes: true })) {
    const from = path.join(fromDir, entry.name);
    if (entry.isDirectory()) {
      if (!["dist", "node_modules", "assets", "scripts"].includes(entry.name)) {
        copied += copySqlFiles(from, path.join(toDir, entry.name));
      }
    } else if (entry.name.endsWith(".sql")) {
      fs.mkdirSync(toDir, { recursive: true });
      fs.copyFileSync(from, path.join(toDir, entry.name));
      copied++;
    }
  }
  return copied;
}

function main(): void {
  const flags = scriptFlags(process.argv.slice(2), {
    command: "npm run build",
    about: [
      "Builds the components package: the assets (Lambda bundles, Glue scripts), then tsc to dist/ (JavaScript",
      "and declarations), then the SQL files beside the modules that read them. npm pack runs it (prepack).",
    ],
    flags: { "--assets-only": "build the assets alone (what the repository's tests and programs need)" },
  });
  if (!flags) return;
  const written = buildAssets(PACKAGE_DIR);
  console.log(`assets: ${written.length === 0 ? "up to date" : `wrote ${written.join(", ")}`}`);
  if (flags.has("--assets-only")) return;
  const dist = path.join(PACKAGE_DIR, "dist");
  fs.rmSync(dist, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: PACKAGE_DIR,
    stdio: "inherit",
  });
  console.log(`dist: compiled; ${copySqlFiles(PACKAGE_DIR, dist)} SQL files copied`);
}

main();
