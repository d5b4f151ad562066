/**
 * Donchian Channels: upper = highest high, lower = lowest low over the last `period` bars
 * (including the current one), middle = (upper + lower)/2 (TA-Lib `MIDPRICE`). Rolling
 * extremes use monotonic deques (amortised O(1)). Warm-up: `period − 1` bars.
 */
import type { ChannelSeries } from "./keltner.js";
import { RollingMax, RollingMin } from "./ring.js";
import { checkColumns, checkHL, intParam } from "./validate.js";

export interface DonchianChannelsOptions {
  /** Window length, integer >= 1. Default 20. */
  period: number;
}

export class DonchianChannels {
  readonly period: number;
  readonly warmup: number;
  upper = Number.NaN;
  middle = Number.NaN;
  lower = Number.NaN;
  private readonly hh: RollingMax;
  private readonly ll: RollingMin;
  private count = 0;

  constructor(options: Partial<DonchianChannelsOptions> = {}) {
    this.period = intParam("donchian", "period", options.period ?? 20, 1);
    this.hh = new RollingMax(this.period);
    this.ll = new RollingMin(this.period);
    this.warmup = this.period - 1;
  }

  get isReady(): boolean {
    return this.count >= this.period;
  }

  /** Feeds a bar's high and low; returns the middle line. */
  update(high: number, low: number): number {
    checkHL("donchian", high, low);
    const u = this.hh.push(high);
    const l = this.ll.push(low);
    if (this.count < this.period) {
      if (++this.count < this.period) return Number.NaN;
    }
    this.upper = u;
    this.lower = l;
    this.middle = (u + l) / 2;
    return this.middle;
  }

  reset(): void {
    this.hh.reset();
    this.ll.reset();
    this.count = 0;
    this.upper = Number.NaN;
    this.middle = Number.NaN;
    this.lower = Number.NaN;
  }
}

/** Batch Donchian Channels; NaN where not yet defined. */
export function donchianChannels(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  options?: Partial<DonchianChannelsOptions>,
): ChannelSeries {
  const n = checkColumns("donchian", { high, low });
  const ind = new DonchianChannels(options);
  const out = { upper: new Float64Array(n), middle: new Float64Array(n), lower: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.middle[i] = ind.update(high[i], low[i]);
    out.upper[i] = ind.upper;
    out.lower[i] = ind.lower;
  }
  return out;
}
