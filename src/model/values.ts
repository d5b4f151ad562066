/**
 * Immutable fixed-point value types: {@link Price}, {@link Quantity} and {@link Money}.
 *
 * Each is an integer `raw` scaled by `10^-precision`; see `fixed.ts` for the rules. Hot-path
 * code (order books, matching) may work on `raw` directly; these classes are the safe surface.
 */
import type { Currency } from "./currency.js";
import { FixedPointError } from "./errors.js";
import {
  checkPrecision,
  checkRaw,
  formatRaw,
  mulShift,
  numberToRaw,
  parseDecimal,
  parseToRaw,
  pow10,
  RoundingMode,
  rescale,
  roundRawToIncrement,
} from "./fixed.js";

abstract class FixedPoint {
  // `declare`: assigned in the constructor only, without a class-field initializer (which
  // would define each field twice and makes construction about twice as slow on V8).
  /** The integer value, scaled by `10^precision`. Always a safe integer. */
  declare readonly raw: number;
  /** Number of decimal places. */
  declare readonly precision: number;

  protected constructor(raw: number, precision: number) {
    this.raw = raw;
    this.precision = precision;
  }

  /** Exact decimal string with `precision` fraction digits, e.g. `"61659.70"`. */
  toString(): string {
    return formatRaw(this.raw, this.precision);
  }

  toJSON(): string {
    return this.toString();
  }

  /** Float approximation, for display, indicators and models only; never for money arithmetic. */
  toNumber(): number {
    return this.raw / pow10(this.precision);
  }

  isZero(): boolean {
    return this.raw === 0;
  }

  isPositive(): boolean {
    return this.raw > 0;
  }

  isNegative(): boolean {
    return this.raw < 0;
  }

  /** -1, 0 or 1; exact across different precisions. */
  compare(other: FixedPoint): number {
    if (this.precision === other.precision) return Math.sign(this.raw - other.raw);
    const p = Math.max(this.precision, other.precision);
    const a = rescale(this.raw, this.precision, p);
    const b = rescale(other.raw, other.precision, p);
    return Math.sign(a - b);
  }

  eq(other: FixedPoint): boolean {
    return this.compare(other) === 0;
  }
  lt(other: FixedPoint): boolean {
    return this.compare(other) < 0;
  }
  lte(other: FixedPoint): boolean {
    return this.compare(other) <= 0;
  }
  gt(other: FixedPoint): boolean {
    return this.compare(other) > 0;
  }
  gte(other: FixedPoint): boolean {
    return this.compare(other) >= 0;
  }
}

/** Aligns two values to the larger precision; returns [aRaw, bRaw, precision]. */
function align(a: FixedPoint, b: FixedPoint): [number, number, number] {
  if (a.precision === b.precision) return [a.raw, b.raw, a.precision];
  const p = Math.max(a.precision, b.precision);
  return [rescale(a.raw, a.precision, p), rescale(b.raw, b.precision, p), p];
}

/** A price; may be negative (spreads, some futures). */
export class Price extends FixedPoint {
  static fromRaw(raw: number, precision: number): Price {
    checkPrecision(precision, "price precision");
    return new Price(checkRaw(raw, "Price.fromRaw"), precision);
  }

  /**
   * Construction without checks, for decoders that have already validated `raw` (a safe
   * integer) and `precision` (an integer in 0..MAX_PRECISION), e.g. a scanner that read at most
   * 15 digits. Anything else must use {@link Price.fromRaw}.
   */
  static fromRawUnchecked(raw: number, precision: number): Price {
    return new Price(raw, precision);
  }

  /**
   * Parses a decimal string. With `precision`, the value is brought to it exactly (extra
   * non-zero digits throw unless `mode` is given); without, the precision is as written.
   */
  static parse(text: string, precision?: number, mode?: RoundingMode): Price {
    if (precision === undefined) {
      const d = parseDecimal(text);
      checkPrecision(d.scale, `precision of "${text}"`);
      return new Price(d.raw, d.scale);
    }
    return new Price(parseToRaw(text, precision, mode), precision);
  }

  /** From a JS number (e.g. a JSON field) via its shortest exact decimal form. */
  static fromNumber(value: number, precision: number, mode?: RoundingMode): Price {
    return new Price(numberToRaw(value, precision, mode), precision);
  }

  add(other: Price): Price {
    const [a, b, p] = align(this, other);
    return new Price(checkRaw(a + b, "Price.add"), p);
  }

  sub(other: Price): Price {
    const [a, b, p] = align(this, other);
    return new Price(checkRaw(a - b, "Price.sub"), p);
  }

  neg(): Price {
    return new Price(-this.raw || 0, this.precision);
  }

  /** Same value at another precision (exact, or rounded by `mode`). */
  withPrecision(precision: number, mode?: RoundingMode): Price {
    checkPrecision(precision);
    return new Price(rescale(this.raw, this.precision, precision, mode, this.toString()), precision);
  }

  /** Rounds to a multiple of `increment` (a Price of the instrument's precision) by `mode`. */
  roundToIncrement(increment: Price, mode: RoundingMode = RoundingMode.HalfEven): Price {
    const [a, inc, p] = align(this, increment);
    return new Price(roundRawToIncrement(a, inc, mode), p);
  }

  /** Notional value `price x quantity x multiplier` in `currency`, rounded by `mode`. */
  notional(quantity: Quantity, currency: Currency, multiplier = 1, mode = RoundingMode.HalfEven): Money {
    const shift = this.precision + quantity.precision - currency.precision;
    const raw = mulShift(this.raw * multiplier, quantity.raw, shift, mode, "notional");
    return Money.fromRaw(raw, currency);
  }
}

/** A non-negative quantity (order size, traded size, book level size). */
export class Quantity extends FixedPoint {
  static fromRaw(raw: number, precision: number): Quantity {
    checkPrecision(precision, "quantity precision");
    checkRaw(raw, "Quantity.fromRaw");
    if (raw < 0) throw negativeQuantity(formatRaw(raw, precision));
    return new Quantity(raw, precision);
  }

  /**
   * Construction without checks, for decoders that have already validated `raw` (a
   * non-negative safe integer) and `precision` (an integer in 0..MAX_PRECISION). Anything else
   * must use {@link Quantity.fromRaw}.
   */
  static fromRawUnchecked(raw: number, precision: number): Quantity {
    return new Quantity(raw, precision);
  }

  static parse(text: string, precision?: number, mode?: RoundingMode): Quantity {
    let raw: number;
    let p: number;
    if (precision === undefined) {
      const d = parseDecimal(text);
      checkPrecision(d.scale, `precision of "${text}"`);
      raw = d.raw;
      p = d.scale;
    } else {
      raw = parseToRaw(text, precision, mode);
      p = precision;
    }
    if (raw < 0) throw negativeQuantity(text);
    return new Quantity(raw, p);
  }

  static fromNumber(value: number, precision: number, mode?: RoundingMode): Quantity {
    const raw = numberToRaw(value, precision, mode);
    if (raw < 0) throw negativeQuantity(String(value));
    return new Quantity(raw, precision);
  }

  static zero(precision: number): Quantity {
    checkPrecision(precision);
    return new Quantity(0, precision);
  }

  add(other: Quantity): Quantity {
    const [a, b, p] = align(this, other);
    return new Quantity(checkRaw(a + b, "Quantity.add"), p);
  }

  /** Subtraction; a negative result throws (a quantity is never negative). */
  sub(other: Quantity): Quantity {
    const [a, b, p] = align(this, other);
    const r = a - b;
    if (r < 0) throw negativeQuantity(`${this} - ${other}`);
    return new Quantity(r, p);
  }

  min(other: Quantity): Quantity {
    return this.lte(other) ? this : other;
  }

  withPrecision(precision: number, mode?: RoundingMode): Quantity {
    checkPrecision(precision);
    return new Quantity(rescale(this.raw, this.precision, precision, mode, this.toString()), precision);
  }

  roundToIncrement(increment: Quantity, mode: RoundingMode = RoundingMode.Down): Quantity {
    const [a, inc, p] = align(this, increment);
    return new Quantity(roundRawToIncrement(a, inc, mode), p);
  }
}

function negativeQuantity(value: string): FixedPointError {
  return new FixedPointError("QUANTITY_NEGATIVE", `quantity ${value} is negative`, { value });
}

/** An amount of a currency, at the currency's precision. May be negative (PnL, fees paid). */
export class Money extends FixedPoint {
  readonly currency: Currency;

  private constructor(raw: number, currency: Currency) {
    super(raw, currency.precision);
    this.currency = currency;
  }

  static fromRaw(raw: number, currency: Currency): Money {
    return new Money(checkRaw(raw, "Money.fromRaw"), currency);
  }

  static parse(text: string, currency: Currency, mode?: RoundingMode): Money {
    return new Money(parseToRaw(text, currency.precision, mode), currency);
  }

  static zero(currency: Currency): Money {
    return new Money(0, currency);
  }

  override toString(): string {
    return `${formatRaw(this.raw, this.precision)} ${this.currency.code}`;
  }

  /** The amount alone, without the currency code. */
  toDecimalString(): string {
    return formatRaw(this.raw, this.precision);
  }

  add(other: Money): Money {
    this.sameCurrency(other, "add");
    return new Money(checkRaw(this.raw + other.raw, "Money.add"), this.currency);
  }

  sub(other: Money): Money {
    this.sameCurrency(other, "sub");
    return new Money(checkRaw(this.raw - other.raw, "Money.sub"), this.currency);
  }

  neg(): Money {
    return new Money(-this.raw || 0, this.currency);
  }

  /** Multiplies by an exact decimal rate (e.g. a fee of "0.0004"), rounded by `mode`. */
  mulRate(rate: string | number, mode = RoundingMode.HalfEven): Money {
    const d = parseDecimal(String(rate));
    return new Money(mulShift(this.raw, d.raw, d.scale, mode, "Money.mulRate"), this.currency);
  }

  private sameCurrency(other: Money, op: string): void {
    if (other.currency.code !== this.currency.code) {
      throw new FixedPointError(
        "MONEY_CURRENCY_MISMATCH",
        `cannot ${op} ${other.currency.code} to ${this.currency.code}; convert first`,
        { left: this.currency.code, right: other.currency.code },
      );
    }
  }
}
