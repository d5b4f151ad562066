/**
 * Venue order-book checksums, computed from the raw book exactly as the venues specify.
 *
 * - **OKX** (`books`): signed CRC-32 of `bid1Px:bid1Sz:ask1Px:ask1Sz:bid2Px:...` over the best 25
 *   levels per side (a side that runs out is skipped), with prices and sizes written as OKX
 *   sends them (no trailing zeros).
 * - **Kraken v1** (`book-N`): unsigned CRC-32 of the best 10 asks (ascending) then the best 10
 *   bids (descending), each as price then volume with the `.` removed and leading zeros
 *   stripped, at the precision Kraken writes (fixed decimals per pair).
 * - **Kraken v2** (`book`): the same text rule, at the pair's price/quantity precision.
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
