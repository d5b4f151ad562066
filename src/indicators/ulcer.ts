/**
 * Ulcer index (Martin): the root-mean-square percentage drawdown of the close over the last N
 * bars, UI = √(ΣD²/N). The drawdown reference (`drawdown`) differs between sources:
 * - `"rolling"` (default; StockCharts' formula): D_i = 100·(C_i − max)/max with the maximum
 *   over the N closes ending at bar i (monotonic deque, amortised O(1)). Warm-up 2(N − 1).
 * - `"window"` (Martin's original program, trading-signals): inside each N-bar window the
 *   maximum runs from the window's first bar, so the oldest bar never counts as a drawdown.
 *   This is O(N) per update (the running maximum restarts with every window). Warm-up N − 1.
 */
import { RingBuffer, RollingMax, RollingSum } from "./ring.js";
import { badInput, enumParam, intParam } from "./validate.js";

export type UlcerDrawdown = "rolling" | "window";
export const ULCER_DRAWDOWNS: readonly UlcerDrawdown[] = ["rolling", "window"];

export interface UlcerIndexOptions {
  /** Window length N, integer >= 1. Default 14. */
  period: number;
  /** Drawdown reference, see module doc. Default `"rolling"`. */
  drawdown: UlcerDrawdown;
}

export class UlcerIndex {
  readonly period: number;
  readonly drawdown: UlcerDrawdown;
  readonly warmup: number;
  /** Current value (percent); NaN until ready. */
  value = Number.NaN;
  private readonly windowed: boolean;
  private readonly max: RollingMax;
  private readonly sq: RollingSum;
  private readonly closes: RingBuffer;
  private count = 0;

  constructor(options: Partial<UlcerIndexOptions> = {}) {
    this.period = intParam("ulcer", "period", options.period ?? 14, 1);
    this.drawdown = enumParam("ulcer", "drawdown", options.drawdown ?? "rolling", ULCER_DRAWDOWNS);
    this.windowed = this.drawdown === "window";
    this.max = new RollingMax(this.period);
    this.sq = new RollingSum(this.period);
    this.closes = new RingBuffer(this.windowed ? this.period : 1);
    this.warmup = this.windowed ? this.period - 1 : 2 * (this.period - 1);
  }

  get isReady(): boolean {
    return !Number.isNaN(this.value);
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("ulcer", "close", x);
    const n = this.period;
    if (this.windowed) {
      const ring = this.closes;
      ring.push(x);
      if (!ring.full) return Number.NaN;
      let peak = Number.NEGATIVE_INFINITY;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const c = ring.at(i);
        if (c > peak) peak = c;
        const d = peak === 0 ? 0 : (100 * (c - peak)) / peak;
        sum += d * d;
      }
      this.value = Math.sqrt(sum / n);
      return this.value;
    }
    const m = this.max.push(x);
    if (this.count < n) {
      if (++this.count < n) return Number.NaN;
    }
    const d = m === 0 ? 0 : (100 * (x - m)) / m;
    const s = this.sq.push(d * d);
    if (!this.sq.full) return Number.NaN;
    this.value = Math.sqrt(s / n);
    return this.value;
  }

  reset(): void {
    this.max.reset();
    this.sq.reset();
    this.closes.reset();
    this.count = 0;
    this.value = Number.NaN;
  }
}

/** Batch ulcer index; NaN where not yet defined. */
export function ulcerIndex(close: ArrayLike<number>, options?: Partial<UlcerIndexOptions>): Float64Array {
  const ind = new UlcerIndex(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}
