import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runCli } from "./main.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DATA = join(ROOT, "../shared/data/");
const TALIPP = join(DATA, "indicators/quantedge_talipp_btcusdt_1h/");
const CANDLES = join(TALIPP, "btcusdt-1h.csv");

async function cli(args: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function reference(file: string): Map<string, number[]> {
  const lines = readFileSync(join(TALIPP, file), "utf8").trim().split("\n").slice(1);
  return new Map(lines.map((l) => [l.split(",")[0], l.split(",").slice(1).map(Number)]));
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-8 * Math.max(1, Math.abs(b));
}

describe("botv6 indicator", () => {
  it("reproduces talipp's RSI(14) and Bollinger(20, 2) column by column, one row per input row", async () => {
    const rsi = await cli(["indicator", "rsi", "--input", CANDLES, "--param", "period=14"]);
    expect(rsi.code).toBe(0);
    const rows = rsi.out.trim().split("\n");
    expect(rows[0]).toBe("time,rsi");
    expect(rows).toHaveLength(745);
    const ref = reference("rsi-14-close.csv");
    let compared = 0;
    for (const r of rows.slice(1)) {
      const [t, v] = r.split(",");
      const want = ref.get(t);
      if (want === undefined) expect(v).toBe("");
      else {
        expect(close(Number(v), want[0])).toBe(true);
        compared++;
      }
    }
    expect(compared).toBe(ref.size);

    const bb = await cli([
      "indicator",
      "bbands",
      "--input",
      CANDLES,
      "--param",
      "period=20",
      "--param",
      "multiplier=2",
      "--json",
    ]);
    const parsed = JSON.parse(bb.out) as { columns: string[]; rows: Record<string, number | null>[] };
    expect(parsed.columns.slice(0, 4)).toEqual(["time", "upper", "middle", "lower"]);
    const bref = reference("bb-20-2-close.csv");
    for (const r of parsed.rows) {
      const want = bref.get(String(r.time));
      if (want === undefined) expect(r.upper).toBeNull();
      else expect([r.upper, r.middle, r.lower].every((v, k) => close(v as number, want[k]))).toBe(true);
    }
  });

  it("reads a plain CSV with ISO times and echoes the time as written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "botv6-ind-"));
    const f = join(dir, "candles.csv");
    const body = ["time,open,high,low,close,volume"];
    for (let i = 0; i < 30; i++) {
      const c = (100 + Math.sin(i) * 3).toFixed(2);
      body.push(
        `2024-01-01T00:${String(i).padStart(2, "0")}:00Z,${c},${(Number(c) + 1).toFixed(2)},${(Number(c) - 1).toFixed(2)},${c},10`,
      );
    }
    writeFileSync(f, `${body.join("\n")}\n`);
    const r = await cli(["indicator", "sma", "--input", f, "--param", "period=5"]);
    expect(r.code).toBe(0);
    const rows = r.out.trim().split("\n");
    expect(rows[1]).toBe("2024-01-01T00:00:00Z,");
    expect(rows[5].startsWith("2024-01-01T00:04:00Z,")).toBe(true);
    expect(rows[5].split(",")[1]).not.toBe("");
    const iso = await cli(["indicator", "sma", "--input", f, "--time", "ms"]);
    expect(iso.out.split("\n")[1].split(",")[0]).toBe(String(Date.UTC(2024, 0, 1)));
  });

  it("lists indicators with parameters and outputs", async () => {
    const r = await cli(["indicator", "--list", "--json"]);
    const list = JSON.parse(r.out) as { name: string; outputs: string[] }[];
    expect(list.length).toBeGreaterThanOrEqual(50);
    expect(list.find((i) => i.name === "macd")?.outputs).toEqual(["macd", "signal", "histogram"]);
  });

  it("bad input: unknown indicator or parameter exits 2, bad data exits 1 naming file and line", async () => {
    expect((await cli(["indicator", "nope", "--input", CANDLES])).code).toBe(2);
    const p = await cli(["indicator", "rsi", "--input", CANDLES, "--param", "period=0"]);
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/rsi: parameter "period"/);
    const u = await cli(["indicator", "rsi", "--input", CANDLES, "--param", "colour=red"]);
    expect(u.code).toBe(2);
    expect((await cli(["indicator", "rsi"])).code).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), "botv6-ind-"));
    const f = join(dir, "bad.csv");
    writeFileSync(f, "time,open,high,low,close,volume\n1000,1,2,0.5,1.5,10\n2000,1,2,0.5,abc,10\n");
    const d = await cli(["indicator", "sma", "--input", f]);
    expect(d.code).toBe(1);
    expect(d.err).toMatch(/bad\.csv:3/);
  });

  it("runs as a real process", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(ROOT, "bin/botv6.js"),
      "indicator",
      "ema",
      "--input",
      CANDLES,
      "--param",
      "period=20",
    ]);
    const ref = reference("ema-20-close.csv");
    const last = stdout.trim().split("\n").at(-1)!.split(",");
    expect(close(Number(last[1]), ref.get(last[0])![0])).toBe(true);
  });
});
