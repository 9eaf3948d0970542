/**
 * What reached the lake, per device, against what the shards say they published: the platform's
 * `device_completeness` Athena view (readings, duplicates and seq gaps per device and day) summed over the
 * run's days, compared with each device's `lastSeq + 1`. The Athena client is injected (tests use
 * aws-sdk-client-mock); the query runs in the stack's workgroup, which enforces its result location and
 * encryption.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";

/** The platform's view of completeness per device and day (components/analytics/sql/device_completeness.sql). */
export const COMPLETENESS_VIEW = "device_completeness";

export interface LakeQuery {
  readonly athena: AthenaClient;
  readonly workGroup: string;
  readonly database: string;
  /** `<app>-<stack>`: only this deployment's devices are read. */
  readonly deployment: string;
  /** UTC days of the run, `YYYY-MM-DD`, inclusive. */
  readonly fromDay: string;
  readonly toDay: string;
  /** Between two polls of the query's state. @default 1000 */
  readonly pollMs?: number;
  /** Give up after this long. @default 300000 */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface DeviceInLake {
  /** Distinct readings in the lake over the run's days (readings minus duplicates). */
  readonly received: number;
  /** Readings lost in seq gaps, as the view counts them. */
  readonly missing: number;
}

export interface LakeComparison {
  readonly devices: number;
  /** Sum over the devices of lastSeq + 1: what the shards published. */
  readonly published: number;
  /** Sum over the same devices of what the lake holds (at most what they published). */
  readonly received: number;
  readonly completenessPct: number;
  /** Devices with fewer readings in the lake than published, worst first (at most 20). */
  readonly short: readonly { device: string; published: number; received: number }[];
}

/** The view's rows for the deployment's devices over the run's days, summed per device. */
export async function queryLake(query: LakeQuery): Promise<Map<string, DeviceInLake>> {
  const { athena } = query;
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (!day.test(query.fromDay) || !day.test(query.toDay)) {
    throw new Error(`days must be YYYY-MM-DD (got ${query.fromDay} and ${query.toDay})`);
  }
  if (!/^[a-z0-9][a-z0-9-]*$/.test(query.deployment) || !/^[a-z0-9_]+$/.test(query.database)) {
    throw new Error(`unexpected deployment "${query.deployment}" or database "${query.database}"`);
  }
  const sql = [
    "SELECT device_id, CAST(sum(readings - duplicates) AS bigint) AS received, CAST(sum(missing) AS bigint) AS missing",
    `FROM "${query.database}"."${COMPLETENESS_VIEW}"`,
    `WHERE day BETWEEN '${query.fromDay}' AND '${query.toDay}' AND device_id LIKE '${query.deployment}-%'`,
    "GROUP BY device_id",
  ].join("\n");
  const started = await athena.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      WorkGroup: query.workGroup,
      QueryExecutionContext: { Database: query.database },
    }),
  );
  const id = started.QueryExecutionId;
  if (!id) throw new Error("Athena returned no query execution ID");
  const sleep = query.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (query.timeoutMs ?? 300_000);
  for (;;) {
    const execution = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    const state = execution.QueryExecution?.Status?.State;
    if (state === "SUCCEEDED") break;
    if (state === "FAILED" || state === "CANCELLED") {
      throw new Error(
        `Athena query ${id} ${state.toLowerCase()}: ${execution.QueryExecution?.Status?.StateChangeReason ?? "no reason given"}`,
      );
    }
    if (Date.now() > deadline) throw new Error(`Athena query ${id} still ${state} after the timeout`);
    await sleep(query.pollMs ?? 1_000);
  }
  const devices = new Map<string, DeviceInLake>();
  let token: string | undefined;
  let header = true;
  do {
    const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token }));
    for (const row of page.ResultSet?.Rows ?? []) {
      if (header) {
        header = false; // the first row of the first page is the column names
        continue;
      }
      const [device, received, missing] = (row.Data ?? []).map((d) => d.VarCharValue);
      if (device) devices.set(device, { received: Number(received ?? 0), missing: Number(missing ?? 0) });
    }
    token = page.NextToken;
  } while (token);
  return devices;
}

/** Compares the merged report's per-device `lastSeq` with the lake. */
export function compareWithLake(
  lastSeq: Readonly<Record<string, number>>,
  lake: ReadonlyMap<string, DeviceInLake>,
): LakeComparison {
  let published = 0;
  let received = 0;
  const short: { device: string; published: number; received: number }[] = [];
  for (const [device, last] of Object.entries(lastSeq)) {
    const sent = last + 1;
    // Other runs the same day add readings too; what this run published is the most it can account for.
    const inLake = Math.min(sent, lake.get(device)?.received ?? 0);
    published += sent;
    received += inLake;
    if (inLake < sent) short.push({ device, published: sent, received: inLake });
  }
  short.sort(
    (a, b) => b.published - b.received - (a.published - a.received) || a.device.localeCompare(b.device),
  );
  return {
    devices: Object.keys(lastSeq).length,
    published,
    received,
    completenessPct: published === 0 ? 100 : Math.round((10_000 * received) / published) / 100,
    short: short.slice(0, 20),
  };
}
