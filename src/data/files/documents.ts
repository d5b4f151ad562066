/**
 * Whole-file JSON documents: freqtrade candles (`[[ts_ms, o, h, l, c, v], ...]`) and trades
 * (`[[ts_ms, id, type, side, price, amount, cost], ...]`), single venue messages or arrays of
 * them (exchange fixtures), and Kraken REST `Trades`/`OHLC` responses.
 *
 * JSON numbers are converted through their shortest decimal text; all values of a column are
 * brought to the column's largest number of decimals so one file has one precision.
 */
import { Bar, BarType, TradeTick } from "../../model/data.js";
import { AggressorSide } from "../../model/enums.js";
import { rescale } from "../../model/fixed.js";
import type { InstrumentId } from "../../model/identifiers.js";
import { Price, Quantity } from "../../model/values.js";
import { intervalSpec } from "../parsers/binance.js";
import {
  ControlMessage,
  decimalParts,
  isObject,
  MarketRecord,
  ParseError,
  type ParseResult,
  secondsTextToMicros,
  show,
  volumeText,
} from "../parsers/common.js";
import { parseVenueMessage } from "../parsers/index.js";
import { krakenInstrumentId } from "../parsers/kraken.js";
import { DataFileError } from "./errors.js";
import { instrumentForFile, intervalFromName } from "./instrument.js";

/** One decoded element of a document: its 1-based row (array index + 1) and result or error. */
export interface DocumentItem {
  line: number;
  result: ParseResult | Error;
  orderTs: number | null;
}

function parseDocument(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataFileError("DATA_CORRUPT", `${file}: not valid JSON: ${(e as Error).message}`, { file });
  }
}

/** Max decimal scale of column `c` over rows (numbers or numeric strings). */
function columnScale(rows: unknown[], c: number, volume = false): number {
  let max = 0;
  for (const r of rows) {
    if (!Array.isArray(r)) continue;
    const v = volume ? volumeText(r[c], "volume") : r[c];
    if (typeof v !== "number" && typeof v !== "string") continue;
    try {
      const { scale } = decimalParts(v, String(c));
      if (scale > max) max = scale;
    } catch {
      // reported when the row itself is decoded
    }
  }
  return max;
}

function priceAt(v: unknown, scale: number, field: string): Price {
  const d = decimalParts(v, field);
  return Price.fromRaw(rescale(d.raw, d.scale, scale), scale);
}

function qtyAt(v: unknown, scale: number, field: string): Quantity {
  const d = decimalParts(v, field);
  if (d.raw < 0) throw new ParseError(`quantity ${show(v)} is negative`, field);
  return Quantity.fromRaw(rescale(d.raw, d.scale, scale), scale);
}

function msField(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new ParseError(`expected integer milliseconds, got ${show(v)}`, field);
  }
  return v * 1000;
}

function* eachRow(
  rows: unknown[],
  fn: (r: unknown[], k: number) => ParseResult,
  ts: (r: unknown[]) => number | null,
): Generator<DocumentItem> {
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    let result: ParseResult | Error;
    let orderTs: number | null = null;
    try {
      if (!Array.isArray(r)) throw new ParseError(`row must be an array, got ${show(r)}`);
      orderTs = ts(r);
      result = fn(r, k);
    } catch (e) {
      result = e as Error;
    }
    yield { line: k + 1, result, orderTs };
  }
}

function rowsOf(file: string, doc: unknown): unknown[] {
  if (!Array.isArray(doc))
    throw new DataFileError("DATA_CORRUPT", `${file}: expected a JSON array of rows`, { file });
  return doc;
}

export function* freqtradeTrades(file: string, text: string, instrument?: string): Generator<DocumentItem> {
  const rows = rowsOf(file, parseDocument(file, text));
  const id = instrumentForFile(file, instrument);
  const ps = columnScale(rows, 4);
  const qs = columnScale(rows, 5);
  yield* eachRow(
    rows,
    (r) => {
      if (r.length < 6)
        throw new ParseError(`expected [timestamp, id, type, side, price, amount, cost], got ${show(r)}`);
      const ts = msField(r[0], "timestamp");
      const side = r[3] === "buy" ? AggressorSide.Buyer : r[3] === "sell" ? AggressorSide.Seller : null;
      if (side === null) throw new ParseError(`side ${show(r[3])}`, "side");
      const t = new TradeTick(
        id,
        priceAt(r[4], ps, "price"),
        qtyAt(r[5], qs, "amount"),
        side,
        String(r[1]),
        ts,
        ts,
      );
      return [new MarketRecord(t, "none")];
    },
    (r) => (typeof r[0] === "number" ? r[0] * 1000 : null),
  );
}

export function* freqtradeOhlcv(
  file: string,
  text: string,
  instrument?: string,
  interval?: string,
): Generator<DocumentItem> {
  const rows = rowsOf(file, parseDocument(file, text));
  const id = instrumentForFile(file, instrument, true);
  let iv = interval ?? intervalFromName(file);
  if (iv === null && rows.length >= 2 && Array.isArray(rows[0]) && Array.isArray(rows[1])) {
    const step = Number(rows[1][0]) - Number(rows[0][0]);
    iv = step % 3_600_000 === 0 ? `${step / 3_600_000}h` : step % 60_000 === 0 ? `${step / 60_000}m` : null;
  }
  if (iv === null) {
    throw new DataFileError(
      "DATA_NO_INTERVAL",
      `${file}: cannot tell the bar interval; put it in the file name`,
      { file },
    );
  }
  const barType = new BarType(id, intervalSpec(iv, "interval"));
  const len = barType.spec.intervalMicros();
  const ps = Math.max(columnScale(rows, 1), columnScale(rows, 2), columnScale(rows, 3), columnScale(rows, 4));
  const vs = columnScale(rows, 5, true);
  yield* eachRow(
    rows,
    (r) => {
      if (r.length < 6)
        throw new ParseError(`expected [timestamp, open, high, low, close, volume], got ${show(r)}`);
      const t = msField(r[0], "timestamp");
      const b = new Bar(
        barType,
        priceAt(r[1], ps, "open"),
        priceAt(r[2], ps, "high"),
        priceAt(r[3], ps, "low"),
        priceAt(r[4], ps, "close"),
        qtyAt(volumeText(r[5], "volume"), vs, "volume"),
        t,
        t + len,
        t + len,
      );
      return [new MarketRecord(b, "none")];
    },
    (r) => (typeof r[0] === "number" ? r[0] * 1000 : null),
  );
}

/** Kraken REST `{"error": [], "result": {PAIR: rows, "last": ...}}` (Trades or OHLC). */
function* krakenRest(doc: Record<string, unknown>): Generator<DocumentItem> {
  const result = doc.result as Record<string, unknown>;
  for (const [pair, rows] of Object.entries(result)) {
    if (!Array.isArray(rows)) continue;
    const id: InstrumentId = krakenInstrumentId(pair);
    const isTrades = rows.length > 0 && Array.isArray(rows[0]) && (rows[0][3] === "b" || rows[0][3] === "s");
    if (isTrades) {
      yield* eachRow(
        rows,
        (r) => {
          const ts = secondsTextToMicros(String(r[2]), "time");
          const t = new TradeTick(
            id,
            Price.parse(String(r[0])),
            Quantity.parse(String(r[1])),
            r[3] === "b" ? AggressorSide.Buyer : AggressorSide.Seller,
            String(r[6] ?? `${r[2]}`),
            ts,
            ts,
          );
          return [new MarketRecord(t, "none")];
        },
        () => null,
      );
    } else {
      const barType = new BarType(id, intervalSpec("1m", "interval"));
      const ps = Math.max(
        columnScale(rows, 1),
        columnScale(rows, 2),
        columnScale(rows, 3),
        columnScale(rows, 4),
      );
      const vs = columnScale(rows, 6);
      yield* eachRow(
        rows,
        (r) => {
          const t = Number(r[0]) * 1_000_000;
          const b = new Bar(
            barType,
            priceAt(r[1], ps, "open"),
            priceAt(r[2], ps, "high"),
            priceAt(r[3], ps, "low"),
            priceAt(r[4], ps, "close"),
            qtyAt(r[6], vs, "volume"),
            t,
            t + 60_000_000,
            t + 60_000_000,
          );
          return [new MarketRecord(b, "none")];
        },
        () => null,
      );
    }
  }
}

/** A JSON document holding one venue message, an array of them, or a Kraken REST response. */
export function* jsonDocument(file: string, text: string): Generator<DocumentItem> {
  const doc = parseDocument(file, text);
  if (isObject(doc) && Array.isArray(doc.error) && isObject(doc.result)) {
    yield* krakenRest(doc);
    return;
  }
  const msgs =
    Array.isArray(doc) && !(doc.length >= 4 && typeof doc[doc.length - 1] === "string") ? doc : [doc];
  for (let k = 0; k < msgs.length; k++) {
    let result: ParseResult | Error;
    try {
      result = parseVenueMessage(msgs[k], { tsRecv: null, binanceMarket: null, symbolHint: null });
    } catch (e) {
      result = e as Error;
    }
    yield { line: k + 1, result, orderTs: null };
  }
}

export { ControlMessage };
