/**
 * Columnar delta batches (`OrderBookDeltas.columns`) against their materialised object form,
 * on the real Binance captures in ../shared/data: the fast scanner fills columns, and every
 * consumer must see exactly what the object form gives.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  ACTION_CLEAR,
  ACTION_DELETE,
  ACTION_UPDATE,
  BookDeltaColumns,
  BookFlags,
  OrderBookDeltas,
} from "../../model/data.js";
import { BookAction, BookSide } from "../../model/enums.js";
import { InstrumentId } from "../../model/identifiers.js";
import { ControlMessage, type MarketRecord, parseVenueText } from "../parsers/index.js";
import { ASK, BID, OrderBook } from "./order-book.js";
import { BookSync } from "./sync.js";

const DATA = fileURLToPath(new URL("../../../../shared/data/orderbook/", import.meta.url));
const ID = InstrumentId.of("TEST", "SIM");

function records(file: string, market: "usdm" | "spot"): MarketRecord[] {
  const lines = gunzipSync(readFileSync(`${DATA}${file}`))
    .toString("utf8")
    .split("\n");
  const ctx = { tsRecv: 0 as number | null, binanceMarket: market, symbolHint: "BTCUSDT" };
  const out: MarketRecord[] = [];
  for (const line of lines) {
    if (line === "") continue;
    const sp = line.indexOf(" ");
    ctx.tsRecv = Number(line.slice(0, sp - 3));
    const r = parseVenueText(line, sp + 1, ctx);
    if (!(r instanceof ControlMessage)) out.push(...r);
  }
  return out;
}

/** The same batch held as objects (materialised from the columns). */
function asObjects(d: OrderBookDeltas): OrderBookDeltas {
  return new OrderBookDeltas(
    d.instrumentId,
    [...d.deltas],
    d.isSnapshot,
    d.firstSequence,
    d.sequence,
    d.prevSequence,
    d.tsEvent,
    d.tsInit,
    d.checksum,
  );
}

function bookState(b: OrderBook) {
  return {
    pricePrecision: b.pricePrecision,
    sizePrecision: b.sizePrecision,
    bids: b.bids.toArrays(),
    asks: b.asks.toArrays(),
  };
}

describe("columnar OrderBookDeltas on real captures", () => {
  for (const [file, market, feed] of [
    ["hftbacktest_binance-usdm_btcusdt_20240808.gz", "usdm", "binance-usdm"],
    ["hftbacktest_binance-spot_btcusdt_20240808.gz", "spot", "binance-spot"],
  ] as const) {
    it(`${file}: columns and materialised deltas agree, and BookSync ends identical either way`, () => {
      const book = records(file, market)
        .map((r) => r.data)
        .filter((d): d is OrderBookDeltas => d instanceof OrderBookDeltas);
      const diffs = book.filter((d) => !d.isSnapshot);
      expect(diffs.length).toBeGreaterThan(1000);
      // every diff of the capture takes the columnar path
      expect(diffs.every((d) => d.columns !== null)).toBe(true);
      // plain comparisons in the loop (hundreds of thousands of levels); one expect at the end
      const mismatches: string[] = [];
      let levels = 0;
      for (const d of diffs) {
        const c = d.columns as BookDeltaColumns;
        const list = d.deltas;
        if (list.length !== c.count || d.length !== c.count) mismatches.push(`${d.sequence}: count`);
        for (let i = 0; i < c.count; i++) {
          levels++;
          const x = list[i];
          const k = c.offset + i;
          const o = x.order;
          const ok =
            o !== null &&
            o.price.raw === c.prices[k] &&
            o.price.precision === c.pricePrecision &&
            o.size.raw === c.sizes[k] &&
            o.size.precision === c.sizePrecision &&
            o.orderId === 0 &&
            o.side === (c.sides[k] === BID ? BookSide.Bid : BookSide.Ask) &&
            x.action === (o.size.raw === 0 ? BookAction.Delete : BookAction.Update) &&
            x.flags === (i === c.count - 1 ? BookFlags.Last : 0) &&
            x.sequence === d.sequence &&
            x.tsEvent === d.tsEvent &&
            x.tsInit === d.tsInit &&
            x.instrumentId === d.instrumentId;
          if (!ok) mismatches.push(`${d.sequence}[${i}]`);
        }
        // materialised once, then cached
        if (d.deltas !== list) mismatches.push(`${d.sequence}: not cached`);
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
      expect(levels).toBeGreaterThan(100_000);

      const fast = new BookSync(book[0].instrumentId, feed);
      const slow = new BookSync(book[0].instrumentId, feed);
      let checked = 0;
      for (const d of book) {
        fast.apply(d);
        slow.apply(d.columns === null ? d : asObjects(d));
        if (++checked % 500 === 0) expect(bookState(fast.book)).toEqual(bookState(slow.book));
      }
      expect(fast.stats).toEqual(slow.stats);
      expect(fast.stats.applied).toBeGreaterThan(1000);
      expect(fast.stats.gaps).toBe(0);
      expect([fast.state, fast.lastUpdateId]).toEqual([slow.state, slow.lastUpdateId]);
      expect(bookState(fast.book)).toEqual(bookState(slow.book));
      expect(fast.book.bidLevels).toBeGreaterThan(100);
    });
  }

  it("reads the USD-M capture's final top of book from columnar diffs (README fact)", () => {
    const sync = new BookSync(InstrumentId.of("BTCUSDT-PERP", "BINANCE"), "binance-usdm");
    for (const r of records("hftbacktest_binance-usdm_btcusdt_20240808.gz", "usdm")) {
      if (r.data instanceof OrderBookDeltas) sync.apply(r.data);
    }
    expect([sync.book.bestBid()?.toString(), sync.book.bestAsk()?.toString()]).toEqual([
      "61659.70",
      "61659.80",
    ]);
  });
});

describe("fast scanner layouts outside the columnar form", () => {
  it("falls back to objects at each level's written precision when a message mixes precisions", () => {
    const line =
      '{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":5,"u":6,"pu":4,"b":[["100.5","1.0"],["100.25","2"]],"a":[]}}';
    const r = parseVenueText(line, 0, { tsRecv: null, binanceMarket: "usdm" });
    if (r instanceof ControlMessage) throw new Error("control");
    const d = r[0].data as OrderBookDeltas;
    expect(d.columns).toBeNull();
    expect(d.deltas.map((x) => `${x.order?.price}/${x.order?.size}`)).toEqual(["100.5/1.0", "100.25/2"]);
  });

  it("keeps levels of consecutive messages in separate, stable ranges", () => {
    const mk = (u: number, p: number) =>
      `{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":${u},"T":1,"s":"BTCUSDT","U":${u},"u":${u},"pu":${u - 1},"b":[["${p}.00","1.000"]],"a":[["${p}.01","0.000"]]}}`;
    const parse = (line: string) => {
      const r = parseVenueText(line, 0, { tsRecv: null, binanceMarket: "usdm" });
      if (r instanceof ControlMessage) throw new Error("control");
      return r[0].data as OrderBookDeltas;
    };
    const a = parse(mk(10, 100));
    const b = parse(mk(11, 200));
    // a message the scanner rejects halfway (after writing its bids) must not disturb others
    expect(() => parse(mk(12, 300).replace('"a":[["300.01"', '"a":[["x"'))).toThrow(/field/);
    const c = parse(mk(13, 400));
    expect([a, b, c].every((d) => d.columns !== null)).toBe(true);
    expect([a, b, c].map((d) => d.deltas.map((x) => `${x.action} ${x.order?.price} ${x.flags}`))).toEqual([
      ["UPDATE 100.00 0", "DELETE 100.01 128"],
      ["UPDATE 200.00 0", "DELETE 200.01 128"],
      ["UPDATE 400.00 0", "DELETE 400.01 128"],
    ]);
  });
});

describe("OrderBook.applyColumns", () => {
  function cols(
    levels: [0 | 1, number, number, number][],
    pp: number,
    sp: number,
    offset = 0,
  ): BookDeltaColumns {
    const n = levels.length + offset;
    const sides = new Uint8Array(n);
    const actions = new Uint8Array(n);
    const flags = new Uint8Array(n);
    const prices = new Float64Array(n);
    const sizes = new Float64Array(n);
    levels.forEach(([side, action, price, size], i) => {
      sides[offset + i] = side;
      actions[offset + i] = action;
      prices[offset + i] = price;
      sizes[offset + i] = size;
    });
    return new BookDeltaColumns(levels.length, sides, actions, flags, prices, sizes, pp, sp, offset);
  }
  const batch = (c: BookDeltaColumns) => OrderBookDeltas.fromColumns(ID, c, false, 1, 1, 0, 1, 1);

  it("matches the object path for widening precisions, deletes, clears and offsets", () => {
    const steps = [
      cols(
        [
          [BID, ACTION_UPDATE, 1005, 10],
          [ASK, ACTION_UPDATE, 1010, 20],
        ],
        1,
        1,
      ),
      // finer prices and sizes: the book widens, stored levels are rescaled exactly
      cols(
        [
          [BID, ACTION_UPDATE, 10040, 5],
          [ASK, ACTION_DELETE, 10100, 7],
        ],
        2,
        3,
        3,
      ),
      // coarser values are scaled up to the book's precision
      cols([[ASK, ACTION_UPDATE, 102, 3]], 0, 0),
      cols(
        [
          [BID, ACTION_CLEAR, 0, 0],
          [ASK, ACTION_UPDATE, 1030, 1],
        ],
        1,
        1,
      ),
    ];
    const fast = new OrderBook(ID);
    const slow = new OrderBook(ID);
    const seen: unknown[] = [];
    for (const c of steps) {
      const d = batch(c);
      fast.applyDeltas(d);
      slow.applyDeltas(asObjects(d));
      expect(bookState(fast)).toEqual(bookState(slow));
      seen.push([fast.bestBid()?.toString() ?? null, fast.bestAsk()?.toString() ?? null]);
    }
    expect(seen).toEqual([
      ["100.5", "101.0"],
      ["100.50", null],
      ["100.50", "102.00"],
      [null, "103.00"],
    ]);
    expect([fast.pricePrecision, fast.sizePrecision]).toEqual([2, 3]);
  });

  it("refuses action or side codes out of range, in the book and when materialising", () => {
    const bad = batch(
      cols(
        [
          [BID, ACTION_UPDATE, 1000, 10],
          [BID, 7, 1005, 10],
        ],
        1,
        1,
      ),
    );
    const book = new OrderBook(ID);
    expect(() => book.applyDeltas(bad)).toThrow(/level 1: action code 7/);
    expect(book.bidLevels).toBe(0); // nothing of the bad batch applied
    expect(() => bad.deltas).toThrow(/action code 7/);
    const badSide = batch(cols([[2 as 0, ACTION_UPDATE, 1005, 10]], 1, 1));
    expect(() => new OrderBook(ID).applyDeltas(badSide)).toThrow(/side code 2/);
    expect(() => badSide.deltas).toThrow(/side code 2/);
  });

  it("a batch of CLEARs only empties the book and leaves unset precisions unset", () => {
    const b = new OrderBook(ID);
    b.applyDeltas(batch(cols([[BID, ACTION_CLEAR, 0, 0]], 4, 4)));
    expect([b.pricePrecision, b.sizePrecision, b.bidLevels]).toEqual([-1, -1, 0]);
    const o = new OrderBook(ID);
    o.applyDeltas(asObjects(batch(cols([[BID, ACTION_CLEAR, 0, 0]], 4, 4))));
    expect(bookState(b)).toEqual(bookState(o));
  });
});
