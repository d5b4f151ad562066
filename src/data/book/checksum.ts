/**
 * Venue order-book checksums, computed from the raw book exactly as the venues specify.
 *
 * - **OKX** (`books`): signed CRC-32 of `bid1Px:bid1Sz:ask1Px:ask1Sz:bid2Px:...` over the best 25
 *   levels per side (a side that runs out is skipped), with prices and sizes written as OKX
 *   sends them (no trailing zeros).
 * - **Kraken v1** (`book-N`): unsigned CRC-32 of the best 10 asks (ascending) then the best 10
 *   bids (descending), each as price then volume with the `.` removed and leading zeros
 *   stripped, at the precision Kraken writes (fixed decimals per pair).
 * - **Kraken v2** (`book`): the same text rule, at the pair's price/quantity precision. v2 sends
 *   prices and quantities as JSON numbers (`0.10000000` decodes to `0.1`), so the precision is not
 *   in the decoded values: it is the instrument's (`instrument` channel `price_precision` /
 *   `qty_precision`), or it is found from the snapshot's own checksum
 *   ({@link krakenV2Precision}).
 */
import { formatRaw } from "../../model/fixed.js";
import { crc32, crc32Signed } from "./crc32.js";
import { ASK, BID, type OrderBook } from "./order-book.js";

/** Decimal text without trailing fraction zeros (`"30261"`, `"0.16"`). */
export function trimmedDecimal(raw: number, precision: number): string {
  let s = formatRaw(raw, precision);
  if (precision > 0) {
    let end = s.length;
    while (s.charCodeAt(end - 1) === 48) end--;
    if (s.charCodeAt(end - 1) === 46) end--;
    s = s.slice(0, end);
  }
  return s;
}

export function okxChecksum(book: OrderBook, levels = 25): number {
  const parts: string[] = [];
  const pp = book.pricePrecision;
  const sp = book.sizePrecision;
  for (let k = 0; k < levels; k++) {
    if (k < book.bidLevels) {
      parts.push(trimmedDecimal(book.priceAt(BID, k), pp), trimmedDecimal(book.sizeAt(BID, k), sp));
    }
    if (k < book.askLevels) {
      parts.push(trimmedDecimal(book.priceAt(ASK, k), pp), trimmedDecimal(book.sizeAt(ASK, k), sp));
    }
  }
  return crc32Signed(parts.join(":"));
}

/** Kraken's digits rule at explicit precisions (v1: the precision Kraken writes). */
export function krakenChecksum(
  book: OrderBook,
  pricePrecision = book.pricePrecision,
  sizePrecision = book.sizePrecision,
  levels = 10,
): number {
  const pf = 10 ** (pricePrecision - book.pricePrecision);
  const sf = 10 ** (sizePrecision - book.sizePrecision);
  let text = "";
  for (const side of [ASK, BID] as const) {
    const n = Math.min(levels, side === ASK ? book.askLevels : book.bidLevels);
    for (let k = 0; k < n; k++) {
      text += String(Math.round(book.priceAt(side, k) * pf)) + String(Math.round(book.sizeAt(side, k) * sf));
    }
  }
  return crc32(text);
}

/** Digits of `raw` (at `from` decimals) written at `to` decimals; null if not exact there. */
function digitsAt(raw: number, from: number, to: number): string | null {
  if (to >= from) return to === from ? String(raw) : String(raw) + "0".repeat(to - from);
  const f = 10 ** (from - to);
  return raw % f === 0 ? String(raw / f) : null;
}

/**
 * Kraken WebSocket v2 checksum of the book at the pair's precisions: unsigned CRC-32 of the best
 * 10 asks (ascending) then the best 10 bids (descending), price then quantity, each written at
 * its fixed precision with the `.` removed and leading zeros stripped. Exact at any precision
 * (digits are appended, never computed in floating point). Returns null when a level has more
 * decimals than the given precision (the book cannot be the venue's).
 */
export function krakenV2Checksum(
  book: OrderBook,
  pricePrecision: number,
  sizePrecision: number,
  levels = 10,
): number | null {
  const pp = book.pricePrecision;
  const sp = book.sizePrecision;
  let text = "";
  for (const side of [ASK, BID] as const) {
    const n = Math.min(levels, side === ASK ? book.askLevels : book.bidLevels);
    for (let k = 0; k < n; k++) {
      const p = digitsAt(book.priceAt(side, k), pp, pricePrecision);
      const q = digitsAt(book.sizeAt(side, k), sp, sizePrecision);
      if (p === null || q === null) return null;
      text += p + q;
    }
  }
  return crc32(text);
}

/** Largest precision tried when finding a Kraken v2 pair's precision from a checksum. */
export const KRAKEN_V2_MAX_PRECISION = 12;

/**
 * Finds the pair's price/quantity precision from a book message's checksum: the smallest
 * (price, quantity) precisions, at least the decimals seen in the book and at most
 * {@link KRAKEN_V2_MAX_PRECISION}, at which {@link krakenV2Checksum} equals `checksum`; null if
 * none does (the book disagrees with the venue at every precision). About 150 candidates at
 * most, so a false match has a probability of about 150 / 2^32.
 */
export function krakenV2Precision(
  book: OrderBook,
  checksum: number,
  maxPrecision = KRAKEN_V2_MAX_PRECISION,
): { price: number; size: number } | null {
  const want = checksum >>> 0;
  for (let p = Math.max(book.pricePrecision, 0); p <= maxPrecision; p++) {
    for (let q = Math.max(book.sizePrecision, 0); q <= maxPrecision; q++) {
      if (krakenV2Checksum(book, p, q) === want) return { price: p, size: q };
    }
  }
  return null;
}
