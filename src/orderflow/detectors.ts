/**
 * Order-flow event detectors: large trades, absorption and liquidity withdrawal. Each returns
 * an event object when it fires (null otherwise) so strategies can react in the same call.
 */
import {
  type Aggressor,
  type BookLevels,
  checkPositive,
  checkPositiveInt,
  checkTime,
  checkTrade,
} from "./common.js";

export interface LargeTrade {
  ts: number;
  priceRaw: number;
  sizeRaw: number;
  side: Aggressor;
  /** Size z-score against the previous `window` trades. */
  zScore: number;
}

/**
 * Large-trade detection: a trade whose size z-score against the previous `window` trades
 * (sample standard deviation) is at least `threshold`. The trade itself joins the window after
 * the test, so one block trade cannot mask itself.
 */
export class LargeTradeDetector {
  private readonly sizes: Float64Array;
  private head = 0;
  private n = 0;
  private sum = 0;
  private sumSq = 0;

  constructor(
    readonly window = 500,
    readonly threshold = 4,
  ) {
    checkPositiveInt("large_trade", "window", window);
    if (window < 2) checkPositiveInt("large_trade", "window (>= 2)", -1);
    checkPositive("large_trade", "threshold", threshold);
    this.sizes = new Float64Array(window);
  }

  update(ts: number, priceRaw: number, sizeRaw: number, side: Aggressor): LargeTrade | null {
    checkTrade("large_trade", priceRaw, sizeRaw);
    let event: LargeTrade | null = null;
    if (this.n === this.window) {
      const mean = this.sum / this.n;
      const variance = (this.sumSq - this.n * mean * mean) / (this.n - 1);
      const sd = variance > 0 ? Math.sqrt(variance) : 0;
      const z = sd > 0 ? (sizeRaw - mean) / sd : 0;
      if (z >= this.threshold) event = { ts, priceRaw, sizeRaw, side, zScore: z };
      const old = this.sizes[this.head];
      this.sum -= old;
      this.sumSq -= old * old;
    } else {
      this.n++;
    }
    this.sizes[this.head] = sizeRaw;
    this.sum += sizeRaw;
    this.sumSq += sizeRaw * sizeRaw;
    this.head = (this.head + 1) % this.window;
    return event;
  }
}

export interface Absorption {
  tsOpen: number;
  tsClose: number;
  /** The aggressor side that was absorbed: buyers (+1) hitting a seller who held, or sellers (−1). */
  side: 1 | -1;
  /** Net aggressive volume (raw) in the interval. */
  delta: number;
  /** Price progress in the aggressor's direction (raw, may be negative). */
  progress: number;
  openRaw: number;
  closeRaw: number;
}

/**
 * Absorption: over an interval of `intervalUs`, aggressive net volume of at least `minDelta`
 * (raw) on one side while the price progressed at most `maxProgress` (raw) in that side's
 * direction — heavy aggression met by a passive participant who absorbed it.
 */
export class AbsorptionDetector {
  private start = -1;
  private open = 0;
  private close = 0;
  private delta = 0;
  private lastTs = 0;

  constructor(
    readonly intervalUs: number,
    readonly minDelta: number,
    readonly maxProgress: number,
  ) {
    checkPositiveInt("absorption", "intervalUs", intervalUs);
    checkPositive("absorption", "minDelta", minDelta);
    if (!Number.isSafeInteger(maxProgress) || maxProgress < 0) checkPositive("absorption", "maxProgress", -1);
  }

  /** Adds a trade; returns the absorption of the interval that just ended, if any. */
  update(ts: number, priceRaw: number, sizeRaw: number, side: Aggressor): Absorption | null {
    checkTime("absorption", this.lastTs, ts);
    checkTrade("absorption", priceRaw, sizeRaw);
    this.lastTs = ts;
    const s = ts - (ts % this.intervalUs);
    let event: Absorption | null = null;
    if (s !== this.start) {
      if (this.start >= 0) event = this.evaluate();
      this.start = s;
      this.open = priceRaw;
      this.delta = 0;
    }
    this.delta += side * sizeRaw;
    this.close = priceRaw;
    return event;
  }

  /** Evaluates the interval in progress (end of data). */
  flush(): Absorption | null {
    if (this.start < 0) return null;
    const e = this.evaluate();
    this.start = -1;
    return e;
  }

  private evaluate(): Absorption | null {
    if (Math.abs(this.delta) < this.minDelta) return null;
    const side: 1 | -1 = this.delta > 0 ? 1 : -1;
    const progress = side * (this.close - this.open);
    if (progress > this.maxProgress) return null;
    return {
      tsOpen: this.start,
      tsClose: this.start + this.intervalUs,
      side,
      delta: this.delta,
      progress,
      openRaw: this.open,
      closeRaw: this.close,
    };
  }
}

export interface LiquidityWithdrawal {
  ts: number;
  side: "bid" | "ask";
  priceRaw: number;
  /** Size removed that trades at that price do not explain (raw). */
  pulledRaw: number;
  /** Level index from the touch before the change (0 = best). */
  level: number;
}

/**
 * Liquidity withdrawal: resting size of at least `minSize` (raw) pulled from one of the
 * `nearLevels` levels nearest the touch between two book updates, net of what traded at that
 * price in between (feed trades with {@link onTrade}). Size that traded away is consumption,
 * not withdrawal.
 */
export class LiquidityWithdrawalDetector {
  private readonly prevPrice: [Float64Array, Float64Array];
  private readonly prevSize: [Float64Array, Float64Array];
  private readonly prevCount = [0, 0];
  private readonly traded = new Map<number, number>();
  private started = false;

  constructor(
    readonly nearLevels: number,
    readonly minSize: number,
  ) {
    checkPositiveInt("liquidity_withdrawal", "nearLevels", nearLevels);
    checkPositive("liquidity_withdrawal", "minSize", minSize);
    this.prevPrice = [new Float64Array(nearLevels), new Float64Array(nearLevels)];
    this.prevSize = [new Float64Array(nearLevels), new Float64Array(nearLevels)];
  }

  /** Records a trade at a raw price (between book updates). */
  onTrade(priceRaw: number, sizeRaw: number): void {
    checkTrade("liquidity_withdrawal", priceRaw, sizeRaw);
    this.traded.set(priceRaw, (this.traded.get(priceRaw) ?? 0) + sizeRaw);
  }

  /** Compares the book with the previous update; returns the withdrawals found. */
  onBook(ts: number, book: BookLevels): LiquidityWithdrawal[] {
    const out: LiquidityWithdrawal[] = [];
    for (const side of [0, 1] as const) {
      const levels = side === 0 ? book.bidLevels : book.askLevels;
      if (this.started) {
        const best = levels > 0 ? book.priceAt(side, 0) : Number.NaN;
        const scan = Math.min(levels, this.nearLevels * 2 + 8);
        for (let k = 0; k < this.prevCount[side]; k++) {
          const p = this.prevPrice[side][k];
          let now = 0;
          for (let j = 0; j < scan; j++) {
            const q = book.priceAt(side, j);
            if (q === p) {
              now = book.sizeAt(side, j);
              break;
            }
            // Levels are sorted from the touch outwards: stop once past p.
            if (side === 0 ? q < p : q > p) break;
          }
          // A level beyond the scanned depth that is still behind the touch is not judged.
          if (now === 0 && scan < levels && !Number.isNaN(best)) {
            const last = book.priceAt(side, scan - 1);
            if (side === 0 ? p < last : p > last) continue;
          }
          const pulled = this.prevSize[side][k] - now - (this.traded.get(p) ?? 0);
          if (pulled >= this.minSize)
            out.push({ ts, side: side === 0 ? "bid" : "ask", priceRaw: p, pulledRaw: pulled, level: k });
        }
      }
      const n = Math.min(levels, this.nearLevels);
      for (let k = 0; k < n; k++) {
        this.prevPrice[side][k] = book.priceAt(side, k);
        this.prevSize[side][k] = book.sizeAt(side, k);
      }
      this.prevCount[side] = n;
    }
    this.started = true;
    this.traded.clear();
    return out;
  }
}
