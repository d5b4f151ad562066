/**
 * Instruments for tests and benchmarks: the linear BTC/USDT perpetual that most scenarios and the
 * Binance USD-M capture trade, with the terms a case needs overridden.
 */
import { currency } from "./currency.js";
import { InstrumentId } from "./identifiers.js";
import { CryptoPerpetual, type DerivativeSpec } from "./instruments.js";

export type PerpTerms = Partial<
  Omit<DerivativeSpec, "id" | "baseCurrency" | "quoteCurrency" | "settlementCurrency">
>;

/**
 * A BTC/USDT perpetual settled in USDT: tick 0.10, lot 0.001, initial/maintenance margin 5 % /
 * 2.5 %, maker 0.02 %, taker 0.05 % (Binance USD-M's), unless `terms` says otherwise.
 */
export function btcUsdtPerp(id: InstrumentId | string, terms: PerpTerms = {}): CryptoPerpetual {
  return new CryptoPerpetual({
    id: typeof id === "string" ? InstrumentId.parse(id) : id,
    baseCurrency: currency("BTC"),
    quoteCurrency: currency("USDT"),
    settlementCurrency: currency("USDT"),
    priceIncrement: "0.10",
    sizeIncrement: "0.001",
    marginInit: "0.05",
    marginMaint: "0.025",
    makerFee: "0.0002",
    takerFee: "0.0005",
    ...terms,
  });
}
