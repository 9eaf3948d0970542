/**
 * Batch mode's files of one scoring window, in the curated bucket under `state/anomaly-scoring/batches/<window>/`:
 * the rows of the window (rows.json, written by prepareBatch, read back by collectBatch), the transform input
 * (one CSV of vectors; modelScope room: one per room, each for its room's model) and the transforms' output.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { csvRow, type ScoringRow } from "../../components/ml/features";
import { SCORING_KEYS } from "../../components/ml/ml-layout";
import {
  deleteObjects,
  listObjects,
  readJson,
  readText,
  s3Uri,
  writeJson,
  writeText,
} from "../ml-common/s3-io";

/** What prepareBatch hands the state machine's transform step(s). */
export interface BatchInput {
  /** Vectors to score, over all transforms. */
  readonly rows: number;
  readonly inputUri: string;
  readonly outputUri: string;
  /** modelScope room: one transform per room with vectors in the window, on the room's model. */
  readonly transforms?: readonly RoomTransform[];
  /** When the transform input was written (epoch ms), for the transform's duration. */
  readonly preparedAtMs?: number;
}

/** One room's batch transform of a window. */
export interface RoomTransform {
  readonly room: string;
  readonly modelName: string;
  readonly jobName: string;
  readonly inputUri: string;
  readonly outputUri: string;
  readonly rows: number;
}

/**
 * The scores in an RCF response, in order. Accepts the `application/json` form (`{"scores":[{"score":..}]}`)
 * and the `application/jsonlines` form batch transform writes (`{"score":..}` per line).
 */
export function parseScores(text: string): number[] {
  const scores: number[] = [];
  for (const match of text.matchAll(/"score"\s*:\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|NaN|null)/g)) {
    const value = Number(match[1]);
    if (!Number.isFinite(value))
      throw new Error(`the model returned a score that is not a number: ${match[1]}`);
    scores.push(value);
  }
  return scores;
}

export class BatchFiles {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /**
   * Writes the window's rows and the transform input(s): one CSV of every vector, or with `rooms` (modelScope
   * room) one per room that has a model and vectors, each naming its transform job `<jobName>-r<n>`.
   */
  async write(
    id: string,
    rows: readonly ScoringRow[],
    rooms: Readonly<Record<string, { readonly name: string }>> | undefined,
    jobName: string,
  ): Promise<BatchInput> {
    await writeJson(this.s3, this.bucket, SCORING_KEYS.batchRows(id), rows.map(toStoredRow));
    const whole = {
      inputUri: s3Uri(this.bucket, SCORING_KEYS.batchInput(id)),
      outputUri: s3Uri(this.bucket, SCORING_KEYS.batchOutputPrefix(id)),
    };
    if (!rooms) {
      const vectors = rows.filter((r) => r.vector !== null);
      await this.writeVectors(SCORING_KEYS.batchInput(id), vectors);
      return { rows: vectors.length, ...whole };
    }
    const transforms: RoomTransform[] = [];
    for (const [index, room] of Object.keys(rooms).sort().entries()) {
      const vectors = rows.filter((r) => r.reading.room_id === room && r.vector !== null);
      if (vectors.length === 0) continue;
      await this.writeVectors(SCORING_KEYS.roomBatchInput(id, room), vectors);
      transforms.push({
        room,
        modelName: rooms[room]!.name,
        jobName: `${jobName}-r${index}`,
        inputUri: s3Uri(this.bucket, SCORING_KEYS.roomBatchInput(id, room)),
        outputUri: s3Uri(this.bucket, SCORING_KEYS.roomBatchOutputPrefix(id, room)),
        rows: vectors.length,
      });
    }
    return { rows: transforms.reduce((n, t) => n + t.rows, 0), ...whole, transforms };
  }

  /** The rows prepareBatch wrote. */
  async rows(id: string): Promise<ScoringRow[]> {
    const stored = await readJson<StoredRow[]>(this.s3, this.bucket, SCORING_KEYS.batchRows(id));
    return (stored?.value ?? []).map(fromStoredRow);
  }

  /** The transforms' scores spread over the rows (undefined for a row without a vector or a room model). */
  async scores(id: string, rows: readonly ScoringRow[], batch: BatchInput): Promise<(number | undefined)[]> {
    const groups = batch.transforms
      ? batch.transforms.map((t) => ({
          prefix: SCORING_KEYS.roomBatchOutputPrefix(id, t.room),
          rows: t.rows,
          has: (r: ScoringRow) => r.reading.room_id === t.room,
        }))
      : [{ prefix: SCORING_KEYS.batchOutputPrefix(id), rows: batch.rows, has: () => true }];
    const scores: (number | undefined)[] = rows.map(() => undefined);
    for (const group of groups) {
      const mine = rows.flatMap((r, i) => (r.vector !== null && group.has(r) ? [i] : []));
      if (mine.length !== group.rows)
        throw new Error(
          `rows.json of window ${id} lists ${mine.length} vectors, the batch had ${group.rows}`,
        );
      if (mine.length === 0) continue;
      const values = await this.transformScores(group.prefix);
      if (values.length !== mine.length)
        throw new Error(
          `batch transform of window ${id} returned ${values.length} scores for ${mine.length} rows`,
        );
      mine.forEach((row, k) => (scores[row] = values[k]));
    }
    return scores;
  }

  /** The window is finished: its transform input, row keys and output have served their purpose. */
  async remove(id: string): Promise<void> {
    const objects = await listObjects(this.s3, this.bucket, SCORING_KEYS.batchPrefix(id));
    await deleteObjects(
      this.s3,
      this.bucket,
      objects.map((o) => o.key),
    );
  }

  private async writeVectors(key: string, rows: readonly ScoringRow[]): Promise<void> {
    if (rows.length === 0) return;
    await writeText(this.s3, this.bucket, key, `${rows.map((r) => csvRow(r.vector!)).join("\n")}\n`, {
      contentType: "text/csv",
    });
  }

  /** The scores a transform wrote under a prefix, in input order (its `.out` files sorted by key). */
  private async transformScores(prefix: string): Promise<number[]> {
    const outputs = (await listObjects(this.s3, this.bucket, prefix))
      .filter((o) => o.key.endsWith(".out"))
      .sort((a, b) => a.key.localeCompare(b.key));
    const scores: number[] = [];
    for (const output of outputs)
      scores.push(...parseScores((await readText(this.s3, this.bucket, output.key))?.text ?? ""));
    return scores;
  }
}

/** A row as rows.json stores it between prepareBatch and collectBatch (compact: arrays, not objects). */
type StoredRow = [string, string, number, number, number, number, number[] | null, number, 0 | 1];

const toStoredRow = ({ reading: r, vector, missing, stuck }: ScoringRow): StoredRow => [
  r.device_id,
  r.room_id,
  r.ts,
  r.seq,
  r.temperature_c,
  r.received_at,
  vector === null ? null : [...vector],
  missing,
  stuck ? 1 : 0,
];

const fromStoredRow = ([
  device_id,
  room_id,
  ts,
  seq,
  temperature_c,
  received_at,
  vector,
  missing,
  stuck,
]: StoredRow): ScoringRow => ({
  reading: { device_id, room_id, ts, seq, temperature_c, received_at },
  vector,
  missing,
  stuck: stuck === 1,
});
