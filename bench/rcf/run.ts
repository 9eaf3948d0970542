/**
 * Random Cut Forest benchmark: points/s on one core (score + update per reading, i.e. forest.process) for the
 * configurations of issue 7, how many sensors that is at IoT Core's 100 messages/s per connection or at one reading
 * per second, heap/off-heap memory at 100k vs 1M points of a stream (must be flat), and the resident memory of the
 * `npm run rcf` process on a 200k-point vs a 1M-point file (it streams: at most 1.5x).
 *
 *   npm run bench:rcf                 # full run (~1-2 minutes)
 *   npm run bench:rcf -- --quick      # smaller run for a smoke test
 *   npm run bench:rcf -- --points 500000 --rounds 5 --memory-points 2000000 --json
 *
 * Not part of `npm test`. Rates are per core: points divided by the CPU time (user + system) the process spent in
 * the timed loop, which on a shared machine excludes the time the process waited for a core; the wall-clock rate is
 * printed next to it. The best of several rounds is reported (the least disturbed run), with the median.
 */
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import * as path from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { readSeriesCsv } from "../../local/rcf/csv";
import { RandomCutForest } from "../../local/rcf/forest";
import { Xoshiro128 } from "../../local/rcf/random";
import { measureCliRss } from "./cli-rss";
import {
  EXIT,
  type HelpPage,
  integerOption,
  optionsOrHelp,
  runCommand,
  type OptionSpec,
  HELP_OPTION,
} from "../../devices/command";

interface BenchOptions {
  points: number;
  warmup: number;
  rounds: number;
  memoryPoints: number;
  json: boolean;
}

const BENCH_OPTIONS: readonly OptionSpec[] = [
  { name: "points", value: "n", default: "200000", description: "points per timed round" },
  {
    name: "rounds",
    value: "n",
    default: "3",
    description: "timed rounds per configuration (the best and the median are reported)",
  },
  {
    name: "memory-points",
    value: "n",
    default: "1000000",
    description: "points of the long stream in the memory comparison (against 100,000)",
  },
  {
    name: "quick",
    description:
      "a smaller run for a smoke test: 50,000 points, 10,000 warm-up, 2 rounds, 200,000 memory points (the options above still win)",
  },
  { name: "json", description: "also print the results as JSON" },
  HELP_OPTION,
];

const HELP: HelpPage = {
  usage: "npm run bench:rcf -- [--quick] [--points <n>] [--rounds <n>] [--memory-points <n>] [--json]",
  about: [
    "Random Cut Forest throughput per core for the configurations of issue 7, memory at 100k vs a long stream,",
    "and the resident memory of `npm run rcf` on a 200k-point vs a 1M-point file. Not part of npm test.",
  ],
  options: BENCH_OPTIONS,
  exitStatus: "0 measured, 1 the benchmark failed, 2 bad options.",
};

/** The options, or undefined after printing the help. */
function parseBenchOptions(argv: readonly string[]): BenchOptions | undefined {
  const parsed = optionsOrHelp(argv, "npm run bench:rcf", HELP);
  if (!parsed) return undefined;
  const quick = parsed.flag("quick");
  const count = (name: string, quickValue: number) =>
    integerOption(
      name,
      parsed.given(name) || !quick ? parsed.text(name)! : String(quickValue),
      1,
      Number.MAX_SAFE_INTEGER,
    );
  return {
    points: count("points", 50_000),
    warmup: quick ? 10_000 : 20_000,
    rounds: count("rounds", 2),
    memoryPoints: count("memory-points", 200_000),
    json: parsed.flag("json"),
  };
}

/** A deterministic sensor-like signal: daily cycle, slow drift, Gaussian noise and rare spikes. */
function syntheticSeries(length: number, seed: number): Float64Array {
  const random = new Xoshiro128(seed);
  const values = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const noise = Math.sqrt(-2 * Math.log(random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    const spike = random.nextDouble() < 0.001 ? 15 : 0;
    values[i] = 20 + 5 * Math.sin((2 * Math.PI * i) / 1440) + 0.0001 * i + noise + spike;
  }
  return values;
}

interface ThroughputResult {
  trees: number;
  samples: number;
  shingle: number;
  /** Points per CPU-second (best round). */
  bestPointsPerSecond: number;
  /** Points per CPU-second (median round). */
  medianPointsPerSecond: number;
  /** Points per wall-clock second (best round). */
  bestWallPointsPerSecond: number;
  microsecondsPerPoint: number;
  sensorsAt100MessagesPerSecond: number;
  sensorsAtOneReadingPerSecond: number;
}

function measureThroughput(
  trees: number,
  samples: number,
  shingle: number,
  series: Float64Array,
  options: BenchOptions,
): ThroughputResult {
  const rates: number[] = [];
  const wallRates: number[] = [];
  let checksum = 0;
  for (let round = 0; round < options.rounds; round++) {
    const forest = new RandomCutForest({
      numberOfTrees: trees,
      sampleSize: samples,
      shingleSize: shingle,
      randomSeed: round + 1,
    });
    // Warm-up: fills the samplers and lets the JIT compile the hot paths before timing.
    for (let i = 0; i < options.warmup; i++) checksum += forest.process(series[i]);
    const end = options.warmup + options.points;
    const started = process.hrtime.bigint();
    const cpuStarted = process.cpuUsage();
    for (let i = options.warmup; i < end; i++) checksum += forest.process(series[i]);
    const cpu = process.cpuUsage(cpuStarted);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rates.push(options.points / ((cpu.user + cpu.system) / 1e6));
    wallRates.push(options.points / seconds);
  }
  if (!Number.isFinite(checksum)) throw new Error("non-finite scores");
  rates.sort((a, b) => a - b);
  const best = rates[rates.length - 1];
  return {
    trees,
    samples,
    shingle,
    bestPointsPerSecond: best,
    medianPointsPerSecond: rates[Math.floor(rates.length / 2)],
    bestWallPointsPerSecond: Math.max(...wallRates),
    microsecondsPerPoint: 1e6 / best,
    sensorsAt100MessagesPerSecond: best / 100,
    sensorsAtOneReadingPerSecond: best,
  };
}

function collectGarbage(): () => void {
  // --expose-gc cannot be passed through the npm script, so turn it on at run time and fetch gc() from a new context.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  return () => {
    gc();
    gc();
  };
}

interface MemoryResult {
  trees: number;
  samples: number;
  points: number;
  snapshots: { points: number; heapUsedMiB: number; arrayBuffersMiB: number; rssMiB: number }[];
  modelTypedArrayMiB: number;
  pointStoreCapacity: number;
  maxPointsInUse: number;
}

function measureMemory(totalPoints: number): MemoryResult {
  const gc = collectGarbage();
  const trees = 100;
  const samples = 256;
  const forest = new RandomCutForest({ numberOfTrees: trees, sampleSize: samples });
  const random = new Xoshiro128(77);
  const snapshots: MemoryResult["snapshots"] = [];
  const checkpoints = new Set([Math.min(100_000, totalPoints), totalPoints]);
  const mib = (bytes: number) => bytes / (1024 * 1024);
  let maxPointsInUse = 0;
  for (let i = 1; i <= totalPoints; i++) {
    // Generated on the fly: the stream itself is never held in memory.
    const noise = Math.sqrt(-2 * Math.log(random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    forest.process(20 + 5 * Math.sin((2 * Math.PI * i) / 1440) + noise);
    if (i % 50_000 === 0) maxPointsInUse = Math.max(maxPointsInUse, forest.capacities().pointsInUse);
    if (checkpoints.has(i)) {
      gc();
      const usage = process.memoryUsage();
      snapshots.push({
        points: i,
        heapUsedMiB: mib(usage.heapUsed),
        arrayBuffersMiB: mib(usage.arrayBuffers),
        rssMiB: mib(usage.rss),
      });
    }
  }
  const capacities = forest.capacities();
  return {
    trees,
    samples,
    points: totalPoints,
    snapshots,
    modelTypedArrayMiB: mib(capacities.typedArrayBytes),
    pointStoreCapacity: capacities.pointStoreCapacity,
    maxPointsInUse,
  };
}

function machineTemperatureThroughput(): { pointsPerSecond: number; points: number } | undefined {
  const file = path.resolve(
    __dirname,
    "../../data/nab/data/realKnownCause/machine_temperature_system_failure.csv",
  );
  if (!existsSync(file)) return undefined;
  const series = readSeriesCsv(file);
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const forest = new RandomCutForest({ numberOfTrees: 100, sampleSize: 256, timeDecay: 1e-5 });
    const started = process.cpuUsage();
    for (let i = 0; i < series.length; i++) forest.process(series.values[i]);
    const cpu = process.cpuUsage(started);
    best = Math.max(best, series.length / ((cpu.user + cpu.system) / 1e6));
  }
  return { pointsPerSecond: best, points: series.length };
}

function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}

function format(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

async function main(argv: string[]): Promise<number> {
  const options = parseBenchOptions(argv);
  if (!options) return EXIT.ok;
  const series = syntheticSeries(options.warmup + options.points, 2024);
  const goal = 50_000;
  const configurations: [number, number, number][] = [
    [50, 256, 1],
    [100, 256, 1],
    [50, 256, 4],
    [100, 256, 4],
  ];
  console.log(
    `Random Cut Forest throughput per core, process() = score + update per reading; ${format(options.points)} timed ` +
      `points after ${format(options.warmup)} warm-up, best and median of ${options.rounds} rounds, points per CPU-second ` +
      `(wall-clock rate of the best round alongside). Node ${process.version}, load average ${loadAverage()}.`,
  );
  console.log("");
  console.log(
    "| trees | samples | shingle | points/s (best) | points/s (median) | wall points/s | µs/point | sensors @ 100 msg/s | sensors @ 1 reading/s |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  const throughput: ThroughputResult[] = [];
  for (const [trees, samples, shingle] of configurations) {
    const result = measureThroughput(trees, samples, shingle, series, options);
    throughput.push(result);
    console.log(
      `| ${trees} | ${samples} | ${shingle} | ${format(result.bestPointsPerSecond)} | ${format(result.medianPointsPerSecond)} | ` +
        `${format(result.bestWallPointsPerSecond)} | ` +
        `${result.microsecondsPerPoint.toFixed(1)} | ${format(result.sensorsAt100MessagesPerSecond)} | ${format(result.sensorsAtOneReadingPerSecond)} |`,
    );
  }
  const headline = throughput[1];
  console.log("");
  console.log(
    `Goal (100 trees, 256, shingle 1): ${format(goal)} points/s -> measured ${format(headline.bestPointsPerSecond)} ` +
      `(x${(headline.bestPointsPerSecond / goal).toFixed(2)} of the goal, x${(headline.bestPointsPerSecond / (goal / 2)).toFixed(2)} ` +
      `of the ~${format(goal / 2)} points/s untuned prototype the goal is twice of).`,
  );
  const real = machineTemperatureThroughput();
  if (real) {
    console.log(
      `NAB machine_temperature_system_failure.csv (${format(real.points)} points, 100 trees, 256, shingle 1, time decay 1e-5): ` +
        `${format(real.pointsPerSecond)} points/s (best of 3, includes JIT warm-up).`,
    );
  }

  console.log("");
  const memory = measureMemory(options.memoryPoints);
  console.log(
    `Memory over a ${format(memory.points)}-point stream (${memory.trees} trees x ${memory.samples} samples, after GC): ` +
      `model typed arrays ${memory.modelTypedArrayMiB.toFixed(2)} MiB, point store ${format(memory.pointStoreCapacity)} slots ` +
      `(max in use ${format(memory.maxPointsInUse)}).`,
  );
  console.log("| points | heap used (MiB) | array buffers (MiB) | rss (MiB) |");
  console.log("|---:|---:|---:|---:|");
  for (const snapshot of memory.snapshots) {
    console.log(
      `| ${format(snapshot.points)} | ${snapshot.heapUsedMiB.toFixed(2)} | ${snapshot.arrayBuffersMiB.toFixed(2)} | ${snapshot.rssMiB.toFixed(1)} |`,
    );
  }
  if (memory.snapshots.length === 2) {
    const [early, late] = memory.snapshots;
    console.log(
      `Heap used ${format(early.points)} -> ${format(late.points)} points: x${(late.heapUsedMiB / early.heapUsedMiB).toFixed(3)}; ` +
        `array buffers x${(late.arrayBuffersMiB / early.arrayBuffersMiB).toFixed(3)} (flat = bounded by trees x sample size).`,
    );
  }

  console.log("");
  const sizes = options.memoryPoints >= 1_000_000 ? [200_000, 1_000_000] : [40_000, 200_000];
  const cliRss = measureCliRss(sizes, options.rounds);
  console.log(
    `npm run rcf, peak resident memory of the process (median of ${options.rounds} runs per size [range]):`,
  );
  console.log("| points | rss (MiB) |");
  console.log("|---:|---:|");
  for (const r of cliRss) {
    const range = `${Math.min(...r.rssMiB).toFixed(0)}-${Math.max(...r.rssMiB).toFixed(0)}`;
    console.log(`| ${format(r.points)} | ${r.medianMiB.toFixed(0)} [${range}] |`);
  }
  console.log(
    `RSS ${format(cliRss[1]!.points)} / ${format(cliRss[0]!.points)} points: x${(cliRss[1]!.medianMiB / cliRss[0]!.medianMiB).toFixed(2)} (goal: at most 1.5).`,
  );
  if (options.json)
    console.log(JSON.stringify({ throughput, machineTemperature: real, memory, cliRss }, null, 2));
  return EXIT.ok;
}

if (require.main === module) runCommand("bench:rcf", main);
