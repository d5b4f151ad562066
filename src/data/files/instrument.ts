/** Instrument and bar-interval inference from file names, for formats whose rows name neither. */
import { basename } from "node:path";
import { InstrumentId } from "../../model/identifiers.js";
import { binanceInstrumentId } from "../parsers/binance.js";
import { DataFileError } from "./errors.js";

const VENUES = [
  "binance",
  "bybit",
  "okx",
  "kraken",
  "coinbase",
  "bitmex",
  "deribit",
  "bitfinex",
  "ftx",
  "huobi",
];

/**
 * The instrument of a file that does not name one in its rows: `override` (`SYMBOL.VENUE`) if
 * given, else the first upper-case token of the file name as symbol and a known venue token
 * (`binance-usdm_BTCUSDT_trades_2024-08-08.csv` → `BTCUSDT-PERP.BINANCE`). Throws if unknown,
 * unless `anonymous` (bare candle files): then the file's name labels it, venue `FILE`
 * (`btcusdt-1h.csv` → `BTCUSDT-1H.FILE`).
 */
export function instrumentForFile(file: string, override?: string, anonymous = false): InstrumentId {
  if (override !== undefined) return InstrumentId.parse(override);
  const name = basename(file).replace(/(\.(csv|json|jsonl|txt|gz))+$/i, "");
  const tokens = name.split(/[_\s]+/);
  const symbol = tokens.find((t) => /^[A-Z0-9]+([-/][A-Z0-9]+)*$/.test(t) && /[A-Z]/.test(t));
  const venueToken = tokens.map((t) => t.toLowerCase()).find((t) => VENUES.some((v) => t.startsWith(v)));
  if (symbol === undefined && anonymous) {
    // A bare candle file: the bars only need a label. Named after the file, venue FILE.
    const label =
      name
        .toUpperCase()
        .replace(/[^A-Z0-9-]+/g, "-")
        .replace(/^-+|-+$/g, "") || "CANDLES";
    return InstrumentId.of(label, "FILE");
  }
  if (symbol === undefined) {
    throw new DataFileError(
      "DATA_NO_INSTRUMENT",
      `${file}: the rows name no instrument and none can be read from the file name; pass --instrument SYMBOL.VENUE`,
      { file },
    );
  }
  if (venueToken === undefined) return InstrumentId.of(symbol, "UNKNOWN");
  if (venueToken.startsWith("binance")) {
    const futures = /usdm|futures|perp/.test(venueToken);
    return binanceInstrumentId(symbol.replace(/[-/]/g, ""), futures ? "usdm" : "spot");
  }
  const venue = VENUES.find((v) => venueToken.startsWith(v)) ?? "unknown";
  return InstrumentId.of(symbol, venue.toUpperCase());
}

/** Bar interval token in a file name (`_1m_`, `-5m.`, `1h`) as [step, unit], or null. */
export function intervalFromName(file: string): string | null {
  const m = /(?:^|[_\-.])(\d+)([smhdw])(?=$|[_\-.])/.exec(basename(file));
  return m === null ? null : `${m[1]}${m[2]}`;
}
