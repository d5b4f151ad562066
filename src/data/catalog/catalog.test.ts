import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AggregationSource,
  Bar,
  BarType,
  BookFlags,
  BookOrder,
  OrderBookDelta,
  OrderBookDeltas,
  QuoteTick,
  TradeTick,
} from "../../model/data.js";
import { BookAction, BookSide } from "../../model/enums.js";
import { InstrumentId } from "../../model/identifiers.js";
import { Price, Quantity } from "../../model/values.js";
import { readMarketData } from "../files/index.js";
import { DataCatalog } from "./catalog.js";
import { CatalogError } from "./schema.js";

const DATA = new URL("../../../../shared/data/", import.meta.url);
const TRADES = new URL("trades/freqtrade_binance_XRP-ETH_trades_2019-10-11.json.gz", DATA).pathname;

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "botv6-catalog-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tradeView(t: TradeTick) {
  return [
    t.instrumentId.value,
    t.price.toString(),
    t.size.toString(),
    t.aggressorSide,
    t.tradeId,
    t.tsEvent,
    t.tsInit,
  ];
}

function hasPyarrow(): boolean {
  try {
    execFileSync("python3", ["-c", "import pyarrow"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("DataCatalog", () => {
  let trades: TradeTick[] = [];
  beforeAll(async () => {
    trades = [];
    for await (const r of readMarketData([TRADES])) trades.push(r.data as TradeTick);
  });

  it("round-trips trades: import → list → read back identical; import twice → same rows", async () => {
    const root = tempDir();
    const cat = new DataCatalog(root);
    const s1 = await cat.write(trades);
    expect(s1).toMatchObject({ received: 12_477, added: 12_477, duplicates: 0, partitions: 3 });
    const streams = await cat.streams();
    expect(
      streams.map((s) => [s.instrumentId.value, s.dataType, s.rows, s.partitions.map((p) => p.date)]),
    ).toEqual([["XRPETH.BINANCE", "trades", 12_477, ["2019-10-11", "2019-10-12", "2019-10-13"]]]);
    expect(streams[0].tsMin).toBe(trades[0].tsEvent);
    expect(streams[0].tsMax).toBe(trades[trades.length - 1].tsEvent);
    const back = (await cat.readAll(streams[0])) as TradeTick[];
    expect(back.map(tradeView)).toEqual(trades.map(tradeView));

    const s2 = await cat.write(trades);
    expect(s2).toMatchObject({ received: 12_477, added: 0, duplicates: 12_477 });
    expect((await cat.streams())[0].rows).toBe(12_477);

    // Overlapping import: half again plus nothing new → still no duplicates.
    const s3 = await cat.write(trades.slice(5000, 9000));
    expect(s3.added).toBe(0);
    expect(readdirSync(join(root, "BINANCE", "XRPETH", "trades")).sort()).toEqual([
      "2019-10-11.parquet",
      "2019-10-12.parquet",
      "2019-10-13.parquet",
    ]);
  });

  it("streaming writer: one rewrite per day, idempotent, repeated records within one import kept", async () => {
    const cat = new DataCatalog(tempDir());
    const flushed: number[] = [];
    const w = cat.writer((s) => flushed.push(s.partitions));
    const input = [...trades, trades[trades.length - 1]]; // the last trade twice in the source
    for (const t of input) await w.add(t);
    const s1 = await w.finish();
    expect(s1).toMatchObject({ received: 12_478, added: 12_478, duplicates: 0, partitions: 3 });
    // Days 1 and 2 were written as soon as the next day started, day 3 at finish.
    expect(flushed).toEqual([1, 2, 3]);
    const w2 = cat.writer();
    for (const t of input) await w2.add(t);
    expect(await w2.finish()).toMatchObject({ added: 0, duplicates: 12_478 });
    expect((await cat.streams())[0].rows).toBe(12_478);
  });

  it("merges a later import into existing partitions in time order", async () => {
    const cat = new DataCatalog(tempDir());
    const odd = trades.filter((_, i) => i % 2 === 1);
    const even = trades.filter((_, i) => i % 2 === 0);
    await cat.write(odd);
    const s = await cat.write(even);
    expect(s.added).toBe(even.length);
    const back = (await cat.readAll((await cat.streams())[0])) as TradeTick[];
    expect(back.length).toBe(trades.length);
    for (let i = 1; i < back.length; i++) expect(back[i].tsEvent).toBeGreaterThanOrEqual(back[i - 1].tsEvent);
    expect(new Set(back.map((t) => t.tradeId)).size).toBe(trades.length);
  });

  it("writes standard Parquet: hyparquet reads TIMESTAMP(MICROS, UTC) and raw INT64 columns", async () => {
    const root = tempDir();
    await new DataCatalog(root).write(trades.slice(0, 100));
    const file = join(root, "BINANCE", "XRPETH", "trades", "2019-10-11.parquet");
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(file));
    const ts = meta.schema.find((e) => e.name === "ts_event");
    expect(ts?.type).toBe("INT64");
    expect(ts?.logical_type).toEqual({ type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" });
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(file) });
    expect(rows.length).toBe(100);
    expect(rows[0].ts_event).toBeInstanceOf(Date);
    expect((rows[0].ts_event as Date).toISOString()).toBe("2019-10-11T00:00:11.620Z");
    expect(rows[0].price).toBe(141342n);
    expect(rows[0].price_precision).toBe(8);
    // Numeric trade ids are stored as INT64 (see docs/catalog.md).
    expect(rows[0].trade_id).toBe(13519807n);
  });

  it.skipIf(!hasPyarrow())("pyarrow reads the partition files (optional cross-check)", async () => {
    const root = tempDir();
    await new DataCatalog(root).write(trades);
    const out = execFileSync("python3", [
      "-c",
      "import sys, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1]); print(t.num_rows, t.schema.field('ts_event').type)",
      join(root, "BINANCE", "XRPETH", "trades"),
    ]).toString();
    expect(out.trim()).toBe("12477 timestamp[us, tz=UTC]");
  });

  it("round-trips quotes, bars and book delta batches exactly", async () => {
    const id = InstrumentId.of("BTCUSDT", "SIM");
    const quotes = [
      new QuoteTick(
        id,
        Price.parse("100.5"),
        Price.parse("100.75"),
        Quantity.parse("1"),
        Quantity.parse("2.5"),
        1,
        2,
      ),
      new QuoteTick(
        id,
        Price.parse("100.50"),
        Price.parse("100.60"),
        Quantity.parse("1.000"),
        Quantity.parse("0.5"),
        86_400_000_001,
        86_400_000_001,
      ),
    ];
    const bt = BarType.parse("BTCUSDT.SIM-1-MINUTE-LAST-INTERNAL");
    const bars = [
      new Bar(
        bt,
        Price.parse("1.0"),
        Price.parse("2.0"),
        Price.parse("0.5"),
        Price.parse("1.5"),
        Quantity.parse("10"),
        0,
        60_000_000,
        60_000_000,
      ),
    ];
    const d = (action: BookAction, side: BookSide, p: string, s: string, flags = 0) =>
      new OrderBookDelta(
        id,
        action,
        new BookOrder(side, Price.parse(p), Quantity.parse(s), 0),
        flags,
        7,
        5,
        5,
      );
    const deltas = [
      new OrderBookDeltas(
        id,
        [
          d(BookAction.Add, BookSide.Bid, "99", "1"),
          d(BookAction.Add, BookSide.Ask, "101", "2", BookFlags.Last),
        ],
        true,
        7,
        7,
        0,
        5,
        5,
      ),
      new OrderBookDeltas(
        id,
        [new OrderBookDelta(id, BookAction.Clear, null, BookFlags.Last, 8, 6, 6)],
        false,
        8,
        8,
        7,
        6,
        6,
        12345,
      ),
    ];
    const cat = new DataCatalog(tempDir());
    await cat.write([...quotes, ...bars, ...deltas]);
    await cat.write([...quotes, ...bars, ...deltas]);
    const streams = await cat.streams();
    expect(streams.map((s) => `${s.dataType}:${s.records}`)).toEqual(
      ["deltas:2", "quotes:2", "trades:0", "bars:1"].filter((x) => x !== "trades:0"),
    );
    const [sd, sq, sb] = streams;
    const qb = (await cat.readAll(sq)) as QuoteTick[];
    expect(
      qb.map((q) => `${q.bidPrice} ${q.askPrice} ${q.bidSize} ${q.askSize} ${q.tsEvent} ${q.tsInit}`),
    ).toEqual(["100.50 100.75 1.0 2.5 1 2", "100.50 100.60 1.000 0.500 86400000001 86400000001"]);
    const bb = (await cat.readAll(sb)) as Bar[];
    expect(bb[0].barType.toString()).toBe(bt.toString());
    expect(`${bb[0].open} ${bb[0].high} ${bb[0].low} ${bb[0].close} ${bb[0].volume} ${bb[0].tsOpen}`).toBe(
      "1.0 2.0 0.5 1.5 10 0",
    );
    const db = (await cat.readAll(sd)) as OrderBookDeltas[];
    expect(db.length).toBe(2);
    expect(db[0].isSnapshot).toBe(true);
    expect(
      db[0].deltas.map((x) => `${x.action} ${x.order?.side} ${x.order?.price} ${x.order?.size} ${x.flags}`),
    ).toEqual(["ADD BID 99 1 0", `ADD ASK 101 2 ${BookFlags.Last}`]);
    expect(db[1].deltas[0].order).toBeNull();
    expect(db[1].checksum).toBe(12345);
    expect(db[1].prevSequence).toBe(7);
  });

  it("round-trips with gzip compression and with non-numeric trade ids (STRING column)", async () => {
    const root = tempDir();
    const cat = new DataCatalog(root, { compression: "gzip" });
    const renamed = trades
      .slice(0, 50)
      .map(
        (t, i) =>
          new TradeTick(
            t.instrumentId,
            t.price,
            t.size,
            t.aggressorSide,
            i === 3 ? `x-${t.tradeId}` : t.tradeId,
            t.tsEvent,
            t.tsInit,
          ),
      );
    await cat.write(renamed);
    const back = (await cat.readAll((await cat.streams())[0])) as TradeTick[];
    expect(back.map(tradeView)).toEqual(renamed.map(tradeView));
    const meta = await parquetMetadataAsync(
      await asyncBufferFromFile(join(root, "BINANCE", "XRPETH", "trades", "2019-10-11.parquet")),
    );
    expect(meta.schema.find((e) => e.name === "trade_id")?.type).toBe("BYTE_ARRAY");
    expect(
      meta.row_groups[0].columns.find((c) => c.meta_data?.path_in_schema[0] === "price")?.meta_data?.codec,
    ).toBe("GZIP");
  });

  it("fails clearly on a missing or empty catalog and on foreign files", async () => {
    await expect(new DataCatalog("/nonexistent/catalog").partitions()).rejects.toMatchObject({
      code: "CATALOG_NOT_FOUND",
    });
    const empty = tempDir();
    await expect(new DataCatalog(empty).streams()).rejects.toMatchObject({ code: "CATALOG_EMPTY" });
    const bad = tempDir();
    const dir = join(bad, "X", "Y", "trades");
    execFileSync("mkdir", ["-p", dir]);
    writeFileSync(join(dir, "2020-01-01.parquet"), "not parquet");
    const err = await new DataCatalog(bad).partitions().catch((e) => e);
    expect(err).toBeInstanceOf(CatalogError);
    expect(err.message).toContain("2020-01-01.parquet");
  });
});

void AggregationSource;
