/**
 * Position sizing. Every function returns a {@link Quantity} at the instrument's size precision,
 * rounded **down** to its size increment (never more risk than asked for), or zero. Money inputs
 * are fixed point and the arithmetic is exact (BigInt) where money meets price; volatility and
 * probability inputs are floats, as statistics are.
 */
import { BotV6Error } from "../model/errors.js";
import { parseDecimal } from "../model/fixed.js";
import type { Instrument } from "../model/instruments.js";
import type { Money, Price } from "../model/values.js";
import { Quantity } from "../model/values.js";

export class SizingError extends BotV6Error {}

function bad(what: string, value: unknown): SizingError {
  return new SizingError("SIZING_INVALID", `sizing: ${what} is invalid: ${String(value)}`, {
    what,
    value: String(value),
  });
}

/** A fraction as an exact decimal (string) or a finite number in (0, 1]. */
function fraction(f: string | number, what: string): { num: bigint; den: bigint } {
  if (typeof f === "number" && !Number.isFinite(f)) throw bad(what, f);
  const d = parseDecimal(String(f));
  if (d.raw <= 0 || d.raw > 10 ** d.scale) throw bad(`${what} (must be in (0, 1])`, f);
  return { num: BigInt(d.raw), den: 10n ** BigInt(d.scale) };
}

/**
 * Quantity whose notional (price x qty x multiplier) is `budget` (account-currency raw scaled by
 * num/den), rounded down to the size increment.
 */
function qtyForNotional(
  instrument: Instrument,
  budgetRaw: bigint,
  budgetPrecision: number,
  perUnitPriceRaw: bigint,
): Quantity {
  const sp = instrument.sizePrecision;
  const pp = instrument.pricePrecision;
  if (perUnitPriceRaw <= 0n || budgetRaw <= 0n) return Quantity.zero(sp);
  // qty = budget / 10^bp / (px / 10^pp * mult)  → qtyRaw = budget * 10^(pp + sp) / (px * mult * 10^bp)
  const num = budgetRaw * 10n ** BigInt(pp + sp);
  const den = perUnitPriceRaw * BigInt(instrument.multiplier) * 10n ** BigInt(budgetPrecision);
  let raw = Number(num / den);
  const inc = instrument.sizeIncrement.raw;
  raw -= raw % inc;
  if (instrument.maxQuantity !== null && raw > instrument.maxQuantity.raw)
    raw = instrument.maxQuantity.raw - (instrument.maxQuantity.raw % inc);
  if (instrument.minQuantity !== null && raw < instrument.minQuantity.raw) raw = 0;
  return Quantity.fromRaw(Math.max(0, raw), sp);
}

function checkPrice(instrument: Instrument, price: Price, what: string): void {
  if (price.precision !== instrument.pricePrecision || !(price.raw > 0)) throw bad(what, price);
}

function checkEquity(equity: Money): void {
  if (!Number.isSafeInteger(equity.raw) || equity.raw < 0) throw bad("equity", equity);
}

/** Fixed fractional: commit `fractionOfEquity` of equity as notional at `price`. */
export function fixedFractional(
  instrument: Instrument,
  equity: Money,
  fractionOfEquity: string | number,
  price: Price,
): Quantity {
  checkEquity(equity);
  checkPrice(instrument, price, "price");
  const f = fraction(fractionOfEquity, "fractionOfEquity");
  return qtyForNotional(
    instrument,
    (BigInt(equity.raw) * f.num) / f.den,
    equity.precision,
    BigInt(price.raw),
  );
}

/**
 * Risk per trade from the stop distance: lose at most `riskFraction` of equity if the stop at
 * `stop` is hit after entering at `entry` (qty = risk / |entry − stop| / multiplier).
 */
export function riskPerTrade(
  instrument: Instrument,
  equity: Money,
  riskFraction: string | number,
  entry: Price,
  stop: Price,
): Quantity {
  checkEquity(equity);
  checkPrice(instrument, entry, "entry");
  checkPrice(instrument, stop, "stop");
  if (entry.raw === stop.raw) throw bad("stop (equal to entry)", stop);
  const f = fraction(riskFraction, "riskFraction");
  const dist = BigInt(Math.abs(entry.raw - stop.raw));
  return qtyForNotional(instrument, (BigInt(equity.raw) * f.num) / f.den, equity.precision, dist);
}

/**
 * Volatility targeting: notional = equity x targetVol / instrumentVol (both annualised, as
 * fractions, e.g. 0.15 and 0.60), capped at `maxLeverage` x equity.
 */
export function volatilityTarget(
  instrument: Instrument,
  equity: Money,
  targetVol: number,
  instrumentVol: number,
  price: Price,
  maxLeverage = 1,
): Quantity {
  checkEquity(equity);
  checkPrice(instrument, price, "price");
  if (!Number.isFinite(targetVol) || targetVol <= 0) throw bad("targetVol", targetVol);
  if (!Number.isFinite(instrumentVol) || instrumentVol <= 0) throw bad("instrumentVol", instrumentVol);
  if (!Number.isFinite(maxLeverage) || maxLeverage <= 0) throw bad("maxLeverage", maxLeverage);
  const lev = Math.min(targetVol / instrumentVol, maxLeverage);
  // Leverage to a 1e-9 grid keeps the money arithmetic in integers.
  const levNano = BigInt(Math.floor(lev * 1e9));
  return qtyForNotional(
    instrument,
    (BigInt(equity.raw) * levNano) / 1_000_000_000n,
    equity.precision,
    BigInt(price.raw),
  );
}

/** Annualised volatility from an ATR: (ATR / price) x sqrt(periods per year). */
export function atrVolatility(atr: number, price: number, periodsPerYear: number): number {
  if (
    !(atr >= 0) ||
    !(price > 0) ||
    !(periodsPerYear > 0) ||
    !Number.isFinite(atr + price + periodsPerYear)
  ) {
    throw bad("atrVolatility input", `${atr}, ${price}, ${periodsPerYear}`);
  }
  return (atr / price) * Math.sqrt(periodsPerYear);
}

/** Annualised realised volatility: sample standard deviation of log returns x sqrt(periods per year). */
export function realizedVolatility(prices: ArrayLike<number>, periodsPerYear: number): number {
  if (prices.length < 3) throw bad("prices (need at least 3)", prices.length);
  let mean = 0;
  const n = prices.length - 1;
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = prices[i];
    const b = prices[i + 1];
    if (!(a > 0) || !(b > 0) || !Number.isFinite(a) || !Number.isFinite(b))
      throw bad(`price at ${i}`, a > 0 ? b : a);
    r[i] = Math.log(b / a);
    mean += r[i];
  }
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (r[i] - mean) ** 2;
  return Math.sqrt(v / (n - 1)) * Math.sqrt(periodsPerYear);
}

/**
 * The Kelly fraction p − (1 − p) / b for win probability p and win/loss ratio b, scaled by
 * `fractionOfKelly` (e.g. 0.5 for half Kelly) and clipped to [0, cap].
 */
export function fractionalKelly(
  winProbability: number,
  winLossRatio: number,
  fractionOfKelly = 0.5,
  cap = 1,
): number {
  if (!(winProbability >= 0 && winProbability <= 1)) throw bad("winProbability", winProbability);
  if (!(winLossRatio > 0) || !Number.isFinite(winLossRatio)) throw bad("winLossRatio", winLossRatio);
  if (!(fractionOfKelly > 0 && fractionOfKelly <= 1)) throw bad("fractionOfKelly", fractionOfKelly);
  if (!(cap > 0 && cap <= 1)) throw bad("cap", cap);
  const k = winProbability - (1 - winProbability) / winLossRatio;
  return Math.min(cap, Math.max(0, k * fractionOfKelly));
}

/** Size from fractional Kelly: the Kelly fraction of equity as notional at `price`. */
export function kellySize(
  instrument: Instrument,
  equity: Money,
  winProbability: number,
  winLossRatio: number,
  price: Price,
  fractionOfKelly = 0.5,
  cap = 1,
): Quantity {
  const f = fractionalKelly(winProbability, winLossRatio, fractionOfKelly, cap);
  if (f === 0) return Quantity.zero(instrument.sizePrecision);
  // Rounded to 1e-9 (floats such as 0.6 - 0.4 land a hair below the exact fraction).
  return fixedFractional(instrument, equity, Math.round(f * 1e9) / 1e9, price);
}
