/**
 * Scale-out: `--shard i/n` runs the i-th of n disjoint parts of one fleet, so n processes or machines together
 * run every device exactly once. A device's shard depends only on its thing name (a stable hash), not on its
 * position in a list, so adding devices or reordering the fleet file never moves the others.
 * Readings do not depend on the shard either: each device's streams are seeded from its own name.
 */
import { fnv1a32 } from "./prng";

/** Part `index` (1-based, like Playwright's and Jest's `--shard`) of `count` parts. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The whole fleet. */
export const WHOLE_FLEET: Shard = { index: 1, count: 1 };

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count) {
    throw new Error(
      `--shard must be i/n with 1 <= i <= n, e.g. 2/4 for the second of four parts (got "${text}")`,
    );
  }
  return { index, count };
}

/** Whether a device belongs to a shard. */
export function inShard(thingName: string, shard: Shard): boolean {
  return shard.count === 1 || (fnv1a32(thingName) % shard.count) + 1 === shard.index;
}
