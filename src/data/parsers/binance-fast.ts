/**
 * A hand-written scanner for the hot Binance combined-stream messages (`depthUpdate`, `trade`,
 * `aggTrade`, `bookTicker`). It reads the JSON text once, without building an intermediate
 * object, and produces exactly what {@link parseBinance} produces from `JSON.parse` of the same
 * line. Anything it does not expect (escapes, nested objects, unknown keys with odd values,
 * floats where integers belong) makes it return `null`, and the caller falls back to the
 * general path, so exactness never depends on the scanner's coverage.
 */
import {
  BookFlags,
  BookOrder,
  OrderBookDelta,
  OrderBookDeltas,
  QuoteTick,
  TradeTick,
} from "../../model/data.js";
import { AggressorSide, BookAction, BookSide } from "../../model/enums.js";
import { MAX_PRECISION } from "../../model/fixed.js";
import type { InstrumentId } from "../../model/identifiers.js";
import { Price, Quantity } from "../../model/values.js";
import { type BinanceMarket, binanceFeed, binanceInstrumentId } from "./binance.js";
import { MarketRecord } from "./common.js";

// Result registers of decimal(): written once per call, read right after.
let decRaw = 0;
let decScale = 0;

const Q = 34; // "
const COLON = 58;
const COMMA = 44;
const RBRACE = 125;
const LBRACK = 91;
const RBRACK = 93;

/** Decimal text s[a, b) into decRaw/decScale; false if not a plain decimal of <= 15 digits. */
function decimal(s: string, a: number, b: number): boolean {
  let raw = 0;
  let scale = -1;
  let digits = 0;
  for (let k = a; k < b; k++) {
    const c = s.charCodeAt(k);
    if (c === 46) {
      if (scale >= 0) return false;
      scale = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return false;
    raw = raw * 10 + d;
    digits++;
    if (scale >= 0) scale++;
  }
  if (digits === 0 || digits > 15) return false;
  decRaw = raw;
  decScale = Math.max(scale, 0);
  return decScale <= MAX_PRECISION;
}

/** Index of the closing quote of the string opened at s[i], or -1 (the line has no escapes). */
function stringEnd(s: string, i: number): number {
  return s.indexOf('"', i + 1);
}

const orders: BookOrder[] = [];
let lastSym = "";
let lastMarket: BinanceMarket | null = null;
let lastId: InstrumentId | null = null;

/**
 * Reads a quoted plain decimal starting at s[i] === '"' into decRaw/decScale in one pass;
 * returns the index after the closing quote, or -1 if it is not a plain decimal of <= 15 digits.
 */
function quotedDecimal(s: string, i: number): number {
  if (s.charCodeAt(i) !== Q) return -1;
  i++;
  let raw = 0;
  let scale = -1;
  let digits = 0;
  for (;;) {
    const c = s.charCodeAt(i++);
    if (c === Q) break;
    if (c === 46) {
      if (scale >= 0) return -1;
      scale = 0;
      continue;
    }
    const d = c - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    raw = raw * 10 + d;
    digits++;
    if (scale >= 0) scale++;
  }
  if (digits === 0 || digits > 15) return -1;
  decRaw = raw;
  decScale = Math.max(scale, 0);
  return decScale <= MAX_PRECISION ? i : -1;
}

/** Reads `[["p","q"],...]` starting at s[i] === '[' into `orders`; returns the index after it or -1. */
function scanLevels(s: string, i: number, side: BookSide): number {
  i++;
  if (s.charCodeAt(i) === RBRACK) return i + 1;
  for (;;) {
    if (s.charCodeAt(i) !== LBRACK) return -1;
    i = quotedDecimal(s, i + 1);
    if (i < 0) return -1;
    const price = Price.fromRaw(decRaw, decScale);
    if (s.charCodeAt(i) !== COMMA) return -1;
    i = quotedDecimal(s, i + 1);
    if (i < 0) return -1;
    const size = Quantity.fromRaw(decRaw, decScale);
    if (s.charCodeAt(i) !== RBRACK) return -1;
    orders.push(new BookOrder(side, price, size, 0));
    const c = s.charCodeAt(i + 1);
    i += 2;
    if (c === RBRACK) return i;
    if (c !== COMMA) return -1;
  }
}

/**
 * Parses a Binance combined-stream line (`{"stream":...,"data":{...}}`) starting at `start`.
 * Returns null when the message is not one of the hot types or has an unexpected layout.
 */
export function fastParseBinanceCombined(
  line: string,
  start: number,
  tsRecv: number | null,
  market: BinanceMarket | null,
): MarketRecord | null {
  const s = line;
  let i = start;
  if (!s.startsWith('{"stream":"', i)) return null;
  // any escape means the general path must decode the strings
  if (s.indexOf("\\", i) >= 0) return null;
  i = stringEnd(s, i + 10);
  if (i < 0 || !s.startsWith(',"data":{', i + 1)) return null;
  i += 10;
  orders.length = 0;
  let ev = 0; // 1 depth, 2 trade, 3 aggTrade, 4 bookTicker
  let symA = -1;
  let symB = -1;
  let E = -1;
  let T = -1;
  let U = -1;
  let u = -1;
  let pu = -1;
  let tid = -1;
  let m = -1;
  let pA = -1;
  let pB = -1;
  let qA = -1;
  let qB = -1;
  let bA = -1;
  let bB = -1;
  let BA = -1;
  let BB = -1;
  let aA = -1;
  let aB = -1;
  let AA = -1;
  let AB = -1;
  let nBids = -1;
  let futuresKeys = false;
  for (;;) {
    // key
    if (s.charCodeAt(i) !== Q) return null;
    const ks = i + 1;
    const ke = stringEnd(s, i);
    if (ke < 0) return null;
    const k0 = s.charCodeAt(ks);
    const klen = ke - ks;
    if (s.charCodeAt(ke + 1) !== COLON) return null;
    i = ke + 2;
    const c = s.charCodeAt(i);
    if (c === Q) {
      const vs = i + 1;
      const ve = stringEnd(s, i);
      if (ve < 0) return null;
      i = ve + 1;
      if (klen === 1) {
        switch (k0) {
          case 101: {
            // e
            const len = ve - vs;
            if (len === 11 && s.startsWith("depthUpdate", vs)) ev = 1;
            else if (len === 5 && s.startsWith("trade", vs)) ev = 2;
            else if (len === 8 && s.startsWith("aggTrade", vs)) ev = 3;
            else if (len === 10 && s.startsWith("bookTicker", vs)) ev = 4;
            else return null;
            break;
          }
          case 115: // s
            symA = vs;
            symB = ve;
            break;
          case 112: // p
            pA = vs;
            pB = ve;
            break;
          case 113: // q
            qA = vs;
            qB = ve;
            break;
          case 98: // b
            bA = vs;
            bB = ve;
            break;
          case 66: // B
            BA = vs;
            BB = ve;
            break;
          case 97: // a
            aA = vs;
            aB = ve;
            break;
          case 65: // A
            AA = vs;
            AB = ve;
            break;
          case 88: // X (futures trade type)
            futuresKeys = true;
            break;
          default:
            break;
        }
      } else if (klen === 2 && k0 === 112 && s.charCodeAt(ks + 1) === 115) {
        futuresKeys = true; // ps
      }
    } else if (c === LBRACK) {
      if (klen !== 1) return null;
      if (k0 === 98) {
        if (nBids >= 0) return null; // duplicate key: let JSON.parse semantics decide
        i = scanLevels(s, i, BookSide.Bid);
        nBids = orders.length;
      } else if (k0 === 97) {
        if (nBids < 0) return null; // asks before bids: let the general path handle it
        i = scanLevels(s, i, BookSide.Ask);
      } else return null;
      if (i < 0) return null;
    } else if (c === 116 || c === 102) {
      const isTrue = s.startsWith("true", i);
      if (isTrue) i += 4;
      else if (s.startsWith("false", i)) i += 5;
      else return null;
      if (klen === 1 && k0 === 109) m = isTrue ? 1 : 0; // m
      // "M" (spot "best match") is ignored
    } else {
      // non-negative integer
      let v = 0;
      let n = 0;
      for (;;) {
        const d = s.charCodeAt(i) - 48;
        if (!(d >= 0 && d <= 9)) break;
        v = v * 10 + d;
        n++;
        i++;
      }
      if (n === 0 || n > 15) return null;
      const after = s.charCodeAt(i);
      if (after === 46 || after === 101 || after === 69) return null;
      if (klen === 1) {
        switch (k0) {
          case 69: // E
            E = v;
            break;
          case 84: // T
            T = v;
            break;
          case 85: // U
            U = v;
            break;
          case 117: // u
            u = v;
            break;
          case 116: // t
          case 97: // a (aggTrade id)
            tid = v;
            break;
          default:
            break;
        }
      } else if (klen === 2 && k0 === 112 && s.charCodeAt(ks + 1) === 117) {
        pu = v;
      } else if (klen === 2 && k0 === 115 && s.charCodeAt(ks + 1) === 116) {
        futuresKeys = true; // st
      }
    }
    const sep = s.charCodeAt(i);
    i++;
    if (sep === RBRACE) break;
    if (sep !== COMMA) return null;
  }
  if (s.charCodeAt(i) !== RBRACE) return null;
  if (i + 1 !== s.length && s.slice(i + 1).trim() !== "") return null;
  if (symA < 0) return null;
  if (ev === 0 && u >= 0 && bA >= 0) ev = 4; // spot bookTicker has no "e"
  let mk: BinanceMarket;
  if (market !== null) mk = market;
  else if (pu >= 0 || futuresKeys || (ev === 4 && E >= 0)) mk = "usdm";
  else mk = "spot";
  // The symbol rarely changes between messages: compare in place instead of slicing and hashing.
  let id: InstrumentId;
  const symLen = symB - symA;
  if (mk === lastMarket && symLen === lastSym.length && s.startsWith(lastSym, symA)) id = lastId!;
  else {
    lastSym = s.slice(symA, symB);
    lastMarket = mk;
    lastId = binanceInstrumentId(lastSym, mk);
    id = lastId;
  }
  const feed = binanceFeed(mk);
  switch (ev) {
    case 1: {
      if (E < 0 || U < 0 || u < 0 || nBids < 0 || !(pu >= 0 || mk === "spot")) return null;
      const tsEvent = E * 1000;
      const tsInit = tsRecv ?? tsEvent;
      const n = orders.length;
      const deltas: OrderBookDelta[] = new Array(n);
      for (let k = 0; k < n; k++) {
        const o = orders[k];
        deltas[k] = new OrderBookDelta(
          id,
          o.size.raw === 0 ? BookAction.Delete : BookAction.Update,
          o,
          k === n - 1 ? BookFlags.Last : 0,
          u,
          tsEvent,
          tsInit,
        );
      }
      const prev = pu >= 0 ? pu : -1;
      return new MarketRecord(
        new OrderBookDeltas(id, deltas, false, U, u, prev, tsEvent, tsInit),
        feed,
        -1,
        0,
        tsRecv,
      );
    }
    case 2:
    case 3: {
      if (T < 0 || tid < 0 || m < 0 || pA < 0 || qA < 0) return null;
      if (!decimal(s, pA, pB)) return null;
      const price = Price.fromRaw(decRaw, decScale);
      if (!decimal(s, qA, qB)) return null;
      const size = Quantity.fromRaw(decRaw, decScale);
      const ts = T * 1000;
      const tick = new TradeTick(
        id,
        price,
        size,
        m === 1 ? AggressorSide.Seller : AggressorSide.Buyer,
        String(tid),
        ts,
        tsRecv ?? ts,
      );
      return new MarketRecord(tick, feed, -1, 0, tsRecv);
    }
    case 4: {
      if (u < 0 || bA < 0 || BA < 0 || aA < 0 || AA < 0) return null;
      const ts = E >= 0 ? E * 1000 : tsRecv;
      if (ts === null) return null;
      if (!decimal(s, bA, bB)) return null;
      const bid = Price.fromRaw(decRaw, decScale);
      if (!decimal(s, aA, aB)) return null;
      const ask = Price.fromRaw(decRaw, decScale);
      if (!decimal(s, BA, BB)) return null;
      const bidSize = Quantity.fromRaw(decRaw, decScale);
      if (!decimal(s, AA, AB)) return null;
      const askSize = Quantity.fromRaw(decRaw, decScale);
      return new MarketRecord(
        new QuoteTick(id, bid, ask, bidSize, askSize, ts, tsRecv ?? ts),
        feed,
        u,
        0,
        tsRecv,
      );
    }
    default:
      return null;
  }
}
