/**
 * Column layouts of the catalog's Parquet files, one per data type, and the conversion between
 * market data objects and columns. See docs/catalog.md for the schema as pandas/polars see it.
 *
 * Timestamps are INT64 microseconds with the logical type TIMESTAMP(MICROS, UTC). Prices and
 * sizes are INT64 raw integers with an INT32 precision column: `value = raw / 10^precision`,
 * exact. Enumerations are strings.
 */
import {
  Bar,
  type BarType,
  BookLevel,
  BookOrder,
  MarkPriceUpdate,
  OrderBookDelta,
  OrderBookDeltas,
  OrderBookDepth,
  QuoteTick,
  TradeTick,
} from "../../model/data.js";
import type { AggressorSide, BookSide } from "../../model/enums.js";
import { BookAction } from "../../model/enums.js";
import { BotV6Error } from "../../model/errors.js";
import { formatRaw, parseDecimal, rescale } from "../../model/fixed.js";
import type { InstrumentId } from "../../model/identifiers.js";
import { Price, Quantity } from "../../model/values.js";

export class CatalogError extends BotV6Error {}

/** Data types the catalog stores. Bars are further split by bar type. */
export type CatalogDataType = "deltas" | "depth" | "quotes" | "trades" | "mark" | "bars";

/** Every data type the catalog stores, in replay rank order. */
export const CATALOG_DATA_TYPES: readonly CatalogDataType[] = [
  "deltas",
  "depth",
  "quotes",
  "trades",
  "mark",
  "bars",
];

/**
 * Replay order for equal timestamps across data types (book changes, then depth snapshots,
 * quotes, trades, mark prices; bars last).
 */
export const DATA_TYPE_RANK: Record<CatalogDataType, number> = {
  deltas: 0,
  depth: 1,
  quotes: 2,
  trades: 3,
  mark: 4,
  bars: 5,
};

/**
 * `id`: an identifier stored as INT64 when every value in the file is a canonical decimal
 * integer below 2^53 (most venues' trade ids; much faster to decode), else as STRING. In
 * memory it is always a string.
 */
export type ColumnKind = "ts" | "i64" | "i32" | "str" | "bool" | "id";

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
}

/** Column arrays of one table; numbers for ts/i64/i32, strings, booleans. */
export type Columns = Record<string, ArrayLike<unknown>>;

/** Column arrays being filled. */
type MutableColumns = Record<string, (number | string | boolean)[]>;

export interface TableCodec<T> {
  readonly dataType: CatalogDataType;
  readonly columns: readonly ColumnSpec[];
  /** Appends the rows of `item` to `cols`; returns how many rows it added. */
  encode(item: T, cols: MutableColumns): number;
  /** Records of rows `[from, to)`, decoded lazily one at a time (range ends are record starts). */
  batch(cols: Columns, from: number, to: number, ctx: DecodeContext): RecordBatch<T>;
  /** Content key of row `i`: rows with equal keys are the same record (dedupe on import). */
  key(cols: Columns, i: number): string;
}

export interface DecodeContext {
  readonly instrumentId: InstrumentId;
  readonly barType: BarType | null;
}

/**
 * A run of stored records, decoded on demand: replay creates each object just before it is
 * dispatched, so objects die young and the merge orders records by `ts` without decoding.
 */
export interface RecordBatch<T> {
  readonly length: number;
  /** `ts_event` of each record (index k). */
  readonly times: ArrayLike<number>;
  /** Record `k` as a market data object. */
  get(k: number): T;
}

function subarray(a: ArrayLike<number>, from: number, to: number): ArrayLike<number> {
  return a instanceof Float64Array
    ? a.subarray(from, to)
    : Float64Array.from({ length: to - from }, (_, k) => a[from + k]);
}

/** A column holding ids that may be numbers (INT64 storage) or strings. */
function idAt(a: ArrayLike<unknown>, i: number): string {
  const v = a[i];
  return typeof v === "string" ? v : String(v);
}

export function emptyColumns(specs: readonly ColumnSpec[]): MutableColumns {
  const c: MutableColumns = {};
  for (const s of specs) c[s.name] = [];
  return c;
}

const n = (cols: Columns, name: string) => cols[name] as ArrayLike<number>;
const s = (cols: Columns, name: string) => cols[name] as ArrayLike<string>;

/** Slots of the per-batch trade price cache (a power of two). */
const PRICE_CACHE = 1024;

export const TRADES: TableCodec<TradeTick> = {
  dataType: "trades",
  columns: [
    { name: "ts_event", kind: "ts" },
    { name: "ts_init", kind: "ts" },
    { name: "price", kind: "i64" },
    { name: "price_precision", kind: "i32" },
    { name: "size", kind: "i64" },
    { name: "size_precision", kind: "i32" },
    { name: "aggressor_side", kind: "str" },
    { name: "trade_id", kind: "id" },
  ],
  encode(t, c) {
    c.ts_event.push(t.tsEvent);
    c.ts_init.push(t.tsInit);
    c.price.push(t.price.raw);
    c.price_precision.push(t.price.precision);
    c.size.push(t.size.raw);
    c.size_precision.push(t.size.precision);
    c.aggressor_side.push(t.aggressorSide);
    c.trade_id.push(t.tradeId);
    return 1;
  },
  batch(cols, from, to, ctx) {
    const tsE = n(cols, "ts_event");
    const tsI = n(cols, "ts_init");
    const price = n(cols, "price");
    const pp = n(cols, "price_precision");
    const size = n(cols, "size");
    const sp = n(cols, "size_precision");
    const side = s(cols, "aggressor_side");
    const tid = cols.trade_id;
    const id = ctx.instrumentId;
    // Consecutive trades often share a price (or size): reuse the immutable value object.
    // Trade prices revisit a narrow range: a small direct-mapped cache of the immutable Price
    // objects (slot = low bits of raw) saves most allocations; sizes vary more, so only a
    // repeat of the previous size is reused.
    const prices: (Price | undefined)[] = new Array(PRICE_CACHE);
    let lastSize = Quantity.zero(0);
    return {
      length: to - from,
      times: subarray(tsE, from, to),
      get(k) {
        const i = from + k;
        const pr = price[i];
        const pp_ = pp[i];
        const slot = pr & (PRICE_CACHE - 1);
        let p = prices[slot];
        if (p === undefined || pr !== p.raw || pp_ !== p.precision) {
          p = Price.fromRaw(pr, pp_);
          prices[slot] = p;
        }
        const sr = size[i];
        const sp_ = sp[i];
        if (sr !== lastSize.raw || sp_ !== lastSize.precision) lastSize = Quantity.fromRaw(sr, sp_);
        return new TradeTick(id, p, lastSize, side[i] as AggressorSide, idAt(tid, i), tsE[i], tsI[i]);
      },
    };
  },
  key(c, i) {
    return `${n(c, "ts_event")[i]}|${idAt(c.trade_id, i)}|${n(c, "price")[i]}e${n(c, "price_precision")[i]}|${n(c, "size")[i]}e${n(c, "size_precision")[i]}|${s(c, "aggressor_side")[i]}|${n(c, "ts_init")[i]}`;
  },
};

export const QUOTES: TableCodec<QuoteTick> = {
  dataType: "quotes",
  columns: [
    { name: "ts_event", kind: "ts" },
    { name: "ts_init", kind: "ts" },
    { name: "bid_price", kind: "i64" },
    { name: "ask_price", kind: "i64" },
    { name: "price_precision", kind: "i32" },
    { name: "bid_size", kind: "i64" },
    { name: "ask_size", kind: "i64" },
    { name: "size_precision", kind: "i32" },
  ],
  encode(q, c) {
    // One precision per row: the finer of bid and ask (exact rescale).
    const pp = Math.max(q.bidPrice.precision, q.askPrice.precision);
    const sp = Math.max(q.bidSize.precision, q.askSize.precision);
    c.ts_event.push(q.tsEvent);
    c.ts_init.push(q.tsInit);
    c.bid_price.push(rescale(q.bidPrice.raw, q.bidPrice.precision, pp));
    c.ask_price.push(rescale(q.askPrice.raw, q.askPrice.precision, pp));
    c.price_precision.push(pp);
    c.bid_size.push(rescale(q.bidSize.raw, q.bidSize.precision, sp));
    c.ask_size.push(rescale(q.askSize.raw, q.askSize.precision, sp));
    c.size_precision.push(sp);
    return 1;
  },
  batch(cols, from, to, ctx) {
    const tsE = n(cols, "ts_event");
    const tsI = n(cols, "ts_init");
    const bp = n(cols, "bid_price");
    const ap = n(cols, "ask_price");
    const pp = n(cols, "price_precision");
    const bs = n(cols, "bid_size");
    const as = n(cols, "ask_size");
    const sp = n(cols, "size_precision");
    return {
      length: to - from,
      times: subarray(tsE, from, to),
      get(k) {
        const i = from + k;
        return new QuoteTick(
          ctx.instrumentId,
          Price.fromRaw(bp[i], pp[i]),
          Price.fromRaw(ap[i], pp[i]),
          Quantity.fromRaw(bs[i], sp[i]),
          Quantity.fromRaw(as[i], sp[i]),
          tsE[i],
          tsI[i],
        );
      },
    };
  },
  key(c, i) {
    return `${n(c, "ts_event")[i]}|${n(c, "bid_price")[i]}|${n(c, "ask_price")[i]}|${n(c, "price_precision")[i]}|${n(c, "bid_size")[i]}|${n(c, "ask_size")[i]}|${n(c, "size_precision")[i]}|${n(c, "ts_init")[i]}`;
  },
};

export const BARS: TableCodec<Bar> = {
  dataType: "bars",
  columns: [
    { name: "ts_event", kind: "ts" },
    { name: "ts_open", kind: "ts" },
    { name: "ts_init", kind: "ts" },
    { name: "open", kind: "i64" },
    { name: "high", kind: "i64" },
    { name: "low", kind: "i64" },
    { name: "close", kind: "i64" },
    { name: "price_precision", kind: "i32" },
    { name: "volume", kind: "i64" },
    { name: "size_precision", kind: "i32" },
  ],
  encode(b, c) {
    const pp = Math.max(b.open.precision, b.high.precision, b.low.precision, b.close.precision);
    c.ts_event.push(b.tsEvent);
    c.ts_open.push(b.tsOpen);
    c.ts_init.push(b.tsInit);
    c.open.push(rescale(b.open.raw, b.open.precision, pp));
    c.high.push(rescale(b.high.raw, b.high.precision, pp));
    c.low.push(rescale(b.low.raw, b.low.precision, pp));
    c.close.push(rescale(b.close.raw, b.close.precision, pp));
    c.price_precision.push(pp);
    c.volume.push(b.volume.raw);
    c.size_precision.push(b.volume.precision);
    return 1;
  },
  batch(cols, from, to, ctx) {
    const barType = ctx.barType;
    if (barType === null) throw new CatalogError("CATALOG_INVALID", "bars partition without a bar type", {});
    const pp = n(cols, "price_precision");
    const o = n(cols, "open");
    const h = n(cols, "high");
    const l = n(cols, "low");
    const cl = n(cols, "close");
    const v = n(cols, "volume");
    const sp = n(cols, "size_precision");
    const tsE = n(cols, "ts_event");
    const tsO = n(cols, "ts_open");
    const tsI = n(cols, "ts_init");
    return {
      length: to - from,
      times: subarray(tsE, from, to),
      get(k) {
        const i = from + k;
        return new Bar(
          barType,
          Price.fromRaw(o[i], pp[i]),
          Price.fromRaw(h[i], pp[i]),
          Price.fromRaw(l[i], pp[i]),
          Price.fromRaw(cl[i], pp[i]),
          Quantity.fromRaw(v[i], sp[i]),
          tsO[i],
          tsE[i],
          tsI[i],
        );
      },
    };
  },
  key(c, i) {
    return `${n(c, "ts_event")[i]}|${n(c, "ts_open")[i]}|${n(c, "open")[i]}|${n(c, "high")[i]}|${n(c, "low")[i]}|${n(c, "close")[i]}|${n(c, "price_precision")[i]}|${n(c, "volume")[i]}|${n(c, "size_precision")[i]}`;
  },
};

/**
 * Book deltas: one row per delta; the batch (one venue message) is rebuilt from
 * `batch_index`/`batch_size`. A CLEAR has side "NONE" and zero price/size. `checksum` is -1
 * when the venue sends none.
 */
export const DELTAS: TableCodec<OrderBookDeltas> = {
  dataType: "deltas",
  columns: [
    { name: "ts_event", kind: "ts" },
    { name: "ts_init", kind: "ts" },
    { name: "action", kind: "str" },
    { name: "side", kind: "str" },
    { name: "price", kind: "i64" },
    { name: "price_precision", kind: "i32" },
    { name: "size", kind: "i64" },
    { name: "size_precision", kind: "i32" },
    { name: "order_id", kind: "i64" },
    { name: "flags", kind: "i32" },
    { name: "sequence", kind: "i64" },
    { name: "batch_index", kind: "i32" },
    { name: "batch_size", kind: "i32" },
    { name: "batch_is_snapshot", kind: "bool" },
    { name: "batch_first_sequence", kind: "i64" },
    { name: "batch_sequence", kind: "i64" },
    { name: "batch_prev_sequence", kind: "i64" },
    { name: "batch_checksum", kind: "i64" },
  ],
  encode(b, c) {
    const size = b.deltas.length;
    for (let i = 0; i < size; i++) {
      const d = b.deltas[i];
      const o = d.order;
      c.ts_event.push(b.tsEvent);
      c.ts_init.push(b.tsInit);
      c.action.push(d.action);
      c.side.push(o === null ? "NONE" : o.side);
      c.price.push(o === null ? 0 : o.price.raw);
      c.price_precision.push(o === null ? 0 : o.price.precision);
      c.size.push(o === null ? 0 : o.size.raw);
      c.size_precision.push(o === null ? 0 : o.size.precision);
      c.order_id.push(o === null ? 0 : o.orderId);
      c.flags.push(d.flags);
      c.sequence.push(d.sequence);
      c.batch_index.push(i);
      c.batch_size.push(size);
      c.batch_is_snapshot.push(b.isSnapshot);
      c.batch_first_sequence.push(b.firstSequence);
      c.batch_sequence.push(b.sequence);
      c.batch_prev_sequence.push(b.prevSequence);
      c.batch_checksum.push(b.checksum ?? -1);
    }
    return size;
  },
  batch(cols, from, to, ctx) {
    const tsE = n(cols, "ts_event");
    const tsI = n(cols, "ts_init");
    const action = s(cols, "action");
    const side = s(cols, "side");
    const price = n(cols, "price");
    const pp = n(cols, "price_precision");
    const size = n(cols, "size");
    const sp = n(cols, "size_precision");
    const oid = n(cols, "order_id");
    const flags = n(cols, "flags");
    const seq = n(cols, "sequence");
    const bi = n(cols, "batch_index");
    const bs = n(cols, "batch_size");
    const snap = cols.batch_is_snapshot as ArrayLike<boolean>;
    const bfs = n(cols, "batch_first_sequence");
    const bseq = n(cols, "batch_sequence");
    const bps = n(cols, "batch_prev_sequence");
    const bck = n(cols, "batch_checksum");
    const id = ctx.instrumentId;
    const starts: number[] = [];
    for (let i = from; i < to; ) {
      const count = bs[i];
      if (bi[i] !== 0 || count <= 0 || i + count > to) {
        throw new CatalogError("CATALOG_INVALID", `deltas row ${i}: batch index/size inconsistent`, {
          row: i,
        });
      }
      starts.push(i);
      i += count;
    }
    const get = (k: number): OrderBookDeltas => {
      const i = starts[k];
      const count = bs[i];
      const deltas: OrderBookDelta[] = new Array(count);
      for (let k = 0; k < count; k++) {
        const r = i + k;
        const order =
          action[r] === BookAction.Clear
            ? null
            : new BookOrder(
                side[r] as BookSide,
                Price.fromRaw(price[r], pp[r]),
                Quantity.fromRaw(size[r], sp[r]),
                oid[r],
              );
        deltas[k] = new OrderBookDelta(id, action[r] as BookAction, order, flags[r], seq[r], tsE[r], tsI[r]);
      }
      return new OrderBookDeltas(
        id,
        deltas,
        snap[i],
        bfs[i],
        bseq[i],
        bps[i],
        tsE[i],
        tsI[i],
        bck[i] === -1 ? null : bck[i],
      );
    };
    return { length: starts.length, times: Float64Array.from(starts, (i) => tsE[i]), get };
  },
  key(c, i) {
    return `${n(c, "ts_event")[i]}|${n(c, "batch_sequence")[i]}|${n(c, "batch_first_sequence")[i]}|${n(c, "batch_index")[i]}|${n(c, "batch_size")[i]}|${s(c, "action")[i]}|${s(c, "side")[i]}|${n(c, "price")[i]}e${n(c, "price_precision")[i]}|${n(c, "size")[i]}e${n(c, "size_precision")[i]}|${n(c, "order_id")[i]}|${n(c, "flags")[i]}|${n(c, "sequence")[i]}|${n(c, "ts_init")[i]}`;
  },
};

/**
 * Depth snapshots (`OrderBookDepth`: the top N levels per side, e.g. Tardis `book_snapshot_N`):
 * one row per level, bids first then asks, each best first (`level` 0 = best). A snapshot is
 * rebuilt from `batch_index`/`batch_size`; a snapshot with no level at all is one row with side
 * `NONE` and level -1. `order_count` is 0 when the venue does not give it; `sequence` -1 if none.
 */
export const DEPTH: TableCodec<OrderBookDepth> = {
  dataType: "depth",
  columns: [
    { name: "ts_event", kind: "ts" },
    { name: "ts_init", kind: "ts" },
    { name: "sequence", kind: "i64" },
    { name: "side", kind: "str" },
    { name: "level", kind: "i32" },
    { name: "price", kind: "i64" },
    { name: "price_precision", kind: "i32" },
    { name: "size", kind: "i64" },
    { name: "size_precision", kind: "i32" },
    { name: "order_count", kind: "i32" },
    { name: "batch_index", kind: "i32" },
    { name: "batch_size", kind: "i32" },
  ],
  encode(d, c) {
    const size = Math.max(1, d.bids.length + d.asks.length);
    let index = 0;
    const row = (side: string, level: number, l: BookLevel | null) => {
      c.ts_event.push(d.tsEvent);
      c.ts_init.push(d.tsInit);
      c.sequence.push(d.sequence);
      c.side.push(side);
      c.level.push(level);
      c.price.push(l === null ? 0 : l.price.raw);
      c.price_precision.push(l === null ? 0 : l.price.precision);
      c.size.push(l === null ? 0 : l.size.raw);
      c.size_precision.push(l === null ? 0 : l.size.precision);
      c.order_count.push(l === null ? 0 : l.count);
      c.batch_index.push(index++);
      c.batch_size.push(size);
    };
    for (let k = 0; k < d.bids.length; k++) row("BID", k, d.bids[k]);
    for (let k = 0; k < d.asks.length; k++) row("ASK", k, d.asks[k]);
    if (index === 0) row("NONE", -1, null);
    return size;
  },
  batch(cols, from, to, ctx) {
    const tsE = n(cols, "ts_event");
    const tsI = n(cols, "ts_init");
    const seq = n(cols, "sequence");
    const side = s(cols, "side");
    const price = n(cols, "price");
    const pp = n(cols, "price_precision");
    const size = n(cols, "size");
    const sp = n(cols, "size_precision");
    const cnt = n(cols, "order_count");
    const bs = n(cols, "batch_size");
    const starts = batchStarts("depth", n(cols, "batch_index"), bs, from, to);
    const get = (k: number): OrderBookDepth => {
      const i = starts[k];
      const end = i + bs[i];
      const bids: BookLevel[] = [];
      const asks: BookLevel[] = [];
      for (let r = i; r < end; r++) {
        if (side[r] === "NONE") continue;
        const l = new BookLevel(Price.fromRaw(price[r], pp[r]), Quantity.fromRaw(size[r], sp[r]), cnt[r]);
        (side[r] === "BID" ? bids : asks).push(l);
      }
      return new OrderBookDepth(ctx.instrumentId, bids, asks, seq[i], tsE[i], tsI[i]);
    };
    return { length: starts.length, times: Float64Array.from(starts, (i) => tsE[i]), get };
  },
  key(c, i) {
    return `${n(c, "ts_event")[i]}|${n(c, "sequence")[i]}|${n(c, "batch_index")[i]}|${n(c, "batch_size")[i]}|${s(c, "side")[i]}|${n(c, "level")[i]}|${n(c, "price")[i]}e${n(c, "price_precision")[i]}|${n(c, "size")[i]}e${n(c, "size_precision")[i]}|${n(c, "order_count")[i]}|${n(c, "ts_init")[i]}`;
  },
};

/** Record starts of multi-row records (`batch_index` 0 .. `batch_size` - 1) in rows `[from, to)`. */
function batchStarts(
  what: string,
  bi: ArrayLike<number>,
  bs: ArrayLike<number>,
  from: number,
  to: number,
): number[] {
  const starts: number[] = [];
  for (let i = from; i < to; ) {
    const count = bs[i];
    if (bi[i] !== 0 || count <= 0 || i + count > to) {
      throw new CatalogError("CATALOG_INVALID", `${what} row ${i}: batch index/size inconsistent`, {
        row: i,
      });
    }
    starts.push(i);
    i += count;
  }
  return starts;
}

/**
 * The funding rate of a mark price as raw + scale (null when absent). Throws `CATALOG_INVALID`
 * unless it is a plain decimal that reads back as the same text (`"0.00038167"`, not `"1e-5"`).
 */
export function fundingRateColumns(m: MarkPriceUpdate): { raw: number; scale: number } | null {
  if (m.fundingRate === null) return null;
  let d: { raw: number; scale: number } | null = null;
  try {
    d = parseDecimal(m.fundingRate);
  } catch {
    d = null;
  }
  if (d === null || formatRaw(d.raw, d.scale) !== m.fundingRate) {
    throw new CatalogError(
      "CATALOG_INVALID",
      `${m.instrumentId.value} mark price at ${m.tsEvent}: funding rate "${m.fundingRate}" is not a plain decimal`,
      { fundingRate: m.fundingRate },
    );
  }
  return d;
}

/**
 * Mark prices (`MarkPriceUpdate`, Binance `markPriceUpdate`): mark and index price, funding
 * rate (exact decimal as raw + precision) and next funding time. Absent optional values:
 * `index_price_precision` / `funding_rate_precision` -1 (raw 0), `next_funding_time` 0.
 */
export const MARK: TableCodec<MarkPriceUpdate> = {
  dataType: "mark",
  columns: [
    { name: "ts_event", kind: "ts" },
    { name: "ts_init", kind: "ts" },
    { name: "mark_price", kind: "i64" },
    { name: "mark_price_precision", kind: "i32" },
    { name: "index_price", kind: "i64" },
    { name: "index_price_precision", kind: "i32" },
    { name: "funding_rate", kind: "i64" },
    { name: "funding_rate_precision", kind: "i32" },
    { name: "next_funding_time", kind: "ts" },
  ],
  encode(m, c) {
    const rate = fundingRateColumns(m);
    const fr = rate?.raw ?? 0;
    const frp = rate?.scale ?? -1;
    c.ts_event.push(m.tsEvent);
    c.ts_init.push(m.tsInit);
    c.mark_price.push(m.markPrice.raw);
    c.mark_price_precision.push(m.markPrice.precision);
    c.index_price.push(m.indexPrice === null ? 0 : m.indexPrice.raw);
    c.index_price_precision.push(m.indexPrice === null ? -1 : m.indexPrice.precision);
    c.funding_rate.push(fr);
    c.funding_rate_precision.push(frp);
    c.next_funding_time.push(m.nextFundingTime ?? 0);
    return 1;
  },
  batch(cols, from, to, ctx) {
    const tsE = n(cols, "ts_event");
    const tsI = n(cols, "ts_init");
    const mp = n(cols, "mark_price");
    const mpp = n(cols, "mark_price_precision");
    const ip = n(cols, "index_price");
    const ipp = n(cols, "index_price_precision");
    const fr = n(cols, "funding_rate");
    const frp = n(cols, "funding_rate_precision");
    const nft = n(cols, "next_funding_time");
    return {
      length: to - from,
      times: subarray(tsE, from, to),
      get(k) {
        const i = from + k;
        return new MarkPriceUpdate(
          ctx.instrumentId,
          Price.fromRaw(mp[i], mpp[i]),
          ipp[i] < 0 ? null : Price.fromRaw(ip[i], ipp[i]),
          frp[i] < 0 ? null : formatRaw(fr[i], frp[i]),
          nft[i] === 0 ? null : nft[i],
          tsE[i],
          tsI[i],
        );
      },
    };
  },
  key(c, i) {
    return `${n(c, "ts_event")[i]}|${n(c, "mark_price")[i]}e${n(c, "mark_price_precision")[i]}|${n(c, "index_price")[i]}e${n(c, "index_price_precision")[i]}|${n(c, "funding_rate")[i]}e${n(c, "funding_rate_precision")[i]}|${n(c, "next_funding_time")[i]}|${n(c, "ts_init")[i]}`;
  },
};

export const CODECS: Record<CatalogDataType, TableCodec<unknown>> = {
  trades: TRADES as TableCodec<unknown>,
  quotes: QUOTES as TableCodec<unknown>,
  bars: BARS as TableCodec<unknown>,
  deltas: DELTAS as TableCodec<unknown>,
  depth: DEPTH as TableCodec<unknown>,
  mark: MARK as TableCodec<unknown>,
};

/** Row count of a record that starts at row `i` (1 except for deltas batches and depth snapshots). */
export function rowSpan(dataType: CatalogDataType, cols: Columns, i: number): number {
  return dataType === "deltas" || dataType === "depth" ? (cols.batch_size as ArrayLike<number>)[i] : 1;
}
