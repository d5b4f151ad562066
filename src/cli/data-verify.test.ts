import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { DOC_ASKS, DOC_BIDS, DOC_CHECKSUM, krakenV2BookMessage } from "../data/book/test-support.js";
import { runCli } from "./main.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DATA = fileURLToPath(new URL("../../../shared/data/", import.meta.url));
const WS = `${DATA}ws_captures/`;
const tmp = mkdtempSync(join(tmpdir(), "botv6-verify-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

interface Row {
  instrument: string;
  events: number;
  gaps: number;
  checksum: { passed: number; failed: number };
  topOfBook: { matched: number; total: number };
  bestBid: string | null;
  bestAsk: string | null;
  bidLevels: number;
  askLevels: number;
}

function parseJson(out: string): Row[] {
  const obj = JSON.parse(out) as { instruments: Row[] };
  expect(Object.keys(obj)).toEqual(["instruments"]);
  for (const r of obj.instruments) {
    expect(Object.keys(r)).toEqual([
      "instrument",
      "events",
      "gaps",
      "checksum",
      "topOfBook",
      "bestBid",
      "bestAsk",
      "bidLevels",
      "askLevels",
    ]);
  }
  return obj.instruments;
}

describe("botv6 data verify (in process)", () => {
  it("Binance spot hftbacktest: human report, exit 0", async () => {
    const r = await cli(["data", "verify", `${DATA}orderbook/hftbacktest_binance-spot_btcusdt_20240808.gz`]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/BTCUSDT\.BINANCE\s+3450\s+0\s+0\/0\s+0\/0\s+61685\.99\s+61686\.00\s+1209\/2196/);
    expect(r.out).toContain("2 diffs older than the snapshot dropped");
    expect(r.out).toContain("result: OK");
  });

  it("cryptofeed Binance futures + REST snapshots: 4 symbols, 0 gaps, --json", async () => {
    const r = await cli([
      "data",
      "verify",
      `${WS}cryptofeed_binance-futures_2021-07-22.ws.txt`,
      `${WS}cryptofeed_binance-futures_2021-07-22.http.txt`,
      "--json",
    ]);
    expect(r.code).toBe(0);
    const rows = parseJson(r.out);
    expect(rows.map((x) => [x.instrument, x.gaps])).toEqual([
      ["SUSHIUSDT-PERP.BINANCE", 0],
      ["AKROUSDT-PERP.BINANCE", 0],
      ["KEEPUSDT-PERP.BINANCE", 0],
      ["CTKUSDT-PERP.BINANCE", 0],
    ]);
  });

  it("Kraken: 4,269 checksums pass; OKX: 290 pass", async () => {
    const k = await cli(["data", "verify", `${WS}cryptofeed_kraken_2021-04-17.ws.txt`, "--json"]);
    expect(k.code).toBe(0);
    expect(parseJson(k.out).reduce((a, x) => a + x.checksum.passed, 0)).toBe(4269);
    const o = await cli(["data", "verify", `${WS}cryptofeed_okx_2022-05-13.ws.txt`, "--json"]);
    expect(o.code).toBe(0);
    const rows = parseJson(o.out);
    expect(rows.reduce((a, x) => a + x.checksum.passed, 0)).toBe(290);
    expect(rows.every((x) => x.checksum.failed === 0 && x.gaps === 0)).toBe(true);
  });

  it("Coinbase: the ticker race is reported (100/107) but does not fail", async () => {
    const r = await cli(["data", "verify", `${WS}cryptofeed_coinbase-pro_2021-04-17.ws.txt`, "--json"]);
    expect(r.code).toBe(0);
    const rows = parseJson(r.out);
    expect(rows).toHaveLength(10);
    expect(rows.reduce((a, x) => a + x.topOfBook.matched, 0)).toBe(100);
    expect(rows.reduce((a, x) => a + x.topOfBook.total, 0)).toBe(107);
    expect(r.err).toMatch(/top-of-book differs \(ticker race, not a failure\)/);
  });

  it("a gap fails with exit 1 and names the place", async () => {
    const lines = readFileSync(`${WS}cryptofeed_binance-spot_2021-10-12.ws.txt`, "utf8").split("\n");
    // drop the 3rd NKNUSDT diff after the snapshot: the U/u chain breaks
    const depth = lines.map((l, k) => [l, k] as const).filter(([l]) => l.includes("nknusdt@depth"));
    const drop = depth[5][1];
    const f = join(tmp, "gap.ws.txt");
    writeFileSync(f, lines.filter((_, k) => k !== drop).join("\n"));
    const http = `${WS}cryptofeed_binance-spot_2021-10-12.http.txt`;
    const r = await cli(["data", "verify", f, http]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /resync needed: NKNUSDT\.BINANCE at .*gap\.ws\.txt:\d+: gap: U=\d+ does not follow the previous u=\d+/,
    );
    expect(r.out).toMatch(/result: FAILED \(1 gaps\)/);
  });

  it("malformed lines: all reported with file:line, exit 1; --skip-bad reports the count and exits 0", async () => {
    const lines = readFileSync(`${WS}cryptofeed_okx_2022-05-13.ws.txt`, "utf8").split("\n");
    lines.splice(30, 0, "1652459225.9: {broken");
    lines.splice(
      60,
      0,
      '1652459226.1: {"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"1","sz":"-2","side":"buy","ts":"1"}]}',
    );
    const f = join(tmp, "bad-okx.ws.txt");
    writeFileSync(f, lines.join("\n"));
    const r = await cli(["data", "verify", f]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad input: .*bad-okx\.ws\.txt:31: invalid JSON/);
    expect(r.err).toMatch(/bad input: .*bad-okx\.ws\.txt:61: quantity "-2" is negative \(field "sz"\)/);
    expect(r.err).toContain("2 malformed line(s); failing");
    expect(r.out).toContain("result: FAILED (2 malformed lines)");
    const s = await cli(["data", "verify", f, "--skip-bad", "--json"]);
    expect(s.code).toBe(0);
    expect(parseJson(s.out).reduce((a, x) => a + x.checksum.passed, 0)).toBe(290);
    expect(s.err).toContain("2 malformed line(s) skipped (--skip-bad)");
  });

  it("unknown format, truncated gzip and out-of-order input are clear errors (exit 1)", async () => {
    const u = join(tmp, "x.bin");
    writeFileSync(u, "hello\n");
    const a = await cli(["data", "verify", u]);
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/error \[DATA_UNKNOWN_FORMAT\]: .*x\.bin: unknown format/);
    const t = join(tmp, "t.gz");
    writeFileSync(
      t,
      readFileSync(`${DATA}orderbook/hftbacktest_binance-spot_btcusdt_20240808.gz`).subarray(0, 50_000),
    );
    const b = await cli(["data", "verify", t]);
    expect([b.code, b.err]).toEqual([
      1,
      expect.stringMatching(/error \[DATA_TRUNCATED\]: .*t\.gz: gzip data is truncated/),
    ]);
    const c = await cli([
      "data",
      "verify",
      `${WS}cryptofeed_okx_2022-05-13.ws.txt`,
      `${WS}cryptofeed_kraken_2021-04-17.ws.txt`,
    ]);
    expect([c.code, c.err]).toEqual([1, expect.stringMatching(/error \[DATA_OUT_OF_ORDER\]/)]);
    const d = await cli(["data", "verify", u, "--format", "bogus"]);
    expect([d.code, d.err]).toEqual([1, expect.stringMatching(/unknown format "bogus"/)]);
  });
});

describe("botv6 data verify (subprocess)", () => {
  it("node bin/botv6.js data verify <USD-M capture> --json: exit 0 and the README facts", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        join(ROOT, "bin/botv6.js"),
        "data",
        "verify",
        `${DATA}orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz`,
        "--json",
      ],
      { cwd: ROOT },
    );
    const rows = parseJson(stdout);
    expect(rows).toEqual([
      {
        instrument: "BTCUSDT-PERP.BINANCE",
        events: 6548,
        gaps: 0,
        checksum: { passed: 0, failed: 0 },
        topOfBook: { matched: 126, total: 126 },
        bestBid: "61659.70",
        bestAsk: "61659.80",
        bidLevels: 5018,
        askLevels: 4578,
      },
    ]);
  });

  it("exits 1 on a failing capture", async () => {
    const f = join(tmp, "garbage.ws.txt");
    writeFileSync(
      f,
      readFileSync(`${WS}cryptofeed_okx_2022-05-13.ws.txt`, "utf8").replace(
        /"checksum":-914047754/,
        '"checksum":1',
      ),
    );
    const err = await run(process.execPath, [join(ROOT, "bin/botv6.js"), "data", "verify", f, "--json"], {
      cwd: ROOT,
    }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(1);
    const rows = parseJson((err as { stdout: string }).stdout);
    expect(rows.reduce((a, x) => a + x.checksum.failed, 0)).toBe(1);
    expect((err as { stderr: string }).stderr).toMatch(/resync needed: BTC-USD-220527\.OKX at .*: checksum/);
  });
  it("Kraken v2: checks the book checksums of a v2 capture (Kraken's documented example)", async () => {
    // No live v2 book capture exists in ../shared/data: Kraken's documented example snapshot.
    const snap = krakenV2BookMessage("snapshot", DOC_ASKS, DOC_BIDS, DOC_CHECKSUM);
    const good = join(tmp, "kraken-v2.jsonl");
    writeFileSync(good, `${snap}\n`);
    const ok = await cli(["data", "verify", good, "--json"]);
    expect(ok.code).toBe(0);
    expect(parseJson(ok.out)).toEqual([
      expect.objectContaining({
        instrument: "BTC/USD.KRAKEN",
        checksum: { passed: 1, failed: 0 },
        bestBid: "45283.5",
        bestAsk: "45285.2",
      }),
    ]);
    const bad = join(tmp, "kraken-v2-bad.jsonl");
    writeFileSync(bad, `${snap.replace('"qty":1.54571953', '"qty":1.54571954')}\n`);
    const ko = await cli(["data", "verify", bad]);
    expect(ko.code).toBe(1);
    expect(ko.out).toMatch(/BTC\/USD\.KRAKEN\s+1\s+0\s+0\/1/);
    expect(ko.err + ko.out).toMatch(/resync needed: BTC\/USD\.KRAKEN at .*kraken-v2-bad\.jsonl:1: checksum/);
  });
});
