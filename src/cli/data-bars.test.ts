import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./main.js";

const DATA = new URL("../../../shared/data/", import.meta.url);
const TRADES = fileURLToPath(new URL("trades/freqtrade_binance_XRP-ETH_trades_2019-10-11.json.gz", DATA));
const REPO = fileURLToPath(new URL("../../", import.meta.url));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("botv6 data bars", () => {
  it("prints the Binance 1m candles as exact decimal CSV (open time, ISO-8601 UTC)", async () => {
    const r = await cli("data", "bars", TRADES, "--interval", "1m");
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toBe("time,open,high,low,close,volume");
    expect(lines.length).toBe(1 + 3560);
    expect(lines[1]).toBe("2019-10-11T00:00:00.000000Z,0.00141342,0.00141557,0.00141266,0.00141418,1482");
    const expected = JSON.parse(
      readFileSync(new URL("ohlcv/freqtrade_binance_XRP-ETH_1m_2019-10-11_13.json", DATA), "utf8"),
    ) as number[][];
    const parsed = lines.slice(1).map((l) => {
      const [t, ...v] = l.split(",");
      return [Date.parse(t), ...v.map(Number)];
    });
    expect(parsed).toEqual(expected);
  });

  it("--json, --no-empty, --ticks, --volume and --value", async () => {
    const j = await cli("data", "bars", TRADES, "--interval", "5m", "--json");
    expect(j.code).toBe(0);
    const bars = JSON.parse(j.out) as { time: string; open: string; volume: string }[];
    expect(bars.length).toBe(712);
    expect(bars[0]).toEqual({
      time: "2019-10-11T00:00:00.000000Z",
      open: "0.00141342",
      high: "0.00141658",
      low: "0.00141192",
      close: "0.00141192",
      volume: "3478",
    });
    const ne = await cli("data", "bars", TRADES, "--interval", "1m", "--no-empty");
    expect(ne.out.trimEnd().split("\n").length).toBe(1 + 2469);
    const ticks = await cli("data", "bars", TRADES, "--ticks", "100");
    expect(ticks.out.trimEnd().split("\n").length).toBe(1 + Math.ceil(12_477 / 100));
    const vol = await cli("data", "bars", TRADES, "--volume", "50000", "--csv");
    expect(vol.code).toBe(0);
    const volumes = vol.out
      .trimEnd()
      .split("\n")
      .slice(1)
      .map((l) => Number(l.split(",")[5]));
    expect(volumes.slice(0, -1).every((v) => v >= 50_000)).toBe(true);
    const val = await cli("data", "bars", TRADES, "--value", "10.5");
    expect(val.code).toBe(0);
    expect(val.out.split("\n").length).toBeGreaterThan(10);
  });

  it("exit 2 for bad arguments, with a clear message", async () => {
    for (const [args, msg] of [
      [["--interval", "7q"], /invalid bar interval "7q"/],
      [["--interval", "0m"], /invalid bar interval/],
      [[], /choose the kind of bars/],
      [["--interval", "1m", "--ticks", "5"], /choose one kind of bars/],
      [["--ticks", "1.5"], /--ticks "1.5" must be a positive integer/],
      [["--volume", "-3"], /--volume "-3" must be a positive decimal/],
      [["--interval", "1m", "--csv", "--json"], /--csv or --json/],
    ] as const) {
      const r = await cli("data", "bars", TRADES, ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err).toMatch(msg);
    }
    const missing = await cli("data", "bars", "/no/such/trades.json", "--interval", "1m");
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("/no/such/trades.json: no such file");
  });

  it("exit 1 for trades out of time order, naming the file and the trade", async () => {
    const dir = mkdtempSync(join(tmpdir(), "botv6-bars-"));
    dirs.push(dir);
    const file = join(dir, "freqtrade_binance_ABC-XYZ_trades.json");
    writeFileSync(
      file,
      JSON.stringify([
        [1570752011620, "1", null, "buy", 1.5, 2, 3],
        [1570752071620, "2", null, "buy", 1.6, 2, 3.2],
        [1570752011000, "3", null, "sell", 1.4, 1, 1.4],
      ]),
    );
    const r = await cli("data", "bars", file, "--interval", "1m");
    expect(r.code).toBe(1);
    expect(r.err).toContain(file);
    expect(r.err).toMatch(/OUT_OF_ORDER/);
  });

  it("any trade source: a raw capture gives the same bars as the trades CSV derived from it", async () => {
    const capture = fileURLToPath(new URL("orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz", DATA));
    const csv = fileURLToPath(new URL("trades/binance-usdm_BTCUSDT_trades_2024-08-08.csv", DATA));
    const a = await cli("data", "bars", capture, "--interval", "1m");
    const b = await cli("data", "bars", csv, "--interval", "1m");
    expect(a.code).toBe(0);
    expect(a.out.split("\n").length).toBe(8);
    expect(a.out).toBe(b.out);
    expect(a.err).toMatch(/72641 records that are not trades were not aggregated/);
  });

  it("files with trades of several instruments need --instrument", async () => {
    const file = fileURLToPath(new URL("ws_captures/cryptofeed_coinbase-pro_2021-04-17.ws.txt", DATA));
    const all = await cli("data", "bars", file, "--interval", "1m");
    expect(all.code).toBe(1);
    expect(all.err).toMatch(/BARS_SEVERAL_INSTRUMENTS.*choose one with --instrument/);
    const one = await cli("data", "bars", file, "--interval", "10s", "--instrument", "YFI-BTC.COINBASE");
    expect(one.code).toBe(0);
    expect(one.out.split("\n")[1]).toBe(
      "2021-04-17T16:43:10.000000Z,0.82601,0.82601,0.82601,0.82601,0.000007",
    );
  });

  it("--price bid|ask|mid: bars from the quotes of a bookTicker capture (values computed independently)", async () => {
    const capture = fileURLToPath(new URL("orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz", DATA));
    const mid = await cli("data", "bars", capture, "--interval", "1m", "--price", "mid");
    expect(mid.code).toBe(0);
    expect(mid.out.trimEnd().split("\n")).toEqual([
      "time,open,high,low,close,volume",
      "2024-08-08T23:54:00.000000Z,61800.250,61839.750,61800.050,61807.750,29399.6845",
      "2024-08-08T23:55:00.000000Z,61807.750,61839.850,61760.350,61760.350,41684.7105",
      "2024-08-08T23:56:00.000000Z,61760.350,61760.350,61700.050,61701.250,40147.2385",
      "2024-08-08T23:57:00.000000Z,61701.250,61719.050,61620.150,61628.150,59480.1135",
      "2024-08-08T23:58:00.000000Z,61628.150,61721.550,61590.350,61694.450,63812.2320",
      "2024-08-08T23:59:00.000000Z,61694.450,61725.500,61646.450,61659.750,42718.8500",
      "2024-08-09T00:00:00.000000Z,61659.750,61659.750,61659.750,61659.750,1.2335",
    ]);
    expect(mid.err).toContain("27865 records that are not quotes were not aggregated");
    const ask = await cli("data", "bars", capture, "--interval", "5m", "--price", "ASK", "--json");
    expect(JSON.parse(ask.out)[0]).toEqual({
      time: "2024-08-08T23:50:00.000000Z",
      open: "61800.30",
      high: "61839.80",
      low: "61800.10",
      close: "61807.80",
      volume: "24697.430",
    }); // the capture starts at 23:54:16: the first 5m bar holds the same quotes as the 23:54 1m bar
    const bid = await cli("data", "bars", capture, "--ticks", "1000", "--price", "bid");
    expect(bid.out.trimEnd().split("\n")).toHaveLength(1 + 67);
  });

  it("--price on other quote sources: Tardis quotes CSV, multi-product Coinbase tickers", async () => {
    const tardis = fileURLToPath(new URL("orderbook/tardis_samples/huobi-dm-swap_quotes_BTC-USD.csv", DATA));
    const t = await cli("data", "bars", tardis, "--interval", "1s", "--price", "bid");
    expect(t.code).toBe(0);
    expect(t.out.trimEnd().split("\n").length).toBeGreaterThan(1);
    const cb = fileURLToPath(new URL("ws_captures/cryptofeed_coinbase-pro_2021-04-17.ws.txt", DATA));
    const all = await cli("data", "bars", cb, "--interval", "1m", "--price", "mid");
    expect(all.code).toBe(1);
    expect(all.err).toMatch(
      /BARS_SEVERAL_INSTRUMENTS\]: .*quote #2 is of SKL-GBP.COINBASE, earlier quotes of/,
    );
    // Coinbase `ticker` carries no sizes (quote sizes 0): the bars' volume is 0.
    const one = await cli(
      "data",
      "bars",
      cb,
      "--interval",
      "1m",
      "--price",
      "mid",
      "--instrument",
      "BAND-GBP.COINBASE",
    );
    expect(one.code).toBe(0);
    expect(
      one.out
        .trimEnd()
        .split("\n")
        .slice(1)
        .every((l) => l.endsWith(",0.0")),
    ).toBe(true);
  });

  it("--price: exit 2 for an unknown price type, exit 1 for a file without quotes", async () => {
    for (const p of ["foo", "mark", "last2"]) {
      const r = await cli("data", "bars", TRADES, "--interval", "1m", "--price", p);
      expect(r.code, p).toBe(2);
      expect(r.err).toContain(
        `--price "${p}": unknown price type; choose last (trades), bid, ask or mid (quotes)`,
      );
    }
    const r = await cli("data", "bars", TRADES, "--interval", "1m", "--price", "mid");
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toContain(
      `error [BARS_NO_QUOTES]: ${TRADES}: no quotes (12477 other records); --price mid aggregates quotes`,
    );
    const last = await cli("data", "bars", TRADES, "--interval", "5m", "--price", "last");
    expect(last.out.trimEnd().split("\n")).toHaveLength(1 + 712);
  });

  it("runs as a real subprocess (bin/botv6.js)", () => {
    const out = execFileSync("node", ["bin/botv6.js", "data", "bars", TRADES, "--interval", "5m"], {
      cwd: REPO,
      encoding: "utf8",
    });
    const lines = out.trimEnd().split("\n");
    expect(lines.length).toBe(1 + 712);
    expect(lines[1]).toBe("2019-10-11T00:00:00.000000Z,0.00141342,0.00141658,0.00141192,0.00141192,3478");
  });
});
