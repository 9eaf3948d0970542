/**
 * How many connections the broker takes, and from whom: a total below the process's file-descriptor limit (a
 * socket is a descriptor; running out of them makes every file the lake writes fail), a share per source
 * address, and a few per source that have not finished the TLS handshake and MQTT CONNECT yet.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { MAX_PENDING_CONNECTIONS_PER_SOURCE, RESERVED_FILE_DESCRIPTORS } from "./iot-core-limits";

export interface ConnectionLimits {
  /** Open connections in all. */
  readonly total: number;
  /** Open connections from one address. */
  readonly perSource: number;
  /** Connections from one address still in the TLS handshake or waiting for CONNECT. */
  readonly pendingPerSource: number;
}

export type RefusalCause = "total" | "perSource" | "pendingPerSource";

/** When the process cannot say (no /proc, no shell), the common default soft limit. */
const FALLBACK_FILE_DESCRIPTORS = 1_024;

/** The soft limit on open files of this process (`ulimit -n`). */
export function fileDescriptorLimit(): number {
  try {
    const limits = fs.readFileSync("/proc/self/limits", "utf8");
    const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
    if (soft) return soft === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(soft);
  } catch {
    // not Linux: ask the shell, which inherits this process's limits
  }
  const shell = spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8", timeout: 2_000 });
  const value = shell.stdout?.trim();
  if (value === "unlimited") return Number.MAX_SAFE_INTEGER;
  return Number(value) > 0 ? Number(value) : FALLBACK_FILE_DESCRIPTORS;
}

/**
 * The limits for a file-descriptor limit, with `inProcessClients` MQTT clients running in this process (the
 * built-in fleet: each of its connections costs two descriptors here, one per end).
 * @throws Error naming the numbers and the fix when the fleet alone does not fit
 */
export function connectionLimits(fdLimit: number, inProcessClients = 0): ConnectionLimits {
  const total = fdLimit - RESERVED_FILE_DESCRIPTORS - inProcessClients;
  if (total < inProcessClients + 1)
    throw new Error(
      `${inProcessClients} devices in this process need about ${2 * inProcessClients + RESERVED_FILE_DESCRIPTORS} file descriptors, ` +
        `but the limit is ${fdLimit}; raise it (ulimit -n ${2 * inProcessClients + RESERVED_FILE_DESCRIPTORS + 64}) or pass fewer --devices`,
    );
  return {
    total,
    // One address never takes every slot (other loopback addresses and ::1 still get in), but always the fleet's.
    perSource: Math.max(inProcessClients + 16, Math.floor((total * 3) / 4)),
    pendingPerSource: MAX_PENDING_CONNECTIONS_PER_SOURCE,
  };
}

interface SourceCount {
  open: number;
  pending: number;
}

/** Counts connections per source; decides whether a new one is taken. */
export class ConnectionAdmission {
  private readonly sources = new Map<string, SourceCount>();
  private open = 0;

  constructor(readonly limits: ConnectionLimits) {}

  /** Takes a new connection (counted as pending) or says why not. */
  admit(source: string): RefusalCause | undefined {
    const count = this.sources.get(source) ?? { open: 0, pending: 0 };
    if (this.open >= this.limits.total) return "total";
    if (count.open >= this.limits.perSource) return "perSource";
    if (count.pending >= this.limits.pendingPerSource) return "pendingPerSource";
    count.open++;
    count.pending++;
    this.open++;
    this.sources.set(source, count);
    return undefined;
  }

  /** The connection completed its handshake and CONNECT. */
  established(source: string): void {
    const count = this.sources.get(source);
    if (count && count.pending > 0) count.pending--;
  }

  /** The connection closed; `pending` if it never got established. */
  closed(source: string, pending: boolean): void {
    const count = this.sources.get(source);
    if (!count) return;
    count.open--;
    if (pending && count.pending > 0) count.pending--;
    this.open--;
    if (count.open <= 0) this.sources.delete(source);
  }

  get openConnections(): number {
    return this.open;
  }
}
