import { describe, expect, it } from "vitest";
import { Kernel } from "../../core/kernel.js";
import { Topics } from "../../core/topics.js";
import { type MarketData, OrderBookDeltas, QuoteTick, TradeTick } from "../../model/data.js";
import { AggressorSide } from "../../model/enums.js";
import { InstrumentId } from "../../model/identifiers.js";
import { MICROS_PER_HOUR, MICROS_PER_MINUTE } from "../../model/time.js";
import { OrderBook } from "../book/order-book.js";
import { DataEngine } from "../engine.js";
import { SyntheticMarket, SyntheticMarketError, type SyntheticMarketOptions } from "./market.js";
import { syntheticChunks } from "./source.js";

const START = Date.UTC(2024, 0, 1) * 1000;

function options(seed: number): SyntheticMarketOptions {
  return {
    seed,
    start: START,
    instruments: [
      { instrumentId: "BTCUSDT.SYN", initialPrice: "50000.0", tickSize: "0.5", lotSize: "0.001" },
      { instrumentId: "ETHUSDT.SYN", initialPrice: "3000.00", tickSize: "0.05", lotSize: "0.01", levels: 5 },
    ],
  };
}

function fingerprint(data: MarketData[]): string {
  return data
    .map((d) => {
      if (d instanceof TradeTick)
        return `T${d.instrumentId}${d.tsEvent}${d.price}${d.size}${d.aggressorSide}${d.tradeId}`;
      if (d instanceof QuoteTick)
        return `Q${d.instrumentId}${d.tsEvent}${d.bidPrice}${d.askPrice}${d.bidSize}${d.askSize}`;
      const b = d as OrderBookDeltas;
      return `D${b.instrumentId}${b.tsEvent}${b.sequence}${b.deltas.map((x) => `${x.action}${x.order?.side}${x.order?.price}${x.order?.size}${x.flags}`).join(",")}`;
    })
    .join("\n");
}

/** Mid-price log returns sampled every minute from the quotes of one instrument. */
function minuteReturns(market: SyntheticMarket, id: InstrumentId, end: number): number[] {
  const mids: number[] = [];
  let next = START + MICROS_PER_MINUTE;
  let mid = 0;
  while (market.nextTime() < end) {
    for (const d of market.next()) {
      if (!(d instanceof QuoteTick) || d.instrumentId !== id) continue;
      while (d.tsEvent >= next && mid > 0) {
        mids.push(mid);
        next += MICROS_PER_MINUTE;
      }
      mid = (d.bidPrice.raw + d.askPrice.raw) / 2;
    }
  }
  const r: number[] = [];
  for (let i = 1; i < mids.length; i++) r.push(Math.log(mids[i] / mids[i - 1]));
  return r;
}

function excessKurtosis(x: number[]): number {
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length;
  return x.reduce((a, b) => a + (b - m) ** 4, 0) / x.length / (v * v) - 3;
}

function autocorrelation(x: number[], lag: number): number {
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  let c0 = 0;
  let c = 0;
  for (let i = 0; i < x.length; i++) {
    c0 += (x[i] - m) ** 2;
    if (i >= lag) c += (x[i] - m) * (x[i - lag] - m);
  }
  return c / c0;
}

describe("SyntheticMarket", () => {
  it("same seed ⇒ identical output; another seed ⇒ different output", () => {
    const end = START + 2 * MICROS_PER_MINUTE;
    const a = fingerprint(new SyntheticMarket(options(42)).generate(end));
    const b = fingerprint(new SyntheticMarket(options(42)).generate(end));
    const c = fingerprint(new SyntheticMarket(options(43)).generate(end));
    expect(a.length).toBeGreaterThan(1000);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it("produces a consistent L2 stream: snapshot first, ordered, gap-free, never crossed", () => {
    const m = new SyntheticMarket(options(7));
    const data = m.generate(START + 20 * MICROS_PER_MINUTE);
    const books = new Map<InstrumentId, OrderBook>();
    const lastSeq = new Map<InstrumentId, number>();
    let last = 0;
    let trades = 0;
    let quotes = 0;
    const spreads = new Set<number>();
    // Plain checks in the loop (expect() per event is slow); violations are collected.
    const bad: string[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok && bad.length < 10) bad.push(what);
    };
    for (const d of data) {
      check(d.tsEvent >= last, `time goes back at ${d.tsEvent}`);
      last = d.tsEvent;
      if (d instanceof OrderBookDeltas) {
        const id = d.instrumentId;
        if (!books.has(id)) {
          check(d.isSnapshot, `first batch of ${id} is not a snapshot`);
          books.set(id, new OrderBook(id));
        } else {
          check(d.prevSequence === lastSeq.get(id), `sequence gap at ${d.sequence}`);
        }
        lastSeq.set(id, d.sequence);
        const book = books.get(id) as OrderBook;
        book.applyDeltas(d);
        check(!book.isCrossed(), `${id} crossed at ${d.tsEvent}`);
      } else if (d instanceof QuoteTick) {
        quotes++;
        const book = books.get(d.instrumentId) as OrderBook;
        // The quote is the top of the published book.
        check(
          d.bidPrice.raw === book.bestBidRaw() && d.askPrice.raw === book.bestAskRaw(),
          `quote ≠ book at ${d.tsEvent}`,
        );
        check(d.bidPrice.lt(d.askPrice), `crossed quote at ${d.tsEvent}`);
        if (d.instrumentId.value === "BTCUSDT.SYN") spreads.add(d.askPrice.raw - d.bidPrice.raw);
      } else if (d instanceof TradeTick) {
        trades++;
        const book = books.get(d.instrumentId) as OrderBook;
        // A trade happens at or through the touch of the side it hits (before that event's deltas).
        const ok =
          d.aggressorSide === AggressorSide.Buyer
            ? d.price.raw >= book.bestAskRaw()
            : d.price.raw <= book.bestBidRaw();
        check(ok, `trade ${d.tradeId} inside the spread`);
      }
    }
    expect(bad).toEqual([]);
    expect(books.size).toBe(2);
    expect(trades).toBeGreaterThan(100);
    expect(quotes).toBeGreaterThan(100);
    // A living spread: several distinct widths.
    expect(spreads.size).toBeGreaterThan(2);
    // The published book equals the model's state.
    for (const id of m.instrumentIds) {
      const top = m.topOfBook(id);
      expect(books.get(id)?.bestBidRaw()).toBe(top.bidRaw);
      expect(books.get(id)?.bestAskRaw()).toBe(top.askRaw);
    }
  });

  for (const seed of [1, 5]) {
    it(`stylised facts of 1-minute returns (seed ${seed}, 4 hours): fat tails, volatility clustering`, () => {
      const m = new SyntheticMarket({
        seed,
        start: START,
        instruments: [
          { instrumentId: "BTCUSDT.SYN", initialPrice: "50000.0", tickSize: "0.5", lotSize: "0.001" },
        ],
      });
      const r = minuteReturns(m, InstrumentId.parse("BTCUSDT.SYN"), START + 4 * MICROS_PER_HOUR);
      expect(r.length).toBeGreaterThan(230);
      expect(r.filter((x) => x !== 0).length).toBeGreaterThan(0.9 * r.length);
      expect(excessKurtosis(r)).toBeGreaterThan(0.5);
      expect(autocorrelation(r.map(Math.abs), 1)).toBeGreaterThan(0.03);
    });
  }

  it("feeds the kernel and the DataEngine through syntheticChunks", () => {
    const k = new Kernel({ traderId: "S", mode: "backtest", seed: 3 });
    const engine = k.add(new DataEngine());
    const m = new SyntheticMarket(options(11));
    let trades = 0;
    k.bus.subscribe(Topics.trades(InstrumentId.parse("ETHUSDT.SYN")), () => trades++);
    k.start();
    let n = 0;
    for (const chunk of syntheticChunks(k.bus, m, START + 5 * MICROS_PER_MINUTE, 500)) n += k.replay(chunk);
    expect(n).toBeGreaterThan(1000);
    expect(trades).toBeGreaterThan(10);
    const book = engine.book(InstrumentId.parse("BTCUSDT.SYN"));
    expect(book?.isCrossed()).toBe(false);
    expect(book?.bestBidRaw()).toBe(m.topOfBook(InstrumentId.parse("BTCUSDT.SYN")).bidRaw);
  });

  it("rejects invalid configurations", () => {
    expect(() => new SyntheticMarket({ seed: 1, start: 0, instruments: [] })).toThrow(SyntheticMarketError);
    expect(
      () =>
        new SyntheticMarket({
          seed: 1,
          start: 0,
          instruments: [{ instrumentId: "X.Y", initialPrice: "100.0", tickSize: "0.05" }],
        }),
    ).toThrow(/tickSize/);
    expect(() => new SyntheticMarket({ ...options(1), hawkesBranching: 1.2 })).toThrow(/hawkesBranching/);
  });
});
