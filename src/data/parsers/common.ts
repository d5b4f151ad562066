/**
 * Shared pieces of the venue message parsers: the record type every parser produces, the
 * parse error, and exact decimal/time helpers that never go through a float.
 */
import type { MarketData } from "../../model/data.js";
import { BotV6Error } from "../../model/errors.js";
import { checkPrecision, MAX_PRECISION, parseDecimal } from "../../model/fixed.js";
import type { UnixMicros } from "../../model/time.js";
import { parseIsoToMicros } from "../../model/time.js";
import { Price, Quantity } from "../../model/values.js";

/**
 * The sequencing dialect of a record's venue feed: tells the order-book sequencer which rules
 * apply (Binance `U`/`u`/`pu`, Bybit `u`, OKX `seqId` + checksum, Kraken checksum, ...).
 * `none` means the source carries no sequencing information (e.g. Tardis CSV).
 */
export type Feed =
  | "binance-spot"
  | "binance-usdm"
  | "bybit"
  | "okx"
  | "kraken"
  | "kraken-v2"
  | "coinbase"
  | "coinbase-advanced"
  | "none";

/**
 * One market-data event decoded from a venue message or file row, with where it came from.
 * `data` is a domain object; the other fields carry venue context that the domain type has no
 * room for and that book verification needs.
 */
export class MarketRecord {
  /** Source file (as given by the caller); set by the file reader. */
  file = "";
  /** 1-based line (or row) number in the decompressed file; set by the file reader. */
  line = 0;
  constructor(
    readonly data: MarketData,
    readonly feed: Feed,
    /**
     * For quotes: the venue order-book update id the quote reflects (Binance `bookTicker.u`),
     * -1 when the venue gives none. For book data: unused (-1).
     */
    readonly updateId: number = -1,
    /** For book deltas: the depth the venue maintains (Kraken `book-1000` → 1000); 0 = unbounded. */
    readonly depth: number = 0,
    /** Container receive time (capture clock), or null when the container has none. */
    readonly tsRecv: UnixMicros | null = null,
  ) {}
}

/** Per-message parse context given by the container reader. */
export interface ParseContext {
  /** Receive timestamp of the line, from the container; null if unknown. */
  tsRecv: UnixMicros | null;
  /** Binance market when the container tells it (URL, stream names); null = infer from message. */
  binanceMarket?: "spot" | "usdm" | null;
  /** Symbol for messages that do not name one (Binance REST depth snapshots). */
  symbolHint?: string | null;
}

/** A message or row that cannot be decoded. `field` names the offending key/column. */
export class ParseError extends BotV6Error {
  constructor(message: string, field?: string) {
    super("DATA_PARSE_ERROR", field === undefined ? message : `${message} (field "${field}")`, {
      field: field ?? null,
    });
  }
}

/** A message that is valid but carries no market data (acks, heartbeats, account events). */
export class ControlMessage {
  constructor(readonly what: string) {}
}

/** Parser output: records, or a control message to be counted (never silently dropped). */
export type ParseResult = MarketRecord[] | ControlMessage;

const CH_0 = 48;
const CH_DOT = 46;
const CH_MINUS = 45;

/**
 * Parses a plain decimal (`-?\d+(\.\d*)?`) exactly into raw + scale without a regex; falls
 * back to the general parser (exponents, signs) for anything else. Returns -1 scale if not a
 * number at all.
 */
let lastScale = 0;
function fastRaw(text: string): number {
  const n = text.length;
  if (n === 0 || n > 17) return Number.NaN;
  let i = 0;
  let neg = false;
  if (text.charCodeAt(0) === CH_MINUS) {
    neg = true;
    i = 1;
  }
  let raw = 0;
  let scale = -1;
  let digits = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === CH_DOT) {
      if (scale >= 0) return Number.NaN;
      scale = 0;
      continue;
    }
    const d = c - CH_0;
    if (d < 0 || d > 9) return Number.NaN;
    raw = raw * 10 + d;
    digits++;
    if (scale >= 0) scale++;
  }
  if (digits === 0) return Number.NaN;
  lastScale = Math.max(scale, 0);
  return neg ? -raw || 0 : raw;
}

/** Exact raw + scale of a decimal string; throws {@link ParseError} naming `field`. */
export function decimalParts(text: unknown, field: string): { raw: number; scale: number } {
  if (typeof text === "number") return decimalParts(numberText(text, field), field);
  if (typeof text !== "string") throw new ParseError(`expected a decimal string, got ${show(text)}`, field);
  const raw = fastRaw(text);
  if (!Number.isNaN(raw) && Number.isSafeInteger(raw)) return { raw, scale: lastScale };
  try {
    return parseDecimal(text);
  } catch (e) {
    throw new ParseError(`"${text}" is not an exact decimal: ${(e as Error).message}`, field);
  }
}

/** Shortest exact decimal text of a JSON number (JSON numbers are already binary doubles). */
export function numberText(v: number, field: string): string {
  if (!Number.isFinite(v)) throw new ParseError(`expected a finite number, got ${v}`, field);
  return String(v);
}

/**
 * Candle volume as decimal text, read to at most 15 significant digits. Volumes of candle
 * files written from floats can carry binary artefacts (`218102.59507500002`) that no exact
 * decimal type should take at face value; 15 significant digits is what a double holds
 * exactly. Prices are never treated this way: they must be exact.
 */
export function volumeText(v: unknown, field: string): unknown {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) return v;
  const digits = String(typeof v === "string" ? v : n).replace(/^[-+]?0*\.?0*|[eE].*$|\./g, "");
  if (digits.length <= 15) return v;
  void field;
  return String(Number(n.toPrecision(15)));
}

/** A price at the precision it is written with. */
export function parsePrice(text: unknown, field: string): Price {
  const { raw, scale } = decimalParts(text, field);
  if (scale > MAX_PRECISION) {
    throw new ParseError(`"${String(text)}" has more than ${MAX_PRECISION} decimal places`, field);
  }
  return Price.fromRaw(raw, scale);
}

/** A non-negative quantity at the precision it is written with. */
export function parseQuantity(text: unknown, field: string): Quantity {
  const { raw, scale } = decimalParts(text, field);
  if (raw < 0) throw new ParseError(`quantity "${String(text)}" is negative`, field);
  if (scale > MAX_PRECISION) {
    throw new ParseError(`"${String(text)}" has more than ${MAX_PRECISION} decimal places`, field);
  }
  checkPrecision(scale);
  return Quantity.fromRaw(raw, scale);
}

/** Integer milliseconds (number or numeric string) to microseconds. */
export function msToMicros(v: unknown, field: string): UnixMicros {
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new ParseError(`expected integer milliseconds, got ${show(v)}`, field);
  }
  return n * 1000;
}

/** Decimal seconds text such as `"1626992741.06217"` to microseconds, exactly (truncating below 1 µs). */
export function secondsTextToMicros(text: string, field: string): UnixMicros {
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (m === null) throw new ParseError(`"${text}" is not a decimal seconds timestamp`, field);
  const us = Number(m[1]) * 1_000_000 + Number((m[2] ?? "").padEnd(6, "0").slice(0, 6));
  if (!Number.isSafeInteger(us)) throw new ParseError(`timestamp "${text}" is out of range`, field);
  return us;
}

/** Integer nanoseconds text to microseconds, exactly (truncating below 1 µs). */
export function nsTextToMicros(text: string, field: string): UnixMicros {
  if (!/^\d{1,22}$/.test(text))
    throw new ParseError(`"${text}" is not an integer nanosecond timestamp`, field);
  if (text.length <= 3) return 0;
  const us = Number(text.slice(0, -3));
  if (!Number.isSafeInteger(us)) throw new ParseError(`timestamp "${text}" is out of range`, field);
  return us;
}

/** ISO-8601 time to microseconds, with a parse error naming the field. */
export function isoToMicros(v: unknown, field: string): UnixMicros {
  if (typeof v !== "string") throw new ParseError(`expected an ISO-8601 time, got ${show(v)}`, field);
  try {
    return parseIsoToMicros(v);
  } catch {
    throw new ParseError(`"${v}" is not an ISO-8601 time`, field);
  }
}

/** Required property of a JSON object; throws naming the key when missing. */
export function req(obj: Record<string, unknown>, key: string, where: string): unknown {
  const v = obj[key];
  if (v === undefined || v === null) throw new ParseError(`${where}: missing "${key}"`, key);
  return v;
}

export function reqString(obj: Record<string, unknown>, key: string, where: string): string {
  const v = req(obj, key, where);
  if (typeof v !== "string") throw new ParseError(`${where}: "${key}" must be a string, got ${show(v)}`, key);
  return v;
}

export function reqInt(obj: Record<string, unknown>, key: string, where: string): number {
  const v = req(obj, key, where);
  const n = typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw new ParseError(`${where}: "${key}" must be an integer, got ${show(v)}`, key);
  }
  return n;
}

export function reqArray(obj: Record<string, unknown>, key: string, where: string): unknown[] {
  const v = req(obj, key, where);
  if (!Array.isArray(v)) throw new ParseError(`${where}: "${key}" must be an array`, key);
  return v;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function show(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
