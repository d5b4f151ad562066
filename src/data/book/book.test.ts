import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BookLevel, OrderBookDepth } from "../../model/data.js";
import { InstrumentId } from "../../model/identifiers.js";
import { Price, Quantity } from "../../model/values.js";
import { BookSide, DeltaBatch } from "../parsers/book-build.js";
import type { Feed } from "../parsers/common.js";
import { krakenChecksum, okxChecksum, trimmedDecimal } from "./checksum.js";
import { crc32, crc32Signed } from "./crc32.js";
import { ASK, BID, Ladder, OrderBook } from "./order-book.js";
import { BookSync, type ResyncEvent } from "./sync.js";
import { verifyCapture } from "./verify.js";

const DATA = fileURLToPath(new URL("../../../../shared/data/", import.meta.url));
const ID = InstrumentId.of("TEST", "SIM");

function batch(
  snapshot: boolean,
  levels: [BookSide, string, string][],
  seq: { first?: number; seq?: number; prev?: number; checksum?: number | null } = {},
) {
  const b = new DeltaBatch(ID, snapshot);
  for (const [side, p, q] of levels) b.add(side, Price.parse(p), Quantity.parse(q));
  return b.build(seq.first ?? -1, seq.seq ?? -1, seq.prev ?? -1, 1, 1, seq.checksum ?? null);
}
const B = BookSide.Bid;
const A = BookSide.Ask;

describe("crc32", () => {
  it("matches the standard check value", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
    expect(crc32Signed("123456789")).toBe(0xcbf43926 | 0);
    expect(crc32("")).toBe(0);
  });
});

describe("OrderBook", () => {
  function sample(): OrderBook {
    const book = new OrderBook(ID);
    book.applyDeltas(
      batch(true, [
        [B, "100.0", "1"],
        [B, "99.5", "2"],
        [B, "99.0", "3"],
        [A, "100.5", "1.5"],
        [A, "101.0", "2"],
        [A, "102.0", "4"],
      ]),
    );
    return book;
  }

  it("keeps levels sorted best-first with updates, deletes and inserts", () => {
    const book = sample();
    expect([book.bestBid()?.toString(), book.bestAsk()?.toString()]).toEqual(["100.0", "100.5"]);
    expect([book.bidLevels, book.askLevels]).toEqual([3, 3]);
    book.applyDeltas(
      batch(false, [
        [B, "100.0", "0"],
        [B, "100.2", "0.5"],
        [A, "100.5", "0"],
        [A, "100.4", "0.1"],
      ]),
    );
    expect(book.bestBid()?.toString()).toBe("100.2");
    expect(book.bestAsk()?.toString()).toBe("100.4");
    expect(book.depth(BID, 10).prices).toEqual([1002, 995, 990]);
    expect(book.depth(ASK, 2)).toEqual({ prices: [1004, 1010], sizes: [1, 20] });
    // deleting an absent level is a no-op
    book.applyRaw(BID, 12345, 0);
    expect(book.bidLevels).toBe(3);
  });

  it("answers spread, mid, microprice, cumulative depth and price-to-fill", () => {
    const book = sample();
    expect(book.spreadRaw()).toBe(5);
    expect(book.mid()?.toString()).toBe("100.25");
    // (100.0 * 1.5 + 100.5 * 1) / 2.5
    expect(book.microprice()).toBeCloseTo(100.2, 10);
    expect(book.cumulativeDepth(ASK, 3)).toEqual([15, 35, 75]);
    const buy = book.priceToFill(ASK, 25); // 1.5 @100.5 + 1.0 @101.0
    expect(buy.complete).toBe(true);
    expect(buy.levels).toBe(2);
    expect(book.formatPrice(buy.worstPriceRaw)).toBe("101.0");
    expect(buy.vwap).toBeCloseTo((1.5 * 100.5 + 1 * 101) / 2.5, 10);
    const huge = book.priceToFill(BID, 1000);
    expect([huge.complete, huge.filledRaw]).toEqual([false, 60]);
    expect(book.isCrossed()).toBe(false);
  });

  it("widens its precision when a value has more decimals, exactly", () => {
    const book = sample();
    book.applyLevel(BookSide.Bid, Price.parse("99.75"), Quantity.parse("0.25"));
    expect([book.pricePrecision, book.sizePrecision]).toEqual([2, 2]);
    expect(book.depth(BID, 4)).toEqual({ prices: [10000, 9975, 9950, 9900], sizes: [100, 25, 200, 300] });
  });

  it("truncates to a depth keeping the best levels, and replaces itself from a depth snapshot", () => {
    const book = sample();
    book.truncate(2);
    expect(book.depth(BID, 5).prices).toEqual([1000, 995]);
    expect(book.depth(ASK, 5).prices).toEqual([1005, 1010]);
    book.applyDepth(
      new OrderBookDepth(ID, [new BookLevel(Price.parse("1.0"), Quantity.parse("1"), 0)], [], 1, 1, 1),
    );
    expect([book.bidLevels, book.askLevels, book.bestBid()?.toString()]).toEqual([1, 0, "1.0"]);
    expect(book.bestAsk()).toBeNull();
    expect(Number.isNaN(book.microprice())).toBe(true);
  });

  it("Ladder agrees with a sorted reference on random updates (block splits, merges, truncation)", () => {
    let seed = 1;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let t = 0; t < 20; t++) {
      const l = new Ladder();
      const ref = new Map<number, number>();
      const range = t % 2 === 0 ? 300 : 3000;
      for (let i = 0; i < 3000; i++) {
        const key = Math.floor(rnd() * range);
        const size = rnd() < (i < 1500 ? 0.2 : 0.6) ? 0 : 1 + Math.floor(rnd() * 9);
        l.set(key, size);
        if (size === 0) ref.delete(key);
        else ref.set(key, size);
      }
      const keys = [...ref.keys()].sort((a, b) => a - b);
      expect(l.n).toBe(keys.length);
      expect(l.toArrays()).toEqual({ keys, sizes: keys.map((k) => ref.get(k)) });
      for (let k = 0; k < Math.min(keys.length, 70); k++) {
        expect([l.keyAt(k), l.sizeAt(k)]).toEqual([
          keys[keys.length - 1 - k],
          ref.get(keys[keys.length - 1 - k]),
        ]);
      }
      expect(l.bestKey()).toBe(keys[keys.length - 1]);
      l.truncate(100);
      expect(l.toArrays().keys).toEqual(keys.slice(-100));
      l.truncate(0);
      expect([l.n, Number.isNaN(l.bestKey())]).toEqual([0, true]);
    }
  });

  it("Ladder on a coarse grid that gets finer, negative and huge keys, walks resumed after changes", () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    // Keys first all multiples of 10^6 (prices at 8 decimals on a 0.01 grid), then finer ones;
    // asks' negated keys; keys whose slot is beyond 2^31.
    for (const [base, sign, step] of [
      [6_000_000_000_000, 1, 1_000_000],
      [6_000_000_000_000, -1, 1_000_000],
      [3_000_000_000, 1, 1],
      [0, -1, 1],
    ]) {
      const l = new Ladder();
      const ref = new Map<number, number>();
      for (let i = 0; i < 4000; i++) {
        const fine = i > 2000 && rnd() < 0.1;
        const key = sign * (base + Math.floor(rnd() * 5000) * step + (fine ? Math.floor(rnd() * step) : 0));
        const size = rnd() < 0.3 ? 0 : 1 + Math.floor(rnd() * 9);
        l.set(key, size);
        if (size === 0) ref.delete(key);
        else ref.set(key, size);
        if (i % 97 === 0) {
          // Interleaved reads in order, then out of order (the cursor must not go stale).
          const keys = [...ref.keys()].sort((a, b) => b - a);
          for (const k of [0, 1, 2, 5, 3, 40]) {
            expect(l.keyAt(k)).toBe(k < keys.length ? keys[k] : Number.NaN);
            expect(l.sizeAt(k)).toBe(k < keys.length ? ref.get(keys[k]) : Number.NaN);
          }
          // The one-walk sum of the top n levels equals the sum of the first n sizes.
          for (const n of [0, 1, 10, 300, keys.length + 5]) {
            const want = keys.slice(0, n).reduce((t, k) => t + (ref.get(k) ?? 0), 0);
            expect(l.sumTop(n)).toBe(want);
          }
        }
      }
      const keys = [...ref.keys()].sort((a, b) => a - b);
      expect(l.toArrays()).toEqual({ keys, sizes: keys.map((k) => ref.get(k)) });
      const walked: number[] = [];
      l.walk((k) => walked.push(k) < 10);
      expect(walked).toEqual(keys.slice(-10).reverse());
      expect(l.n).toBe(keys.length);
      l.scale(10, false);
      expect(l.bestKey()).toBe(keys[keys.length - 1] * 10);
      l.clear();
      expect([l.n, Number.isNaN(l.bestKey()), l.toArrays().keys]).toEqual([0, true, []]);
      l.set(5, 1);
      expect([l.keyAt(0), l.sizeAt(0), l.n]).toEqual([5, 1, 1]);
    }
  });

  it("grows past its initial capacity", () => {
    const book = new OrderBook(ID);
    book.ensurePrecision(0, 0);
    for (let p = 1; p <= 5000; p++) book.applyRaw(BID, p, p);
    expect(book.bidLevels).toBe(5000);
    expect(book.bestBidRaw()).toBe(5000);
    expect(book.priceAt(BID, 4999)).toBe(1);
  });
});

describe("checksums", () => {
  it("formats OKX values without trailing zeros", () => {
    expect(trimmedDecimal(302610, 1)).toBe("30261");
    expect(trimmedDecimal(16, 2)).toBe("0.16");
    expect(trimmedDecimal(5, 0)).toBe("5");
  });

  it("computes the OKX and Kraken text rules", () => {
    const book = new OrderBook(ID);
    book.applyDeltas(
      batch(true, [
        [B, "3366.1", "7"],
        [B, "3366", "6"],
        [A, "3366.8", "9"],
        [A, "3368", "8"],
      ]),
    );
    expect(okxChecksum(book)).toBe(crc32Signed("3366.1:7:3366.8:9:3366:6:3368:8"));
    const k = new OrderBook(ID);
    k.applyDeltas(
      batch(true, [
        [B, "0.05005", "0.00000500"],
        [A, "0.05010", "1.00000000"],
      ]),
    );
    expect(krakenChecksum(k)).toBe(crc32("5010100000000" + "5005500"));
  });
});

describe("BookSync sequencing", () => {
  function sync(feed: Feed) {
    const events: ResyncEvent[] = [];
    return { s: new BookSync(ID, feed, (e) => events.push(e)), events };
  }

  it("Binance USD-M: buffers before the snapshot, drops stale diffs, chains pu, and stops at a gap", () => {
    const { s, events } = sync("binance-usdm");
    s.apply(batch(false, [[B, "9", "1"]], { first: 90, seq: 95, prev: 89 })); // stale: u < 100
    s.apply(batch(false, [[B, "10", "1"]], { first: 96, seq: 105, prev: 95 })); // straddles 100
    s.apply(
      batch(
        true,
        [
          [B, "8", "1"],
          [A, "12", "1"],
        ],
        { seq: 100 },
      ),
    );
    expect(s.stats.stale).toBe(1);
    expect(s.lastUpdateId).toBe(105);
    expect(s.book.bestBid()?.toString()).toBe("10");
    s.apply(batch(false, [[A, "11", "2"]], { first: 106, seq: 110, prev: 105 }));
    expect(s.book.bestAsk()?.toString()).toBe("11");
    s.apply(batch(false, [[A, "10.5", "2"]], { first: 120, seq: 125, prev: 118 })); // pu != 110
    expect(s.stats.gaps).toBe(1);
    expect(s.isValid).toBe(false);
    expect(events[0]).toMatchObject({ reason: "gap", sequence: 125 });
    expect(s.book.bestAsk()?.toString()).toBe("11"); // never continued across the gap
    s.apply(batch(false, [[A, "10.6", "2"]], { first: 126, seq: 130, prev: 125 }));
    expect(s.stats.applied).toBe(3);
    // a new snapshot re-synchronises using the buffered diffs
    s.apply(
      batch(
        true,
        [
          [B, "8", "1"],
          [A, "12", "1"],
        ],
        { seq: 127 },
      ),
    );
    expect([s.isValid, s.lastUpdateId, s.book.bestAsk()?.toString()]).toEqual([true, 130, "10.6"]);
  });

  it("Binance spot: first diff must straddle lastUpdateId+1, then U = previous u + 1", () => {
    const { s } = sync("binance-spot");
    s.apply(batch(true, [[B, "8", "1"]], { seq: 100 }));
    s.apply(batch(false, [[B, "9", "1"]], { first: 95, seq: 100 })); // u <= 100: stale
    s.apply(batch(false, [[B, "9", "1"]], { first: 101, seq: 103 }));
    s.apply(batch(false, [[B, "9", "2"]], { first: 104, seq: 104 }));
    expect([s.stats.stale, s.stats.gaps, s.lastUpdateId]).toEqual([1, 0, 104]);
    s.apply(batch(false, [[B, "9", "3"]], { first: 106, seq: 107 }));
    expect(s.stats.gaps).toBe(1);
    const { s: s2 } = sync("binance-spot");
    s2.apply(batch(true, [[B, "8", "1"]], { seq: 100 }));
    s2.apply(batch(false, [[B, "9", "1"]], { first: 102, seq: 103 })); // misses 101
    expect(s2.stats.gaps).toBe(1);
  });

  it("Bybit: u must be contiguous; a snapshot resets", () => {
    const { s } = sync("bybit");
    s.apply(batch(false, [[B, "1", "1"]], { seq: 4 }));
    expect(s.stats.unsynced).toBe(1);
    s.apply(batch(true, [[B, "1", "1"]], { seq: 5 }));
    s.apply(batch(false, [[B, "1", "2"]], { seq: 6 }));
    s.apply(batch(false, [[B, "1", "3"]], { seq: 8 }));
    expect([s.stats.gaps, s.stats.applied, s.book.sizeAt(BID, 0)]).toEqual([1, 2, 2]);
    s.apply(batch(true, [[B, "1", "9"]], { seq: 1, first: 500 }));
    expect(s.isValid).toBe(true);
    s.apply(batch(false, [[B, "1", "8"]], { seq: 2, first: 499 })); // u contiguous, seq goes back
    expect([s.stats.gaps, s.isValid]).toEqual([2, false]);
  });

  it("OKX: prevSeqId chain and checksum; a mismatch invalidates the book", () => {
    const { s, events } = sync("okx");
    const snap = [
      [B, "10", "1"],
      [A, "11", "1"],
    ] as [BookSide, string, string][];
    s.apply(batch(true, snap, { seq: 1, checksum: crc32Signed("10:1:11:1") }));
    s.apply(batch(false, [[B, "10", "2"]], { seq: 2, prev: 1, checksum: crc32Signed("10:2:11:1") }));
    expect([s.stats.checksumPassed, s.stats.checksumFailed]).toEqual([2, 0]);
    s.apply(batch(false, [[B, "10", "3"]], { seq: 3, prev: 2, checksum: 12345 }));
    expect([s.stats.checksumFailed, s.isValid, events[0].reason]).toEqual([1, false, "checksum"]);
    s.apply(batch(true, snap, { seq: 10, checksum: null }));
    s.apply(batch(false, [[B, "10", "2"]], { seq: 12, prev: 11 }));
    expect(s.stats.gaps).toBe(1);
  });
});

describe("README facts (verifyCapture on the shared captures)", () => {
  it("Binance USD-M hftbacktest: 0 gaps, 126/126 top-of-book, final 61659.70 / 61659.80", async () => {
    const r = await verifyCapture([`${DATA}orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz`]);
    expect(r.instruments).toHaveLength(1);
    expect(r.instruments[0]).toMatchObject({
      instrument: "BTCUSDT-PERP.BINANCE",
      gaps: 0,
      topOfBook: { matched: 126, total: 126 },
      bestBid: "61659.70",
      bestAsk: "61659.80",
    });
    expect(r.details[0]).toMatchObject({ stale: 4, crossed: 0 });
    expect(r.failures).toBe(0);
  });

  it("a capture split into consecutive files verifies like the whole", async () => {
    const text = gunzipSync(
      readFileSync(`${DATA}orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz`),
    ).toString("utf8");
    const lines = text.split("\n");
    const dir = mkdtempSync(join(tmpdir(), "botv6-split-"));
    try {
      const a = join(dir, "day1.gz");
      const b = join(dir, "day2.txt");
      writeFileSync(a, gzipSync(lines.slice(0, 40_000).join("\n")));
      writeFileSync(b, lines.slice(40_000).join("\n"));
      const r = await verifyCapture([a, b]);
      expect(r.instruments[0]).toMatchObject({
        events: 6548,
        gaps: 0,
        topOfBook: { matched: 126, total: 126 },
        bestBid: "61659.70",
        bestAsk: "61659.80",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Binance spot hftbacktest: 0 gaps, final 61685.99 / 61686.00 (the last bookTicker)", async () => {
    const r = await verifyCapture([`${DATA}orderbook/hftbacktest_binance-spot_btcusdt_20240808.gz`]);
    expect(r.instruments[0]).toMatchObject({ gaps: 0, bestBid: "61685.99", bestAsk: "61686.00" });
    expect(r.details[0]).toMatchObject({ stale: 2, crossed: 0 });
    expect(r.details[0].deferredTopOfBook.matched).toBe(r.details[0].deferredTopOfBook.total);
  });

  it("Kraken: all 4,269 checksums pass; OKX: all 290 pass", async () => {
    const k = await verifyCapture([`${DATA}ws_captures/cryptofeed_kraken_2021-04-17.ws.txt`]);
    expect(k.instruments).toHaveLength(10);
    expect(k.instruments.reduce((a, i) => a + i.checksum.passed, 0)).toBe(4269);
    expect(k.instruments.reduce((a, i) => a + i.checksum.failed + i.gaps, 0)).toBe(0);
    const o = await verifyCapture([`${DATA}ws_captures/cryptofeed_okx_2022-05-13.ws.txt`]);
    expect(o.instruments.reduce((a, i) => a + i.checksum.passed, 0)).toBe(290);
    expect(o.failures).toBe(0);
  });

  it("the 8 cryptofeed Binance symbols synchronise with 0 gaps", async () => {
    const ws = `${DATA}ws_captures/`;
    const fut = await verifyCapture([
      `${ws}cryptofeed_binance-futures_2021-07-22.ws.txt`,
      `${ws}cryptofeed_binance-futures_2021-07-22.http.txt`,
    ]);
    const spot = await verifyCapture([
      `${ws}cryptofeed_binance-spot_2021-10-12.ws.txt`,
      `${ws}cryptofeed_binance-spot_2021-10-12.http.txt`,
    ]);
    const all = [...fut.instruments, ...spot.instruments];
    expect(all.map((i) => i.instrument).sort()).toEqual([
      "AKROUSDT-PERP.BINANCE",
      "BLZETH.BINANCE",
      "CTKUSDT-PERP.BINANCE",
      "KEEPUSDT-PERP.BINANCE",
      "LRCBTC.BINANCE",
      "NKNUSDT.BINANCE",
      "RUNEEUR.BINANCE",
      "SUSHIUSDT-PERP.BINANCE",
    ]);
    for (const i of all) expect([i.instrument, i.gaps, i.events > 0]).toEqual([i.instrument, 0, true]);
    expect([...fut.details, ...spot.details].every((d) => d.state === "synced" && d.crossed === 0)).toBe(
      true,
    );
  });

  it("Coinbase: 0 crossed states; ticker agrees with the book in 100 of 107 ticks (race, not a failure)", async () => {
    const r = await verifyCapture([`${DATA}ws_captures/cryptofeed_coinbase-pro_2021-04-17.ws.txt`]);
    const matched = r.instruments.reduce((a, i) => a + i.topOfBook.matched, 0);
    const total = r.instruments.reduce((a, i) => a + i.topOfBook.total, 0);
    expect([matched, total]).toEqual([100, 107]);
    expect(r.details.every((d) => d.crossed === 0)).toBe(true);
    expect(r.failures).toBe(0);
    expect(r.mismatches.every((m) => !m.strict)).toBe(true);
  });

  it("Bybit ob500: u is contiguous over 1 snapshot + 49 deltas", async () => {
    const r = await verifyCapture([`${DATA}orderbook/nautilus_bybit-linear_XRPUSDT_ob500_2024-12-01.jsonl`]);
    expect(r.instruments[0]).toMatchObject({ instrument: "XRPUSDT.BYBIT", events: 50, gaps: 0 });
  });
});
