/**
 * Commissions of the simulated venue: fill notional × maker or taker rate, in the instrument's
 * quote currency, computed exactly on integers and rounded once (half-even) to the currency's
 * precision. A negative rate is a rebate (negative commission).
 */
import { divRoundBig, parseDecimal, pow10n, RoundingMode, roundQuotient } from "../../model/fixed.js";
import type { Instrument } from "../../model/instruments.js";
import { Money } from "../../model/values.js";

/** A decimal rate parsed once: `raw × 10^-scale`. */
export interface ParsedRate {
  readonly text: string;
  readonly raw: number;
  readonly scale: number;
}

export function parseRate(text: string, what: string): ParsedRate {
  let d: { raw: number; scale: number };
  try {
    d = parseDecimal(text);
  } catch {
    throw new RangeError(`${what}: "${text}" is not a decimal rate`);
  }
  return { text, raw: d.raw, scale: d.scale };
}

/**
 * Raw commission (at `currencyPrecision`) of a fill of `qtyRaw` (size precision `sizePrecision`)
 * at `priceRaw` (price precision `pricePrecision`) with contract `multiplier` and `rate`:
 * `price × qty × multiplier × rate`, exact, rounded half-even once.
 */
export function commissionRaw(
  priceRaw: number,
  pricePrecision: number,
  qtyRaw: number,
  sizePrecision: number,
  multiplier: number,
  rate: ParsedRate,
  currencyPrecision: number,
): number {
  if (rate.raw === 0) return 0;
  const shift = pricePrecision + sizePrecision + rate.scale - currencyPrecision;
  const a = priceRaw * qtyRaw;
  const p = a * multiplier * rate.raw;
  if (Number.isSafeInteger(a) && Number.isSafeInteger(p) && shift >= 0 && shift <= 15) {
    const d = 10 ** shift;
    const q = Math.trunc(p / d);
    return roundQuotient(q, p - q * d, d, RoundingMode.HalfEven);
  }
  const big = BigInt(priceRaw) * BigInt(qtyRaw) * BigInt(multiplier) * BigInt(rate.raw);
  const res = shift >= 0 ? divRoundBig(big, pow10n(shift), RoundingMode.HalfEven) : big * pow10n(-shift);
  const n = Number(res);
  if (!Number.isSafeInteger(n)) throw new RangeError(`commission ${res} exceeds the exact integer range`);
  return n;
}

/** Maker and taker rates of one instrument (config override, else the instrument's own). */
export class FeeSchedule {
  readonly maker: ParsedRate;
  readonly taker: ParsedRate;

  constructor(
    readonly instrument: Instrument,
    override?: { maker: string; taker: string },
  ) {
    this.maker = parseRate(override?.maker ?? instrument.makerFee, `${instrument.id} maker fee`);
    this.taker = parseRate(override?.taker ?? instrument.takerFee, `${instrument.id} taker fee`);
  }

  /** Commission of a fill (raw price and quantity at the instrument's precisions). */
  commission(priceRaw: number, qtyRaw: number, isMaker: boolean): Money {
    const i = this.instrument;
    const c = i.quoteCurrency;
    const raw = commissionRaw(
      priceRaw,
      i.pricePrecision,
      qtyRaw,
      i.sizePrecision,
      i.multiplier,
      isMaker ? this.maker : this.taker,
      c.precision,
    );
    return Money.fromRaw(raw, c);
  }
}
