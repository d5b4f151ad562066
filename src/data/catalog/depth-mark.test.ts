/**
 * Catalog data types `depth` (OrderBookDepth snapshots) and `mark` (MarkPriceUpdate): import from
 * the real Tardis book_snapshot_N files and the Binance markPriceUpdate message, read back
 * exactly, idempotent import, standard Parquet, replay merged with other streams.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kernel } from "../../core/kernel.js";
import { Topics } from "../../core/topics.js";
import { BookLevel, MarkPriceUpdate, OrderBookDepth, QuoteTick } from "../../model/data.js";
import { InstrumentId } from "../../model/identifiers.js";
import { Price, Quantity } from "../../model/values.js";
import { readMarketData } from "../files/index.js";
import { replayFromCatalog } from "../replay/replay.js";
import { DataCatalog } from "./catalog.js";
import { CatalogError } from "./schema.js";

const DATA = new URL("../../../../shared/data/", import.meta.url);
const TARDIS = new URL("orderbook/tardis_samples/", DATA).pathname;
const SNAP25 = `${TARDIS}binance-futures_book_snapshot_25_BTCUSDT.csv`;
const SNAP5 = `${TARDIS}binance-futures_book_snapshot_5_BTCUSDT.csv`;
const QUOTES = `${TARDIS}huobi-dm-swap_quotes_BTC-USD.csv`;
const MARK = new URL(
  "exchange_messages/nautilus_adapter_fixtures/binance/futures/market_data_json/mark_price_stream.json",
  DATA,
).pathname;

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "botv6-catalog-dm-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function readAll(files: string[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const f of files) for await (const r of readMarketData([f])) out.push(r.data);
  return out;
}

const levels = (ls: BookLevel[]) => ls.map((l) => `${l.size}@${l.price}#${l.count}`);
const depthView = (d: OrderBookDepth) => [
  d.instrumentId.value,
  d.sequence,
  d.tsEvent,
  d.tsInit,
  levels(d.bids),
  levels(d.asks),
];
const markView = (m: MarkPriceUpdate) => [
  m.instrumentId.value,
  m.markPrice.toString(),
  m.indexPrice?.toString() ?? null,
  m.fundingRate,
  m.nextFundingTime,
  m.tsEvent,
  m.tsInit,
];

describe("catalog: depth snapshots and mark prices", () => {
  let depth: OrderBookDepth[] = [];
  let marks: MarkPriceUpdate[] = [];
  beforeAll(async () => {
    depth = (await readAll([SNAP25, SNAP5])) as OrderBookDepth[];
    marks = (await readAll([MARK])) as MarkPriceUpdate[];
  });

  it("stores Tardis book_snapshot_25/_5 depth snapshots and reads them back exactly", async () => {
    expect(depth).toHaveLength(20);
    expect(depth.every((d) => d instanceof OrderBookDepth)).toBe(true);
    expect(depth[0].bids).toHaveLength(25);
    const root = tempDir();
    const cat = new DataCatalog(root);
    const st = await cat.write(depth);
    expect(st).toMatchObject({ received: 20, added: 20, duplicates: 0, partitions: 1 });
    const [s] = await cat.streams();
    expect(s).toMatchObject({ dataType: "depth", records: 20, rows: 10 * 50 + 10 * 10 });
    expect(s.instrumentId.value).toBe("BTCUSDT.BINANCE-FUTURES");
    const back = (await cat.readAll(s)) as OrderBookDepth[];
    // Stored in ts_event order (stable): the two files interleave.
    const sorted = depth.map((d, k) => ({ d, k })).sort((a, b) => a.d.tsEvent - b.d.tsEvent || a.k - b.k);
    expect(back.map(depthView)).toEqual(sorted.map((x) => depthView(x.d)));
    // Spot check of one real level: first snapshot_25 row, bids[0] = 11657.07 x 10.896.
    const first25 = back.find((d) => d.bids.length === 25)!;
    expect(levels(first25.bids)[0]).toBe("10.896@11657.07#0");
  });

  it("stores the Binance markPriceUpdate (mark, index, funding rate, next funding) exactly", async () => {
    expect(marks.map(markView)).toEqual([
      [
        "BTCUSDT-PERP.BINANCE",
        "11794.15000000",
        "11784.62659091",
        "0.00038167",
        1562306400000000,
        1562305380000000,
        1562305380000000,
      ],
    ]);
    const root = tempDir();
    const cat = new DataCatalog(root);
    const id = marks[0].instrumentId;
    // Absent optional fields and a negative funding rate round-trip too.
    const bare = new MarkPriceUpdate(
      id,
      Price.parse("11800.1"),
      null,
      null,
      null,
      1562305381000000,
      1562305381000000,
    );
    const neg = new MarkPriceUpdate(
      id,
      Price.parse("11800.2"),
      Price.parse("11800"),
      "-0.00010000",
      1562306400000000,
      1562305382000000,
      1562305382500000,
    );
    await cat.write([...marks, bare, neg]);
    const [s] = await cat.streams();
    expect(s).toMatchObject({ dataType: "mark", records: 3, rows: 3 });
    const back = (await cat.readAll(s)) as MarkPriceUpdate[];
    expect(back.map(markView)).toEqual([...marks, bare, neg].map(markView));
  });

  it("a depth snapshot with no levels round-trips", async () => {
    const cat = new DataCatalog(tempDir());
    const id = InstrumentId.of("X", "SIM");
    const empty = new OrderBookDepth(id, [], [], 7, 1_000_000, 1_000_001);
    const one = new OrderBookDepth(
      id,
      [],
      [new BookLevel(Price.parse("1.5"), Quantity.parse("2"), 3)],
      -1,
      1_000_000,
      1_000_002,
    );
    await cat.write([empty, one]);
    const [s] = await cat.streams();
    expect(s.rows).toBe(2);
    expect(((await cat.readAll(s)) as OrderBookDepth[]).map(depthView)).toEqual([empty, one].map(depthView));
  });

  it("import is idempotent per snapshot, and a changed level is a new record", async () => {
    const cat = new DataCatalog(tempDir());
    await cat.write([...depth, ...marks]);
    const again = await cat.write([...depth, ...marks]);
    expect(again).toMatchObject({ received: 21, added: 0, duplicates: 21 });
    const d0 = depth[0];
    const changed = new OrderBookDepth(
      d0.instrumentId,
      [new BookLevel(d0.bids[0].price, Quantity.parse("1"), 0), ...d0.bids.slice(1)],
      d0.asks,
      d0.sequence,
      d0.tsEvent,
      d0.tsInit,
    );
    expect(await cat.write([changed])).toMatchObject({ added: 1, duplicates: 0 });
    const streams = await cat.streams();
    expect(streams.map((s) => [s.dataType, s.records])).toEqual([
      ["mark", 1], // BTCUSDT-PERP.BINANCE sorts before BTCUSDT.BINANCE-FUTURES
      ["depth", 21],
    ]);
  });

  it("rejects a funding rate that is not a plain decimal, writing nothing", async () => {
    const root = tempDir();
    const cat = new DataCatalog(root);
    const m = new MarkPriceUpdate(InstrumentId.of("X", "SIM"), Price.parse("1"), null, "1e-5", null, 1, 1);
    await expect(cat.write([m])).rejects.toThrow(CatalogError);
    await expect(cat.write([m])).rejects.toThrow(/funding rate "1e-5" is not a plain decimal/);
    expect(existsSync(join(root, "SIM"))).toBe(false);
  });

  it("writes standard Parquet with the documented columns (hyparquet)", async () => {
    const root = tempDir();
    await new DataCatalog(root).write([...depth.slice(0, 1), ...marks]);
    const dfile = join(root, "BINANCE-FUTURES", "BTCUSDT", "depth", "2020-09-01.parquet");
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(dfile));
    expect(meta.schema.slice(1).map((e) => e.name)).toEqual([
      "ts_event",
      "ts_init",
      "sequence",
      "side",
      "level",
      "price",
      "price_precision",
      "size",
      "size_precision",
      "order_count",
      "batch_index",
      "batch_size",
    ]);
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(dfile) });
    expect(rows).toHaveLength(50);
    expect(rows[0]).toMatchObject({
      side: "BID",
      level: 0,
      price: 1165707n,
      price_precision: 2,
      size: 10896n,
    });
    expect(rows[25]).toMatchObject({
      side: "ASK",
      level: 0,
      price: 1165708n,
      batch_index: 25,
      batch_size: 50,
    });
    expect((rows[0].ts_event as Date).toISOString()).toBe("2020-09-01T00:00:03.696Z");
    const mfile = join(root, "BINANCE", "BTCUSDT-PERP", "mark", "2019-07-05.parquet");
    const [m] = await parquetReadObjects({ file: await asyncBufferFromFile(mfile) });
    expect(m).toMatchObject({
      mark_price: 1179415000000n,
      mark_price_precision: 8,
      index_price: 1178462659091n,
      funding_rate: 38167n,
      funding_rate_precision: 8,
    });
    expect((m.next_funding_time as Date).toISOString()).toBe("2019-07-05T06:00:00.000Z");
  });

  it("replay streams depth and mark prices merged with quotes, in time order, on their topics", async () => {
    const root = tempDir();
    const cat = new DataCatalog(root);
    const quotes = (await readAll([QUOTES])) as QuoteTick[];
    // Same instrument at equal times: replay rank is deltas, depth, quotes, trades, mark, bars.
    const id = depth[0].instrumentId;
    const t = depth[0].tsEvent;
    const q = new QuoteTick(
      id,
      Price.parse("11657.07"),
      Price.parse("11657.08"),
      Quantity.parse("10.896"),
      Quantity.parse("1.714"),
      t,
      t,
    );
    const mk = new MarkPriceUpdate(id, Price.parse("11657.10"), null, "0.0001", null, t, t);
    await cat.write([...depth, ...quotes, ...marks, q, mk]);
    const k = new Kernel({ traderId: "T", mode: "backtest", seed: 1 });
    k.start();
    const got: string[] = [];
    k.bus.subscribe<OrderBookDepth>(Topics.bookDepth(id), (d) => got.push(`D${d.tsEvent}`));
    k.bus.subscribe<QuoteTick>(Topics.quotes(id), (x) => got.push(`Q${x.tsEvent}`));
    k.bus.subscribe<MarkPriceUpdate>(Topics.markPrices(id), (x) => got.push(`M${x.tsEvent}`));
    k.bus.subscribe<MarkPriceUpdate>(Topics.markPrices(marks[0].instrumentId), (x) =>
      got.push(`m${x.tsEvent}`),
    );
    k.bus.subscribe<QuoteTick>(Topics.quotes(quotes[0].instrumentId), (x) => got.push(`h${x.tsEvent}`));
    let n = 0;
    let last = Number.NEGATIVE_INFINITY;
    for await (const chunk of replayFromCatalog(k.bus, cat, { chunkSize: 7 })) {
      for (const m of chunk) {
        expect(m.ts).toBeGreaterThanOrEqual(last);
        last = m.ts;
      }
      n += k.replay(chunk);
    }
    expect(n).toBe(20 + 10 + 1 + 2);
    expect(got).toHaveLength(33);
    expect(got[0]).toBe(`m${marks[0].tsEvent}`); // 2019
    expect(got.slice(1, 11).every((x) => x.startsWith("h"))).toBe(true); // 2020-05
    // Both snapshot files start at t; then the quote and the mark price at t (rank order).
    expect(got.slice(11, 15)).toEqual([`D${t}`, `D${t}`, `Q${t}`, `M${t}`]);
    expect(got.filter((x) => x.startsWith("D"))).toHaveLength(20);
    const onlyDepth = replayFromCatalog(k.bus, cat, { dataTypes: ["depth", "mark"] });
    let m = 0;
    for await (const chunk of onlyDepth) m += chunk.length;
    expect(m).toBe(20 + 2);
  });

  it("pandas and polars read depth and mark partitions (when python has them)", async () => {
    const py = process.env.BOTV6_PYTHON ?? "python3";
    try {
      execFileSync(py, ["-c", "import pyarrow, pandas, polars"], { stdio: "ignore" });
    } catch {
      return; // python without pyarrow/pandas/polars: checked by hand, see docs/catalog.md
    }
    const root = tempDir();
    await new DataCatalog(root).write([...depth, ...marks]);
    const script = `
import pandas as pd, polars as pl, json, sys
d = pd.read_parquet(sys.argv[1] + "/BINANCE-FUTURES/BTCUSDT/depth")
m = pl.read_parquet(sys.argv[1] + "/BINANCE/BTCUSDT-PERP/mark/*.parquet")
print(json.dumps({"rows": len(d), "ts": str(d.ts_event.dtype), "bid0": float(d.price[0] / 10 ** d.price_precision[0]),
  "mark": str(m.schema["ts_event"]), "fr": int(m["funding_rate"][0])}))`;
    const out = JSON.parse(execFileSync(py, ["-c", script, root], { encoding: "utf8" }));
    expect(out).toMatchObject({ rows: 600, bid0: 11657.07, fr: 38167 });
    expect(out.ts).toContain("UTC");
    expect(out.mark).toContain("UTC");
  });
});
