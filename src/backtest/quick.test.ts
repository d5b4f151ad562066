/**
 * The quick form against an independent reference backtester written here from the documented
 * conventions alone (exact decimal arithmetic with BigInt, no engine code): signals on bar
 * close, market orders at the next bar's open, commission = rate × notional (half-even to the
 * quote precision) at every fill, final equity marks the open position at the last close.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { quickJson, runQuickBacktest } from "../cli/backtest.js";

const DATA = fileURLToPath(new URL("../../../shared/data/", import.meta.url));

interface Candle {
  t: number; // ms
  o: bigint;
  c: bigint;
}

/** Decimal text → BigInt scaled by 10^scale (exact; throws if it does not fit). */
function scaled(text: string, scale: number): bigint {
  let t = text.trim();
  let exp = 0;
  const e = t.search(/[eE]/);
  if (e >= 0) {
    exp = Number(t.slice(e + 1));
    t = t.slice(0, e);
  }
  const neg = t.startsWith("-");
  if (neg) t = t.slice(1);
  const [i, f = ""] = t.split(".");
  let digits = i + f;
  let s = f.length - exp;
  while (s < scale) {
    digits += "0";
    s++;
  }
  while (s > scale) {
    if (!digits.endsWith("0")) throw new Error(`${text} needs more than ${scale} decimals`);
    digits = digits.slice(0, -1);
    s--;
  }
  const v = BigInt(digits || "0");
  return neg ? -v : v;
}

function decimalsOf(text: string): number {
  const m = /^-?\d*(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m) throw new Error(text);
  return Math.max(0, (m[1] ?? "").length - Number(m[2] ?? 0));
}

function fmt(v: bigint, scale: number): string {
  const neg = v < 0n;
  const s = (neg ? -v : v).toString().padStart(scale + 1, "0");
  return `${neg ? "-" : ""}${scale === 0 ? s : `${s.slice(0, -scale)}.${s.slice(-scale)}`}`;
}

function halfEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r = num - q * den;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  const away = twice > den || (twice === den && (q < 0n ? -q : q) % 2n === 1n);
  return away ? q + (num < 0n ? -1n : 1n) : q;
}

function reference(
  rows: { t: number; o: string; c: string }[],
  fast: number,
  slow: number,
  size: string,
  cash: string,
  rate: string,
) {
  const pp = Math.max(...rows.flatMap((r) => [decimalsOf(r.o), decimalsOf(r.c)]));
  const sp = decimalsOf(size);
  const qp = Math.min(12, Math.max(2, pp + sp));
  const rp = decimalsOf(rate);
  const candles: Candle[] = rows.map((r) => ({ t: r.t, o: scaled(r.o, pp), c: scaled(r.c, pp) }));
  const q = scaled(size, sp);
  const R = scaled(rate, rp);
  let cashV = scaled(cash, qp);
  let pos = 0n;
  let entry: { t: number; px: bigint; fee: bigint } | null = null;
  const trades: {
    entryTime: number;
    entryPrice: string;
    exitTime: number;
    exitPrice: string;
    pnl: string;
    fees: string;
  }[] = [];
  let pending: "buy" | "sell" | null = null;
  let lastSign = 0;
  const shift = 10n ** BigInt(pp + sp - qp); // pp + sp >= qp unless clipped
  const fee = (notionalPpSp: bigint) => halfEven(notionalPpSp * R, shift * 10n ** BigInt(rp));
  for (let i = 0; i < candles.length; i++) {
    const k = candles[i];
    if (pending === "buy") {
      const notional = k.o * q;
      const f = fee(notional);
      cashV -= notional / shift + f;
      pos = q;
      entry = { t: k.t, px: k.o, fee: f };
    } else if (pending === "sell" && entry !== null) {
      const notional = k.o * pos;
      const f = fee(notional);
      cashV += notional / shift - f;
      const pnl = ((k.o - entry.px) * pos) / shift - entry.fee - f;
      trades.push({
        entryTime: entry.t,
        entryPrice: fmt(entry.px, pp),
        exitTime: k.t,
        exitPrice: fmt(k.o, pp),
        pnl: fmt(pnl, qp),
        fees: fmt(entry.fee + f, qp),
      });
      pos = 0n;
      entry = null;
    }
    pending = null;
    if (i + 1 >= slow) {
      let fs = 0n;
      let ss = 0n;
      for (let j = i + 1 - fast; j <= i; j++) fs += candles[j].c;
      for (let j = i + 1 - slow; j <= i; j++) ss += candles[j].c;
      const d = fs * BigInt(slow) - ss * BigInt(fast);
      const sign = d > 0n ? 1 : d < 0n ? -1 : 0;
      if (sign !== 0) {
        if (sign > 0 && lastSign < 0 && pos === 0n) pending = "buy";
        else if (sign < 0 && lastSign > 0 && pos > 0n) pending = "sell";
        lastSign = sign;
      }
    }
  }
  const final = cashV + (pos * candles[candles.length - 1].c) / shift;
  return { trades, finalEquity: fmt(final, qp) };
}

const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, -1)}000Z`;

describe("quick-form backtest equals an independent reference", () => {
  it.each([
    ["freqtrade_binance_XRP-ETH_5m_2019-10-11_13.json", 10, 30, "1000", "5", "0.001"],
    ["freqtrade_ETH-BTC_5m_2018-01-10_30.json", 12, 48, "3", "10", "0.00075"],
    ["freqtrade_binance_XRP-ETH_1m_2019-10-11_13.json", 5, 20, "250", "1", "0.002"],
  ])("sma-cross on %s (fast %i, slow %i)", async (file, fast, slow, size, cash, rate) => {
    const path = `${DATA}ohlcv/${file}`;
    const json = JSON.parse(readFileSync(path, "utf8")) as number[][];
    const rows = json.map((r) => ({ t: r[0], o: String(r[1]), c: String(r[4]) }));
    const ref = reference(rows, fast, slow, size, cash, rate);
    const out = await runQuickBacktest({
      data: path,
      strategy: "sma-cross",
      params: { fast: String(fast), slow: String(slow) },
      cash,
      commission: rate,
      size,
    });
    const j = quickJson(out) as { trades: Record<string, string>[]; finalEquity: string };
    expect(ref.trades.length).toBeGreaterThan(3);
    expect(j.trades).toHaveLength(ref.trades.length);
    j.trades.forEach((t, i) => {
      const r = ref.trades[i];
      expect(t.entryTime).toBe(iso(r.entryTime));
      expect(t.exitTime).toBe(iso(r.exitTime));
      expect(t.entryPrice).toBe(r.entryPrice);
      expect(t.exitPrice).toBe(r.exitPrice);
      expect(t.fees).toBe(r.fees);
      expect(t.pnl).toBe(r.pnl);
    });
    expect(j.finalEquity).toBe(ref.finalEquity);
  });
});
