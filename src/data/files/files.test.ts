import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  type Bar,
  OrderBookDeltas,
  type OrderBookDepth,
  type QuoteTick,
  TradeTick,
} from "../../model/data.js";
import { AggressorSide } from "../../model/enums.js";
import { type DataProblem, detectFormat, type MarketRecord, readMarketData } from "./index.js";

const DATA = fileURLToPath(new URL("../../../../shared/data/", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "botv6-files-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function readAll(files: string[], opts: Parameters<typeof readMarketData>[1] = {}) {
  const reader = readMarketData(files, opts);
  const recs: MarketRecord[] = [];
  for await (const r of reader) recs.push(r);
  return { recs, stats: reader.stats };
}

function countBy(recs: MarketRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of recs) out[r.data.constructor.name] = (out[r.data.constructor.name] ?? 0) + 1;
  return out;
}

describe("readMarketData on the shared files", () => {
  it("hftbacktest USD-M: every line decoded, with source line numbers and receive times", async () => {
    const f = `${DATA}orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz`;
    const { recs, stats } = await readAll([f]);
    expect(stats.formats[f]).toBe("hftbacktest");
    expect(countBy(recs)).toEqual({ OrderBookDeltas: 6552, QuoteTick: 66089, TradeTick: 21313 });
    expect([stats.lines, stats.bad, stats.control]).toEqual([93954, 0, 0]);
    const snap = recs.find((r) => r.data instanceof OrderBookDeltas && r.data.isSnapshot)!;
    expect([
      snap.line,
      (snap.data as OrderBookDeltas).sequence,
      (snap.data as OrderBookDeltas).deltas.length,
    ]).toEqual([55, 5123107852948, 2001]);
    expect(recs[0].tsRecv).toBe(1723161255030314);
    expect(recs[2].data).toBeInstanceOf(TradeTick);
    expect((recs[2].data as TradeTick).tsInit).toBe(1723161255088176);
  });

  it("the derived trades CSV equals the trade messages of the capture it came from", async () => {
    const csv = await readAll([`${DATA}trades/binance-usdm_BTCUSDT_trades_2024-08-08.csv`]);
    const cap = await readAll([`${DATA}orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz`]);
    const a = csv.recs.map((r) => r.data as TradeTick);
    const b = cap.recs.filter((r) => r.data instanceof TradeTick).map((r) => r.data as TradeTick);
    expect(a).toHaveLength(21313);
    const key = (t: TradeTick) =>
      `${t.instrumentId}|${t.tradeId}|${t.price}|${t.size}|${t.aggressorSide}|${t.tsEvent}`;
    expect(a.map(key)).toEqual(b.map(key));
  });

  it("cryptofeed captures: metadata and control lines are counted, REST snapshots merge by receive time", async () => {
    const ws = `${DATA}ws_captures/cryptofeed_binance-futures_2021-07-22.ws.txt`;
    const http = `${DATA}ws_captures/cryptofeed_binance-futures_2021-07-22.http.txt`;
    const { recs, stats } = await readAll([ws, http]);
    expect(stats.formats).toEqual({ [ws]: "cryptofeed", [http]: "cryptofeed-http" });
    expect(countBy(recs)).toEqual({ QuoteTick: 613, OrderBookDeltas: 768, TradeTick: 91, Bar: 4 });
    expect(stats.bad).toBe(0);
    expect(stats.controlKinds["binance kline (not closed)"]).toBeGreaterThan(0);
    const times = recs.map((r) => r.tsRecv ?? 0);
    expect(times.every((t, k) => k === 0 || t >= times[k - 1])).toBe(true);
    const snaps = recs.filter((r) => r.data instanceof OrderBookDeltas && r.data.isSnapshot);
    expect(snaps.map((r) => (r.data as OrderBookDeltas).instrumentId.value)).toEqual([
      "SUSHIUSDT-PERP.BINANCE",
      "AKROUSDT-PERP.BINANCE",
      "KEEPUSDT-PERP.BINANCE",
      "CTKUSDT-PERP.BINANCE",
    ]);
    expect(snaps.every((r) => r.file === http)).toBe(true);
    const aggs = recs.filter((r) => r.data instanceof TradeTick);
    expect((aggs[0].data as TradeTick).instrumentId.value).toMatch(/-PERP\.BINANCE$/);
  });

  it("Kraken, OKX and Coinbase cryptofeed captures decode without bad lines", async () => {
    const k = await readAll([`${DATA}ws_captures/cryptofeed_kraken_2021-04-17.ws.txt`]);
    expect(countBy(k.recs)).toEqual({ OrderBookDeltas: 4279 });
    expect(k.stats.bad).toBe(0);
    const o = await readAll([`${DATA}ws_captures/cryptofeed_okx_2022-05-13.ws.txt`]);
    expect(countBy(o.recs)).toEqual({ QuoteTick: 28, TradeTick: 74, OrderBookDeltas: 290 });
    const c = await readAll([`${DATA}ws_captures/cryptofeed_coinbase-pro_2021-04-17.ws.txt`]);
    // 10 snapshots + 9,719 l2updates; 97 matches + 10 last_match; 107 tickers
    expect(countBy(c.recs)).toEqual({ OrderBookDeltas: 9729, QuoteTick: 107, TradeTick: 107 });
    expect(c.stats.bad).toBe(0);
  });

  it("Tardis CSVs: incremental L2 batches, book snapshots, trades, quotes", async () => {
    const dir = `${DATA}orderbook/tardis_samples/`;
    const l2 = await readAll([`${dir}deribit_incremental_book_L2_BTC-PERPETUAL.csv`]);
    const d = l2.recs[0].data as OrderBookDeltas;
    expect([d.isSnapshot, d.instrumentId.value, d.deltas.length]).toEqual([
      true,
      "BTC-PERPETUAL.DERIBIT",
      16,
    ]);
    const s25 = await readAll([`${dir}binance-futures_book_snapshot_25_BTCUSDT.csv`]);
    const depth = s25.recs[0].data as OrderBookDepth;
    expect([
      depth.bids.length,
      depth.asks.length,
      depth.asks[0].price.toString(),
      depth.bids[0].size.toString(),
    ]).toEqual([25, 25, "11657.08", "10.896"]);
    const t = await readAll([`${dir}bitmex_trades_XBTUSD.csv`]);
    expect((t.recs[0].data as TradeTick).aggressorSide).toBe(AggressorSide.Seller);
    expect((t.recs[0].data as TradeTick).tsEvent).toBe(1583020803145000);
    const q = await readAll([`${dir}huobi-dm-swap_quotes_BTC-USD.csv`]);
    expect((q.recs[0].data as QuoteTick).askSize.toString()).toBe("5494");
  });

  it("Binance depth CSV: rows of one update id form one batch", async () => {
    const snap = await readAll([`${DATA}orderbook/nautilus_binance-futures_btcusdt_depth-snap.csv`]);
    expect(snap.recs).toHaveLength(1);
    const d = snap.recs[0].data as OrderBookDeltas;
    expect([d.isSnapshot, d.sequence, d.deltas.length, snap.recs[0].line]).toEqual([
      true,
      2098021528332,
      101,
      2,
    ]);
    const upd = await readAll([`${DATA}orderbook/nautilus_binance-futures_btcusdt_depth-update.csv`]);
    const u = upd.recs[0].data as OrderBookDeltas;
    expect([u.isSnapshot, u.firstSequence, u.sequence, u.prevSequence]).toEqual([
      false,
      2098041693435,
      2098041696700,
      2098041693400,
    ]);
  });

  it("freqtrade trades and candles, and OHLCV CSVs with ISO and epoch-µs times", async () => {
    const tr = await readAll([`${DATA}trades/freqtrade_binance_XRP-ETH_trades_2019-10-11.json.gz`]);
    expect(tr.recs).toHaveLength(12477);
    const t0 = tr.recs[0].data as TradeTick;
    expect([t0.instrumentId.value, t0.price.toString(), t0.size.toString(), t0.aggressorSide]).toEqual([
      "XRPETH.BINANCE",
      "0.00141342",
      "23", // every amount in the file is whole: the column's precision is 0
      AggressorSide.Seller,
    ]);
    const c1 = await readAll([`${DATA}ohlcv/freqtrade_binance_XRP-ETH_1m_2019-10-11_13.json`]);
    expect(c1.recs).toHaveLength(3560);
    const b = c1.recs[0].data as Bar;
    expect([b.barType.toString(), b.open.toString(), b.tsOpen, b.tsEvent]).toEqual([
      "XRPETH.BINANCE-1-MINUTE-LAST-EXTERNAL",
      "0.00141342",
      1570752000000000,
      1570752060000000,
    ]);
    const n = await readAll([`${DATA}ohlcv/nautilus_BTC-PERP_1m_2021-12-31_2022-02-01.csv`], {
      skipBad: true,
    });
    expect(n.recs.length + n.stats.bad).toBe(45031);
    expect((n.recs[0].data as Bar).tsOpen).toBe(Date.UTC(2021, 11, 31, 23, 1) * 1000);
    const q = await readAll([`${DATA}indicators/quantedge_talipp_btcusdt_1h/btcusdt-1h.csv`], {
      instrument: "BTCUSDT.BINANCE",
    });
    expect(q.recs).toHaveLength(744);
    expect((q.recs[1].data as Bar).barType.spec.toString()).toBe("1-HOUR-LAST");
    expect((q.recs[0].data as Bar).tsOpen).toBe(1735689600000000);
  });

  it("single-message fixtures (json) and Kraken REST responses", async () => {
    const fx = `${DATA}exchange_messages/nautilus_adapter_fixtures/`;
    const r = await readAll([
      `${fx}kraken/http_trades.json`,
      `${fx}kraken/http_ohlc.json`,
      `${fx}okx/ws_trades.json`,
    ]);
    expect(countBy(r.recs)).toEqual({ TradeTick: 1001, Bar: 721 });
  });
});

describe("format detection", () => {
  it("recognises every container from its first line", () => {
    expect(detectFormat("x", '1723161255030314667 {"stream":1}')).toBe("hftbacktest");
    expect(detectFormat("x", "wss://ws.kraken.com <-> 1618678132.3858151\n")).toBe("cryptofeed");
    expect(detectFormat("x", "1618678132.8: {}")).toBe("cryptofeed");
    expect(detectFormat("x", "https://api.binance.com/api/v3/depth?symbol=A -> 1.5: {}")).toBe(
      "cryptofeed-http",
    );
    expect(detectFormat("x", '{"topic":"a"}\n{"topic":"b"}')).toBe("jsonl");
    expect(detectFormat("x", '{\n  "e": "aggTrade"')).toBe("json");
    expect(detectFormat("x", '[[1570752011620,"13519807",null')).toBe("freqtrade-trades");
    expect(detectFormat("x", "[[1570752000000,0.00141342")).toBe("freqtrade-ohlcv");
    expect(detectFormat("x", "exchange,symbol,timestamp,local_timestamp,id")).toBe("tardis-csv");
    expect(detectFormat("x", "time,open,high,low,close,volume")).toBe("ohlcv-csv");
    expect(detectFormat("x", "ts_ms,trade_id,price,qty,side")).toBe("trades-csv");
    expect(() => detectFormat("mystery.bin", "hello")).toThrow(/mystery\.bin: unknown format/);
  });
});

describe("bad input", () => {
  const capture = readFileSync(`${DATA}ws_captures/cryptofeed_binance-spot_2021-10-12.ws.txt`, "utf8").split(
    "\n",
  );

  it("a truncated gzip file is a clear DATA_TRUNCATED error", async () => {
    const full = readFileSync(`${DATA}orderbook/hftbacktest_binance-spot_btcusdt_20240808.gz`);
    const f = join(tmp, "cut.gz");
    writeFileSync(f, full.subarray(0, 100_000));
    await expect(readAll([f])).rejects.toMatchObject({
      code: "DATA_TRUNCATED",
      message: expect.stringMatching(/cut\.gz: gzip data is truncated/),
    });
  });

  it("an unknown format and an unknown --format name are clear errors", async () => {
    const f = join(tmp, "unknown.dat");
    writeFileSync(f, "just,some\ntext here\n");
    await expect(readAll([f])).rejects.toMatchObject({ code: "DATA_UNKNOWN_FORMAT" });
    await expect(readAll([f], { format: "nope" })).rejects.toThrow(/unknown format "nope"/);
    await expect(readAll([join(tmp, "missing.txt")])).rejects.toMatchObject({ code: "DATA_FILE_NOT_FOUND" });
  });

  it("out-of-order receive times (within a file or across files) are a clear error", async () => {
    const f = join(tmp, "ooo.ws.txt");
    writeFileSync(f, [...capture.slice(0, 20), capture[10], ...capture.slice(20, 30)].join("\n"));
    await expect(readAll([f])).rejects.toMatchObject({
      code: "DATA_OUT_OF_ORDER",
      message: expect.stringMatching(/ooo\.ws\.txt:21: timestamp .* earlier than .*ooo\.ws\.txt:20/),
    });
    const a = join(tmp, "day1.ws.txt");
    const b = join(tmp, "day2.ws.txt");
    writeFileSync(a, capture.slice(100, 120).join("\n"));
    writeFileSync(b, capture.slice(0, 20).join("\n"));
    await expect(readAll([a, b])).rejects.toMatchObject({ code: "DATA_OUT_OF_ORDER" });
    await expect(readAll([b, a])).resolves.toBeTruthy();
  });

  it("malformed lines: the first throws by default; with onProblem all are reported with file and line", async () => {
    const lines = capture.slice(0, 40);
    lines.splice(10, 0, "1633998512.9: {not json");
    lines.splice(
      20,
      0,
      '1633998513.3: {"stream":"nknusdt@trade","data":{"e":"trade","E":1,"T":1,"s":"NKNUSDT","t":1,"p":"x","q":"1","m":true}}',
    );
    lines.splice(30, 0, "no separator here");
    const f = join(tmp, "bad.ws.txt");
    writeFileSync(f, lines.join("\n"));
    await expect(readAll([f])).rejects.toMatchObject({
      code: "DATA_BAD_RECORD",
      message: expect.stringMatching(/bad\.ws\.txt:11: invalid JSON/),
    });
    const problems: DataProblem[] = [];
    const { recs, stats } = await readAll([f], { onProblem: (p) => problems.push(p) });
    expect(problems.map((p) => [p.line, p.reason.slice(0, 40)])).toEqual([
      [11, expect.stringMatching(/^invalid JSON/)],
      [21, expect.stringMatching(/"x" is not an exact decimal/)],
      [31, "expected '<recv_ts>: <json>'"],
    ]);
    expect(problems[1].reason).toMatch(/field "p"/);
    expect(stats.bad).toBe(3);
    expect(stats.lines).toBe(43);
    expect(stats.records + stats.bad + stats.metadata + stats.control).toBe(43); // nothing unaccounted
    const skipped = await readAll([f], { skipBad: true });
    expect(skipped.recs.length).toBe(recs.length);
  });

  it("a bad row inside a CSV batch rejects the whole batch (no partial snapshot)", async () => {
    const src = readFileSync(
      `${DATA}orderbook/nautilus_binance-futures_btcusdt_depth-snap.csv`,
      "utf8",
    ).split("\n");
    src[5] = src[5].replace(/,b,snap,([\d.]+),/, ",b,snap,oops,");
    const f = join(tmp, "depth.csv");
    writeFileSync(f, src.join("\n"));
    const problems: DataProblem[] = [];
    const { recs } = await readAll([f], { onProblem: (p) => problems.push(p) });
    expect(recs).toHaveLength(0);
    expect(problems.map((p) => p.line)).toEqual([6, 101]);
    expect(problems[1].reason).toMatch(/batch starting at line 2 is rejected/);
  });

  it("reads gzip-compressed CSV the same as plain", async () => {
    const text = readFileSync(`${DATA}orderbook/tardis_samples/bitmex_trades_XBTUSD.csv`);
    const f = join(tmp, "bitmex_trades_XBTUSD.csv.gz");
    writeFileSync(f, gzipSync(text));
    const { recs } = await readAll([f]);
    expect(recs).toHaveLength(10);
  });
});
