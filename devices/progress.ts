/**
 * Progress on stderr: a live line rewritten in place on a TTY (every second), plain lines otherwise (every
 * 10 s, so CI logs stay readable). Rates are over the last interval.
 */
import type { Fleet } from "./fleet";
import type { FleetCounters } from "./runtime/stats";

export interface ProgressOptions {
  readonly stream: NodeJS.WriteStream;
  /** @default - 1 s on a TTY, 10 s otherwise */
  readonly intervalMs?: number;
}

export class ProgressReporter {
  private timer: NodeJS.Timeout | undefined;
  private previous: FleetCounters;
  private readonly tty: boolean;

  constructor(
    private readonly fleet: Fleet,
    private readonly options: ProgressOptions,
  ) {
    this.tty = options.stream.isTTY === true;
    this.previous = fleet.stats.snapshot();
  }

  start(): void {
    this.timer = setInterval(() => this.report(), this.options.intervalMs ?? (this.tty ? 1_000 : 10_000));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) this.options.stream.write("\n");
  }

  private report(): void {
    const now = this.fleet.stats.snapshot();
    const line = formatProgress(this.fleet, now, this.previous);
    this.previous = now;
    if (this.tty) this.options.stream.write(`\r\x1b[2K${line}`);
    else this.options.stream.write(`${line}\n`);
  }
}

/** One progress line, e.g. `sampling | connected 200/200 | published 41,000 (2,000/s) | acked ...`. */
export function formatProgress(fleet: Fleet, now: FleetCounters, previous: FleetCounters): string {
  const n = (v: number): string => v.toLocaleString("en-US");
  const seconds = Math.max(0.001, (now.at - previous.at) / 1000);
  const rate = Math.round((now.published - previous.published) / seconds);
  const errors = now.dropped + now.rejected + now.connectFailures;
  const simTime = fleet.clock ? ` | sim ${new Date(fleet.clock.simNow()).toISOString().slice(0, 19)}Z` : "";
  return (
    [
      fleet.phase,
      `connected ${n(now.connected)}/${n(now.devices)}`,
      `published ${n(now.published)} (${n(rate)}/s)`,
      `acked ${n(now.acknowledged)}`,
      `in flight ${n(now.inFlight)}`,
      `queued ${n(now.queued)}`,
      `errors ${n(errors)}`,
      `reconnects ${n(now.reconnects)}`,
    ].join(" | ") + simTime
  );
}
