/**
 * Order-book analytics: imbalance over N levels, order-flow imbalance (OFI) and the
 * size-weighted micro-price.
 *
 * **OFI** (Cont, Kukanov & Stoikov 2014, "The Price Impact of Order Book Events", J. Financial
 * Econometrics 12(1)): for consecutive best quotes (b, qb, a, qa) → (b', qb', a', qa'),
 *
 *   e = 1[b' >= b]·qb' − 1[b' <= b]·qb − 1[a' <= a]·qa' + 1[a' >= a]·qa
 *
 * (the net size added on the bid minus that added on the ask at the touch). OFI over an
 * interval is the sum of e. Sizes are raw integers, so sums are exact.
 *
 * **Book imbalance** over N levels: (Σ bid size − Σ ask size) / (Σ bid size + Σ ask size), in
 * [−1, 1]; 0 for an empty book.
 *
 * **Weighted mid** ({@link microprice}): mid + spread·(I − ½) with I = qb / (qb + qa), the
 * size-weighted mid often called "micro-price". Stoikov (2018) shows it is a noisy predictor
 * and derives the estimator fitted from data in `microprice.ts` ({@link StoikovMicroprice}).
 */
import { type BookLevels, checkPositiveInt } from "./common.js";

/** Imbalance of the top `levels` levels; 0 when both sides are empty. */
export function bookImbalance(book: BookLevels, levels: number): number {
  if (book.sizeSum !== undefined) {
    const sb = book.sizeSum(0, levels);
    const sa = book.sizeSum(1, levels);
    const st = sb + sa;
    return st === 0 ? 0 : (sb - sa) / st;
  }
  let b = 0;
  let a = 0;
  const nb = Math.min(levels, book.bidLevels);
  const na = Math.min(levels, book.askLevels);
  for (let k = 0; k < nb; k++) b += book.sizeAt(0, k);
  for (let k = 0; k < na; k++) a += book.sizeAt(1, k);
  const t = b + a;
  return t === 0 ? 0 : (b - a) / t;
}

/** Streaming book imbalance with a fixed level count (validated once). */
export class BookImbalance {
  value = 0;
  constructor(readonly levels: number) {
    checkPositiveInt("book_imbalance", "levels", levels);
  }
  update(book: BookLevels): number {
    this.value = bookImbalance(book, this.levels);
    return this.value;
  }
}

/** Size-weighted mid from raw best quotes (NaN if a side is empty). */
export function microprice(bidRaw: number, bidSize: number, askRaw: number, askSize: number): number {
  const t = bidSize + askSize;
  if (!(bidRaw > 0) || !(askRaw > 0) || t === 0) return Number.NaN;
  return (bidRaw * askSize + askRaw * bidSize) / t;
}

/**
 * Order-flow imbalance at the touch. Feed best quotes after every book update; `value` is the
 * running sum since the last {@link reset} (or interval start), `last` the latest increment.
 */
export class OrderFlowImbalance {
  private b = 0;
  private qb = 0;
  private a = 0;
  private qa = 0;
  private started = false;
  /** Sum of increments since the last reset. */
  value = 0;
  /** The latest increment e. */
  last = 0;
  updates = 0;

  /** Adds the book's new best quote (raw). Returns the increment. */
  update(bidRaw: number, bidSize: number, askRaw: number, askSize: number): number {
    if (!this.started) {
      this.started = true;
      this.b = bidRaw;
      this.qb = bidSize;
      this.a = askRaw;
      this.qa = askSize;
      this.last = 0;
      return 0;
    }
    let e = 0;
    if (bidRaw >= this.b) e += bidSize;
    if (bidRaw <= this.b) e -= this.qb;
    if (askRaw <= this.a) e -= askSize;
    if (askRaw >= this.a) e += this.qa;
    this.b = bidRaw;
    this.qb = bidSize;
    this.a = askRaw;
    this.qa = askSize;
    this.value += e;
    this.last = e;
    this.updates++;
    return e;
  }

  /** Reads the best quote from a book and updates. */
  updateFromBook(book: BookLevels): number {
    if (book.bidLevels === 0 || book.askLevels === 0) return 0;
    return this.update(book.priceAt(0, 0), book.sizeAt(0, 0), book.priceAt(1, 0), book.sizeAt(1, 0));
  }

  /** Starts a new interval (keeps the reference quote). */
  reset(): void {
    this.value = 0;
    this.updates = 0;
  }
}
