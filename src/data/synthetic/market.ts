/**
 * A seeded synthetic market: realistic L2 order flow for any number of instruments, with no
 * network and no files. The embedded data source for demos, `npm start` and stress tests.
 *
 * Model (see docs/synthetic.md): a **queue-reactive** limit order book in the spirit of
 * Huang, Lehalle & Rosenbaum (2015), "Simulating and analyzing order book data: the
 * queue-reactive model" (JASA 110(509)): limit orders, cancellations and market orders arrive
 * at each of the first `levels` price levels per side with intensities that depend on the size
 * of the queue there (arrivals slow down on long queues, cancellations grow with the queue,
 * orders improve the price inside a wide spread). On top, the whole flow is modulated by an
 * **activity** factor: a slow Ornstein-Uhlenbeck log-intensity (stochastic volatility, shared
 * in part across instruments) times a **Hawkes**-type self-exciting term that jumps after each
 * market order and decays exponentially (Bacry, Mastromatteo & Muzy 2015). Market order sizes
 * are heavy-tailed, so some orders sweep several levels. Together these give fat-tailed
 * returns, volatility clustering and a spread that widens and refills.
 *
 * Output per order event, all at the same timestamp: the trades it caused (`TradeTick`, one
 * per level swept), one `OrderBookDeltas` batch with every level change (L2, UPDATE with the
 * new level size, size 0 = level gone), and a `QuoteTick` when the top of book changed. The
 * first output of each instrument is a snapshot batch. The published book is exactly the
 * model's window of `levels` price levels per side; it is never crossed.
 *
 * Determinism: only {@link Rng} (seeded) is used; same options ⇒ identical output.
 */
import { Rng } from "../../core/rng.js";
import {
  BookFlags,
  BookOrder,
  type MarketData,
  OrderBookDelta,
  OrderBookDeltas,
  QuoteTick,
  TradeTick,
} from "../../model/data.js";
import { AggressorSide, BookAction, BookSide } from "../../model/enums.js";
import { BotV6Error } from "../../model/errors.js";
import { parseDecimal } from "../../model/fixed.js";
import { InstrumentId } from "../../model/identifiers.js";
import { checkMicros, type UnixMicros } from "../../model/time.js";
import { Price, Quantity } from "../../model/values.js";

export class SyntheticMarketError extends BotV6Error {}

/** One instrument of the synthetic market. Rates are per second at activity 1. */
export interface SyntheticInstrumentConfig {
  /** `SYMBOL.VENUE`. */
  instrumentId: string;
  /** Starting mid-ish price; its decimals set the price precision, e.g. `"50000.00"`. */
  initialPrice: string;
  /** Price tick, e.g. `"0.01"` (default: one unit of the last decimal of `initialPrice`). */
  tickSize?: string;
  /** Lot size (size increment), e.g. `"0.001"`. Default `"0.001"`. */
  lotSize?: string;
  /** Price levels per side in the published book (default 10). */
  levels?: number;
  /** Limit order arrival rate at the best level (default 1/s); decays by `depthDecay` per level. */
  limitRate?: number;
  /** Decay of limit arrival rates with distance from the best (default 0.85). */
  depthDecay?: number;
  /** Queue length (lots) at which limit arrivals are halved (queue-reactive; default 10). */
  queueScale?: number;
  /** Cancellation rate per resting lot (default 0.15/s). */
  cancelRate?: number;
  /** Market order rate per side (default 0.6/s). */
  marketRate?: number;
  /** Rate of price-improving orders per empty tick inside the spread, per side (default 1/s). */
  improveRate?: number;
  /** Mean lots of a limit order / cancellation (geometric; default 2). */
  meanOrderLots?: number;
  /** Tail exponent of market order sizes (Pareto; default 1.5; smaller = heavier). */
  marketSizeTail?: number;
  /** Scale (lots) of market order sizes (default 2). */
  marketSizeScale?: number;
}

export interface SyntheticMarketOptions {
  seed: number;
  /** Time of the first event (µs). */
  start: UnixMicros;
  instruments: SyntheticInstrumentConfig[];
  /** Stationary std-dev of the log-activity OU process (default 1.3). */
  activityVol?: number;
  /** Mean-reversion time of the log-activity (seconds, default 900). */
  activityHalfLife?: number;
  /** Share of the log-activity common to all instruments, 0..1 (default 0.5). */
  commonActivity?: number;
  /**
   * Hawkes branching ratio of market orders, 0..1 (default 0.6): the expected number of
   * further market orders each one triggers. Below 1 the process is stationary.
   */
  hawkesBranching?: number;
  /** Hawkes decay rate (1/s, default 0.5). */
  hawkesDecay?: number;
}

const MAX_LEVEL_LOTS = 1_000_000;

/** One instrument's book window and order flow state. */
class InstrumentSim {
  readonly id: InstrumentId;
  readonly pp: number;
  readonly sp: number;
  readonly tickRaw: number;
  readonly lotRaw: number;
  readonly k: number;
  readonly cfg: Required<
    Omit<SyntheticInstrumentConfig, "instrumentId" | "initialPrice" | "tickSize" | "lotSize">
  >;
  /** Queue sizes in lots; index 0 = best; bid prices bestBid - i ticks, ask bestAsk + i ticks. */
  readonly bid: number[];
  readonly ask: number[];
  bestBid: number;
  bestAsk: number;
  /** Idiosyncratic log-activity (OU). */
  x = 0;
  /** Hawkes excitation. */
  h = 0;
  /** Next event time in seconds since start. */
  next = 0;
  seq = 0;
  tradeSeq = 0;
  started = false;
  /** Changed levels of the current event: side (0 bid / 1 ask) and tick price. */
  private changedSide: number[] = [];
  private changedTick: number[] = [];
  private readonly rates: number[];
  /** Limit arrival rate per level at activity 1. */
  private readonly weights: number[];
  /** Sum of the rates at activity 1 (see {@link baseRate}). */
  base = 0;

  constructor(
    c: SyntheticInstrumentConfig,
    readonly rng: Rng,
  ) {
    this.id = InstrumentId.parse(c.instrumentId);
    const p0 = parseDecimal(c.initialPrice);
    this.pp = p0.scale;
    const tick = c.tickSize === undefined ? { raw: 1, scale: this.pp } : parseDecimal(c.tickSize);
    if (tick.scale > this.pp || tick.raw <= 0) {
      throw new SyntheticMarketError(
        "SYNTHETIC_CONFIG_INVALID",
        `${c.instrumentId}: tickSize ${c.tickSize} must be positive with at most ${this.pp} decimals (those of initialPrice)`,
        {},
      );
    }
    this.tickRaw = tick.raw * 10 ** (this.pp - tick.scale);
    const lot = parseDecimal(c.lotSize ?? "0.001");
    if (lot.raw <= 0) {
      throw new SyntheticMarketError(
        "SYNTHETIC_CONFIG_INVALID",
        `${c.instrumentId}: lotSize must be positive`,
        {},
      );
    }
    this.sp = lot.scale;
    this.lotRaw = lot.raw;
    this.k = c.levels ?? 10;
    if (!Number.isInteger(this.k) || this.k < 2 || this.k > 100) {
      throw new SyntheticMarketError(
        "SYNTHETIC_CONFIG_INVALID",
        `${c.instrumentId}: levels must be 2..100`,
        {},
      );
    }
    this.cfg = {
      levels: this.k,
      limitRate: c.limitRate ?? 1,
      depthDecay: c.depthDecay ?? 0.85,
      queueScale: c.queueScale ?? 10,
      cancelRate: c.cancelRate ?? 0.15,
      marketRate: c.marketRate ?? 0.6,
      improveRate: c.improveRate ?? 1,
      meanOrderLots: c.meanOrderLots ?? 2,
      marketSizeTail: c.marketSizeTail ?? 1.5,
      marketSizeScale: c.marketSizeScale ?? 2,
    };
    const midTicks = Math.round(p0.raw / this.tickRaw);
    if (midTicks < 10 * this.k) {
      throw new SyntheticMarketError(
        "SYNTHETIC_CONFIG_INVALID",
        `${c.instrumentId}: initialPrice must be at least ${10 * this.k} ticks`,
        {},
      );
    }
    this.bestBid = midTicks - 1;
    this.bestAsk = midTicks + 1;
    this.bid = [];
    this.ask = [];
    for (let i = 0; i < this.k; i++) {
      this.bid.push(this.freshLevel(i, i === 0));
      this.ask.push(this.freshLevel(i, i === 0));
    }
    this.rates = new Array(4 * this.k + 4).fill(0);
    this.weights = [];
    for (let i = 0; i < this.k; i++) this.weights.push(this.cfg.limitRate * this.cfg.depthDecay ** i);
    this.baseRate();
  }

  /** Size (lots) of a level coming into view at distance i: around the model's mean queue. */
  freshLevel(i: number, nonEmpty: boolean): number {
    const mean = this.meanQueue(i);
    if (!nonEmpty && this.rng.nextFloat() < 0.1) return 0;
    return Math.max(1, Math.round(mean * (0.5 + this.rng.nextFloat())));
  }

  /** Approximate stationary queue size at distance i (limit arrivals balance cancels). */
  meanQueue(i: number): number {
    const c = this.cfg;
    const lam = c.limitRate * c.depthDecay ** i * c.meanOrderLots;
    // lam / (1 + q/Q) = cancelRate * q  → solve the quadratic for q.
    const a = c.cancelRate / c.queueScale;
    const b = c.cancelRate;
    return (-b + Math.sqrt(b * b + 4 * a * lam)) / (2 * a);
  }

  /**
   * Recomputes the event rates at activity 1 for the current book and returns their sum.
   * Activity multiplies every rate alike, so it changes when events happen, not which.
   */
  baseRate(): number {
    const c = this.cfg;
    const r = this.rates;
    const w = this.weights;
    const qs = c.queueScale;
    const cr = c.cancelRate;
    let sum = 0;
    let j = 0;
    for (let i = 0; i < this.k; i++) {
      const lb = w[i] / (1 + this.bid[i] / qs);
      const la = w[i] / (1 + this.ask[i] / qs);
      const cb = cr * this.bid[i];
      const ca = cr * this.ask[i];
      r[j++] = lb;
      r[j++] = la;
      r[j++] = cb;
      r[j++] = ca;
      sum += lb + la + cb + ca;
    }
    const m = c.marketRate;
    const gap = this.bestAsk - this.bestBid - 1;
    const imp = gap > 0 ? c.improveRate * gap : 0;
    r[j++] = m;
    r[j++] = m;
    r[j++] = imp;
    r[j++] = imp;
    this.base = sum + 2 * m + 2 * imp;
    return this.base;
  }

  /** Draws and applies one event; appends the resulting market data to `out`. */
  step(ts: UnixMicros, out: MarketData[]): boolean {
    let u = this.rng.nextFloat() * this.base;
    const r = this.rates;
    let e = 0;
    for (; e < r.length - 1; e++) {
      u -= r[e];
      if (u < 0) break;
    }
    this.changedSide.length = 0;
    this.changedTick.length = 0;
    const bb = this.bestBid;
    const ba = this.bestAsk;
    const bq = this.bid[0];
    const aq = this.ask[0];
    let isMarket = false;
    if (e < 4 * this.k) {
      const level = e >> 2;
      const kind = e & 3;
      const side = kind & 1; // 0 bid, 1 ask
      const lots = this.geometric(this.cfg.meanOrderLots);
      const q = side === 0 ? this.bid : this.ask;
      if (kind < 2) {
        q[level] = Math.min(MAX_LEVEL_LOTS, q[level] + lots);
        this.mark(side, level);
      } else {
        if (q[level] === 0) {
          this.baseRate();
          return false;
        }
        q[level] = Math.max(0, q[level] - lots);
        this.mark(side, level);
        if (level === 0 && q[0] === 0) this.shiftOut(side);
      }
    } else {
      const kind = e - 4 * this.k;
      if (kind < 2) {
        isMarket = true;
        this.market(kind === 0 ? AggressorSide.Buyer : AggressorSide.Seller, ts, out);
      } else {
        this.improve(kind === 2 ? 0 : 1);
      }
    }
    this.emitDeltas(ts, out);
    if (bb !== this.bestBid || ba !== this.bestAsk || bq !== this.bid[0] || aq !== this.ask[0]) {
      out.push(this.quote(ts));
    }
    this.baseRate();
    return isMarket;
  }

  private geometric(mean: number): number {
    // 1 + Geometric with the given mean (≥ 1).
    const p = 1 / mean;
    const u = this.rng.nextFloat();
    return 1 + Math.floor(Math.log(1 - u) / Math.log(1 - p));
  }

  private mark(side: number, level: number): void {
    const tick = side === 0 ? this.bestBid - level : this.bestAsk + level;
    for (let i = 0; i < this.changedTick.length; i++) {
      if (this.changedSide[i] === side && this.changedTick[i] === tick) return;
    }
    this.changedSide.push(side);
    this.changedTick.push(tick);
  }

  /** The best queue of `side` is empty: the next non-empty level becomes best; new levels come into view. */
  private shiftOut(side: number): void {
    const q = side === 0 ? this.bid : this.ask;
    let j = 1;
    while (j < this.k && q[j] === 0) j++;
    let refilled = false;
    if (j === this.k) {
      // The whole window emptied: the level one tick further out is refilled.
      j = 1;
      q[1] = this.freshLevel(0, true);
      refilled = true;
    }
    for (let i = 0; i < this.k; i++) q[i] = i + j < this.k ? q[i + j] : this.freshLevel(i, false);
    if (side === 0) this.bestBid -= j;
    else this.bestAsk += j;
    if (refilled) this.mark(side, 0);
    for (let i = this.k - j; i < this.k; i++) this.mark(side, i);
  }

  /** A limit order inside the spread: a new best level; the far end of the window drops out. */
  private improve(side: number): void {
    const gap = this.bestAsk - this.bestBid - 1;
    if (gap <= 0) return;
    const d = 1 + this.rng.nextInt(gap);
    const q = side === 0 ? this.bid : this.ask;
    // Levels pushed beyond the window leave the published book.
    for (let i = this.k - d; i < this.k; i++) if (i >= 0 && q[i] > 0) this.mark(side, i);
    for (let i = this.k - 1; i >= 0; i--) q[i] = i - d >= 0 ? q[i - d] : 0;
    q[0] = this.geometric(this.cfg.meanOrderLots);
    if (side === 0) this.bestBid += d;
    else this.bestAsk -= d;
    this.mark(side, 0);
    // Dropped levels: marked at their old tick; now outside the window, emitted with size 0.
  }

  private market(aggressor: AggressorSide, ts: UnixMicros, out: MarketData[]): void {
    const c = this.cfg;
    // Pareto sizes: scale * (U^(-1/tail) - 1), at least one lot.
    let lots = Math.max(
      1,
      Math.round(c.marketSizeScale * ((1 - this.rng.nextFloat()) ** (-1 / c.marketSizeTail) - 1)),
    );
    const side = aggressor === AggressorSide.Buyer ? 1 : 0; // the side that is hit
    const q = side === 0 ? this.bid : this.ask;
    let guard = 0;
    while (lots > 0 && guard++ < 4 * this.k) {
      const take = Math.min(lots, q[0]);
      const tick = side === 0 ? this.bestBid : this.bestAsk;
      if (take > 0) {
        this.tradeSeq++;
        out.push(
          new TradeTick(
            this.id,
            Price.fromRaw(tick * this.tickRaw, this.pp),
            Quantity.fromRaw(take * this.lotRaw, this.sp),
            aggressor,
            String(this.tradeSeq),
            ts,
            ts,
          ),
        );
        q[0] -= take;
        lots -= take;
        this.mark(side, 0);
      }
      if (q[0] === 0) this.shiftOut(side);
    }
  }

  /** One batch with the new size of every changed level (0 = gone); levels outside the window are 0. */
  private emitDeltas(ts: UnixMicros, out: MarketData[]): void {
    const n = this.changedTick.length;
    if (n === 0) return;
    const deltas: OrderBookDelta[] = new Array(n);
    this.seq++;
    for (let i = 0; i < n; i++) {
      const side = this.changedSide[i];
      const tick = this.changedTick[i];
      const lots = this.sizeAt(side, tick);
      deltas[i] = new OrderBookDelta(
        this.id,
        lots === 0 ? BookAction.Delete : BookAction.Update,
        new BookOrder(
          side === 0 ? BookSide.Bid : BookSide.Ask,
          Price.fromRaw(tick * this.tickRaw, this.pp),
          Quantity.fromRaw(lots * this.lotRaw, this.sp),
          0,
        ),
        i === n - 1 ? BookFlags.Last : 0,
        this.seq,
        ts,
        ts,
      );
    }
    out.push(new OrderBookDeltas(this.id, deltas, false, this.seq, this.seq, this.seq - 1, ts, ts));
  }

  private sizeAt(side: number, tick: number): number {
    const i = side === 0 ? this.bestBid - tick : tick - this.bestAsk;
    if (i < 0 || i >= this.k) return 0;
    return side === 0 ? this.bid[i] : this.ask[i];
  }

  snapshot(ts: UnixMicros): OrderBookDeltas {
    this.seq++;
    const deltas: OrderBookDelta[] = [
      new OrderBookDelta(this.id, BookAction.Clear, null, BookFlags.Snapshot, this.seq, ts, ts),
    ];
    for (let side = 0; side < 2; side++) {
      const q = side === 0 ? this.bid : this.ask;
      for (let i = 0; i < this.k; i++) {
        if (q[i] === 0) continue;
        const tick = side === 0 ? this.bestBid - i : this.bestAsk + i;
        deltas.push(
          new OrderBookDelta(
            this.id,
            BookAction.Add,
            new BookOrder(
              side === 0 ? BookSide.Bid : BookSide.Ask,
              Price.fromRaw(tick * this.tickRaw, this.pp),
              Quantity.fromRaw(q[i] * this.lotRaw, this.sp),
              0,
            ),
            BookFlags.Snapshot,
            this.seq,
            ts,
            ts,
          ),
        );
      }
    }
    const last = deltas[deltas.length - 1];
    deltas[deltas.length - 1] = new OrderBookDelta(
      this.id,
      last.action,
      last.order,
      BookFlags.Snapshot | BookFlags.Last,
      last.sequence,
      ts,
      ts,
    );
    return new OrderBookDeltas(this.id, deltas, true, this.seq, this.seq, this.seq - 1, ts, ts);
  }

  quote(ts: UnixMicros): QuoteTick {
    return new QuoteTick(
      this.id,
      Price.fromRaw(this.bestBid * this.tickRaw, this.pp),
      Price.fromRaw(this.bestAsk * this.tickRaw, this.pp),
      Quantity.fromRaw(this.bid[0] * this.lotRaw, this.sp),
      Quantity.fromRaw(this.ask[0] * this.lotRaw, this.sp),
      ts,
      ts,
    );
  }
}

/**
 * The synthetic market. Pull events with {@link SyntheticMarket.next} (one order event of one
 * instrument: its trades, book deltas and quote) or {@link SyntheticMarket.generate}.
 */
export class SyntheticMarket {
  private readonly sims: InstrumentSim[];
  private readonly rng: Rng;
  private readonly start: UnixMicros;
  private readonly activityVol: number;
  private readonly tau: number;
  private readonly common: number;
  private readonly hawkesBranching: number;
  private readonly hawkesDecay: number;
  /** Common log-activity (OU). */
  private xc = 0;
  /** Model time in seconds since start of the last event. */
  private t = 0;
  private lastTs: UnixMicros;
  /** Order events simulated. */
  events = 0;

  constructor(options: SyntheticMarketOptions) {
    if (options.instruments.length === 0) {
      throw new SyntheticMarketError(
        "SYNTHETIC_CONFIG_INVALID",
        "the synthetic market needs at least one instrument",
        {},
      );
    }
    this.start = checkMicros(options.start, "synthetic market start");
    this.lastTs = this.start;
    this.rng = new Rng(options.seed);
    this.activityVol = options.activityVol ?? 1.3;
    this.tau = (options.activityHalfLife ?? 900) / Math.LN2;
    this.common = options.commonActivity ?? 0.5;
    this.hawkesBranching = options.hawkesBranching ?? 0.6;
    if (!(this.hawkesBranching >= 0 && this.hawkesBranching < 1)) {
      throw new SyntheticMarketError("SYNTHETIC_CONFIG_INVALID", "hawkesBranching must be in [0, 1)", {});
    }
    this.hawkesDecay = options.hawkesDecay ?? 0.5;
    const ids = new Set<string>();
    this.sims = options.instruments.map((c) => {
      if (ids.has(c.instrumentId)) {
        throw new SyntheticMarketError(
          "SYNTHETIC_CONFIG_INVALID",
          `instrument ${c.instrumentId} listed twice`,
          {},
        );
      }
      ids.add(c.instrumentId);
      return new InstrumentSim(c, this.rng.fork());
    });
    for (const s of this.sims) s.next = this.drawWait(s);
  }

  get instrumentIds(): InstrumentId[] {
    return this.sims.map((s) => s.id);
  }

  /** Current best bid / ask (raw, at the instrument's price precision) of an instrument. */
  topOfBook(id: InstrumentId): { bidRaw: number; askRaw: number; bidLots: number; askLots: number } {
    const s = this.sims.find((x) => x.id === id);
    if (s === undefined)
      throw new SyntheticMarketError("SYNTHETIC_UNKNOWN_INSTRUMENT", `${id} is not simulated`, {});
    return {
      bidRaw: s.bestBid * s.tickRaw,
      askRaw: s.bestAsk * s.tickRaw,
      bidLots: s.bid[0],
      askLots: s.ask[0],
    };
  }

  private activity(s: InstrumentSim): number {
    const c = this.common;
    const x = Math.sqrt(c) * this.xc + Math.sqrt(1 - c) * s.x;
    return Math.exp(x - (this.activityVol * this.activityVol) / 2) * (1 + s.h);
  }

  /** Waiting time to the instrument's next event at its current rates (piecewise-constant). */
  private drawWait(s: InstrumentSim): number {
    return this.t - Math.log(1 - this.rng.nextFloat()) / (this.activity(s) * s.base);
  }

  /** Evolves the activity processes by `dt` seconds (exact OU step; Hawkes decay). */
  private evolve(dt: number): void {
    if (dt <= 0) return;
    const a = Math.exp(-dt / this.tau);
    const sd = this.activityVol * Math.sqrt(1 - a * a);
    this.xc = this.xc * a + sd * this.rng.nextNormal();
    const d = Math.exp(-this.hawkesDecay * dt);
    for (const s of this.sims) {
      s.x = s.x * a + sd * this.rng.nextNormal();
      s.h *= d;
    }
  }

  /**
   * Simulates the next order event (of whichever instrument is due first) and returns its
   * market data, all with the same `tsEvent`. The first call per instrument also returns a
   * snapshot batch and a quote before the event's own data.
   */
  next(): MarketData[] {
    let s = this.sims[0];
    for (let i = 1; i < this.sims.length; i++) if (this.sims[i].next < s.next) s = this.sims[i];
    this.evolve(s.next - this.t);
    this.t = s.next;
    let ts = this.start + Math.floor(this.t * 1_000_000);
    if (ts < this.lastTs) ts = this.lastTs;
    this.lastTs = ts;
    const out: MarketData[] = [];
    if (!s.started) {
      s.started = true;
      out.push(s.snapshot(ts), s.quote(ts));
    }
    const activity = this.activity(s);
    if (s.step(ts, out)) {
      // Each market order excites the whole flow; the jump keeps the branching ratio of
      // market orders at `hawkesBranching` whatever the current activity.
      const moRate = (2 * s.cfg.marketRate * activity) / (1 + s.h);
      s.h += (this.hawkesBranching * this.hawkesDecay) / moRate;
    }
    this.events++;
    s.next = this.drawWait(s);
    return out;
  }

  /** Everything up to (excluding) `end` µs, or at most `maxEvents` order events. */
  generate(end: UnixMicros, maxEvents = Number.POSITIVE_INFINITY): MarketData[] {
    const out: MarketData[] = [];
    let n = 0;
    while (n < maxEvents && this.nextTime() < end) {
      for (const d of this.next()) out.push(d);
      n++;
    }
    return out;
  }

  /** Time (µs) of the next order event. */
  nextTime(): UnixMicros {
    let m = Number.POSITIVE_INFINITY;
    for (const s of this.sims) if (s.next < m) m = s.next;
    return Math.max(this.lastTs, this.start + Math.floor(m * 1_000_000));
  }
}
