/**
 * Exponential backoff with "equal jitter": attempt n waits between half and all of
 * `min(maxMs, initialMs * 2^n)`. The jitter comes from a seeded {@link Rng}, so a run's retry
 * schedule is reproducible, while nodes with different seeds do not retry in lockstep.
 */
import { Rng } from "../../core/rng.js";

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  seed: number;
}

export class Backoff {
  private attempt = 0;
  private readonly rng: Rng;

  constructor(private readonly options: BackoffOptions) {
    this.rng = new Rng(options.seed);
  }

  /** The delay before the next attempt, in ms; each call moves one attempt further. */
  next(): number {
    const cap = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(cap / 2 + (cap / 2) * this.rng.nextFloat());
  }

  /** Attempts since the last success. */
  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
