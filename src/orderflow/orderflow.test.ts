import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { BookSync } from "../data/book/sync.js";
import { readMarketData } from "../data/files/index.js";
import { OrderBookDeltas, QuoteTick, TradeTick } from "../model/data.js";
import { parseToRaw } from "../model/fixed.js";
import { InstrumentId } from "../model/identifiers.js";
import {
  AbsorptionDetector,
  type Aggressor,
  aggressorOf,
  type BookLevels,
  bookImbalance,
  CumulativeDelta,
  FootprintBuilder,
  KyleLambda,
  LargeTradeDetector,
  LeeReady,
  LiquidityWithdrawalDetector,
  microprice,
  OrderFlowError,
  OrderFlowImbalance,
  type QuoteObservation,
  quoteRule,
  StoikovMicroprice,
  TickRule,
  TradeIntensity,
  VolumeProfile,
  Vpin,
  valueArea,
} from "./index.js";

const DATA = fileURLToPath(new URL("../../../shared/data/", import.meta.url));
const TRADES_CSV = `${DATA}trades/binance-usdm_BTCUSDT_trades_2024-08-08.csv`;
const USDM_BOOK = `${DATA}orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz`;

interface Row {
  ts: number;
  price: number;
  qty: number;
  side: Aggressor;
}

/** The trades CSV parsed here independently of the data module (the reconciliation reference). */
function csvTrades(): Row[] {
  const lines = readFileSync(TRADES_CSV, "utf8").trim().split("\n").slice(1);
  return lines.map((l) => {
    const f = l.split(",");
    return {
      ts: Number(f[0]) * 1000,
      price: parseToRaw(f[2], 2),
      qty: parseToRaw(f[3], 3),
      side: f[4] === "buy" ? 1 : -1,
    };
  });
}

/** An honest array-backed implementation of the BookLevels view, for hand-built books. */
class ArrayBook implements BookLevels {
  constructor(
    public bids: [number, number][],
    public asks: [number, number][],
  ) {}
  get bidLevels() {
    return this.bids.length;
  }
  get askLevels() {
    return this.asks.length;
  }
  priceAt(side: 0 | 1, k: number) {
    return (side === 0 ? this.bids : this.asks)[k][0];
  }
  sizeAt(side: 0 | 1, k: number) {
    return (side === 0 ? this.bids : this.asks)[k][1];
  }
}

describe("delta and footprint reconcile exactly with real trades", () => {
  let rows: Row[];
  let ticks: TradeTick[];
  beforeAll(async () => {
    rows = csvTrades();
    ticks = [];
    for await (const rec of readMarketData([TRADES_CSV], { instrument: "BTCUSDT-PERP.BINANCE" })) {
      if (rec.data instanceof TradeTick) ticks.push(rec.data);
    }
  });

  it("reads all 21,313 trades", () => {
    expect(rows).toHaveLength(21_313);
    expect(ticks).toHaveLength(21_313);
  });

  it("cumulative delta equals buy minus sell volume to the last unit", () => {
    const cvd = new CumulativeDelta();
    for (const t of ticks) cvd.update(t.size.raw, aggressorOf(t.aggressorSide), t.tsEvent);
    const buy = rows.filter((r) => r.side === 1).reduce((s, r) => s + r.qty, 0);
    const sell = rows.filter((r) => r.side === -1).reduce((s, r) => s + r.qty, 0);
    expect(cvd.buyVolume).toBe(buy);
    expect(cvd.sellVolume).toBe(sell);
    expect(cvd.delta).toBe(buy - sell);
    expect(cvd.unknownVolume).toBe(0);
    expect(cvd.trades).toBe(rows.length);
  });

  it("1-minute footprints: per-price volumes, totals and OHLC match a direct group-by", () => {
    const fp = new FootprintBuilder({ intervalUs: 60_000_000, tick: 10 });
    const bars = [];
    for (const t of ticks) {
      const b = fp.update(t.tsEvent, t.price.raw, t.size.raw, aggressorOf(t.aggressorSide));
      if (b) bars.push(b);
    }
    const last = fp.flush();
    if (last) bars.push(last);
    // Reference: group rows by minute and price.
    const ref = new Map<
      number,
      { buy: Map<number, number>; sell: Map<number, number>; o: number; c: number; h: number; l: number }
    >();
    for (const r of rows) {
      const m = r.ts - (r.ts % 60_000_000);
      let e = ref.get(m);
      if (!e) {
        e = { buy: new Map(), sell: new Map(), o: r.price, c: r.price, h: r.price, l: r.price };
        ref.set(m, e);
      }
      const side = r.side === 1 ? e.buy : e.sell;
      side.set(r.price, (side.get(r.price) ?? 0) + r.qty);
      e.c = r.price;
      e.h = Math.max(e.h, r.price);
      e.l = Math.min(e.l, r.price);
    }
    expect(bars).toHaveLength(ref.size);
    let totalBuy = 0;
    let totalSell = 0;
    for (const bar of bars) {
      const e = ref.get(bar.tsOpen)!;
      expect([bar.open, bar.high, bar.low, bar.close]).toEqual([e.o, e.h, e.l, e.c]);
      for (let i = 0; i < bar.prices.length; i++) {
        expect(bar.buyVolume[i]).toBe(e.buy.get(bar.prices[i]) ?? 0);
        expect(bar.sellVolume[i]).toBe(e.sell.get(bar.prices[i]) ?? 0);
      }
      const pocVol = (p: number) => (e.buy.get(p) ?? 0) + (e.sell.get(p) ?? 0);
      const maxVol = Math.max(...bar.prices.map(pocVol));
      expect(pocVol(bar.poc)).toBe(maxVol);
      expect(bar.valueAreaLow).toBeLessThanOrEqual(bar.poc);
      expect(bar.valueAreaHigh).toBeGreaterThanOrEqual(bar.poc);
      totalBuy += bar.totalBuy;
      totalSell += bar.totalSell;
    }
    expect(totalBuy).toBe(rows.filter((r) => r.side === 1).reduce((s, r) => s + r.qty, 0));
    expect(totalSell).toBe(rows.filter((r) => r.side === -1).reduce((s, r) => s + r.qty, 0));
  });

  it("tick rule and Lee–Ready agree with the venue flag far better than chance", () => {
    const tr = new TickRule();
    let agree = 0;
    let known = 0;
    for (const r of rows) {
      const s = tr.classify(r.price);
      if (s !== 0) {
        known++;
        if (s === r.side) agree++;
      }
    }
    expect(known).toBeGreaterThan(rows.length * 0.9);
    expect(agree / known).toBeGreaterThan(0.6);
  });

  it("volume profile over the session totals the traded volume", () => {
    const vp = new VolumeProfile(10);
    for (const r of rows) vp.update(r.ts, r.price, r.qty, r.side);
    const s = vp.summary()!;
    expect(s.totalVolume).toBe(rows.reduce((a, r) => a + r.qty, 0));
    expect(vp.volumeAt(s.poc)).toBe(
      Math.max(...[...new Set(rows.map((r) => r.price))].map((p) => vp.volumeAt(p))),
    );
  });

  it("VPIN stays in [0, 1] and closes floor(volume / bucket) buckets", () => {
    const total = rows.reduce((a, r) => a + r.qty, 0);
    const bucket = Math.floor(total / 200);
    const v = new Vpin(bucket, 20);
    for (const r of rows) v.update(r.price, r.qty, r.side);
    expect(v.buckets).toBe(Math.floor(total / bucket));
    expect(v.value).toBeGreaterThanOrEqual(0);
    expect(v.value).toBeLessThanOrEqual(1);
  });
});

describe("book analytics on the real Binance USD-M L2 stream", () => {
  const sync = new BookSync(InstrumentId.parse("BTCUSDT-PERP.BINANCE"), "binance-usdm");
  const ofi = new OrderFlowImbalance();
  const tops: [number, number, number, number][] = [];
  const incs: number[] = [];
  const quotes: QuoteObservation[] = [];
  let imbalanceChecks = 0;

  beforeAll(async () => {
    for await (const rec of readMarketData([USDM_BOOK])) {
      const d = rec.data;
      if (d instanceof OrderBookDeltas) {
        sync.apply(d);
        const b = sync.book;
        if (!sync.isValid || b.bidLevels === 0 || b.askLevels === 0) continue;
        incs.push(ofi.updateFromBook(b));
        tops.push([b.bestBidRaw(), b.bestBidSizeRaw(), b.bestAskRaw(), b.bestAskSizeRaw()]);
        if (tops.length % 500 === 0) {
          const { sizes: bs } = b.depth(0, 10);
          const { sizes: as } = b.depth(1, 10);
          const sb = bs.reduce((x, y) => x + y, 0);
          const sa = as.reduce((x, y) => x + y, 0);
          expect(bookImbalance(b, 10)).toBeCloseTo((sb - sa) / (sb + sa), 12);
          imbalanceChecks++;
        }
      } else if (d instanceof QuoteTick) {
        quotes.push({
          bidRaw: d.bidPrice.raw,
          bidSize: d.bidSize.raw,
          askRaw: d.askPrice.raw,
          askSize: d.askSize.raw,
        });
      }
    }
  });

  it("syncs without gaps and checks imbalance against the book's depth", () => {
    expect(sync.stats.gaps).toBe(0);
    expect(tops.length).toBeGreaterThan(6000);
    expect(imbalanceChecks).toBeGreaterThan(10);
  });

  it("OFI over every run of unchanged best prices equals the net change of best sizes", () => {
    let runs = 0;
    let i = 1;
    while (i < tops.length) {
      let j = i;
      let sum = 0;
      while (j < tops.length && tops[j][0] === tops[i - 1][0] && tops[j][2] === tops[i - 1][2]) {
        sum += incs[j];
        j++;
      }
      if (j > i) {
        const start = tops[i - 1];
        const end = tops[j - 1];
        expect(sum).toBe(end[1] - start[1] - (end[3] - start[3]));
        runs++;
        i = j;
      } else {
        i++;
      }
    }
    expect(runs).toBeGreaterThan(100);
    expect(ofi.value).toBe(incs.reduce((a, b) => a + b, 0));
  });

  it("Stoikov's micro-price fitted on bookTicker quotes is symmetric and leans toward the heavier side", () => {
    expect(quotes.length).toBeGreaterThan(60_000);
    const model = StoikovMicroprice.fit(quotes, { tick: 10, imbalanceBuckets: 10, maxSpreadTicks: 2 });
    const g = model.table(1);
    for (let b = 0; b < 10; b++) expect(g[b]).toBeCloseTo(-g[9 - b], 9);
    expect(g[9]).toBeGreaterThan(0);
    expect(g[0]).toBeLessThan(0);
    // BTCUSDT's 0.10 tick is small for its price: heavy imbalance predicts moves of about a tick.
    expect(Math.abs(g[9])).toBeLessThan(50);
    expect(g[9]).toBeGreaterThan(g[5]);
    const q = quotes[1000];
    expect(model.price(q)).toBeCloseTo((q.bidRaw + q.askRaw) / 2 + model.adjustment(q), 12);
  });
});

describe("analytics on constructed inputs", () => {
  it("OFI follows the Cont–Kukanov–Stoikov cases", () => {
    const o = new OrderFlowImbalance();
    o.update(100, 5, 101, 5);
    expect(o.update(100, 7, 101, 5)).toBe(2); // bid size up
    expect(o.update(101, 3, 102, 5)).toBe(3 + 5); // bid price up (+3), ask price up (+old ask 5)
    expect(o.update(100, 4, 102, 6)).toBe(-3 - 1); // bid price down (-old 3), ask size up (-1)
    expect(o.value).toBe(2 + 8 - 4);
  });

  it("book imbalance and weighted mid", () => {
    const b = new ArrayBook(
      [
        [100, 3],
        [99, 1],
      ],
      [
        [101, 1],
        [102, 1],
      ],
    );
    expect(bookImbalance(b, 1)).toBeCloseTo(0.5, 12);
    expect(bookImbalance(b, 5)).toBeCloseTo(2 / 6, 12);
    expect(bookImbalance(new ArrayBook([], []), 5)).toBe(0);
    expect(microprice(100, 3, 101, 1)).toBeCloseTo(100.75, 12);
    expect(Number.isNaN(microprice(0, 3, 101, 1))).toBe(true);
  });

  it("quote rule and Lee–Ready", () => {
    expect(quoteRule(101, 100, 102)).toBe(0);
    expect(quoteRule(102, 100, 102)).toBe(1);
    const lr = new LeeReady();
    expect(lr.classify(100, 99, 103)).toBe(-1);
    expect(lr.classify(101, 99, 103)).toBe(1); // at the mid → tick rule (up-tick)
  });

  it("value area by the two-row method", () => {
    const va = valueArea([1, 2, 10, 3, 3, 1], 0.7);
    expect(va.poc).toBe(2);
    expect([va.low, va.high]).toEqual([2, 4]);
  });

  it("footprint diagonal and stacked imbalances", () => {
    const fp = new FootprintBuilder({
      intervalUs: 1_000_000,
      tick: 1,
      imbalanceRatio: 3,
      stack: 3,
      minVolume: 1,
    });
    // Prices 10..14: heavy buying at 11,12,13 against light selling one tick below.
    const trades: [number, number, Aggressor][] = [
      [10, 1, -1],
      [11, 3, 1],
      [11, 1, -1],
      [12, 3, 1],
      [12, 1, -1],
      [13, 3, 1],
      [14, 1, -1],
    ];
    for (const [p, q, s] of trades) fp.update(100, p, q, s);
    const bar = fp.flush()!;
    expect(bar.buyImbalances).toEqual([11, 12, 13]);
    expect(bar.stacked).toEqual([{ side: "buy", from: 11, to: 13, levels: 3 }]);
    expect(bar.sellImbalances).toEqual([14]); // 1 sold at 14 against 0 bought at 15
    expect(bar.delta).toBe(9 - 4);
  });

  it("Kyle's lambda recovers an exact linear impact", () => {
    const k = new KyleLambda(1_000, 20);
    let price = 10_000;
    let ts = 0;
    for (let i = 0; i < 40; i++) {
      const v = ((i * 7) % 11) - 5; // signed volume per interval
      ts = i * 1_000;
      const side: Aggressor = v >= 0 ? 1 : -1;
      k.update(ts, price, Math.abs(v), side);
      price += 2 * v;
      k.update(ts + 999, price, 0, side);
    }
    k.update(ts + 1_000, price, 0, 1);
    expect(k.value).toBeCloseTo(2, 9);
  });

  it("trade intensity converges to the arrival rate", () => {
    const ti = new TradeIntensity(1_000_000);
    for (let i = 0; i < 20_000; i++) ti.update(i * 10_000, 5); // 100 trades/s
    expect(ti.tradesPerSecond()).toBeCloseTo(100, 0);
    expect(ti.volumePerSecond()).toBeCloseTo(500, -1);
    expect(ti.tradesPerSecond(20_000 * 10_000 + 1_000_000)).toBeCloseTo(50, 0);
  });

  it("large trades, absorption and liquidity withdrawal fire on their patterns only", () => {
    const lt = new LargeTradeDetector(50, 4);
    let fired = 0;
    for (let i = 0; i < 200; i++) if (lt.update(i, 100, 10 + (i % 3), 1)) fired++;
    expect(fired).toBe(0);
    expect(lt.update(201, 100, 500, 1)?.zScore).toBeGreaterThan(4);

    const ab = new AbsorptionDetector(1_000, 100, 0);
    for (let i = 0; i < 10; i++) ab.update(i * 10, 1000, 20, 1); // 200 bought, price flat
    const ev = ab.update(1_000, 1000, 1, 1);
    expect(ev).toMatchObject({ side: 1, delta: 200, progress: 0 });
    for (let i = 0; i < 10; i++) ab.update(1_000 + i * 10, 1000 + i, 20, 1); // price advanced 9
    expect(ab.flush()).toBeNull();

    const lw = new LiquidityWithdrawalDetector(3, 50);
    const book = new ArrayBook(
      [
        [100, 80],
        [99, 60],
      ],
      [
        [101, 70],
        [102, 90],
      ],
    );
    expect(lw.onBook(1, book)).toEqual([]);
    lw.onTrade(101, 30);
    book.asks = [[102, 90]]; // 101 gone: 30 traded, 40 pulled (< 50)
    book.bids = [[99, 60]]; // 100 gone: 80 pulled
    expect(lw.onBook(2, book)).toEqual([{ ts: 2, side: "bid", priceRaw: 100, pulledRaw: 80, level: 0 }]);
  });

  it("rejects bad parameters and bad input, naming the analytic", () => {
    expect(() => new Vpin(0)).toThrow(OrderFlowError);
    expect(() => new KyleLambda(1000, 2)).toThrow(/kyle_lambda/);
    expect(() => new FootprintBuilder({ intervalUs: 0, tick: 1 })).toThrow(/footprint: intervalUs/);
    expect(() => new FootprintBuilder({ intervalUs: 1, tick: 0 })).toThrow(/tick/);
    const fp = new FootprintBuilder({ intervalUs: 1_000, tick: 5 });
    expect(() => fp.update(10, 101, 1, 1)).toThrow(/not on the tick grid/);
    fp.update(10, 100, 1, 1);
    expect(() => fp.update(5, 100, 1, 1)).toThrow(/before the previous one/);
    expect(() => fp.update(20, 100, -1, 1)).toThrow(/non-negative/);
    expect(() => new CumulativeDelta().update(Number.NaN, 1)).toThrow(/cvd/);
    expect(() => new LargeTradeDetector(10, 0)).toThrow(/threshold/);
    expect(() => StoikovMicroprice.fit([], { tick: 1 })).toThrow(/no usable observations/);
  });
});
