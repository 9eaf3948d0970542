/**
 * Local AWS Glue: the three ETL jobs (run in DuckDB by `glue-job-runner.ts`), job runs with their history
 * and bookmarks, crawlers that infer the schema and partitions of lake zones into a local catalog, and the
 * Glue connection of the historical database. State survives restarts (`<data>/glue/state.json`), so the
 * ETL planner sees the same run history a Glue account would.
 *
 * Exposed two ways: a real `GlueClient` answering GetJobRuns / StartCrawler / GetCrawler (the planner's
 * injected client), and `startJobRunSync` / `startCrawler` / `getCrawler` for the state machine's Tasks.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  GetCrawlerCommandInput,
  GetJobRunsCommandInput,
  GlueClient,
  StartCrawlerCommandInput,
} from "@aws-sdk/client-glue";
import type { DuckDBInstance } from "@duckdb/node-api";
import type { GlueJobSpec } from "../../components/etl/job-spec";
import type { LakeZone } from "../../components/lake/layout";
import { writeFileDurably, type LocalObjectStore } from "../lake/object-store";
import { LOCAL_CLIENT_CONFIG, serveLocally } from "../aws/serve-locally";
import { JobBookmarks, runGlueJob } from "./glue-job-runner";
import type { JdbcConnection } from "./jdbc-source";

export interface LocalGlueJob {
  readonly spec: GlueJobSpec;
  readonly bookmarks: boolean;
}

export interface LocalCrawler {
  /** Lake zone crawled and the catalog table it becomes. */
  readonly zone: LakeZone;
  readonly table: string;
}

export interface LocalGlueOptions {
  readonly store: LocalObjectStore;
  readonly duckdb: DuckDBInstance;
  readonly stateDir: string;
  /** Simulated clock. */
  readonly now: () => number;
  readonly jobs: Readonly<Record<string, LocalGlueJob>>;
  readonly crawlers: Readonly<Record<string, LocalCrawler>>;
  readonly connections: ReadonlyMap<string, JdbcConnection>;
}

interface StoredJobRun {
  Id: string;
  JobName: string;
  JobRunState: "RUNNING" | "SUCCEEDED" | "FAILED";
  StartedOn: string;
  CompletedOn?: string;
  ExecutionTime?: number;
  ErrorMessage?: string;
  /** Rows written per output view (local addition, for the dashboard). */
  Rows?: Record<string, number>;
}

export interface CatalogTable {
  readonly name: string;
  readonly location: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly partitionKeys: readonly string[];
  readonly partitions: number;
  readonly files: number;
  readonly updatedAt: string;
}

interface CrawlerState {
  State: "READY" | "RUNNING";
  LastCrawl?: { Status: "SUCCEEDED" | "FAILED"; ErrorMessage?: string; StartTime: string };
}

interface GlueState {
  jobRuns: Record<string, StoredJobRun[]>;
  bookmarks: Record<string, Record<string, JobBookmarks>>;
  crawlers: Record<string, CrawlerState>;
  tables: Record<string, CatalogTable>;
}

/** Job runs kept per job (Glue keeps 90 days; the planner reads the latest). */
const KEEP_RUNS = 100;

/** An AWS-style error (`name` is what Step Functions' `Glue.<name>` error and the SDK's `err.name` carry). */
function glueError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

export class LocalGlue {
  private readonly state: GlueState;
  private readonly file: string;
  private readonly crawls = new Map<string, Promise<void>>();

  constructor(private readonly options: LocalGlueOptions) {
    fs.mkdirSync(options.stateDir, { recursive: true });
    this.file = path.join(options.stateDir, "state.json");
    this.state = fs.existsSync(this.file)
      ? (JSON.parse(fs.readFileSync(this.file, "utf8")) as GlueState)
      : { jobRuns: {}, bookmarks: {}, crawlers: {}, tables: {} };
    // A run or crawl that was going when the process died did not finish.
    for (const runs of Object.values(this.state.jobRuns)) {
      for (const run of runs)
        if (run.JobRunState === "RUNNING")
          Object.assign(run, {
            JobRunState: "FAILED",
            ErrorMessage: "the local backend stopped during the run",
          });
    }
    for (const crawler of Object.values(this.state.crawlers)) crawler.State = "READY";
  }

  /** The catalog (tables the crawlers found), for the analytics views and the dashboard. */
  get tables(): Readonly<Record<string, CatalogTable>> {
    return this.state.tables;
  }

  /** Latest runs of every job, newest first. */
  recentRuns(limit = 10): StoredJobRun[] {
    return Object.values(this.state.jobRuns)
      .flat()
      .sort((a, b) => b.StartedOn.localeCompare(a.StartedOn))
      .slice(0, limit);
  }

  /** Runs a job to completion (`glue:startJobRun.sync`): the finished JobRun, or an error if it failed. */
  async startJobRunSync(jobName: string): Promise<StoredJobRun> {
    const job = this.options.jobs[jobName];
    if (!job) throw glueError("EntityNotFoundException", `Glue job ${jobName} does not exist locally`);
    const runs = (this.state.jobRuns[jobName] ??= []);
    if (runs.some((r) => r.JobRunState === "RUNNING")) {
      throw glueError(
        "ConcurrentRunsExceededException",
        `Glue job ${jobName} already has a run in progress (max concurrent runs: 1)`,
      );
    }
    const run: StoredJobRun = {
      Id: `jr_${randomBytes(32).toString("hex")}`,
      JobName: jobName,
      JobRunState: "RUNNING",
      StartedOn: new Date(this.options.now()).toISOString(),
    };
    runs.unshift(run);
    runs.splice(KEEP_RUNS);
    this.save();
    const started = performance.now();
    const duck = await this.options.duckdb.connect();
    try {
      const result = await runGlueJob(job.spec, {
        duck,
        store: this.options.store,
        connections: this.options.connections,
        bookmarks: this.state.bookmarks[jobName],
        useBookmarks: job.bookmarks,
        scratchDir: path.join(this.options.stateDir, "tmp"),
      });
      if (job.bookmarks) this.state.bookmarks[jobName] = { ...result.bookmarks };
      Object.assign(run, { JobRunState: "SUCCEEDED", Rows: { ...result.rows } });
    } catch (err) {
      Object.assign(run, { JobRunState: "FAILED", ErrorMessage: (err as Error).message });
    } finally {
      duck.closeSync();
      Object.assign(run, {
        CompletedOn: new Date(this.options.now()).toISOString(),
        ExecutionTime: Math.ceil((performance.now() - started) / 1000),
      });
      this.save();
    }
    if (run.JobRunState === "FAILED") {
      // What Step Functions reports for a .sync job that failed: States.TaskFailed with the run as the cause.
      throw Object.assign(new Error(JSON.stringify(run)), { name: "States.TaskFailed" });
    }
    return run;
  }

  startCrawler(name: string): void {
    const crawler = this.options.crawlers[name];
    if (!crawler) throw glueError("EntityNotFoundException", `Glue crawler ${name} does not exist locally`);
    const state = (this.state.crawlers[name] ??= { State: "READY" });
    if (state.State === "RUNNING")
      throw glueError("CrawlerRunningException", `Glue crawler ${name} is already running`);
    state.State = "RUNNING";
    const startTime = new Date(this.options.now()).toISOString();
    const crawl = this.crawl(crawler)
      .then(() => ({ Status: "SUCCEEDED" as const, StartTime: startTime }))
      .catch((err: unknown) => ({
        Status: "FAILED" as const,
        ErrorMessage: (err as Error).message,
        StartTime: startTime,
      }))
      .then((lastCrawl) => {
        state.State = "READY";
        state.LastCrawl = lastCrawl;
        this.save();
        this.crawls.delete(name);
      });
    this.crawls.set(name, crawl);
  }

  getCrawler(name: string): {
    Name: string;
    State: string;
    LastCrawl?: { Status: string; ErrorMessage?: string; StartTime: Date };
  } {
    if (!this.options.crawlers[name])
      throw glueError("EntityNotFoundException", `Glue crawler ${name} does not exist locally`);
    const state = this.state.crawlers[name] ?? { State: "READY" };
    return {
      Name: name,
      State: state.State,
      ...(state.LastCrawl
        ? { LastCrawl: { ...state.LastCrawl, StartTime: new Date(state.LastCrawl.StartTime) } }
        : {}),
    };
  }

  /**
   * The state machine's GetCrawler: answers once the crawl in flight (if any) has ended. A local crawl is real
   * DuckDB work whose wall time the simulated clock does not compress, while the machine's poll Waits are
   * compressed by the speed: at `--speed 100000` a cloud budget of 30 polls 20 s apart is 6 ms of wall time,
   * less than a crawl takes on a loaded machine, so polling a running local crawl would reach the poll limit
   * for a crawl that is merely computing. Like a `.sync` job run, the crawl's compute therefore happens within
   * the Task (whose TimeoutSeconds, in wall seconds locally, still bounds a crawl that never ends).
   */
  async getCrawlerAfterCrawl(name: string): Promise<ReturnType<LocalGlue["getCrawler"]>> {
    await this.crawls.get(name);
    return this.getCrawler(name);
  }

  /** Waits for crawls in progress (shutdown). */
  async idle(): Promise<void> {
    await Promise.all(this.crawls.values());
  }

  /** Infers the zone's columns and partitions from its Parquet files with DuckDB. */
  private async crawl(crawler: LocalCrawler): Promise<void> {
    const folder = this.options.store.zonePath(crawler.zone);
    const files = fs.existsSync(folder)
      ? fs
          .readdirSync(folder, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile() && e.name.endsWith(".parquet"))
      : [];
    if (files.length === 0) return; // Glue: a crawl of an empty prefix succeeds and creates nothing.
    const duck = await this.options.duckdb.connect();
    try {
      const glob = `'${path.join(folder, "**", "*.parquet").replace(/'/g, "''")}'`;
      const described = await duck.runAndReadAll(
        `DESCRIBE SELECT * FROM read_parquet(${glob}, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)`,
      );
      const partitionKeys = [
        ...new Set(
          files.flatMap((f) =>
            path
              .relative(folder, f.parentPath)
              .split(path.sep)
              .filter((p) => p.includes("="))
              .map((p) => p.split("=")[0]!),
          ),
        ),
      ];
      const partitions = new Set(files.map((f) => path.relative(folder, f.parentPath))).size;
      this.state.tables[crawler.table] = {
        name: crawler.table,
        location: this.options.store.zoneUri(crawler.zone),
        columns: described
          .getRowObjectsJS()
          .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }))
          .filter((c) => !partitionKeys.includes(c.name)),
        partitionKeys,
        partitions,
        files: files.length,
        updatedAt: new Date(this.options.now()).toISOString(),
      };
    } finally {
      duck.closeSync();
    }
  }

  /** A GlueClient answering from this local Glue. */
  client(): GlueClient {
    const toSdk = (run: StoredJobRun) => ({
      ...run,
      StartedOn: new Date(run.StartedOn),
      CompletedOn: run.CompletedOn ? new Date(run.CompletedOn) : undefined,
    });
    return serveLocally(new GlueClient(LOCAL_CLIENT_CONFIG), "Glue", {
      GetJobRunsCommand: (input: GetJobRunsCommandInput) => {
        if (!this.options.jobs[input.JobName!])
          throw glueError("EntityNotFoundException", `Glue job ${input.JobName} does not exist locally`);
        return {
          JobRuns: (this.state.jobRuns[input.JobName!] ?? []).slice(0, input.MaxResults ?? 100).map(toSdk),
        };
      },
      StartCrawlerCommand: (input: StartCrawlerCommandInput) => {
        this.startCrawler(input.Name!);
        return {};
      },
      GetCrawlerCommand: (input: GetCrawlerCommandInput) => ({ Crawler: this.getCrawler(input.Name!) }),
    });
  }

  private save(): void {
    writeFileDurably(this.file, Buffer.from(JSON.stringify(this.state, null, 1)));
  }
}
