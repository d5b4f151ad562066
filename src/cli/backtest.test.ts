import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runCli } from "./main.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const XRP5 = join(ROOT, "../shared/data/ohlcv/freqtrade_binance_XRP-ETH_5m_2019-10-11_13.json");
const CHROMIUM = "/usr/bin/chromium";

async function cli(args: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function tmp(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "botv6-bt-"));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const base = [
  "backtest",
  "--data",
  XRP5,
  "--strategy",
  "sma-cross",
  "--param",
  "fast=10",
  "--param",
  "slow=30",
  "--size",
  "1000",
  "--cash",
  "5",
  "--commission",
  "0.001",
];

describe("botv6 backtest (quick form)", () => {
  it("prints the JSON contract with decimal strings", async () => {
    const r = await cli([...base, "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(["trades", "fills", "finalEquity", "stats"]));
    expect(j.trades[0]).toEqual({
      side: "LONG",
      qty: "1000",
      entryTime: "2019-10-11T02:40:00.000000Z",
      entryPrice: "0.00141976",
      exitTime: "2019-10-11T03:40:00.000000Z",
      exitPrice: "0.00141301",
      pnl: "-0.00958277",
      fees: "0.00283277",
    });
    expect(j.fills).toHaveLength(2 * j.trades.length + j.openPosition.length);
    expect(typeof j.finalEquity).toBe("string");
    expect(j.stats.trades).toBe(j.trades.length);
  });

  it("is deterministic: two runs print the same bytes", async () => {
    const a = await cli([...base, "--json"]);
    const b = await cli([...base, "--json"]);
    expect(a.out).toBe(b.out);
  });

  it("runs every built-in bar strategy", async () => {
    for (const [s, extra] of [
      ["ema-cross", []],
      ["rsi-reversion", ["--param", "lower=35", "--param", "upper=65"]], // this RSI(14) stays in 31..78
    ] as const) {
      const r = await cli([
        "backtest",
        "--data",
        XRP5,
        "--strategy",
        s,
        ...extra,
        "--size",
        "1000",
        "--cash",
        "5",
        "--json",
      ]);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out).trades.length).toBeGreaterThan(0);
    }
  });

  it("bad input: unknown strategy or parameter, wrong type, empty or unsorted data, too-fine prices", async () => {
    expect((await cli(["backtest", "--data", XRP5, "--strategy", "nope"])).code).toBe(2);
    const wrongType = await cli([...base.slice(0, 5), "--param", "fast=abc"]);
    expect(wrongType.code).toBe(2);
    expect(wrongType.err).toMatch(/parameter "fast"/);
    const unknown = await cli([...base.slice(0, 5), "--param", "colour=red"]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown parameter\(s\) "colour"/);
    const order = await cli([...base.slice(0, 5), "--param", "fast=30", "--param", "slow=10"]);
    expect(order.code).toBe(2);
    expect(order.err).toMatch(/fast must be smaller than slow/);
    const empty = tmp("empty.csv", "time,open,high,low,close,volume\n");
    const e = await cli(["backtest", "--data", empty, "--strategy", "sma-cross"]);
    expect(e.code).toBe(1);
    expect(e.err).toMatch(/no candles/);
    const unsorted = tmp(
      "unsorted.csv",
      "time,open,high,low,close,volume\n2000,1,2,0.5,1.5,1\n1000,1,2,0.5,1.5,1\n",
    );
    const u = await cli(["backtest", "--data", unsorted, "--strategy", "sma-cross"]);
    expect(u.code).toBe(1);
    expect(u.err).toMatch(/unsorted\.csv/);
    const fine = await cli([...base, "--price-precision", "4"]);
    expect(fine.code).toBe(1);
    expect(fine.err).toMatch(/more than 4 decimals/);
  });

  it("infers price precision from exponent notation", async () => {
    const rows = ["time,open,high,low,close,volume"];
    for (let i = 0; i < 60; i++) {
      const p = (5.33e-5 + Math.sin(i / 4) * 1e-6).toExponential(6);
      rows.push(`${1_700_000_000_000 + i * 60_000},${p},${p},${p},${p},100`);
    }
    const f = tmp("tiny.csv", `${rows.join("\n")}\n`);
    const r = await cli([
      "backtest",
      "--data",
      f,
      "--strategy",
      "sma-cross",
      "--param",
      "fast=3",
      "--param",
      "slow=8",
      "--json",
    ]);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.trades.length).toBeGreaterThan(0);
    expect(j.trades[0].entryPrice).toMatch(/^0\.0000\d{7}$/);
  });

  it("writes a self-contained HTML report that renders in a real browser", async () => {
    const dir = mkdtempSync(join(tmpdir(), "botv6-report-"));
    const report = join(dir, "report.html");
    const r = await cli([...base, "--report", report]);
    expect(r.code).toBe(0);
    const html = readFileSync(report, "utf8");
    expect(html).toContain("LightweightCharts");
    expect(html).not.toMatch(/<script[^>]+src=/);
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === "true") throw new Error(`${CHROMIUM} is missing: .ci/run installs chromium`);
      console.warn(`skipping the browser check: ${CHROMIUM} not installed`);
      return;
    }
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`file://${report}`);
      await page.waitForFunction(
        () => (globalThis as unknown as { __reportReady?: boolean }).__reportReady === true,
        null,
        { timeout: 15_000 },
      );
      expect(errors).toEqual([]);
      expect(await page.locator("#trades tr").count()).toBe(16);
      expect(await page.locator("#equity canvas").count()).toBeGreaterThan(0);
      expect(await page.locator("#price canvas").count()).toBeGreaterThan(0);
      await page.screenshot({ path: join(dir, "report.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it("runs as a real process", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, "bin/botv6.js"), ...base]);
    expect(stdout).toContain("trades 15");
  });

  it("full form: runs a config file's backtest section (files or synthetic market) and names config errors", async () => {
    const candles = await cli([
      "backtest",
      "--config",
      join(ROOT, "examples/backtest/candles-sma.yaml"),
      "--json",
    ]);
    expect(candles.code, candles.err).toBe(0);
    const j = JSON.parse(candles.out);
    const strategies = new Set(j.trades.map((t: { strategyId: string }) => t.strategyId));
    expect(strategies).toEqual(new Set(["sma-cross-1", "rsi-reversion-2"]));
    // The sma-cross trades are the quick form's, to the digit.
    const quick = JSON.parse((await cli([...base, "--json"])).out);
    const sma = j.trades.filter((t: { strategyId: string }) => t.strategyId === "sma-cross-1");
    expect(sma.map((t: Record<string, string>) => [t.entryPrice, t.exitPrice])).toEqual(
      quick.trades.map((t: Record<string, string>) => [t.entryPrice, t.exitPrice]),
    );
    const synth = await cli([
      "backtest",
      "--config",
      join(ROOT, "examples/backtest/synthetic-mm.yaml"),
      "--json",
    ]);
    expect(synth.code, synth.err).toBe(0);
    expect(JSON.parse(synth.out).fills.length).toBeGreaterThan(0);
    const bad = tmp(
      "bad.yaml",
      "backtest:\n  data:\n    files: [x.csv]\n  instruments: []\n  venues: []\n  strategies: []\n  speed: fast\n",
    );
    const r = await cli(["backtest", "--config", bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.yaml:7:3: backtest\.speed: unknown key "speed"/);
    const badBars = tmp(
      "bad-bars.yaml",
      readFileSync(join(ROOT, "examples/backtest/synthetic-mm.yaml"), "utf8").replace(
        "      leverage: 10\n",
        "      leverage: 10\n      fillBars: 1-FORTNIGHT-LAST\n",
      ),
    );
    const rb = await cli(["backtest", "--config", badBars]);
    expect(rb.code).toBe(2);
    expect(rb.err).toMatch(/bad-bars\.yaml:\d+:\d+: backtest\.venues\.0\.fillBars: .*FORTNIGHT/);
    const none = tmp("none.yaml", "seed: 1\n");
    expect((await cli(["backtest", "--config", none])).err).toMatch(/no backtest section/);
  });
});
