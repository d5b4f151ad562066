/**
 * A token bucket in integer micro-tokens: `capacity` tokens, refilled at `perSecond` tokens
 * per second of clock time. No floats, no allocation.
 */
const MICRO = 1_000_000;

export class TokenBucket {
  /** Current level in micro-tokens. */
  private level: number;
  private last: number;
  private readonly cap: number;

  constructor(
    readonly capacity: number,
    readonly perSecond: number,
    now: number,
  ) {
    if (
      !Number.isSafeInteger(capacity) ||
      capacity <= 0 ||
      !Number.isSafeInteger(perSecond) ||
      perSecond <= 0
    ) {
      throw new RangeError(
        `token bucket capacity and rate must be positive integers (${capacity}, ${perSecond})`,
      );
    }
    this.cap = capacity * MICRO;
    this.level = this.cap;
    this.last = now;
  }

  private refill(now: number): void {
    const dt = now - this.last;
    if (dt > 0) {
      // perSecond tokens per 1e6 µs = perSecond micro-tokens per µs.
      const l = this.level + dt * this.perSecond;
      this.level = Math.min(l, this.cap);
      this.last = now;
    }
  }

  /** Whether a token is available at `now` (does not take it). */
  canTake(now: number): boolean {
    this.refill(now);
    return this.level >= MICRO;
  }

  /** Takes a token; call only after {@link canTake} returned true. */
  take(): void {
    this.level -= MICRO;
  }

  /** Tokens available (whole). */
  available(now: number): number {
    this.refill(now);
    return Math.floor(this.level / MICRO);
  }
}
