/**
 * A hand-written scanner for the hot Binance combined-stream messages (`depthUpdate`, `trade`,
 * `aggTrade`, `bookTicker`). It reads the JSON text once, without building an intermediate
 * object, and produces exactly what {@link parseBinance} produces from `JSON.parse` of the same
 * line. Anything it does not expect (escapes, nested objects, unknown keys with odd values,
 * floats where integers belong) makes it return `null`, and the caller falls back to the
 * general path, so exactness never depends on the scanner's coverage.
 *
 * A `depthUpdate` becomes a columnar {@link OrderBookDeltas} (levels in shared typed-array
 * slabs, see {@link BookDeltaColumns}); its `deltas` objects, created on first access, are
 * exactly what the general path builds.
 */
import {
  ACTION_DELETE,
  ACTION_UPDATE,
  BookDeltaColumns,
  BookFlags,
  OrderBookDeltas,
  QuoteTick,
  TradeTick,
} from "../../model/data.js";
import { AggressorSide } from "../../model/enums.js";
import { MAX_PRECISION } from "../../model/fixed.js";
import type { InstrumentId } from "../../model/identifiers.js";
import { Price, Quantity } from "../../model/values.js";
import { type BinanceMarket, binanceFeed, binanceInstrumentId } from "./binance.js";
import { MarketRecord } from "./common.js";

// Result registers of byteDecimal(): written once per call, read right after.
let decRaw = 0;
let decScale = 0;

const MAX_DP = MAX_PRECISION;
const A_DELETE = ACTION_DELETE;
const A_UPDATE = ACTION_UPDATE;
const F_LAST = BookFlags.Last;
const Q = 34; // "
const COLON = 58;
const COMMA = 44;
const RBRACE = 125;
const LBRACK = 91;
const RBRACK = 93;

/**
 * Index of the closing quote of the string opened at b[i], or -1 (the line has no escapes; a
 * NUL, which also ends the copied line, is not allowed in a JSON string).
 */
function stringEnd(b: Uint8Array, i: number): number {
  for (i++; ; i++) {
    const c = b[i];
    if (c === Q) return i;
    if (c === 0 || c === undefined) return -1;
  }
}

let lastSym = "";
let lastMarket: BinanceMarket | null = null;
let lastId: InstrumentId | null = null;

// Columnar batches are carved out of shared slabs (one allocation per ~100 messages instead of
// five typed arrays per message). The scanner writes a message's levels at `slabUsed` onwards
// and commits them (advances `slabUsed`) only when the message is complete, so a slab range is
// written once and never changes after its batch is built. A retained batch keeps its slab
// (about 150 kB) alive.
const SLAB = 8192;
let slabSide = new Uint8Array(0);
let slabAction = new Uint8Array(0);
let slabFlags = new Uint8Array(0);
let slabPrice = new Float64Array(0);
let slabSize = new Float64Array(0);
let slabUsed = 0;
/** Levels scanned for the current message (at slabUsed..slabUsed+lvN). */
let lvN = 0;
/** Price / size precision of the current message's levels; -1 before the first level. */
let lvPp = -1;
let lvSp = -1;

/** Makes room for the levels a line of `chars` characters can hold (a level takes >= 10). */
function reserveLevels(chars: number): void {
  const need = Math.ceil(chars / 10) + 1;
  if (slabUsed + need <= slabSide.length) return;
  const cap = Math.max(SLAB, need);
  slabSide = new Uint8Array(cap);
  slabAction = new Uint8Array(cap);
  slabFlags = new Uint8Array(cap);
  slabPrice = new Float64Array(cap);
  slabSize = new Float64Array(cap);
  slabUsed = 0;
}

// Lines are scanned from bytes: indexing a byte array is about twice as fast as `charCodeAt` on
// the sliced strings line readers produce, and copying a line costs little.
let bytes = Buffer.alloc(1 << 16);

/**
 * Copies `s` into `bytes` (index k = character k); false when it holds a character outside
 * ASCII (then character and byte positions differ, and the general path decodes the line).
 */
function toBytes(s: string): boolean {
  if (bytes.length <= s.length * 3) bytes = Buffer.alloc(Math.max(bytes.length * 2, s.length * 3 + 1));
  if (bytes.write(s, 0, "utf8") !== s.length) return false;
  // A NUL after the line: no scan loop runs into the bytes of an earlier, longer line.
  bytes[s.length] = 0;
  return true;
}

/**
 * Reads a quoted plain decimal starting at b[i] === '"' into decRaw/decScale in one pass;
 * returns the index after the closing quote, or -1 if it is not a plain decimal of <= 15
 * digits and <= MAX_PRECISION decimals.
 */
function byteDecimal(b: Uint8Array, i: number): number {
  if (b[i] !== Q) return -1;
  i++;
  let raw = 0;
  let digits = 0;
  let scale = 0;
  let c = b[i++];
  while (c >= 48 && c <= 57) {
    raw = raw * 10 + (c - 48);
    digits++;
    c = b[i++];
  }
  if (c === 46) {
    c = b[i++];
    while (c >= 48 && c <= 57) {
      raw = raw * 10 + (c - 48);
      scale++;
      c = b[i++];
    }
    digits += scale;
  }
  if (c !== Q || digits === 0 || digits > 15 || scale > MAX_DP) return -1;
  decRaw = raw;
  decScale = scale;
  return i;
}

/**
 * Reads `[["p","q"],...]` starting at b[i] === '[' into the slab; returns the index after it,
 * or -1 for anything but quoted plain decimals of <= 15 digits (and <= 12 decimals), or when
 * the levels of one message do not share one price and one size precision (the general path
 * then builds objects at each level's written precision; Binance pads, so this never happens).
 */
function scanLevels(b: Uint8Array, i: number, side: 0 | 1): number {
  i++;
  if (b[i] === RBRACK) return i + 1;
  const prices = slabPrice;
  const sizes = slabSize;
  const sides = slabSide;
  const actions = slabAction;
  let at = slabUsed + lvN;
  let pp = lvPp;
  let sp = lvSp;
  for (;;) {
    if (b[i] !== LBRACK) return -1;
    i = byteDecimal(b, i + 1);
    if (i < 0) return -1;
    let raw = decRaw;
    let scale = decScale;
    if (scale !== pp) {
      if (pp >= 0) return -1;
      pp = scale;
    }
    prices[at] = raw;
    if (b[i] !== COMMA) return -1;
    i = byteDecimal(b, i + 1);
    if (i < 0) return -1;
    raw = decRaw;
    scale = decScale;
    if (scale !== sp) {
      if (sp >= 0) return -1;
      sp = scale;
    }
    sizes[at] = raw;
    actions[at] = raw === 0 ? A_DELETE : A_UPDATE;
    sides[at] = side;
    at++;
    lvN = at - slabUsed;
    lvPp = pp;
    lvSp = sp;
    if (b[i] !== RBRACK) return -1;
    const c = b[i + 1];
    i += 2;
    if (c === RBRACK) return i;
    if (c !== COMMA) return -1;
  }
}

/** Commits the scanned levels as one columnar diff batch (not a snapshot). */
function buildDiff(
  id: InstrumentId,
  first: number,
  u: number,
  prev: number,
  tsEvent: number,
  tsInit: number,
): OrderBookDeltas {
  const n = lvN;
  const o = slabUsed;
  slabUsed = o + n;
  if (n > 0) slabFlags[o + n - 1] = F_LAST;
  const cols = new BookDeltaColumns(
    n,
    slabSide,
    slabAction,
    slabFlags,
    slabPrice,
    slabSize,
    n > 0 ? lvPp : 0,
    n > 0 ? lvSp : 0,
    o,
  );
  return OrderBookDeltas.fromColumns(id, cols, false, first, u, prev, tsEvent, tsInit);
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
  // scanned from a byte copy (see toBytes); lines with non-ASCII text take the general path
  if (!toBytes(s)) return null;
  const b = bytes;
  i = stringEnd(b, i + 10);
  if (i < 0 || !s.startsWith(',"data":{', i + 1)) return null;
  i += 10;
  lvN = 0;
  lvPp = -1;
  lvSp = -1;
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
  // decimal fields read in place: raw and scale, scale -1 when missing or not a plain decimal
  let pR = 0;
  let pS = -1;
  let qR = 0;
  let qS = -1;
  let bR = 0;
  let bS = -1;
  let BR = 0;
  let BS = -1;
  let aR = 0;
  let aS = -1;
  let AR = 0;
  let AS = -1;
  let nBids = -1;
  let futuresKeys = false;
  for (;;) {
    // key: one character in almost every case (the line has no escapes)
    if (b[i] !== Q) return null;
    const ks = i + 1;
    let ke = i + 2;
    if (b[ke] !== Q || b[ks] === Q) {
      ke = stringEnd(b, i);
      if (ke < 0) return null;
    }
    const k0 = b[ks];
    const klen = ke - ks;
    if (b[ke + 1] !== COLON) return null;
    i = ke + 2;
    const c = b[i];
    if (c === Q) {
      if (klen === 1) {
        switch (k0) {
          case 101: {
            // e
            const v0 = b[i + 1];
            if (v0 === 100 && s.startsWith('depthUpdate"', i + 1)) {
              ev = 1;
              i += 13;
            } else if (v0 === 116 && s.startsWith('trade"', i + 1)) {
              ev = 2;
              i += 7;
            } else if (v0 === 97 && s.startsWith('aggTrade"', i + 1)) {
              ev = 3;
              i += 10;
            } else if (v0 === 98 && s.startsWith('bookTicker"', i + 1)) {
              ev = 4;
              i += 12;
            } else return null;
            break;
          }
          case 115: // s
            symA = i + 1;
            symB = stringEnd(b, i);
            if (symB < 0) return null;
            i = symB + 1;
            break;
          case 112: // p
          case 113: // q
          case 98: // b
          case 66: // B
          case 97: // a
          case 65: {
            // A
            let j = byteDecimal(b, i);
            let raw = decRaw;
            let scale = decScale;
            if (j < 0) {
              // not a plain decimal: only an error if the message type needs the field
              j = stringEnd(b, i) + 1;
              if (j <= 0) return null;
              raw = 0;
              scale = -1;
            }
            i = j;
            if (k0 === 112) {
              pR = raw;
              pS = scale;
            } else if (k0 === 113) {
              qR = raw;
              qS = scale;
            } else if (k0 === 98) {
              bR = raw;
              bS = scale;
            } else if (k0 === 66) {
              BR = raw;
              BS = scale;
            } else if (k0 === 97) {
              aR = raw;
              aS = scale;
            } else {
              AR = raw;
              AS = scale;
            }
            break;
          }
          default: {
            if (k0 === 88) futuresKeys = true; // X (futures trade type)
            const ve = stringEnd(b, i);
            if (ve < 0) return null;
            i = ve + 1;
            break;
          }
        }
      } else {
        if (klen === 2 && k0 === 112 && b[ks + 1] === 115) futuresKeys = true; // ps
        const ve = stringEnd(b, i);
        if (ve < 0) return null;
        i = ve + 1;
      }
    } else if (c === LBRACK) {
      if (klen !== 1) return null;
      if (k0 === 98) {
        if (nBids >= 0) return null; // duplicate key: let JSON.parse semantics decide
        reserveLevels(s.length - i);
        i = scanLevels(b, i, 0);
        nBids = lvN;
      } else if (k0 === 97) {
        if (nBids < 0) return null; // asks before bids: let the general path handle it
        i = scanLevels(b, i, 1);
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
        const d = b[i] - 48;
        if (!(d >= 0 && d <= 9)) break;
        v = v * 10 + d;
        n++;
        i++;
      }
      if (n === 0 || n > 15) return null;
      const after = b[i];
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
      } else if (klen === 2 && k0 === 112 && b[ks + 1] === 117) {
        pu = v;
      } else if (klen === 2 && k0 === 115 && b[ks + 1] === 116) {
        futuresKeys = true; // st
      }
    }
    const sep = b[i];
    i++;
    if (sep === RBRACE) break;
    if (sep !== COMMA) return null;
  }
  if (b[i] !== RBRACE) return null;
  if (i + 1 !== s.length && s.slice(i + 1).trim() !== "") return null;
  if (symA < 0) return null;
  if (ev === 0 && u >= 0 && bS >= 0) ev = 4; // spot bookTicker has no "e"
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
      const prev = pu >= 0 ? pu : -1;
      return new MarketRecord(buildDiff(id, U, u, prev, tsEvent, tsInit), feed, -1, 0, tsRecv);
    }
    case 2:
    case 3: {
      if (T < 0 || tid < 0 || m < 0 || pS < 0 || qS < 0) return null;
      const ts = T * 1000;
      const tick = new TradeTick(
        id,
        Price.fromRawUnchecked(pR, pS),
        Quantity.fromRawUnchecked(qR, qS),
        m === 1 ? AggressorSide.Seller : AggressorSide.Buyer,
        String(tid),
        ts,
        tsRecv ?? ts,
      );
      return new MarketRecord(tick, feed, -1, 0, tsRecv);
    }
    case 4: {
      if (u < 0 || bS < 0 || BS < 0 || aS < 0 || AS < 0) return null;
      const ts = E >= 0 ? E * 1000 : tsRecv;
      if (ts === null) return null;
      return new MarketRecord(
        new QuoteTick(
          id,
          Price.fromRawUnchecked(bR, bS),
          Price.fromRawUnchecked(aR, aS),
          Quantity.fromRawUnchecked(BR, BS),
          Quantity.fromRawUnchecked(AR, AS),
          ts,
          tsRecv ?? ts,
        ),
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
