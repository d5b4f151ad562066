/**
 * Test-only helpers: read the shared reference candles and indicator reference files from
 * `/work/shared/data` (resolved relative to the repository, never copied into it), compare
 * series with a combined relative/absolute tolerance, and call the TA-Lib binding.
 *
 * These are deliberately minimal fixture readers for known files, not general parsers (the
 * data team owns those in src/data).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** `<repo>/../shared/data/` */
export const DATA_DIR = new URL("../../../../shared/data/", import.meta.url);

export interface Candles {
  /** Open time, integer µs since the epoch. */
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  length: number;
}

function allocate(n: number): Candles {
  return {
    time: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
    length: n,
  };
}

export function readText(relPath: string): string {
  return readFileSync(new URL(relPath, DATA_DIR), "utf8");
}

/** Parses `2021-12-31 23:01:00.000000` (UTC) to µs. */
function datetimeToMicros(s: string): number {
  const [date, clock] = s.split(" ");
  const [hms, frac = "0"] = clock.split(".");
  const ms = Date.parse(`${date}T${hms}Z`);
  if (!Number.isFinite(ms)) throw new Error(`bad timestamp ${s}`);
  return ms * 1000 + Number(frac.padEnd(6, "0").slice(0, 6));
}

/**
 * Reads a candle CSV with header `<time>,open,high,low,close,volume`. The time column is
 * either integer µs (`open_time`) or a `YYYY-MM-DD hh:mm:ss.ffffff` UTC string
 * (`timestamp`). `limit` keeps the first rows only.
 */
export function readCsvCandles(relPath: string, limit = Number.POSITIVE_INFINITY): Candles {
  const lines = readText(relPath).trim().split("\n");
  const header = lines[0].trim().split(",");
  const expected = ["open", "high", "low", "close", "volume"];
  if (header.slice(1).join(",") !== expected.join(",")) throw new Error(`${relPath}: unexpected header`);
  const n = Math.min(lines.length - 1, limit);
  const c = allocate(n);
  const isoTime = header[0] === "timestamp";
  for (let i = 0; i < n; i++) {
    const f = lines[i + 1].trim().split(",");
    c.time[i] = isoTime ? datetimeToMicros(f[0]) : Number(f[0]);
    c.open[i] = Number(f[1]);
    c.high[i] = Number(f[2]);
    c.low[i] = Number(f[3]);
    c.close[i] = Number(f[4]);
    c.volume[i] = Number(f[5]);
  }
  return c;
}

/** Reads a freqtrade candle JSON `[[open_time_ms, o, h, l, c, v], ...]`. */
export function readJsonCandles(relPath: string, limit = Number.POSITIVE_INFINITY): Candles {
  const rows = JSON.parse(readText(relPath)) as number[][];
  const n = Math.min(rows.length, limit);
  const c = allocate(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    c.time[i] = r[0] * 1000;
    c.open[i] = r[1];
    c.high[i] = r[2];
    c.low[i] = r[3];
    c.close[i] = r[4];
    c.volume[i] = r[5];
  }
  return c;
}

export interface ReferenceTable {
  /** Key column (open_time, µs). */
  time: number[];
  /** Value columns by name. */
  columns: Record<string, number[]>;
}

/** Reads a talipp reference CSV: `open_time,<col>,<col>...`. */
export function readReference(relPath: string): ReferenceTable {
  const lines = readText(relPath).trim().split("\n");
  const header = lines[0].trim().split(",");
  const columns: Record<string, number[]> = {};
  for (const h of header.slice(1)) columns[h] = [];
  const time: number[] = [];
  for (const line of lines.slice(1)) {
    const f = line.trim().split(",");
    time.push(Number(f[0]));
    header.slice(1).forEach((h, j) => {
      columns[h].push(Number(f[j + 1]));
    });
  }
  return { time, columns };
}

export interface Mismatch {
  /** Number of compared values. */
  compared: number;
  /** Largest |a − b| / max(1, |b|). */
  maxError: number;
  /** Index of the first value outside tolerance, or −1. */
  firstBad: number;
  actual: number;
  expected: number;
}

/**
 * Compares `actual[i]` with `expected[i]` for every i where `expected[i]` is not NaN using
 * |a − b| <= tol·max(1, |b|). NaN in `actual` where a value is expected counts as a failure.
 */
export function compareSeries(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  from = 0,
): Mismatch {
  const res: Mismatch = { compared: 0, maxError: 0, firstBad: -1, actual: Number.NaN, expected: Number.NaN };
  const n = Math.min(actual.length, expected.length);
  for (let i = from; i < n; i++) {
    const b = expected[i];
    if (Number.isNaN(b)) continue;
    const a = actual[i];
    res.compared++;
    const err = Math.abs(a - b) / Math.max(1, Math.abs(b));
    if (Number.isNaN(err) || err > tol) {
      if (res.firstBad < 0) {
        res.firstBad = i;
        res.actual = a;
        res.expected = b;
      }
    }
    if (Number.isNaN(err)) res.maxError = Number.POSITIVE_INFINITY;
    else if (err > res.maxError) res.maxError = err;
  }
  return res;
}

/**
 * With `BOTV6_REPORT_ERRORS=1` in the environment, reference tests print one JSON line per
 * compared column with its maximum error (used to write docs/indicators.md).
 */
export function reportError(record: Record<string, unknown>): void {
  if (process.env.BOTV6_REPORT_ERRORS) process.stdout.write(`ERRREPORT ${JSON.stringify(record)}\n`);
}

// ---------------------------------------------------------------------------------------------
// TA-Lib

interface TalibResult {
  begIndex: number;
  nbElement: number;
  result: Record<string, number[]>;
}

interface TalibModule {
  execute(args: Record<string, unknown>): TalibResult;
}

let talibModule: TalibModule | undefined;

export function talibAvailable(): boolean {
  try {
    loadTalib();
    return true;
  } catch {
    return false;
  }
}

function loadTalib(): TalibModule {
  if (talibModule === undefined) {
    const require = createRequire(import.meta.url);
    talibModule = require("talib") as TalibModule;
  }
  return talibModule;
}

/**
 * Runs a TA-Lib function over the whole input and returns each output aligned with the input
 * (NaN before TA-Lib's first output). `inputs` uses TA-Lib's names: inReal, high, low, close,
 * volume, open.
 */
export function runTalib(
  name: string,
  inputs: Record<string, ArrayLike<number>>,
  options: Record<string, number> = {},
): Record<string, Float64Array> {
  const first = Object.values(inputs)[0];
  const n = first.length;
  const args: Record<string, unknown> = { name, startIdx: 0, endIdx: n - 1, ...options };
  for (const [k, v] of Object.entries(inputs)) args[k] = Array.from(v);
  const r = loadTalib().execute(args);
  const out: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(r.result)) {
    const col = new Float64Array(n).fill(Number.NaN);
    for (let i = 0; i < r.nbElement; i++) col[r.begIndex + i] = v[i];
    out[k] = col;
  }
  return out;
}
