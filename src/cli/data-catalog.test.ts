import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./main.js";

const DATA = new URL("../../../shared/data/", import.meta.url);
const XRP = fileURLToPath(new URL("trades/freqtrade_binance_XRP-ETH_trades_2019-10-11.json.gz", DATA));
const BTC = fileURLToPath(new URL("trades/binance-usdm_BTCUSDT_trades_2024-08-08.csv", DATA));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "botv6-cli-catalog-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("botv6 data import / list", () => {
  it("imports idempotently with a progress bar on stderr, and lists the series", async () => {
    const cat = join(tempDir(), "catalog");
    const a = await cli("data", "import", XRP, BTC, "--catalog", cat);
    expect(a.code).toBe(0);
    expect(a.out).toContain(`${XRP}: 12477 records, 12477 added, 0 already in the catalog, 3 partition(s)`);
    expect(a.out).toContain(`${BTC}: 21313 records, 21313 added`);
    expect(a.err).toMatch(
      /import .*XRP.* \| 12477 records read \| 3 partition\(s\) written \| 12477 added, 0 already stored/,
    );
    const b = await cli("data", "import", XRP, "--catalog", cat, "--no-progress");
    expect(b.code).toBe(0);
    expect(b.out).toContain("12477 records, 0 added, 12477 already in the catalog");
    expect(b.err).toBe("");

    const list = await cli("data", "list", "--catalog", cat);
    expect(list.code).toBe(0);
    const lines = list.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^instrument\s+type\s+start\s+end\s+rows\s+partitions$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/))).toEqual([
      [
        "BTCUSDT-PERP.BINANCE",
        "trades",
        "2024-08-08T23:54:16.322000Z",
        "2024-08-08T23:59:59.643000Z",
        "21313",
        "1",
      ],
      [
        "XRPETH.BINANCE",
        "trades",
        "2019-10-11T00:00:11.620000Z",
        "2019-10-13T11:19:28.844000Z",
        "12477",
        "3",
      ],
    ]);
    const json = await cli("data", "list", "--catalog", cat, "--json");
    expect(JSON.parse(json.out)).toEqual([
      {
        instrument: "BTCUSDT-PERP.BINANCE",
        type: "trades",
        start: "2024-08-08T23:54:16.322000Z",
        end: "2024-08-08T23:59:59.643000Z",
        rows: 21313,
        records: 21313,
        partitions: 1,
      },
      {
        instrument: "XRPETH.BINANCE",
        type: "trades",
        start: "2019-10-11T00:00:11.620000Z",
        end: "2019-10-13T11:19:28.844000Z",
        rows: 12477,
        records: 12477,
        partitions: 3,
      },
    ]);
  });

  it("clear errors: missing files and directories exit 2, an empty catalog exits 1", async () => {
    const root = tempDir();
    const missing = await cli("data", "import", "/no/such/file.csv", "--catalog", join(root, "c"));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("/no/such/file.csv: no such file");
    const noDir = await cli("data", "list", "--catalog", join(root, "nope"));
    expect(noDir.code).toBe(2);
    expect(noDir.err).toContain("no such directory");
    const empty = join(root, "empty");
    mkdirSync(empty);
    const e = await cli("data", "list", "--catalog", empty);
    expect(e.code).toBe(1);
    expect(e.err).toContain(`error [CATALOG_EMPTY]: catalog ${empty} holds no data`);
    const noCatalog = await cli("data", "list");
    expect(noCatalog.code).toBe(2);
    // Bad data anywhere fails the whole import before anything is written.
    const badCsv = join(root, "bad-trades.csv");
    writeFileSync(
      badCsv,
      "ts_ms,trade_id,price,qty,side\n1723161256322,1,61800.30,0.006,buy\n1723161256323,2,abc,0.006,buy\n",
    );
    const partial = join(root, "partial");
    const bad = await cli(
      "data",
      "import",
      XRP,
      badCsv,
      "--catalog",
      partial,
      "--instrument",
      "XRPETH.BINANCE",
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${badCsv}:3: "abc" is not an exact decimal`);
    expect(existsSync(partial)).toBe(false);
    // A record the catalog cannot store (a funding rate that is not a plain decimal) likewise.
    const badMark = join(root, "bad-mark.json");
    writeFileSync(
      badMark,
      JSON.stringify({ e: "markPriceUpdate", E: 1562305380000, s: "BTCUSDT", p: "1.5", r: "1e-5" }),
    );
    const bm = await cli("data", "import", XRP, badMark, "--catalog", partial);
    expect(bm.code).toBe(1);
    expect(bm.err).toContain(
      `${badMark}:1: BTCUSDT-PERP.BINANCE mark price at 1562305380000000: funding rate "1e-5" is not a plain decimal; nothing was imported`,
    );
    expect(existsSync(partial)).toBe(false);
  });

  it("imports depth snapshots and mark prices, lists them, and imports them idempotently", async () => {
    const root = tempDir();
    const cat = join(root, "c");
    const snap = fileURLToPath(
      new URL("orderbook/tardis_samples/binance-futures_book_snapshot_5_BTCUSDT.csv", DATA),
    );
    const mark = fileURLToPath(
      new URL(
        "exchange_messages/nautilus_adapter_fixtures/binance/futures/market_data_json/mark_price_stream.json",
        DATA,
      ),
    );
    const first = await cli("data", "import", snap, mark, "--catalog", cat, "--no-progress");
    expect(first.code).toBe(0);
    expect(first.out).toContain(`${snap}: 10 records, 10 added, 0 already in the catalog, 1 partition(s)`);
    expect(first.out).toContain(`${mark}: 1 records, 1 added, 0 already in the catalog, 1 partition(s)`);
    const again = await cli("data", "import", snap, mark, "--catalog", cat, "--no-progress");
    expect(again.out).toContain("total: 11 records, 0 added, 11 already in the catalog");
    const list = await cli("data", "list", "--catalog", cat, "--json");
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toEqual([
      expect.objectContaining({
        instrument: "BTCUSDT-PERP.BINANCE",
        type: "mark",
        start: "2019-07-05T05:43:00.000000Z",
        rows: 1,
        records: 1,
      }),
      expect.objectContaining({
        instrument: "BTCUSDT.BINANCE-FUTURES",
        type: "depth",
        start: "2020-09-01T00:00:03.696000Z",
        rows: 100,
        records: 10,
      }),
    ]);
    const text = await cli("data", "list", "--catalog", cat);
    expect(text.out).toMatch(/BTCUSDT\.BINANCE-FUTURES\s+depth\s+2020-09-01T00:00:03\.696000Z/);
  });
});
