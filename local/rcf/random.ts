/**
 * Small, fast, seedable pseudo-random number generator (xoshiro128**), seeded through splitmix32.
 *
 * Why not Math.random: the forest must be reproducible ("same seed, same scores"), and every tree needs its own
 * independent stream so that trees diverge. xoshiro128** only uses 32-bit integer operations, which V8 keeps in
 * registers (Math.imul, shifts), so a draw costs a few nanoseconds and never allocates.
 */

/** One step of splitmix32: a good 32-bit mixer used to expand a seed into generator state. */
function splitmix32(state: number): number {
  let t = (state + 0x9e3779b9) | 0;
  t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
  t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
  return (t ^ (t >>> 15)) >>> 0;
}

const TWO_POW_32 = 4294967296;

/** xoshiro128** generator. Deterministic for a given (seed, stream) pair. */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /**
   * @param seed any finite number; its integer part (including the bits above 2^32) selects the sequence.
   * @param stream a second integer (e.g. the tree index) so that one seed yields independent generators.
   */
  constructor(seed: number, stream = 0) {
    const integer = Math.trunc(seed);
    const low = integer | 0;
    const high = Math.floor(integer / TWO_POW_32) | 0;
    // Chain splitmix32 through the seed halves and the stream id so that nearby seeds give unrelated states.
    let state = splitmix32(low ^ splitmix32(high ^ splitmix32(stream)));
    state = splitmix32(state);
    this.s0 = state | 0;
    state = splitmix32(state);
    this.s1 = state | 0;
    state = splitmix32(state);
    this.s2 = state | 0;
    state = splitmix32(state);
    this.s3 = state | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      this.s0 = 1; // the all-zero state is the one fixed point of xoshiro; never start there
    }
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const rotated = Math.imul(s1, 5);
    const result = Math.imul((rotated << 7) | (rotated >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result >>> 0;
  }

  /**
   * Uniform double in the open interval (0, 1) with 32-bit resolution. Never returns 0 or 1, so callers can take
   * log(u) and log(-log(u)) without guarding against infinities.
   */
  nextDouble(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }
}
