/**
 * Hull moving average: HMA = WMA(2·WMA(x, ⌊N/2⌋) − WMA(x, N), ⌊√N⌋).
 *
 * Warm-up: `(N − 1) + (⌊√N⌋ − 1)` bars. Matches talipp `HMA` and trading-signals `HMA`.
 */
import { WMA } from "./ma.js";
import { badInput, intParam } from "./validate.js";

export interface HMAOptions {
  /** Period N, integer >= 2. Default 9. */
  period: number;
}

export class HMA {
  readonly period: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly half: WMA;
  private readonly full: WMA;
  private readonly smooth: WMA;

  constructor(options: Partial<HMAOptions> = {}) {
    this.period = intParam("hma", "period", options.period ?? 9, 2);
    const sq = Math.floor(Math.sqrt(this.period));
    this.half = new WMA({ period: Math.floor(this.period / 2) });
    this.full = new WMA({ period: this.period });
    this.smooth = new WMA({ period: sq });
    this.warmup = this.period - 1 + sq - 1;
  }

  get isReady(): boolean {
    return this.smooth.isReady;
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("hma", "close", x);
    const h = this.half.update(x);
    const f = this.full.update(x);
    if (!this.full.isReady) return Number.NaN;
    this.value = this.smooth.update(2 * h - f);
    return this.value;
  }

  reset(): void {
    this.half.reset();
    this.full.reset();
    this.smooth.reset();
    this.value = Number.NaN;
  }
}

/** Batch HMA; NaN where not yet defined. */
export function hma(close: ArrayLike<number>, options?: Partial<HMAOptions>): Float64Array {
  const ind = new HMA(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}
