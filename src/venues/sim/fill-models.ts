/**
 * Pure rules of the simulated venue's fill models (documented in `docs/simvenue.md`):
 * the queue-position rule for passive orders against recorded L2 data and the intra-bar price
 * path of the bar model. Raw integers only.
 */

/** Which data drives fills: recorded L2 book, trades + quotes, or bars. */
export type FillModelKind = "l2" | "trades" | "bars";

/** Intra-bar path of the bar model. */
export type BarPathRule = "proximity" | "ohlc" | "olhc";

/** `floor(a × b / c)` for non-negative safe integers, exact (BigInt when the product is not safe). */
export function mulDivFloor(a: number, b: number, c: number): number {
  const p = a * b;
  if (Number.isSafeInteger(p)) return Math.floor(p / c);
  return Number((BigInt(a) * BigInt(b)) / BigInt(c));
}

/**
 * Queue ahead of a resting order after its level changed from `oldSize` to `newSize` (recorded
 * sizes), given `traded` = volume printed at this price against this side since the level's
 * previous update (it already reduced the queue when it printed).
 *
 * - Increase: new orders join behind, the queue ahead is unchanged.
 * - Decrease `D = oldSize − newSize`: the part explained by trades, `min(D, traded)`, was
 *   already counted. The rest, `C`, are cancels, assumed to come from ahead of the order in
 *   proportion to its share of the level after the trades: the queue ahead loses
 *   `floor(C × queueAhead / (oldSize − explained))`.
 * - Finally the queue ahead never exceeds the new level size.
 */
export function queueAfterLevelUpdate(
  queueAhead: number,
  oldSize: number,
  newSize: number,
  traded: number,
): number {
  let q = queueAhead;
  const d = oldSize - newSize;
  if (d > 0 && q > 0) {
    const explained = Math.min(d, traded);
    const cancels = d - explained;
    const base = oldSize - explained;
    if (cancels > 0) q = base <= 0 ? 0 : q - mulDivFloor(cancels, Math.min(q, base), base);
  }
  return Math.min(q, newSize);
}

/**
 * The price path of one bar: open, then high and low in the order of the rule, then close.
 * `proximity`: O→H→L→C when the open is closer to the high than to the low, else O→L→H→C
 * (a tie goes O→H→L→C); `ohlc` and `olhc` are fixed.
 */
export function barPath(open: number, high: number, low: number, close: number, rule: BarPathRule): number[] {
  let highFirst: boolean;
  if (rule === "ohlc") highFirst = true;
  else if (rule === "olhc") highFirst = false;
  else highFirst = high - open <= open - low;
  return highFirst ? [open, high, low, close] : [open, low, high, close];
}
