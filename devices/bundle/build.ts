/**
 * `npm run fleet:bundle`: the simulator as one JavaScript file (esbuild: the CLI, the MQTT clients, the AWS
 * SDK clients it uses, aws-iot-device-sdk-v2) plus the native AWS CRT module it loads at run time, in
 * `devices/dist/`: what `devices/Dockerfile` copies into a Node 24 slim image, and what runs with plain `node`
 * (no tsx, no node_modules) anywhere:
 *
 *   node devices/dist/sensor-fleet.cjs --help
 *
 * The CRT looks for its binary next to its own package; inside a bundle that place is gone, so a banner
 * points it (AWS_CRT_NODEJS_BINARY_RELATIVE_PATH, which the CRT reads) at `bin/<platform>-<arch>-glibc/`
 * beside the bundle. Binaries are copied for the image's platforms and the build machine's.
 */
import { build, type BuildResult } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { EXIT, type HelpPage, optionsOrHelp, runCommand, type OptionSpec, HELP_OPTION } from "../command";

/** The bundle's file name inside the output directory. */
export const BUNDLE_FILE = "sensor-fleet.cjs";
/** Where the image's platforms need the CRT binary: linux/amd64 and linux/arm64 (Graviton Fargate). */
export const IMAGE_PLATFORMS = ["linux-x64-glibc", "linux-arm64-glibc"] as const;

const PROJECT_DIR = resolve(__dirname, "../..");
const CRT_BINARIES = join(PROJECT_DIR, "node_modules/aws-crt/dist/bin");

const BANNER = [
  "/* sensor-fleet: the device simulator of the sensor analytics platform, bundled by npm run fleet:bundle. */",
  'process.env.AWS_CRT_NODEJS_BINARY_RELATIVE_PATH ??= require("path").join("bin", `${process.platform}-${process.arch}-glibc`, "aws-crt-nodejs.node");',
].join("\n");

export interface BundleOptions {
  /** Output directory. @default devices/dist */
  readonly outDir?: string;
  /** CRT platforms to include (`<platform>-<arch>-<libc>`). @default the image's and this machine's */
  readonly platforms?: readonly string[];
}

export interface BundleResult {
  readonly file: string;
  readonly bytes: number;
  readonly binaries: readonly string[];
  readonly warnings: BuildResult["warnings"];
}

/** Builds the bundle; throws naming what is missing (an unknown platform, a failed build). */
export async function bundleSimulator(options: BundleOptions = {}): Promise<BundleResult> {
  const outDir = resolve(options.outDir ?? join(PROJECT_DIR, "devices/dist"));
  const platforms = [
    ...new Set(options.platforms ?? [...IMAGE_PLATFORMS, `${process.platform}-${process.arch}-glibc`]),
  ];
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, BUNDLE_FILE);
  const result = await build({
    // The CLI module itself: its `require.main === module` holds in the bundle (esbuild keeps the bundle's
    // own module object), so it runs once, as with tsx.
    entryPoints: [join(PROJECT_DIR, "devices/cli.ts")],
    outfile: file,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    keepNames: true,
    legalComments: "eof",
    banner: { js: BANNER },
    // Optional native speed-ups of the websocket library, loaded in a try/catch when present.
    external: ["bufferutil", "utf-8-validate"],
    logLevel: "silent",
  });
  const binaries: string[] = [];
  for (const platform of platforms) {
    const source = join(CRT_BINARIES, platform, "aws-crt-nodejs.node");
    if (!existsSync(source)) {
      throw new Error(
        `no AWS CRT binary for ${platform} in ${relative(PROJECT_DIR, CRT_BINARIES)}; platforms are <os>-<arch>-<libc>, e.g. linux-x64-glibc`,
      );
    }
    const target = join(outDir, "bin", platform, "aws-crt-nodejs.node");
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
    binaries.push(relative(outDir, target));
  }
  return { file, bytes: statSync(file).size, binaries, warnings: result.warnings };
}

/** The command line of `npm run fleet:bundle`. */
export const BUNDLE_OPTIONS: readonly OptionSpec[] = [
  { name: "out", value: "dir", default: "devices/dist", description: "output directory (emptied first)" },
  {
    name: "platforms",
    value: "p,...",
    defaultText: `${IMAGE_PLATFORMS.join(",")} and this machine's`,
    description: "CRT binaries to include (<os>-<arch>-<libc>)",
  },
  HELP_OPTION,
];

const HELP: HelpPage = {
  usage: "npm run fleet:bundle -- [--out <dir>] [--platforms <p,...>]",
  about: [
    `Bundles the device simulator into one file (<dir>/${BUNDLE_FILE}) plus the AWS CRT native module, for`,
    `devices/Dockerfile and for plain node: node <dir>/${BUNDLE_FILE} --help`,
  ],
  options: BUNDLE_OPTIONS,
  exitStatus: "0 bundled, 1 the build failed or a platform has no CRT binary, 2 bad options.",
};

/** `npm run fleet:bundle`: returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const options = optionsOrHelp(argv, "npm run fleet:bundle", HELP);
  if (!options) return EXIT.ok;
  try {
    const result = await bundleSimulator({
      outDir: options.given("out") ? options.text("out") : undefined,
      platforms: options.given("platforms")
        ? options
            .text("platforms")!
            .split(",")
            .map((p) => p.trim())
        : undefined,
    });
    for (const warning of result.warnings) console.error(`fleet:bundle: warning: ${warning.text}`);
    console.log(
      `wrote ${relative(process.cwd(), result.file)} (${(result.bytes / 1e6).toFixed(1)} MB) and ${result.binaries.join(", ")}`,
    );
    return EXIT.ok;
  } catch (err) {
    console.error(`fleet:bundle: ${(err as Error).message}`);
    return EXIT.failure;
  }
}

if (require.main === module) runCommand("fleet:bundle", main);
