/**
 * Volume at price on a tick grid: two growable `Float64Array`s (buyer- and seller-aggressor
 * volume) indexed by `(price - low) / tick`. Adding a trade is an index computation and an add —
 * no map, no allocation unless the range grows. Sums stay exact integers up to 2^53.
 */
import { OrderFlowError } from "./common.js";

export class VolumeLadder {
  /** Raw price of index 0. */
  private base = 0;
  private size = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  buy: Float64Array;
  sell: Float64Array;
  /** Volume of trades with no aggressor side (not in `buy`/`sell`). */
  unknown = 0;

  constructor(
    readonly name: string,
    /** Raw price increment of the grid. */
    readonly tick: number,
    capacity = 64,
  ) {
    if (!Number.isSafeInteger(tick) || tick <= 0) {
      throw new OrderFlowError(
        "ORDERFLOW_PARAM_INVALID",
        `${name}: tick must be a positive raw integer, got ${tick}`,
        {
          indicator: name,
          param: "tick",
        },
      );
    }
    this.buy = new Float64Array(capacity);
    this.sell = new Float64Array(capacity);
  }

  get isEmpty(): boolean {
    return this.lo > this.hi;
  }

  /** Lowest and highest traded raw prices (Infinity/-Infinity when empty). */
  get low(): number {
    return this.lo;
  }
  get high(): number {
    return this.hi;
  }

  add(priceRaw: number, sizeRaw: number, side: 1 | -1 | 0): void {
    if (priceRaw % this.tick !== 0) {
      throw new OrderFlowError(
        "ORDERFLOW_BAD_INPUT",
        `${this.name}: price ${priceRaw} is not on the tick grid of ${this.tick}`,
        { indicator: this.name, field: "price" },
      );
    }
    if (this.size === 0) {
      this.base = priceRaw - (this.buy.length >> 1) * this.tick;
      this.size = this.buy.length;
    }
    let i = (priceRaw - this.base) / this.tick;
    if (i < 0 || i >= this.size) i = this.grow(priceRaw);
    if (side === 1) this.buy[i] += sizeRaw;
    else if (side === -1) this.sell[i] += sizeRaw;
    else {
      // Unknown aggressor: never guessed into a side; counted apart so totals still reconcile.
      this.unknown += sizeRaw;
    }
    if (priceRaw < this.lo) this.lo = priceRaw;
    if (priceRaw > this.hi) this.hi = priceRaw;
  }

  buyAt(priceRaw: number): number {
    const i = (priceRaw - this.base) / this.tick;
    return i >= 0 && i < this.size ? this.buy[i] : 0;
  }

  sellAt(priceRaw: number): number {
    const i = (priceRaw - this.base) / this.tick;
    return i >= 0 && i < this.size ? this.sell[i] : 0;
  }

  clear(): void {
    if (!this.isEmpty) {
      const a = (this.lo - this.base) / this.tick;
      const b = (this.hi - this.base) / this.tick;
      this.buy.fill(0, a, b + 1);
      this.sell.fill(0, a, b + 1);
    }
    this.lo = Number.POSITIVE_INFINITY;
    this.hi = Number.NEGATIVE_INFINITY;
    this.size = 0;
    this.unknown = 0;
  }

  /** Levels from low to high with their volumes (a copy). */
  levels(): { prices: number[]; buy: number[]; sell: number[] } {
    const prices: number[] = [];
    const buy: number[] = [];
    const sell: number[] = [];
    if (this.isEmpty) return { prices, buy, sell };
    for (let p = this.lo; p <= this.hi; p += this.tick) {
      prices.push(p);
      buy.push(this.buyAt(p));
      sell.push(this.sellAt(p));
    }
    return { prices, buy, sell };
  }

  private grow(priceRaw: number): number {
    const newLo = Math.min(priceRaw, this.isEmpty ? priceRaw : this.lo);
    const newHi = Math.max(priceRaw, this.isEmpty ? priceRaw : this.hi);
    const span = (newHi - newLo) / this.tick + 1;
    let cap = this.buy.length;
    while (cap < span * 2) cap *= 2;
    const nb = new Float64Array(cap);
    const ns = new Float64Array(cap);
    const newBase = newLo - Math.floor((cap - span) / 2) * this.tick;
    if (!this.isEmpty) {
      const from = (this.lo - this.base) / this.tick;
      const to = (this.hi - this.base) / this.tick + 1;
      const at = (this.lo - newBase) / this.tick;
      nb.set(this.buy.subarray(from, to), at);
      ns.set(this.sell.subarray(from, to), at);
    }
    this.buy = nb;
    this.sell = ns;
    this.base = newBase;
    this.size = cap;
    return (priceRaw - newBase) / this.tick;
  }
}

/**
 * Value area: the price range around the point of control holding `fraction` of the volume.
 * CBOT method: from the POC, compare the volume of the next two levels above with the next two
 * below and add the larger pair (above on a tie), until the target is reached.
 * `volumes` are per level from low to high; returns level indexes [low, high] and the POC index.
 */
export function valueArea(
  volumes: ArrayLike<number>,
  fraction: number,
): { poc: number; low: number; high: number } {
  const n = volumes.length;
  if (n === 0) return { poc: -1, low: -1, high: -1 };
  let poc = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += volumes[i];
    // Highest volume; on a tie the lower price (deterministic).
    if (volumes[i] > volumes[poc]) poc = i;
  }
  const target = total * fraction;
  let lo = poc;
  let hi = poc;
  let acc = volumes[poc];
  while (acc < target && (lo > 0 || hi < n - 1)) {
    const up1 = hi + 1 < n ? volumes[hi + 1] : 0;
    const up2 = hi + 2 < n ? volumes[hi + 2] : 0;
    const dn1 = lo - 1 >= 0 ? volumes[lo - 1] : 0;
    const dn2 = lo - 2 >= 0 ? volumes[lo - 2] : 0;
    const upAvail = hi < n - 1;
    const dnAvail = lo > 0;
    if (upAvail && (!dnAvail || up1 + up2 >= dn1 + dn2)) {
      const step = Math.min(2, n - 1 - hi);
      for (let k = 0; k < step; k++) acc += volumes[++hi];
    } else {
      const step = Math.min(2, lo);
      for (let k = 0; k < step; k++) acc += volumes[--lo];
    }
  }
  return { poc, low: lo, high: hi };
}
