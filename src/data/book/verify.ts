/**
 * Capture verification: rebuilds every instrument's book from one capture (one or more files)
 * under its venue's sequencing rules and checks it against the venue's own checksums and
 * top-of-book messages. Used by `botv6 data verify`.
 *
 * Top-of-book rule: a quote is compared with the rebuilt book only when the book is valid and
 * the quote provably describes the same book state —
 * - venues with update ids (Binance `bookTicker.u`): only when `u` equals the last applied
 *   depth update id; price **and** size of both sides must be equal. These checks are strict:
 *   a mismatch fails verification.
 * - venues without update ids (Coinbase `ticker`, OKX `tickers`, Bybit `tickers`, Tardis
 *   quotes): every quote received while the book is valid is compared with the book as it is
 *   at that moment (prices, and sizes when the quote has them). The ticker channel races the
 *   book channel, so these comparisons are reported but do not fail verification.
 */
import { OrderBookDeltas, OrderBookDepth, QuoteTick, TradeTick } from "../../model/data.js";
import { formatRaw, rescale } from "../../model/fixed.js";
import type { InstrumentId } from "../../model/identifiers.js";
import { type DataProblem, type ReadStats, readMarketData } from "../files/index.js";
import type { Feed, MarketRecord } from "../parsers/common.js";
import { ASK, BID, type OrderBook } from "./order-book.js";
import { BookSync, type ResyncEvent } from "./sync.js";

/**
 * Binance spot writes every price padded to 8 decimals whatever the tick size; verify shows
 * spot prices at the precision the book's prices actually use (BTCUSDT: 2 → `61686.00`).
 */
function usedPricePrecision(book: OrderBook): number {
  let used = 0;
  const p = book.pricePrecision;
  for (const side of [BID, ASK] as const) {
    const n = side === BID ? book.bidLevels : book.askLevels;
    for (let k = 0; k < n && used < p; k++) {
      let raw = book.priceAt(side, k);
      let zeros = 0;
      while (zeros < p && raw % 10 === 0) {
        raw /= 10;
        zeros++;
      }
      if (p - zeros > used) used = p - zeros;
    }
  }
  return used;
}

/** Per-instrument result; the shape `botv6 data verify --json` prints. */
export interface InstrumentVerification {
  instrument: string;
  /** Snapshots and delta batches applied. */
  events: number;
  gaps: number;
  checksum: { passed: number; failed: number };
  topOfBook: { matched: number; total: number };
  /** Final best bid/ask as exact decimal strings; null when that side is empty or never built. */
  bestBid: string | null;
  bestAsk: string | null;
  bidLevels: number;
  askLevels: number;
}

/** A top-of-book comparison that failed. */
export interface TopOfBookMismatch {
  instrument: string;
  file: string;
  line: number;
  /** True when the comparison was id-matched and therefore fails verification. */
  strict: boolean;
  message: string;
}

/** A resync-needed event with where it happened. */
export interface LocatedResync extends ResyncEvent {
  file: string;
  line: number;
}

export interface VerifyDetails {
  feed: Feed;
  stale: number;
  unsynced: number;
  crossed: number;
  snapshotsSkipped: number;
  trades: number;
  quotes: number;
  strictTopOfBook: boolean;
  topOfBookMismatches: number;
  /** Id-matched quotes compared when the book later reached their id (see checkDeferred). */
  deferredTopOfBook: { matched: number; total: number };
  state: string;
}

export interface VerifyResult {
  instruments: InstrumentVerification[];
  details: VerifyDetails[];
  stats: ReadStats;
  problems: DataProblem[];
  resyncs: LocatedResync[];
  mismatches: TopOfBookMismatch[];
  /** Gaps + checksum failures + strict top-of-book mismatches (bad records not included). */
  failures: number;
}

export interface VerifyOptions {
  format?: string;
  instrument?: string;
  /** Called for every malformed line as it is found (reading always continues). */
  onProblem?: (p: DataProblem) => void;
  /** Called for every resync-needed event as it happens. */
  onResync?: (e: LocatedResync) => void;
}

class InstrumentState {
  sync: BookSync | null = null;
  trades = 0;
  quotes = 0;
  topMatched = 0;
  topTotal = 0;
  topMismatches = 0;
  strictTop = false;
  hasBook = false;
  /** Id-carrying quotes that arrived before the book reached their update id. */
  pending: { rec: MarketRecord; quote: QuoteTick }[] = [];
  deferredMatched = 0;
  deferredTotal = 0;
  deferredMismatches = 0;

  constructor(
    readonly id: InstrumentId,
    public feed: Feed,
  ) {}
}

/** Verifies one capture; see the module comment for the rules. */
export async function verifyCapture(
  files: readonly string[],
  opts: VerifyOptions = {},
): Promise<VerifyResult> {
  const problems: DataProblem[] = [];
  const resyncs: LocatedResync[] = [];
  const mismatches: TopOfBookMismatch[] = [];
  const states = new Map<InstrumentId, InstrumentState>();
  let current: MarketRecord | null = null;

  const reader = readMarketData(files, {
    format: opts.format,
    instrument: opts.instrument,
    onProblem: (p) => {
      problems.push(p);
      opts.onProblem?.(p);
    },
  });

  const stateOf = (id: InstrumentId, feed: Feed): InstrumentState => {
    let s = states.get(id);
    if (s === undefined) {
      s = new InstrumentState(id, feed);
      states.set(id, s);
    }
    return s;
  };
  const syncOf = (s: InstrumentState, feed: Feed): BookSync => {
    if (s.sync === null) {
      s.feed = feed;
      s.sync = new BookSync(s.id, feed, (e) => {
        const r: LocatedResync = { ...e, file: current?.file ?? "", line: current?.line ?? 0 };
        resyncs.push(r);
        opts.onResync?.(r);
      });
    }
    return s.sync;
  };

  for await (const rec of reader) {
    current = rec;
    const d = rec.data;
    if (d instanceof OrderBookDeltas) {
      const s = stateOf(d.instrumentId, rec.feed);
      s.hasBook = true;
      const sync = syncOf(s, rec.feed);
      sync.apply(d, rec.depth);
      if (s.pending.length > 0) checkDeferred(s, mismatches);
    } else if (d instanceof OrderBookDepth) {
      const s = stateOf(d.instrumentId, rec.feed);
      s.hasBook = true;
      syncOf(s, rec.feed).applyDepth(d);
    } else if (d instanceof QuoteTick) {
      const s = stateOf(d.instrumentId, rec.feed);
      s.quotes++;
      checkQuote(s, rec, d, mismatches);
    } else if (d instanceof TradeTick) {
      stateOf(d.instrumentId, rec.feed).trades++;
    }
  }

  const instruments: InstrumentVerification[] = [];
  const details: VerifyDetails[] = [];
  let failures = 0;
  for (const s of states.values()) {
    if (!s.hasBook && s.quotes === 0) continue;
    const sync = s.sync;
    const book = sync?.book ?? null;
    const st = sync?.stats;
    const shown =
      book === null ? 0 : s.feed === "binance-spot" ? usedPricePrecision(book) : book.pricePrecision;
    const bid =
      book !== null && book.bidLevels > 0
        ? formatRaw(rescale(book.bestBidRaw(), book.pricePrecision, shown), shown)
        : null;
    const ask =
      book !== null && book.askLevels > 0
        ? formatRaw(rescale(book.bestAskRaw(), book.pricePrecision, shown), shown)
        : null;
    instruments.push({
      instrument: s.id.value,
      events: st?.applied ?? 0,
      gaps: st?.gaps ?? 0,
      checksum: { passed: st?.checksumPassed ?? 0, failed: st?.checksumFailed ?? 0 },
      topOfBook: { matched: s.topMatched, total: s.topTotal },
      bestBid: bid,
      bestAsk: ask,
      bidLevels: book?.bidLevels ?? 0,
      askLevels: book?.askLevels ?? 0,
    });
    details.push({
      feed: s.feed,
      stale: st?.stale ?? 0,
      unsynced: st?.unsynced ?? 0,
      crossed: st?.crossed ?? 0,
      snapshotsSkipped: st?.snapshotsSkipped ?? 0,
      trades: s.trades,
      quotes: s.quotes,
      strictTopOfBook: s.strictTop,
      topOfBookMismatches: s.topMismatches,
      deferredTopOfBook: { matched: s.deferredMatched, total: s.deferredTotal },
      state: sync?.state ?? "no book",
    });
    failures +=
      (st?.gaps ?? 0) +
      (st?.checksumFailed ?? 0) +
      (s.strictTop ? s.topMismatches + s.deferredMismatches : 0);
  }
  return { instruments, details, stats: reader.stats, problems, resyncs, mismatches, failures };
}

function checkQuote(s: InstrumentState, rec: MarketRecord, q: QuoteTick, out: TopOfBookMismatch[]): void {
  const sync = s.sync;
  if (sync === null || !sync.isValid) return;
  const book = sync.book;
  const byId = rec.updateId >= 0;
  if (byId) {
    s.strictTop = true;
    if (sync.lastUpdateId !== rec.updateId) {
      if (rec.updateId > sync.lastUpdateId && s.pending.length < 100_000) s.pending.push({ rec, quote: q });
      return;
    }
  }
  // OKX/Bybit tickers are throttled snapshots stamped with the venue time of the book state
  // they show: compare only a ticker stamped with the time of the last applied book message.
  if (!byId && (s.feed === "okx" || s.feed === "bybit") && q.tsEvent !== sync.lastTsEvent) return;
  if (book.bidLevels === 0 || book.askLevels === 0) return;
  s.topTotal++;
  if (compareTop(s, rec, q, byId, out)) s.topMatched++;
  else s.topMismatches++;
}

/**
 * Quotes whose update id the book reaches only later (Binance spot `bookTicker` runs ahead of
 * the 100 ms depth stream) are compared when a diff with exactly that id is applied; quotes
 * whose id falls inside a diff's range are not comparable and are discarded.
 */
function checkDeferred(s: InstrumentState, out: TopOfBookMismatch[]): void {
  const sync = s.sync!;
  if (!sync.isValid) {
    s.pending.length = 0;
    return;
  }
  const last = sync.lastUpdateId;
  let k = 0;
  while (k < s.pending.length && s.pending[k].rec.updateId <= last) {
    const p = s.pending[k++];
    if (p.rec.updateId !== last || sync.book.bidLevels === 0 || sync.book.askLevels === 0) continue;
    s.deferredTotal++;
    if (compareTop(s, p.rec, p.quote, true, out)) s.deferredMatched++;
    else s.deferredMismatches++;
  }
  if (k > 0) s.pending.splice(0, k);
}

function compareTop(
  s: InstrumentState,
  rec: MarketRecord,
  q: QuoteTick,
  byId: boolean,
  out: TopOfBookMismatch[],
): boolean {
  const book = s.sync!.book;
  const withSizes = byId || q.bidSize.raw !== 0 || q.askSize.raw !== 0;
  const bb = book.bestBid()!;
  const ba = book.bestAsk()!;
  let ok = q.bidPrice.eq(bb) && q.askPrice.eq(ba);
  if (ok && withSizes) {
    const bs = book.bestBidSizeRaw();
    const as = book.bestAskSizeRaw();
    ok =
      sameSize(q.bidSize.raw, q.bidSize.precision, bs, book.sizePrecision) &&
      sameSize(q.askSize.raw, q.askSize.precision, as, book.sizePrecision);
  }
  if (ok) return true;
  out.push({
    instrument: s.id.value,
    file: rec.file,
    line: rec.line,
    strict: byId,
    message:
      `quote ${q.bidSize}@${q.bidPrice} / ${q.askSize}@${q.askPrice} vs book ` +
      `${book.formatSize(book.bestBidSizeRaw())}@${bb} / ${book.formatSize(book.bestAskSizeRaw())}@${ba}` +
      (byId ? ` at update id ${rec.updateId}` : " (ticker channel, not id-matched)"),
  });
  return false;
}

function sameSize(aRaw: number, aPrec: number, bRaw: number, bPrec: number): boolean {
  if (aPrec === bPrec) return aRaw === bRaw;
  return aPrec < bPrec ? aRaw * 10 ** (bPrec - aPrec) === bRaw : aRaw === bRaw * 10 ** (aPrec - bPrec);
}
