/**
 * Token bucket for connection attempts across the fleet: IoT Core accepts 500 connects/s per account by
 * default, and a fleet that connects faster gets throttled (and a broker gets a SYN flood). Callers wait their
 * turn in FIFO order; waiting costs one timer for the whole queue, not one per device.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private readonly waiting: (() => void)[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param ratePerSecond tokens added per second
   * @param burst bucket size (how many may go at once after a quiet period)
   */
  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number = Math.max(1, Math.ceil(ratePerSecond / 10)),
  ) {
    if (!(ratePerSecond > 0)) throw new Error(`rate must be positive (got ${ratePerSecond})`);
    this.tokens = this.burst;
    this.last = performance.now();
  }

  /** Resolves when the caller may proceed. */
  acquire(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.drain();
    });
  }

  /** Callers still waiting. */
  get pending(): number {
    return this.waiting.length - this.head;
  }

  /** Releases every waiter now (used on shutdown so nothing stays blocked). */
  releaseAll(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.head < this.waiting.length) (this.waiting[this.head++] as () => void)();
    this.compact();
  }

  private drain(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    while (this.head < this.waiting.length && this.tokens >= 1) {
      this.tokens -= 1;
      (this.waiting[this.head++] as () => void)();
    }
    this.compact();
    if (this.head < this.waiting.length && !this.timer) {
      const waitMs = Math.max(1, ((1 - this.tokens) / this.ratePerSecond) * 1000);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, waitMs);
    }
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }
}
