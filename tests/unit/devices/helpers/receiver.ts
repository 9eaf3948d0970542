/**
 * What a subscriber proves about a run: every `(device_id, seq)` it received, duplicates counted, and whether
 * each device's sequence is complete from 0 to the last seq the simulator says it published.
 */
import { parseDataTopic } from "../../../../components/telemetry/topics";
import { validatePayload, type TelemetryPayload } from "../../../../components/telemetry/schema";

export class TelemetryReceiver {
  /** device_id -> seqs received. */
  readonly seqs = new Map<string, Set<number>>();
  /** Payloads by `device_id/seq` (first copy). */
  readonly payloads = new Map<string, TelemetryPayload>();
  duplicates = 0;
  /** Messages that were not valid readings for their topic. */
  readonly invalid: string[] = [];
  /** Readings whose topic's thing is not the payload's device (what an ACL must prevent). */
  messages = 0;

  record(topic: string, payload: Buffer): void {
    this.messages++;
    const parsed = parseDataTopic(topic);
    let body: unknown;
    try {
      body = JSON.parse(payload.toString("utf8"));
    } catch {
      this.invalid.push(`${topic}: not JSON`);
      return;
    }
    const problems = parsed
      ? validatePayload(body, { deviceId: parsed.thingName, roomId: parsed.roomId })
      : [];
    if (!parsed || problems.length > 0) {
      this.invalid.push(`${topic}: ${problems.map((p) => `${p.field} ${p.reason}`).join(", ")}`);
      return;
    }
    const reading = body as TelemetryPayload;
    let set = this.seqs.get(reading.device_id);
    if (!set) {
      set = new Set();
      this.seqs.set(reading.device_id, set);
    }
    if (set.has(reading.seq)) {
      this.duplicates++;
    } else {
      set.add(reading.seq);
      this.payloads.set(`${reading.device_id}/${reading.seq}`, reading);
    }
  }

  /** Distinct `(device_id, seq)` pairs received. */
  get distinct(): number {
    let total = 0;
    for (const set of this.seqs.values()) total += set.size;
    return total;
  }

  /** Devices whose received seqs are not exactly 0..lastSeq, with what is missing or extra. */
  gaps(lastSeq: Readonly<Record<string, number>>): string[] {
    const problems: string[] = [];
    for (const [device, last] of Object.entries(lastSeq)) {
      const set = this.seqs.get(device) ?? new Set<number>();
      const missing: number[] = [];
      for (let seq = 0; seq <= last; seq++) if (!set.has(seq)) missing.push(seq);
      const extra = [...set].filter((s) => s > last);
      if (missing.length > 0 || extra.length > 0) {
        problems.push(
          `${device}: missing ${missing.slice(0, 10).join(",")}${missing.length > 10 ? "..." : ""} extra ${extra.join(",")}`,
        );
      }
    }
    for (const device of this.seqs.keys())
      if (!(device in lastSeq)) problems.push(`${device}: not in the summary`);
    return problems;
  }
}
