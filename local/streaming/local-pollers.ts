/**
 * The REST pollers, locally: each poller's real handler (`functions/rest-poller`) with the environment the
 * RestPollers component gives its function, invoked on the poller's schedule compressed like the stack's other
 * schedules, one poll at a time (the function's reserved concurrency of 1). A failed poll is retried as the
 * scheduler and Lambda retry it ({@link POLLER_INVOCATION_RETRIES}), then kept in the poller's dead-letter file
 * (`<data dir>/pollers/<name>.dead-letters.jsonl`) with the error, as the cloud keeps it in the dead-letter queue.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { POLLER_INVOCATION_RETRIES, type PollerSettings } from "../../components/pollers/poller-settings";
import type { PollHandler } from "../../functions/rest-poller/handler";
import type { PollResult } from "../../functions/rest-poller/poller";
import { CompressedSchedules } from "../schedules";

/** What a poller did this run. */
export interface PollerStats {
  polls: number;
  /** Polls that failed after their retries (each in the dead-letter file). */
  failed: number;
  retries: number;
  records: number;
  accepted: number;
  quarantined: number;
  duplicates: number;
  lastError?: string;
}

export class LocalPollers {
  readonly stats: Record<string, PollerStats> = {};
  private readonly schedules: CompressedSchedules;
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly args: {
      readonly pollers: readonly PollerSettings[];
      readonly handlers: ReadonlyMap<string, PollHandler>;
      readonly dir: string;
      readonly speed: number;
      readonly now: () => number;
      readonly log: (line: string) => void;
    },
  ) {
    fs.mkdirSync(args.dir, { recursive: true });
    for (const p of args.pollers)
      this.stats[p.name] = {
        polls: 0,
        failed: 0,
        retries: 0,
        records: 0,
        accepted: 0,
        quarantined: 0,
        duplicates: 0,
      };
    this.schedules = new CompressedSchedules(
      args.pollers.map((p) => ({
        name: p.name,
        expression: p.schedule,
        run: () => void this.pollOnce(p.name),
      })),
      args.speed,
    );
  }

  /** Wall ms between polls, by poller. */
  get intervals(): Readonly<Record<string, number>> {
    return this.schedules.intervals;
  }

  /** The first poll of each poller now, then on their schedules. */
  start(): void {
    for (const p of this.args.pollers) void this.pollOnce(p.name);
    this.schedules.start();
  }

  /** Stops the schedules and waits for polls in flight. */
  async stop(): Promise<void> {
    this.schedules.stop();
    await Promise.all(this.running.values());
  }

  /** One scheduled invocation with its retries; skipped while the previous one runs (reserved concurrency 1). */
  pollOnce(name: string): Promise<void> {
    const inFlight = this.running.get(name);
    if (inFlight) return inFlight;
    const run = this.invoke(name).finally(() => this.running.delete(name));
    this.running.set(name, run);
    return run;
  }

  private async invoke(name: string): Promise<void> {
    const stats = this.stats[name]!;
    const handler = this.args.handlers.get(name)!;
    let lastError: Error | undefined;
    for (let attempt = 0; attempt <= POLLER_INVOCATION_RETRIES; attempt++) {
      if (attempt > 0) stats.retries++;
      try {
        const result: PollResult = await handler();
        stats.polls++;
        stats.records += result.records;
        stats.accepted += result.accepted;
        stats.quarantined += result.quarantined;
        stats.duplicates += result.duplicates;
        return;
      } catch (err) {
        lastError = err as Error;
      }
    }
    stats.polls++;
    stats.failed++;
    stats.lastError = lastError!.message;
    const line = {
      poller: name,
      at: new Date(this.args.now()).toISOString(),
      attempts: POLLER_INVOCATION_RETRIES + 1,
      error: lastError!.message,
    };
    fs.appendFileSync(path.join(this.args.dir, `${name}.dead-letters.jsonl`), `${JSON.stringify(line)}\n`);
    this.args.log(`poller ${name}: failed after ${line.attempts} attempts (dead-lettered): ${line.error}`);
  }
}
