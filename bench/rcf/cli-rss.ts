/**
 * Resident memory of `npm run rcf` (a fresh process each time: parse, score, write) on a 200,000-point and a
 * 1,000,000-point CSV, measured side by side in one run: the CLI streams its input and output, so the larger
 * file should need about the same memory (goal: at most 1.5x). Median of `rounds` runs per size, with the range.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { RCF_NODE_FLAGS } from "../../local/rcf/cli-options";
import { Xoshiro128 } from "../../local/rcf/random";

export interface CliRssResult {
  readonly points: number;
  /** Peak RSS of each round, MiB. */
  readonly rssMiB: readonly number[];
  readonly medianMiB: number;
}

/** Writes a sensor-like series (daily cycle, noise, rare spikes) to a CSV, line by line. */
function writeSeries(file: string, points: number): void {
  const random = new Xoshiro128(7);
  const descriptor = openSync(file, "w");
  let chunk = "timestamp,value\n";
  const start = Date.UTC(2024, 0, 1);
  for (let i = 0; i < points; i++) {
    const noise = Math.sqrt(-2 * Math.log(random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    const value =
      20 + 5 * Math.sin((2 * Math.PI * i) / 1440) + noise + (random.nextDouble() < 0.001 ? 15 : 0);
    chunk += `${new Date(start + i * 60_000).toISOString().replace("T", " ").slice(0, 19)},${value.toFixed(4)}\n`;
    if (chunk.length > 1 << 16) {
      writeSync(descriptor, chunk);
      chunk = "";
    }
  }
  writeSync(descriptor, chunk);
  closeSync(descriptor);
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

export function measureCliRss(sizes: readonly number[], rounds: number): CliRssResult[] {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-rcf-rss-"));
  try {
    return sizes.map((points) => {
      const input = path.join(dir, `series-${points}.csv`);
      writeSeries(input, points);
      const rssMiB: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const child = spawnSync(
          process.execPath,
          [
            ...RCF_NODE_FLAGS,
            "--import",
            "tsx",
            path.join(__dirname, "cli-rss-child.ts"),
            "--input",
            input,
            "--output",
            path.join(dir, "out.csv"),
          ],
          { encoding: "utf8" },
        );
        const last = JSON.parse(child.stderr.trim().split("\n").at(-1)!) as {
          code: number;
          maxRssKiB: number;
        };
        if (last.code !== 0) throw new Error(`npm run rcf failed on ${points} points (exit ${last.code})`);
        rssMiB.push(last.maxRssKiB / 1024);
      }
      rmSync(input);
      return { points, rssMiB, medianMiB: median(rssMiB) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
