/**
 * SuperTrend: basic bands hl2 ± multiplier·ATR; the final upper band only moves down (and the
 * final lower band only up) unless the previous close broke through it; the trend flips up
 * when the close rises above the final upper band and down when it falls below the final
 * lower band. `value` is the lower band in an up-trend and the upper band in a down-trend;
 * `direction` is +1 (up) or −1 (down).
 *
 * `convention`:
 * - `"tradingview"` (default; Pine `ta.supertrend`): the first value is at the first bar with
 *   an ATR and starts in a down-trend.
 * - `"talipp"` (talipp `SuperTrend`): the first ATR bar only primes the bands; the first value
 *   is one bar later and its direction comes from the close against the raw bands.
 * The ATR follows {@link ATR} (`atrFirstBar`, `atrSmoothing`); TradingView and talipp both
 * count the first bar's high − low (`atrFirstBar: "range"`). Warm-up: the ATR warm-up
 * (`period` bars with the default `atrFirstBar: "skip"`), plus one bar for `"talipp"`.
 */
import { ATR, FIRST_BAR_TR, type FirstBarTR } from "./atr.js";
import { MA_TYPES, type MAType } from "./ma.js";
import { checkColumns, checkHLC, enumParam, intParam, numParam } from "./validate.js";

export type SuperTrendConvention = "tradingview" | "talipp";
export const SUPERTREND_CONVENTIONS: readonly SuperTrendConvention[] = ["tradingview", "talipp"];

export interface SuperTrendOptions {
  /** ATR period. Default 10. */
  period: number;
  /** Band width in ATRs, > 0. Default 3. */
  multiplier: number;
  /** Start-up convention. Default `"tradingview"`. */
  convention: SuperTrendConvention;
  /** ATR first-bar treatment. Default `"skip"`. */
  atrFirstBar: FirstBarTR;
  /** ATR smoothing. Default `"rma"`. */
  atrSmoothing: MAType;
}

export class SuperTrend {
  readonly warmup: number;
  /** SuperTrend line; NaN until ready. */
  value = Number.NaN;
  /** +1 up-trend, −1 down-trend; NaN until ready. */
  direction = Number.NaN;
  /** Final upper band. */
  upper = Number.NaN;
  /** Final lower band. */
  lower = Number.NaN;
  private readonly atr: ATR;
  private readonly multiplier: number;
  private readonly talipp: boolean;
  private primed = false;
  private started = false;
  private down = true;
  private prevClose = 0;

  constructor(options: Partial<SuperTrendOptions> = {}) {
    const period = intParam("supertrend", "period", options.period ?? 10, 1);
    this.multiplier = numParam("supertrend", "multiplier", options.multiplier ?? 3, 0, 1e6, true);
    const convention = enumParam(
      "supertrend",
      "convention",
      options.convention ?? "tradingview",
      SUPERTREND_CONVENTIONS,
    );
    const firstBar = enumParam("supertrend", "atrFirstBar", options.atrFirstBar ?? "skip", FIRST_BAR_TR);
    const smoothing = enumParam("supertrend", "atrSmoothing", options.atrSmoothing ?? "rma", MA_TYPES);
    this.talipp = convention === "talipp";
    this.atr = new ATR({ period, firstBar, smoothing });
    this.warmup = this.atr.warmup + (this.talipp ? 1 : 0);
  }

  get isReady(): boolean {
    return this.started;
  }

  /** Feeds a bar; returns the SuperTrend line. */
  update(high: number, low: number, close: number): number {
    checkHLC("supertrend", high, low, close);
    const a = this.atr.step(high, low, close);
    const pc = this.prevClose;
    this.prevClose = close;
    if (Number.isNaN(a)) return Number.NaN;
    if (this.talipp && !this.primed) {
      this.primed = true;
      return Number.NaN;
    }
    const mid = (high + low) / 2;
    let up = mid + this.multiplier * a;
    let lo = mid - this.multiplier * a;
    if (!this.started) {
      this.started = true;
      // TradingView starts down-trend; talipp applies the flip rule from a down-trend.
      this.down = this.talipp ? !(close > up) : true;
    } else {
      const pu = this.upper;
      const pl = this.lower;
      if (!(lo > pl || pc < pl)) lo = pl;
      if (!(up < pu || pc > pu)) up = pu;
      if (this.down) this.down = !(close > up);
      else this.down = close < lo;
    }
    this.upper = up;
    this.lower = lo;
    this.direction = this.down ? -1 : 1;
    this.value = this.down ? up : lo;
    return this.value;
  }

  reset(): void {
    this.atr.reset();
    this.primed = false;
    this.started = false;
    this.down = true;
    this.prevClose = 0;
    this.value = Number.NaN;
    this.direction = Number.NaN;
    this.upper = Number.NaN;
    this.lower = Number.NaN;
  }
}

export type SuperTrendSeries = {
  value: Float64Array;
  direction: Float64Array;
  upper: Float64Array;
  lower: Float64Array;
};

/** Batch SuperTrend; NaN where not yet defined. */
export function superTrend(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<SuperTrendOptions>,
): SuperTrendSeries {
  const n = checkColumns("supertrend", { high, low, close });
  const ind = new SuperTrend(options);
  const out = {
    value: new Float64Array(n),
    direction: new Float64Array(n),
    upper: new Float64Array(n),
    lower: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    out.value[i] = ind.update(high[i], low[i], close[i]);
    out.direction[i] = ind.direction;
    out.upper[i] = ind.upper;
    out.lower[i] = ind.lower;
  }
  return out;
}
