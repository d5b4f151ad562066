/**
 * Force index (Elder): EMA_N((close − prev close)·volume). The EMA follows {@link EMA}
 * seeding (`seed`). The first bar only provides the previous close. Warm-up: `period` bars
 * (`seed: "sma"`) or 1 (`"first"`).
 */
import { EMA, EMA_SEEDS, type EmaSeed } from "./ma.js";
import { badInput, checkColumns, checkVolume, enumParam, intParam } from "./validate.js";

export interface ForceIndexOptions {
  /** EMA period, integer >= 1 (1 = raw force). Default 13. */
  period: number;
  /** EMA seeding. Default `"sma"`. */
  seed: EmaSeed;
}

export class ForceIndex {
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly ema: EMA;
  private count = 0;
  private prevClose = 0;

  constructor(options: Partial<ForceIndexOptions> = {}) {
    const period = intParam("force", "period", options.period ?? 13, 1);
    const seed = enumParam("force", "seed", options.seed ?? "sma", EMA_SEEDS);
    this.ema = new EMA({ period, seed });
    this.warmup = this.ema.warmup + 1;
  }

  get isReady(): boolean {
    return this.ema.isReady;
  }

  update(close: number, volume: number): number {
    if (!Number.isFinite(close)) badInput("force", "close", close);
    checkVolume("force", volume);
    if (this.count === 0) {
      this.count = 1;
      this.prevClose = close;
      return Number.NaN;
    }
    const raw = (close - this.prevClose) * volume;
    this.prevClose = close;
    this.value = this.ema.update(raw);
    return this.value;
  }

  reset(): void {
    this.ema.reset();
    this.count = 0;
    this.prevClose = 0;
    this.value = Number.NaN;
  }
}

/** Batch force index; NaN where not yet defined. */
export function forceIndex(
  close: ArrayLike<number>,
  volume: ArrayLike<number>,
  options?: Partial<ForceIndexOptions>,
): Float64Array {
  const n = checkColumns("force", { close, volume });
  const ind = new ForceIndex(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i], volume[i]);
  return out;
}
