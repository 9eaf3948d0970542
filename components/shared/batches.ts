/**
 * Consecutive batches of items under an API's per-call limits: at most `maxItems` items and `maxBytes` bytes (by
 * `sizeOf`), packed greedily in order. An item larger than `maxBytes` alone goes in a batch of its own; a caller
 * that must refuse such an item checks before. Pure.
 */
export function packBatches<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  maxBytes: number,
  maxItems: number,
): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (batch.length > 0 && (batch.length >= maxItems || bytes + size > maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
