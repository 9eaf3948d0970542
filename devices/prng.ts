/**
 * Seeded pseudo-random numbers for the sensor model. Nothing in the model may call `Math.random`: the same
 * seed must give the same readings on every machine, in every shard, in any scheduling order. Each device
 * (and each concern of a device: base signal, anomalies) draws from its own stream, derived from the run seed
 * and a scope name, so one stream's consumption never shifts another's.
 */
import { createHash } from "node:crypto";

/**
 * A small, fast PRNG: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state), which
 * passes PractRand to 2^40+ bytes and costs a handful of integer operations per draw.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Second normal deviate of the last Box-Muller pair, used by the next {@link normal} call. */
  private spareNormal: number | undefined;

  /** Stream for `scope` under `seed`; the same pair always yields the same sequence. */
  constructor(seed: string, scope: string) {
    const digest = createHash("sha256").update(`${seed}\u0000${scope}`).digest();
    this.a = digest.readUInt32LE(0);
    this.b = digest.readUInt32LE(4);
    this.c = digest.readUInt32LE(8);
    this.d = digest.readUInt32LE(12) | 1;
    // Discard the first outputs: sfc32's recommended warm-up so that similar seeds decorrelate.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform float in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** `true` with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** +1 or -1 with equal probability. */
  sign(): 1 | -1 {
    return this.next() < 0.5 ? -1 : 1;
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Prng.pick needs a non-empty list");
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Normal deviate with the given mean and standard deviation (Box-Muller, both values of a pair used). */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + sd * z;
    }
    // 1 - next() is in (0, 1], so the logarithm is finite.
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }
}

/**
 * 32-bit FNV-1a hash of a string: a stable, dependency-free hash for deterministic partitioning
 * (e.g. {@link import("./shard").inShard}). Not for security.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
