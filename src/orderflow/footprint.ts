/**
 * Footprint bars: per time bar (aligned to UTC), volume at each price split by aggressor side
 * (buyer-initiated "ask" volume and seller-initiated "bid" volume), with the bar's OHLC, delta,
 * point of control, value area, diagonal imbalances and stacked imbalances.
 *
 * Diagonal imbalance (the usual footprint-chart convention): at price p, a **buy imbalance** when
 * buy volume at p >= `ratio` × sell volume at p − tick; a **sell imbalance** when sell volume at
 * p >= `ratio` × buy volume at p + tick. A comparison against zero volume counts only when the
 * volume is at least `minVolume` (raw). **Stacked imbalances**: runs of at least `stack`
 * consecutive levels with imbalances of the same side.
 */
import { type Aggressor, checkPositive, checkPositiveInt, checkTime, checkTrade } from "./common.js";
import { VolumeLadder, valueArea } from "./ladder.js";

export interface FootprintOptions {
  /** Bar length in µs (UTC-aligned). */
  intervalUs: number;
  /** Raw price increment of the instrument. */
  tick: number;
  /** Diagonal imbalance ratio (default 3, i.e. 300 %). */
  imbalanceRatio?: number;
  /** Minimum raw volume for an imbalance against an empty level (default 1). */
  minVolume?: number;
  /** Levels in a row for a stacked imbalance (default 3). */
  stack?: number;
  /** Value-area fraction (default 0.7). */
  valueAreaFraction?: number;
}

export interface StackedImbalance {
  side: "buy" | "sell";
  /** Raw prices of the first and last level of the run. */
  from: number;
  to: number;
  levels: number;
}

export interface FootprintBar {
  tsOpen: number;
  tsClose: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Raw prices from low to high (every tick between low and high). */
  prices: number[];
  buyVolume: number[];
  sellVolume: number[];
  totalBuy: number;
  totalSell: number;
  /** Volume of trades with no aggressor side. */
  unknownVolume: number;
  delta: number;
  trades: number;
  poc: number;
  valueAreaLow: number;
  valueAreaHigh: number;
  buyImbalances: number[];
  sellImbalances: number[];
  stacked: StackedImbalance[];
}

export class FootprintBuilder {
  private readonly ladder: VolumeLadder;
  private readonly interval: number;
  private readonly ratio: number;
  private readonly minVolume: number;
  private readonly stack: number;
  private readonly vaFraction: number;
  private barStart = -1;
  private open = 0;
  private close = 0;
  private trades = 0;
  private lastTs = 0;

  constructor(options: FootprintOptions) {
    checkPositiveInt("footprint", "intervalUs", options.intervalUs);
    this.interval = options.intervalUs;
    this.ladder = new VolumeLadder("footprint", options.tick);
    this.ratio = options.imbalanceRatio ?? 3;
    checkPositive("footprint", "imbalanceRatio", this.ratio);
    this.minVolume = options.minVolume ?? 1;
    checkPositive("footprint", "minVolume", this.minVolume);
    this.stack = options.stack ?? 3;
    checkPositiveInt("footprint", "stack", this.stack);
    this.vaFraction = options.valueAreaFraction ?? 0.7;
    if (!(this.vaFraction > 0 && this.vaFraction <= 1)) checkPositive("footprint", "valueAreaFraction", -1);
  }

  /**
   * Adds a trade; returns the completed previous bar when this trade opens a new one, else null.
   * Empty intervals produce no bar (a footprint of nothing has no levels).
   */
  update(ts: number, priceRaw: number, sizeRaw: number, side: Aggressor): FootprintBar | null {
    checkTime("footprint", this.lastTs, ts);
    checkTrade("footprint", priceRaw, sizeRaw);
    this.lastTs = ts;
    const start = ts - (ts % this.interval);
    let done: FootprintBar | null = null;
    if (start !== this.barStart) {
      if (this.trades > 0) done = this.build();
      this.ladder.clear();
      this.barStart = start;
      this.trades = 0;
      this.open = priceRaw;
    }
    this.ladder.add(priceRaw, sizeRaw, side);
    this.close = priceRaw;
    this.trades++;
    return done;
  }

  /** Completes the current bar (end of data); null when it has no trades. */
  flush(): FootprintBar | null {
    if (this.trades === 0) return null;
    const bar = this.build();
    this.ladder.clear();
    this.trades = 0;
    return bar;
  }

  /** The bar in progress, computed now (for live display). */
  current(): FootprintBar | null {
    return this.trades === 0 ? null : this.build();
  }

  private build(): FootprintBar {
    const { prices, buy, sell } = this.ladder.levels();
    let totalBuy = 0;
    let totalSell = 0;
    const total = new Array<number>(prices.length);
    for (let i = 0; i < prices.length; i++) {
      totalBuy += buy[i];
      totalSell += sell[i];
      total[i] = buy[i] + sell[i];
    }
    const va = valueArea(total, this.vaFraction);
    const buyImb: number[] = [];
    const sellImb: number[] = [];
    const isBuyImb: boolean[] = [];
    const isSellImb: boolean[] = [];
    for (let i = 0; i < prices.length; i++) {
      const below = i > 0 ? sell[i - 1] : 0;
      const above = i + 1 < prices.length ? buy[i + 1] : 0;
      const b = buy[i] > 0 && (below > 0 ? buy[i] >= this.ratio * below : buy[i] >= this.minVolume);
      const s = sell[i] > 0 && (above > 0 ? sell[i] >= this.ratio * above : sell[i] >= this.minVolume);
      isBuyImb.push(b);
      isSellImb.push(s);
      if (b) buyImb.push(prices[i]);
      if (s) sellImb.push(prices[i]);
    }
    const stacked: StackedImbalance[] = [];
    for (const [side, flags] of [
      ["buy", isBuyImb],
      ["sell", isSellImb],
    ] as const) {
      let run = 0;
      for (let i = 0; i <= flags.length; i++) {
        if (i < flags.length && flags[i]) run++;
        else {
          if (run >= this.stack)
            stacked.push({ side, from: prices[i - run], to: prices[i - 1], levels: run });
          run = 0;
        }
      }
    }
    return {
      tsOpen: this.barStart,
      tsClose: this.barStart + this.interval,
      open: this.open,
      high: this.ladder.high,
      low: this.ladder.low,
      close: this.close,
      prices,
      buyVolume: buy,
      sellVolume: sell,
      totalBuy,
      totalSell,
      unknownVolume: this.ladder.unknown,
      delta: totalBuy - totalSell,
      trades: this.trades,
      poc: prices[va.poc],
      valueAreaLow: prices[va.low],
      valueAreaHigh: prices[va.high],
      buyImbalances: buyImb,
      sellImbalances: sellImb,
      stacked,
    };
  }
}
