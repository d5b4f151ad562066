/**
 * Market data types. All carry `tsEvent` (when it happened at the venue) and `tsInit` (when
 * this system created the object), both in integer microseconds.
 */

import { type AggressorSide, BookAction, BookSide, PriceType } from "./enums.js";
import { BotV6Error } from "./errors.js";
import { checkPrecision } from "./fixed.js";
import { InstrumentId } from "./identifiers.js";
import {
  MICROS_PER_DAY,
  MICROS_PER_HOUR,
  MICROS_PER_MILLI,
  MICROS_PER_MINUTE,
  MICROS_PER_SECOND,
  type UnixMicros,
} from "./time.js";
import { Price, Quantity } from "./values.js";

export class TradeTick {
  constructor(
    readonly instrumentId: InstrumentId,
    readonly price: Price,
    readonly size: Quantity,
    readonly aggressorSide: AggressorSide,
    readonly tradeId: string,
    readonly tsEvent: UnixMicros,
    readonly tsInit: UnixMicros,
  ) {}
}

export class QuoteTick {
  constructor(
    readonly instrumentId: InstrumentId,
    readonly bidPrice: Price,
    readonly askPrice: Price,
    readonly bidSize: Quantity,
    readonly askSize: Quantity,
    readonly tsEvent: UnixMicros,
    readonly tsInit: UnixMicros,
  ) {}
}

/** Mark, index or funding information for derivatives. */
export class MarkPriceUpdate {
  constructor(
    readonly instrumentId: InstrumentId,
    readonly markPrice: Price,
    readonly indexPrice: Price | null,
    /** Funding rate as an exact decimal string, e.g. "0.00010000". */
    readonly fundingRate: string | null,
    readonly nextFundingTime: UnixMicros | null,
    readonly tsEvent: UnixMicros,
    readonly tsInit: UnixMicros,
  ) {}
}

/** One order (L3) or one aggregated level (L2: `orderId` 0) in a book change. */
export class BookOrder {
  constructor(
    readonly side: BookSide,
    readonly price: Price,
    readonly size: Quantity,
    readonly orderId: number,
  ) {}
}

/** Flags on a book delta. */
export const BookFlags = {
  /** Last delta of a venue message/batch: the book is consistent after applying it. */
  Last: 1 << 7,
  /** Part of a snapshot. */
  Snapshot: 1 << 5,
} as const;

/** One change to an order book. For L2 books, UPDATE with size 0 is equivalent to DELETE. */
export class OrderBookDelta {
  constructor(
    readonly instrumentId: InstrumentId,
    readonly action: BookAction,
    /** `null` only for CLEAR. */
    readonly order: BookOrder | null,
    readonly flags: number,
    /** Venue sequence number (update id), 0 if the venue has none. */
    readonly sequence: number,
    readonly tsEvent: UnixMicros,
    readonly tsInit: UnixMicros,
  ) {}
}

/** Side codes of {@link BookDeltaColumns.sides}: 0 = bid, 1 = ask (as `OrderBook`'s BID/ASK). */
export const SIDE_CODES: readonly BookSide[] = [BookSide.Bid, BookSide.Ask];
/** Action codes of {@link BookDeltaColumns.actions}: 0 ADD, 1 UPDATE, 2 DELETE, 3 CLEAR. */
export const ACTION_CODES: readonly BookAction[] = [
  BookAction.Add,
  BookAction.Update,
  BookAction.Delete,
  BookAction.Clear,
];
export const ACTION_ADD = 0;
export const ACTION_UPDATE = 1;
export const ACTION_DELETE = 2;
export const ACTION_CLEAR = 3;

/**
 * The levels of one {@link OrderBookDeltas} as columns: the compact form parsers and
 * decoders fill directly and order books consume without creating a `Price`, `Quantity`,
 * `BookOrder` and `OrderBookDelta` per level.
 *
 * Level `i` (0 <= i < count) is stored at index `offset + i` of every array: side `sides` (0 bid,
 * 1 ask), action `actions` ({@link ACTION_CODES}), price `prices / 10^pricePrecision`, size
 * `sizes / 10^sizePrecision` (raw fixed-point integers, exact in a double), flags `flags`
 * ({@link BookFlags}). Every level has order id 0 (L2) and the batch's sequence, `tsEvent` and
 * `tsInit`. A CLEAR level has price and size 0. Parsers store many batches in one set of shared
 * arrays (each batch its own range), so the arrays are read-only once a batch is built.
 */
export class BookDeltaColumns {
  constructor(
    readonly count: number,
    readonly sides: Uint8Array,
    readonly actions: Uint8Array,
    readonly flags: Uint8Array,
    readonly prices: Float64Array,
    readonly sizes: Float64Array,
    readonly pricePrecision: number,
    readonly sizePrecision: number,
    readonly offset: number = 0,
  ) {
    checkPrecision(pricePrecision, "price precision");
    checkPrecision(sizePrecision, "size precision");
    const end = offset + count;
    if (
      !Number.isInteger(count) ||
      !Number.isInteger(offset) ||
      count < 0 ||
      offset < 0 ||
      sides.length < end ||
      actions.length < end ||
      flags.length < end ||
      prices.length < end ||
      sizes.length < end
    ) {
      throw new BotV6Error(
        "BOOK_COLUMNS_INVALID",
        `book delta columns hold fewer than offset ${offset} + count ${count} entries`,
        { count, offset },
      );
    }
  }
}

const EMPTY_DELTAS: OrderBookDelta[] = [];

/**
 * A batch of deltas from one venue message, applied atomically. `firstSequence` and
 * `sequence` carry the venue's own numbering (e.g. Binance `U`/`u`, `pu` in `prevSequence`).
 *
 * Two equivalent representations: a list of {@link OrderBookDelta} objects (the constructor),
 * or {@link BookDeltaColumns} ({@link OrderBookDeltas.fromColumns}), whose `deltas` are then
 * created on first access (and cached). Hot consumers check `columns` first; everything else
 * reads `deltas` and cannot tell the two apart.
 */
export class OrderBookDeltas {
  /** Object form, or null for a columnar batch. */
  private readonly objects: OrderBookDelta[] | null;
  /** Columnar form, or null for a batch built from objects. */
  readonly columns: BookDeltaColumns | null;
  /** Materialised `deltas` of a columnar batch (not enumerable: equality looks at `columns`). */
  #materialised: OrderBookDelta[] | null = null;

  constructor(
    readonly instrumentId: InstrumentId,
    deltas: OrderBookDelta[],
    readonly isSnapshot: boolean,
    readonly firstSequence: number,
    readonly sequence: number,
    readonly prevSequence: number,
    readonly tsEvent: UnixMicros,
    readonly tsInit: UnixMicros,
    /** The venue's checksum of the resulting book, when it sends one (OKX, Kraken). */
    readonly checksum: number | null = null,
    columns: BookDeltaColumns | null = null,
  ) {
    this.objects = columns === null ? deltas : null;
    this.columns = columns;
  }

  /**
   * A batch held as columns. Each level carries `sequence` (the batch's), order id 0, and the
   * batch's timestamps.
   */
  static fromColumns(
    instrumentId: InstrumentId,
    columns: BookDeltaColumns,
    isSnapshot: boolean,
    firstSequence: number,
    sequence: number,
    prevSequence: number,
    tsEvent: UnixMicros,
    tsInit: UnixMicros,
    checksum: number | null = null,
  ): OrderBookDeltas {
    return new OrderBookDeltas(
      instrumentId,
      EMPTY_DELTAS,
      isSnapshot,
      firstSequence,
      sequence,
      prevSequence,
      tsEvent,
      tsInit,
      checksum,
      columns,
    );
  }

  /** The deltas as objects (created from the columns on first access for a columnar batch). */
  get deltas(): OrderBookDelta[] {
    if (this.objects !== null) return this.objects;
    if (this.#materialised === null) this.#materialised = this.materialise(this.columns as BookDeltaColumns);
    return this.#materialised;
  }

  /**
   * JSON form as before columnar batches existed (and the same for both forms): the deltas as
   * objects, never the storage fields.
   */
  toJSON(): Record<string, unknown> {
    return {
      instrumentId: this.instrumentId,
      deltas: this.deltas,
      isSnapshot: this.isSnapshot,
      firstSequence: this.firstSequence,
      sequence: this.sequence,
      prevSequence: this.prevSequence,
      tsEvent: this.tsEvent,
      tsInit: this.tsInit,
      checksum: this.checksum,
    };
  }

  /** Number of deltas, without materialising a columnar batch. */
  get length(): number {
    return this.objects !== null ? this.objects.length : (this.columns as BookDeltaColumns).count;
  }

  private materialise(c: BookDeltaColumns): OrderBookDelta[] {
    const n = c.count;
    const out: OrderBookDelta[] = new Array(n);
    const pp = c.pricePrecision;
    const sp = c.sizePrecision;
    const o = c.offset;
    // Consecutive levels often share a size (or price): reuse the immutable value objects.
    let lastPrice: Price | null = null;
    let lastSize: Quantity | null = null;
    for (let i = 0; i < n; i++) {
      const action = ACTION_CODES[c.actions[o + i]];
      const side = SIDE_CODES[c.sides[o + i]];
      if (action === undefined || (side === undefined && action !== BookAction.Clear)) {
        throw new BotV6Error(
          "BOOK_COLUMNS_INVALID",
          `columnar level ${i}: action code ${c.actions[o + i]} / side code ${c.sides[o + i]} out of range`,
          { index: i },
        );
      }
      let order: BookOrder | null = null;
      if (action !== BookAction.Clear) {
        const pr = c.prices[o + i];
        const sr = c.sizes[o + i];
        if (lastPrice === null || lastPrice.raw !== pr) lastPrice = Price.fromRaw(pr, pp);
        if (lastSize === null || lastSize.raw !== sr) lastSize = Quantity.fromRaw(sr, sp);
        order = new BookOrder(side, lastPrice, lastSize, 0);
      }
      out[i] = new OrderBookDelta(
        this.instrumentId,
        action,
        order,
        c.flags[o + i],
        this.sequence,
        this.tsEvent,
        this.tsInit,
      );
    }
    return out;
  }
}

/** One aggregated level of a depth snapshot. */
export class BookLevel {
  constructor(
    readonly price: Price,
    readonly size: Quantity,
    /** Number of orders at the level, 0 if unknown. */
    readonly count: number,
  ) {}
}

/** A depth snapshot of the top N levels per side, best first. */
export class OrderBookDepth {
  constructor(
    readonly instrumentId: InstrumentId,
    readonly bids: BookLevel[],
    readonly asks: BookLevel[],
    readonly sequence: number,
    readonly tsEvent: UnixMicros,
    readonly tsInit: UnixMicros,
  ) {}
}

export enum BarAggregation {
  Millisecond = "MILLISECOND",
  Second = "SECOND",
  Minute = "MINUTE",
  Hour = "HOUR",
  Day = "DAY",
  Week = "WEEK",
  Month = "MONTH",
  Tick = "TICK",
  Volume = "VOLUME",
  /** Quote-currency notional traded. */
  Value = "VALUE",
}

export enum AggregationSource {
  /** Bars built here from ticks. */
  Internal = "INTERNAL",
  /** Bars received from the venue or a file. */
  External = "EXTERNAL",
}

export class BarSpecError extends BotV6Error {}

const TIME_UNIT_MICROS: Partial<Record<BarAggregation, number>> = {
  [BarAggregation.Millisecond]: MICROS_PER_MILLI,
  [BarAggregation.Second]: MICROS_PER_SECOND,
  [BarAggregation.Minute]: MICROS_PER_MINUTE,
  [BarAggregation.Hour]: MICROS_PER_HOUR,
  [BarAggregation.Day]: MICROS_PER_DAY,
  [BarAggregation.Week]: 7 * MICROS_PER_DAY,
};

/** `step` units of `aggregation` on `priceType`, e.g. 1-MINUTE-LAST or 100-TICK-LAST. */
export class BarSpecification {
  constructor(
    readonly step: number,
    readonly aggregation: BarAggregation,
    readonly priceType: PriceType,
  ) {
    if (!Number.isSafeInteger(step) || step <= 0) {
      throw new BarSpecError("BAR_SPEC_INVALID", `bar step must be a positive integer, got ${step}`, {
        step,
      });
    }
  }

  isTimeBar(): boolean {
    return !(
      this.aggregation === BarAggregation.Tick ||
      this.aggregation === BarAggregation.Volume ||
      this.aggregation === BarAggregation.Value
    );
  }

  /** Bar length in microseconds for fixed-length time bars; throws for month/tick/volume/value bars. */
  intervalMicros(): number {
    const unit = TIME_UNIT_MICROS[this.aggregation];
    if (unit === undefined) {
      throw new BarSpecError("BAR_SPEC_NOT_FIXED_TIME", `${this} has no fixed length in time`, {});
    }
    return unit * this.step;
  }

  toString(): string {
    return `${this.step}-${this.aggregation}-${this.priceType}`;
  }

  static parse(text: string): BarSpecification {
    const parts = text.split("-");
    if (parts.length !== 3) {
      throw new BarSpecError("BAR_SPEC_INVALID", `"${text}" is not STEP-AGGREGATION-PRICETYPE`, {
        value: text,
      });
    }
    const step = Number(parts[0]);
    const agg = parts[1] as BarAggregation;
    const pt = parts[2] as PriceType;
    if (!Object.values(BarAggregation).includes(agg)) {
      throw new BarSpecError("BAR_SPEC_INVALID", `"${text}": unknown aggregation ${parts[1]}`, {
        value: text,
      });
    }
    if (!Object.values(PriceType).includes(pt)) {
      throw new BarSpecError("BAR_SPEC_INVALID", `"${text}": unknown price type ${parts[2]}`, {
        value: text,
      });
    }
    return new BarSpecification(step, agg, pt);
  }
}

/** An instrument + specification + source, e.g. `BTCUSDT.BINANCE-1-MINUTE-LAST-EXTERNAL`. */
export class BarType {
  constructor(
    readonly instrumentId: InstrumentId,
    readonly spec: BarSpecification,
    readonly source: AggregationSource = AggregationSource.External,
  ) {}

  toString(): string {
    return `${this.instrumentId}-${this.spec}-${this.source}`;
  }

  static parse(text: string): BarType {
    const parts = text.split("-");
    if (parts.length < 5) {
      throw new BarSpecError("BAR_TYPE_INVALID", `"${text}" is not INSTRUMENT-STEP-AGG-PRICE-SOURCE`, {
        value: text,
      });
    }
    const source = parts.pop() as AggregationSource;
    if (!Object.values(AggregationSource).includes(source)) {
      throw new BarSpecError("BAR_TYPE_INVALID", `"${text}": unknown source ${source}`, { value: text });
    }
    const spec = BarSpecification.parse(parts.splice(-3).join("-"));
    return new BarType(InstrumentId.parse(parts.join("-")), spec, source);
  }
}

/** An OHLCV bar. `tsEvent` is the bar's **close** time; `tsOpen` its open time. */
export class Bar {
  constructor(
    readonly barType: BarType,
    readonly open: Price,
    readonly high: Price,
    readonly low: Price,
    readonly close: Price,
    readonly volume: Quantity,
    readonly tsOpen: UnixMicros,
    readonly tsEvent: UnixMicros,
    readonly tsInit: UnixMicros,
  ) {
    if (high.lt(low) || high.lt(open) || high.lt(close) || low.gt(open) || low.gt(close)) {
      throw new BarSpecError(
        "BAR_INVALID",
        `bar ${barType} at ${tsEvent}: high/low do not bound open/close (o=${open} h=${high} l=${low} c=${close})`,
        { tsEvent },
      );
    }
  }
}

export type MarketData = TradeTick | QuoteTick | OrderBookDeltas | OrderBookDepth | Bar | MarkPriceUpdate;
