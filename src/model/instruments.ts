/**
 * Instruments: what can be traded, with the venue's rules for prices and sizes.
 *
 * `makePrice` / `makeQuantity` are the validated doors into the fixed-point types: a value that
 * is not a multiple of the increment, negative where not allowed, NaN or infinite throws an
 * {@link InstrumentValueError} naming the value and the instrument.
 */
import type { Currency } from "./currency.js";
import { InstrumentValueError } from "./errors.js";
import { parseDecimal, RoundingMode } from "./fixed.js";
import type { InstrumentId } from "./identifiers.js";
import type { UnixMicros } from "./time.js";
import { type Money, Price, Quantity } from "./values.js";

export enum InstrumentKind {
  Spot = "SPOT",
  Perpetual = "PERPETUAL",
  Future = "FUTURE",
}

/** A fee or margin rate as an exact decimal string (e.g. `"0.0004"`), validated on construction. */
export type Rate = string;

export interface InstrumentSpec {
  id: InstrumentId;
  /** The venue's own symbol, e.g. `BTCUSDT`, when it differs from `id.symbol`. */
  rawSymbol?: string;
  baseCurrency: Currency;
  quoteCurrency: Currency;
  /** Smallest price step, as a decimal string; its number of decimals is the price precision. */
  priceIncrement: string;
  /** Smallest size step, as a decimal string; its number of decimals is the size precision. */
  sizeIncrement: string;
  minQuantity?: string;
  maxQuantity?: string;
  /** Minimum order notional in the quote (or settlement) currency. */
  minNotional?: string;
  maxNotional?: string;
  makerFee?: Rate;
  takerFee?: Rate;
  /** Contract multiplier (1 for spot and linear perpetuals). */
  multiplier?: number;
  lotSize?: string;
  tsEvent?: UnixMicros;
  tsInit?: UnixMicros;
}

export interface DerivativeSpec extends InstrumentSpec {
  settlementCurrency: Currency;
  /** True for inverse contracts (sized in quote units, settled in base). */
  isInverse?: boolean;
  /** Initial margin rate (e.g. "0.01" = 100x max leverage). */
  marginInit: Rate;
  /** Maintenance margin rate. */
  marginMaint: Rate;
  maxLeverage?: number;
}

export interface FutureSpec extends DerivativeSpec {
  activation: UnixMicros;
  expiration: UnixMicros;
}

function checkRate(
  rate: string | undefined,
  field: string,
  id: InstrumentId,
  allowNegative: boolean,
): string {
  const r = rate ?? "0";
  let d: { raw: number; scale: number };
  try {
    d = parseDecimal(r);
  } catch {
    throw new InstrumentValueError("INSTRUMENT_FIELD_INVALID", `${id}: ${field} "${r}" is not a decimal`, {
      instrument: id.value,
      field,
    });
  }
  if (!allowNegative && d.raw < 0) {
    throw new InstrumentValueError(
      "INSTRUMENT_FIELD_INVALID",
      `${id}: ${field} "${r}" must not be negative`,
      {
        instrument: id.value,
        field,
      },
    );
  }
  return r;
}

export abstract class Instrument {
  abstract readonly kind: InstrumentKind;
  readonly id: InstrumentId;
  readonly rawSymbol: string;
  readonly baseCurrency: Currency;
  readonly quoteCurrency: Currency;
  readonly pricePrecision: number;
  readonly sizePrecision: number;
  readonly priceIncrement: Price;
  readonly sizeIncrement: Quantity;
  readonly minQuantity: Quantity | null;
  readonly maxQuantity: Quantity | null;
  readonly minNotional: string | null;
  readonly maxNotional: string | null;
  /** Maker fee rate; negative is a rebate. */
  readonly makerFee: Rate;
  readonly takerFee: Rate;
  readonly multiplier: number;
  readonly tsEvent: UnixMicros;
  readonly tsInit: UnixMicros;

  protected constructor(spec: InstrumentSpec) {
    const id = spec.id;
    this.id = id;
    this.rawSymbol = spec.rawSymbol ?? id.symbol;
    this.baseCurrency = spec.baseCurrency;
    this.quoteCurrency = spec.quoteCurrency;
    const fail = (field: string, reason: string) =>
      new InstrumentValueError("INSTRUMENT_FIELD_INVALID", `${id}: ${field} ${reason}`, {
        instrument: id.value,
        field,
      });
    let pi: Price;
    let si: Quantity;
    try {
      pi = Price.parse(spec.priceIncrement);
    } catch (e) {
      throw fail("priceIncrement", `"${spec.priceIncrement}": ${(e as Error).message}`);
    }
    try {
      si = Quantity.parse(spec.sizeIncrement);
    } catch (e) {
      throw fail("sizeIncrement", `"${spec.sizeIncrement}": ${(e as Error).message}`);
    }
    if (pi.raw <= 0) throw fail("priceIncrement", `"${spec.priceIncrement}" must be positive`);
    if (si.raw <= 0) throw fail("sizeIncrement", `"${spec.sizeIncrement}" must be positive`);
    this.priceIncrement = pi;
    this.sizeIncrement = si;
    this.pricePrecision = pi.precision;
    this.sizePrecision = si.precision;
    this.minQuantity = spec.minQuantity === undefined ? null : this.makeQuantity(spec.minQuantity);
    this.maxQuantity = spec.maxQuantity === undefined ? null : this.makeQuantity(spec.maxQuantity);
    if (this.minQuantity !== null && this.maxQuantity !== null && this.minQuantity.gt(this.maxQuantity)) {
      throw fail("minQuantity", `${this.minQuantity} exceeds maxQuantity ${this.maxQuantity}`);
    }
    this.minNotional =
      spec.minNotional === undefined ? null : checkRate(spec.minNotional, "minNotional", id, false);
    this.maxNotional =
      spec.maxNotional === undefined ? null : checkRate(spec.maxNotional, "maxNotional", id, false);
    this.makerFee = checkRate(spec.makerFee, "makerFee", id, true);
    this.takerFee = checkRate(spec.takerFee, "takerFee", id, true);
    const mult = spec.multiplier ?? 1;
    if (!Number.isSafeInteger(mult) || mult <= 0)
      throw fail("multiplier", `${mult} must be a positive integer`);
    this.multiplier = mult;
    this.tsEvent = spec.tsEvent ?? 0;
    this.tsInit = spec.tsInit ?? 0;
  }

  /**
   * A validated price: a decimal string or JS number that must be an exact multiple of the
   * price increment (or is rounded to one if `mode` is given).
   */
  makePrice(value: string | number, mode?: RoundingMode): Price {
    const text = this.textOf(value, "price");
    let p: Price;
    try {
      p = Price.parse(text, this.pricePrecision, mode);
    } catch (e) {
      throw this.valueError("price", text, (e as Error).message);
    }
    if (mode !== undefined) return p.roundToIncrement(this.priceIncrement, mode);
    if (p.raw % this.priceIncrement.raw !== 0) {
      throw this.valueError("price", text, `not a multiple of the price increment ${this.priceIncrement}`);
    }
    return p;
  }

  /** A validated, non-negative quantity that is a multiple of the size increment. */
  makeQuantity(value: string | number, mode?: RoundingMode): Quantity {
    const text = this.textOf(value, "quantity");
    let q: Quantity;
    try {
      q = Quantity.parse(text, this.sizePrecision, mode);
    } catch (e) {
      throw this.valueError("quantity", text, (e as Error).message);
    }
    if (mode !== undefined) return q.roundToIncrement(this.sizeIncrement, mode);
    if (q.raw % this.sizeIncrement.raw !== 0) {
      throw this.valueError("quantity", text, `not a multiple of the size increment ${this.sizeIncrement}`);
    }
    return q;
  }

  /** Price from a raw integer at this instrument's precision (hot path; checks the increment). */
  priceFromRaw(raw: number): Price {
    if (raw % this.priceIncrement.raw !== 0) {
      throw this.valueError("price", String(raw), `raw value not a multiple of the increment`);
    }
    return Price.fromRaw(raw, this.pricePrecision);
  }

  /** Notional of `quantity` at `price` in the quote currency (inverse contracts override). */
  notional(price: Price, quantity: Quantity, mode = RoundingMode.HalfEven): Money {
    return price.notional(quantity, this.quoteCurrency, this.multiplier, mode);
  }

  /** The currency PnL and margin settle in. */
  get settlementCurrency(): Currency {
    return this.quoteCurrency;
  }

  toString(): string {
    return `${this.kind}(${this.id})`;
  }

  private textOf(value: string | number, field: string): string {
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw this.valueError(field, String(value), "not a finite number");
      return String(value);
    }
    if (typeof value !== "string") throw this.valueError(field, String(value), "not a string or number");
    return value;
  }

  private valueError(field: string, value: string, reason: string): InstrumentValueError {
    return new InstrumentValueError(
      field === "price" ? "PRICE_INVALID" : "QUANTITY_INVALID",
      `${this.id}: ${field} ${value} is invalid: ${reason}`,
      { instrument: this.id.value, field, value },
    );
  }
}

/** A spot pair (cash settled, no leverage). */
export class CurrencyPair extends Instrument {
  readonly kind = InstrumentKind.Spot;
  constructor(spec: InstrumentSpec) {
    super(spec);
  }
}

abstract class Derivative extends Instrument {
  readonly settlement: Currency;
  readonly isInverse: boolean;
  readonly marginInit: Rate;
  readonly marginMaint: Rate;
  readonly maxLeverage: number;

  protected constructor(spec: DerivativeSpec) {
    super(spec);
    this.settlement = spec.settlementCurrency;
    this.isInverse = spec.isInverse ?? false;
    this.marginInit = checkRate(spec.marginInit, "marginInit", spec.id, false);
    this.marginMaint = checkRate(spec.marginMaint, "marginMaint", spec.id, false);
    const init = Number(this.marginInit);
    this.maxLeverage = spec.maxLeverage ?? (init > 0 ? Math.floor(1 / init) : 1);
    if (!(this.maxLeverage >= 1)) {
      throw new InstrumentValueError("INSTRUMENT_FIELD_INVALID", `${spec.id}: maxLeverage must be >= 1`, {
        instrument: spec.id.value,
        field: "maxLeverage",
      });
    }
  }

  override get settlementCurrency(): Currency {
    return this.settlement;
  }
}

/** A perpetual swap (linear or inverse) with funding. */
export class CryptoPerpetual extends Derivative {
  readonly kind = InstrumentKind.Perpetual;
  constructor(spec: DerivativeSpec) {
    super(spec);
  }
}

/** A dated future. */
export class CryptoFuture extends Derivative {
  readonly kind = InstrumentKind.Future;
  readonly activation: UnixMicros;
  readonly expiration: UnixMicros;
  constructor(spec: FutureSpec) {
    super(spec);
    if (spec.expiration <= spec.activation) {
      throw new InstrumentValueError(
        "INSTRUMENT_FIELD_INVALID",
        `${spec.id}: expiration must be after activation`,
        {
          instrument: spec.id.value,
          field: "expiration",
        },
      );
    }
    this.activation = spec.activation;
    this.expiration = spec.expiration;
  }
}

export type AnyInstrument = CurrencyPair | CryptoPerpetual | CryptoFuture;
