/**
 * Keltner Channels (modern, Raschke form): middle = EMA(close, period), upper/lower = middle ±
 * multiplier·ATR(atrPeriod).
 *
 * The EMA follows {@link EMA} seeding (`seed`, default SMA seed) and the ATR follows
 * {@link ATR} (`atrFirstBar`, `atrSmoothing`). talipp's `KeltnerChannels` corresponds to
 * `atrFirstBar: "range"`. Warm-up: max of the EMA and ATR warm-ups.
 */
import { ATR, FIRST_BAR_TR, type FirstBarTR } from "./atr.js";
import { EMA, EMA_SEEDS, type EmaSeed, MA_TYPES, type MAType } from "./ma.js";
import { checkColumns, checkHLC, enumParam, intParam, numParam } from "./validate.js";

export interface KeltnerChannelsOptions {
  /** EMA period of the middle line. Default 20. */
  period: number;
  /** ATR period. Default 10. */
  atrPeriod: number;
  /** Band width in ATRs, >= 0. Default 2. */
  multiplier: number;
  /** EMA seeding. Default `"sma"`. */
  seed: EmaSeed;
  /** ATR first-bar treatment. Default `"skip"`. */
  atrFirstBar: FirstBarTR;
  /** ATR smoothing. Default `"rma"`. */
  atrSmoothing: MAType;
}

export class KeltnerChannels {
  readonly warmup: number;
  upper = Number.NaN;
  middle = Number.NaN;
  lower = Number.NaN;
  private readonly ema: EMA;
  private readonly atr: ATR;
  private readonly multiplier: number;

  constructor(options: Partial<KeltnerChannelsOptions> = {}) {
    const period = intParam("keltner", "period", options.period ?? 20, 1);
    const atrPeriod = intParam("keltner", "atrPeriod", options.atrPeriod ?? 10, 1);
    this.multiplier = numParam("keltner", "multiplier", options.multiplier ?? 2, 0);
    const seed = enumParam("keltner", "seed", options.seed ?? "sma", EMA_SEEDS);
    const firstBar = enumParam("keltner", "atrFirstBar", options.atrFirstBar ?? "skip", FIRST_BAR_TR);
    const smoothing = enumParam("keltner", "atrSmoothing", options.atrSmoothing ?? "rma", MA_TYPES);
    this.ema = new EMA({ period, seed });
    this.atr = new ATR({ period: atrPeriod, firstBar, smoothing });
    this.warmup = Math.max(this.ema.warmup, this.atr.warmup);
  }

  get isReady(): boolean {
    return this.ema.isReady && this.atr.isReady;
  }

  /** Feeds a bar; returns the middle line. */
  update(high: number, low: number, close: number): number {
    checkHLC("keltner", high, low, close);
    const mid = this.ema.update(close);
    const a = this.atr.step(high, low, close);
    if (Number.isNaN(mid) || Number.isNaN(a)) return Number.NaN;
    this.middle = mid;
    this.upper = mid + this.multiplier * a;
    this.lower = mid - this.multiplier * a;
    return mid;
  }

  reset(): void {
    this.ema.reset();
    this.atr.reset();
    this.upper = Number.NaN;
    this.middle = Number.NaN;
    this.lower = Number.NaN;
  }
}

export type ChannelSeries = {
  upper: Float64Array;
  middle: Float64Array;
  lower: Float64Array;
};

/** Batch Keltner Channels; NaN where not yet defined. */
export function keltnerChannels(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<KeltnerChannelsOptions>,
): ChannelSeries {
  const n = checkColumns("keltner", { high, low, close });
  const ind = new KeltnerChannels(options);
  const out = { upper: new Float64Array(n), middle: new Float64Array(n), lower: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.middle[i] = ind.update(high[i], low[i], close[i]);
    out.upper[i] = ind.upper;
    out.lower[i] = ind.lower;
  }
  return out;
}
