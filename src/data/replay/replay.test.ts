import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kernel, type TimedMessage } from "../../core/kernel.js";
import { Topics } from "../../core/topics.js";
import { AggregationSource, type Bar, BarType, QuoteTick, TradeTick } from "../../model/data.js";
import { AggressorSide } from "../../model/enums.js";
import { InstrumentId } from "../../model/identifiers.js";
import { Price, Quantity } from "../../model/values.js";
import { parseBarInterval } from "../bars/interval.js";
import { DataCatalog } from "../catalog/catalog.js";
import { DataEngine } from "../engine.js";
import { readMarketData } from "../files/index.js";
import {
  arrayBatches,
  mergeSources,
  ReplayError,
  type ReplaySource,
  replayCatalogIntoKernel,
  replayFromCatalog,
} from "./replay.js";

const DATA = new URL("../../../../shared/data/", import.meta.url);
const TRADES = new URL("trades/freqtrade_binance_XRP-ETH_trades_2019-10-11.json.gz", DATA).pathname;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "botv6-replay-"));
  dirs.push(d);
  return d;
}

const A = InstrumentId.of("AAA", "SIM");
const B = InstrumentId.of("BBB", "SIM");

function trade(id: InstrumentId, ts: number, n: number): TradeTick {
  return new TradeTick(
    id,
    Price.fromRaw(100 + n, 2),
    Quantity.fromRaw(1, 0),
    AggressorSide.Buyer,
    `${id.symbol}-${n}`,
    ts,
    ts,
  );
}

function quote(id: InstrumentId, ts: number): QuoteTick {
  return new QuoteTick(
    id,
    Price.parse("1.00"),
    Price.parse("1.01"),
    Quantity.parse("1"),
    Quantity.parse("1"),
    ts,
    ts,
  );
}

function newKernel(): Kernel {
  const k = new Kernel({ traderId: "T", mode: "backtest", seed: 7 });
  return k;
}

describe("mergeSources", () => {
  it("merges by time, breaking ties by stream rank, across chunk boundaries", async () => {
    const k = newKernel();
    const a = [trade(A, 1, 0), trade(A, 3, 1), trade(A, 3, 2), trade(A, 7, 3)];
    const b = [trade(B, 0, 0), trade(B, 3, 1), trade(B, 4, 2), trade(B, 7, 3), trade(B, 9, 4)];
    const seen: string[] = [];
    for await (const chunk of mergeSources(
      k.bus,
      [
        { key: { instrumentId: A, dataType: "trades", barType: null }, chunks: arrayBatches(a, 2) },
        { key: { instrumentId: B, dataType: "trades", barType: null }, chunks: arrayBatches(b, 3) },
      ],
      3,
    )) {
      expect(chunk.length).toBeLessThanOrEqual(3);
      for (const m of chunk) seen.push(`${m.ts}:${(m.message as TradeTick).tradeId}@${m.topic.name}`);
    }
    expect(seen).toEqual([
      "0:BBB-0@data.trades.BBB.SIM",
      "1:AAA-0@data.trades.AAA.SIM",
      "3:AAA-1@data.trades.AAA.SIM",
      "3:AAA-2@data.trades.AAA.SIM",
      "3:BBB-1@data.trades.BBB.SIM",
      "4:BBB-2@data.trades.BBB.SIM",
      "7:AAA-3@data.trades.AAA.SIM",
      "7:BBB-3@data.trades.BBB.SIM",
      "9:BBB-4@data.trades.BBB.SIM",
    ]);
  });

  it("hands a chunk over before a stream's next batch may overwrite the buffers it decodes from", async () => {
    // Like catalog.read: every batch of a stream decodes from one buffer that the next batch
    // overwrites. Records are decoded when the kernel reads them, so a chunk must never hold
    // entries of a batch whose stream has moved on.
    function reusedBatches(items: TradeTick[], size: number): ReplaySource["chunks"] {
      const buf: TradeTick[] = [];
      return (async function* () {
        for (let from = 0; from < items.length; from += size) {
          const part = items.slice(from, from + size);
          buf.length = 0;
          buf.push(...part);
          yield { length: part.length, times: part.map((t) => t.tsEvent), get: (j: number) => buf[j] };
        }
      })();
    }
    const a = Array.from({ length: 50 }, (_, i) => trade(A, 2 * i, i));
    const b = Array.from({ length: 40 }, (_, i) => trade(B, 3 * i, i));
    const k = newKernel();
    const got: string[] = [];
    k.bus.subscribe<TradeTick>(Topics.trades(A), (t) => got.push(`${t.tsEvent}:${t.tradeId}`));
    k.bus.subscribe<TradeTick>(Topics.trades(B), (t) => got.push(`${t.tsEvent}:${t.tradeId}`));
    k.start();
    for await (const chunk of mergeSources(
      k.bus,
      [
        { key: { instrumentId: A, dataType: "trades", barType: null }, chunks: reusedBatches(a, 7) },
        { key: { instrumentId: B, dataType: "trades", barType: null }, chunks: reusedBatches(b, 5) },
      ],
      16,
    )) {
      k.replay(chunk);
    }
    const want = [...a.map((t, i) => [t.tsEvent, 0, i]), ...b.map((t, i) => [t.tsEvent, 1, i])]
      .sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2])
      .map(([ts, s, i]) => `${ts}:${(s === 0 ? a : b)[i].tradeId}`);
    expect(got).toEqual(want);
  });

  it("rejects a source that goes back in time", async () => {
    const k = newKernel();
    const a = [trade(A, 5, 0), trade(A, 4, 1)];
    const run = async () => {
      for await (const _ of mergeSources(k.bus, [
        { key: { instrumentId: A, dataType: "trades", barType: null }, chunks: arrayBatches(a) },
      ])) {
        // drain
      }
    };
    await expect(run()).rejects.toBeInstanceOf(ReplayError);
  });
});

describe("replay from the catalog", () => {
  const xrp: TradeTick[] = [];
  let root = "";
  beforeAll(async () => {
    for await (const r of readMarketData([TRADES])) xrp.push(r.data as TradeTick);
    root = tempDir();
    const cat = new DataCatalog(root);
    await cat.write(xrp);
    // A second instrument with quotes at the same timestamps as the first 500 trades (ties).
    await cat.write(xrp.slice(0, 500).map((t) => quote(A, t.tsEvent)));
  });

  it("delivers every record once, in (ts, instrument, type) order, through the kernel", async () => {
    const k = newKernel();
    const got: string[] = [];
    k.bus.subscribe<TradeTick>(Topics.trades(xrp[0].instrumentId), (t) => got.push(`T${t.tsEvent}`));
    k.bus.subscribe<QuoteTick>(Topics.quotes(A), (q) => got.push(`Q${q.tsEvent}`));
    k.start();
    const n = await replayCatalogIntoKernel(k, new DataCatalog(root), { chunkSize: 1000 });
    expect(n).toBe(xrp.length + 500);
    expect(got.length).toBe(n);
    // Reference: a stable sort by ts of [quotes of AAA.SIM..., trades of XRPETH.BINANCE...]
    // (AAA.SIM sorts first, so at equal timestamps its quotes come first).
    const ref = [
      ...xrp.slice(0, 500).map((t) => ({ ts: t.tsEvent, s: `Q${t.tsEvent}` })),
      ...xrp.map((t) => ({ ts: t.tsEvent, s: `T${t.tsEvent}` })),
    ].sort((x, y) => x.ts - y.ts);
    expect(got).toEqual(ref.map((r) => r.s));
    expect(got.slice(0, 4)).toEqual([
      `Q${xrp[0].tsEvent}`,
      `Q${xrp[1].tsEvent}`,
      `T${xrp[0].tsEvent}`,
      `T${xrp[1].tsEvent}`,
    ]);
    expect(got.filter((x) => x.startsWith("T"))).toEqual(xrp.map((t) => `T${t.tsEvent}`));
  });

  it("restricts by time range and instrument", async () => {
    const k = newKernel();
    const start = xrp[100].tsEvent;
    const end = xrp[200].tsEvent;
    let n = 0;
    for await (const chunk of replayFromCatalog(k.bus, new DataCatalog(root), {
      start,
      end,
      instruments: [xrp[0].instrumentId.value],
    })) {
      for (const m of chunk as TimedMessage[]) {
        expect(m.ts).toBeGreaterThanOrEqual(start);
        expect(m.ts).toBeLessThan(end);
        n++;
      }
    }
    expect(n).toBe(xrp.filter((t) => t.tsEvent >= start && t.tsEvent < end).length);
    await expect(
      replayFromCatalog(k.bus, new DataCatalog(root), { instruments: ["NOPE.X"] }).next(),
    ).rejects.toMatchObject({ code: "REPLAY_NOTHING_SELECTED" });
  });

  it("catalog → replay → DataEngine 1m bars reproduce the Binance candles", async () => {
    const k = newKernel();
    const engine = k.add(new DataEngine());
    const bt = new BarType(xrp[0].instrumentId, parseBarInterval("1m"), AggregationSource.Internal);
    engine.subscribeBars(bt);
    const bars: Bar[] = [];
    k.bus.subscribe<Bar>(Topics.bars(bt), (b) => bars.push(b));
    k.start();
    await replayCatalogIntoKernel(k, new DataCatalog(root), { instruments: [xrp[0].instrumentId.value] });
    engine.flushBars();
    const expected = JSON.parse(
      readFileSync(new URL("ohlcv/freqtrade_binance_XRP-ETH_1m_2019-10-11_13.json", DATA), "utf8"),
    ) as number[][];
    expect(
      bars.map((b) => [
        b.tsOpen / 1000,
        b.open.toNumber(),
        b.high.toNumber(),
        b.low.toNumber(),
        b.close.toNumber(),
        b.volume.toNumber(),
      ]),
    ).toEqual(expected);
    // Time bars closed by the clock carry the close time as tsInit.
    expect(bars[0].tsInit).toBe(bars[0].tsEvent);
  });

  it("capture → catalog (book deltas) → replay → DataEngine book ends at the venue's top of book", async () => {
    // README fact: the Binance USDⓈ-M capture's final top of book is 61659.70 / 61659.80.
    const capture = new URL("orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz", DATA).pathname;
    const cat = new DataCatalog(tempDir());
    const w = cat.writer();
    for await (const r of readMarketData([capture])) await w.add(r.data);
    const stats = await w.finish();
    expect(stats.received).toBe(93_954);
    const k = newKernel();
    const engine = k.add(new DataEngine());
    k.start();
    const n = await replayCatalogIntoKernel(k, cat, { dataTypes: ["deltas"] });
    expect(n).toBe(6_551 + 1);
    const book = engine.book(InstrumentId.parse("BTCUSDT-PERP.BINANCE"));
    expect(book?.isCrossed()).toBe(false);
    expect(`${book?.bestBid()} / ${book?.bestAsk()}`).toBe("61659.70 / 61659.80");
  });
});
