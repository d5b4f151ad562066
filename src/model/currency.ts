/** Currencies and their precisions. */
import { IdentifierError } from "./errors.js";
import { checkPrecision } from "./fixed.js";

export enum CurrencyType {
  Fiat = "FIAT",
  Crypto = "CRYPTO",
}

export class Currency {
  readonly code: string;
  /** Decimal places amounts of this currency are kept at. */
  readonly precision: number;
  readonly type: CurrencyType;

  constructor(code: string, precision: number, type: CurrencyType) {
    if (!/^[A-Z0-9]{1,16}$/.test(code)) {
      throw new IdentifierError(
        "CURRENCY_CODE_INVALID",
        `currency code "${code}" must be 1-16 A-Z/0-9 characters`,
        {
          code,
        },
      );
    }
    checkPrecision(precision, `precision of currency ${code}`);
    this.code = code;
    this.precision = precision;
    this.type = type;
  }

  toString(): string {
    return this.code;
  }

  toJSON(): string {
    return this.code;
  }
}

const registry = new Map<string, Currency>();

/** Registers (or replaces) a currency so {@link currency} finds it. */
export function registerCurrency(c: Currency): Currency {
  registry.set(c.code, c);
  return c;
}

/** Looks up a registered currency; unknown codes throw naming the code. */
export function currency(code: string): Currency {
  const c = registry.get(code);
  if (c === undefined) {
    throw new IdentifierError("CURRENCY_UNKNOWN", `unknown currency "${code}"; register it first`, { code });
  }
  return c;
}

export function hasCurrency(code: string): boolean {
  return registry.has(code);
}

for (const [code, p] of [
  ["USD", 2],
  ["EUR", 2],
  ["GBP", 2],
  ["JPY", 0],
  ["CHF", 2],
  ["AUD", 2],
  ["CAD", 2],
] as const) {
  registerCurrency(new Currency(code, p, CurrencyType.Fiat));
}
for (const [code, p] of [
  ["BTC", 8],
  ["XBT", 8],
  ["ETH", 8],
  ["USDT", 8],
  ["USDC", 8],
  ["BUSD", 8],
  ["FDUSD", 8],
  ["BNB", 8],
  ["SOL", 8],
  ["XRP", 8],
  ["XMR", 8],
  ["ADA", 8],
  ["DOGE", 8],
  ["LTC", 8],
  ["UNI", 8],
] as const) {
  registerCurrency(new Currency(code, p, CurrencyType.Crypto));
}
