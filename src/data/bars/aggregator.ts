/**
 * Streaming bar aggregation from trades (price type LAST) or quotes (BID, ASK, MID): one tick
 * in, zero or more bars out, O(1) per tick (time bars spanning a gap emit one empty bar per
 * skipped interval).
 *
 * Conventions (see docs/bars.md):
 * - **Time bars** are aligned to UTC ({@link TimeGrid}). A bar covers `[open, close)`; a trade at
 *   exactly the close time belongs to the next bar. `Bar.tsOpen` is the open time and
 *   `Bar.tsEvent` the close time. A bar is emitted when the first trade at or after its close
 *   time arrives, when {@link TimeBarAggregator.advanceTime} passes its close time, or by
 *   {@link BarAggregator.flush} at the end of a stream (the last, possibly partial, bar).
 * - **Empty intervals** (Binance kline behaviour): once a first trade has been seen, an
 *   interval without trades yields a bar with open = high = low = close = the previous close
 *   and volume 0. Pass `emitEmpty: false` to skip them. Nothing is emitted before the first trade.
 * - **Tick / volume / value bars** close on the trade that makes the count, the base volume or
 *   the quote notional (price x size) reach the threshold; trades are never split, so a bar may
 *   overshoot by part of its last trade (the López de Prado convention). Their `tsOpen` is the
 *   first trade's time and `tsEvent` the last trade's time.
 * - Prices and sizes stay exact integers. If a trade arrives with more decimal places than
 *   seen so far, the running state is rescaled up (exactly) to the finer precision.
 * - Trades must arrive in non-decreasing `tsEvent` order; an earlier trade throws
 *   `BAR_TRADE_OUT_OF_ORDER` and changes nothing.
 * - **Bars from quotes** (option `source: "quotes"`, price type BID, ASK or MID): each quote is
 *   one tick at the bid price with the bid size, the ask price with the ask size, or the mid
 *   price `(bid + ask) / 2` with the mid size `(bid size + ask size) / 2` (exact, one more
 *   decimal than the quote). A quote bar's `volume` is the sum of those sizes over the bar's
 *   quotes — the size quoted at each update, not traded volume. Quotes go to `handleQuote`,
 *   trades to `handleTrade`; feeding the other kind throws `BAR_SOURCE_MISMATCH`.
 */
import { Bar, BarAggregation, type BarType, type QuoteTick, TradeTick } from "../../model/data.js";
import { AggressorSide, PriceType } from "../../model/enums.js";
import { BotV6Error } from "../../model/errors.js";
import { checkRaw, MAX_PRECISION, parseDecimal, pow10, pow10n } from "../../model/fixed.js";
import { microsToIso, type UnixMicros } from "../../model/time.js";
import { Price, Quantity } from "../../model/values.js";
import { TimeGrid } from "./interval.js";

export class BarAggregationError extends BotV6Error {}

export type BarHandler = (bar: Bar) => void;

export interface BarAggregatorOptions {
  /** Time bars: emit Binance-style empty bars for intervals without trades (default true). */
  emitEmpty?: boolean;
  /**
   * Volume / value bars: the threshold as an exact decimal string, when it is not the integer
   * `barType.spec.step` (e.g. `"0.5"` ETH of notional).
   */
  threshold?: string;
  /**
   * What the bars are built from: `trades` (default; price type LAST) or `quotes` (price type
   * BID, ASK or MID, fed through {@link BarAggregator.handleQuote}).
   */
  source?: BarSource;
}

export type BarSource = "trades" | "quotes";

const QUOTE_PRICE_TYPES: readonly PriceType[] = [PriceType.Bid, PriceType.Ask, PriceType.Mid];

/** The price and size a quote contributes to a bar of `priceType` (BID, ASK or MID). */
export function quotePriceSize(q: QuoteTick, priceType: PriceType): { price: Price; size: Quantity } {
  if (priceType === PriceType.Bid) return { price: q.bidPrice, size: q.bidSize };
  if (priceType === PriceType.Ask) return { price: q.askPrice, size: q.askSize };
  // MID: exact half-sums at one more decimal than the finer side.
  const pp = Math.max(q.bidPrice.precision, q.askPrice.precision);
  const sp = Math.max(q.bidSize.precision, q.askSize.precision);
  const at = (raw: number, from: number, to: number) => raw * pow10(to - from);
  const price = checkRaw(
    (at(q.bidPrice.raw, q.bidPrice.precision, pp) + at(q.askPrice.raw, q.askPrice.precision, pp)) * 5,
    "mid price",
  );
  const size = checkRaw(
    (at(q.bidSize.raw, q.bidSize.precision, sp) + at(q.askSize.raw, q.askSize.precision, sp)) * 5,
    "mid size",
  );
  return { price: Price.fromRaw(price, pp + 1), size: Quantity.fromRaw(size, sp + 1) };
}

/** Common state: the bar being built, at exact integer precision. */
export abstract class BarAggregator {
  readonly barType: BarType;
  protected readonly onBar: BarHandler;
  protected pricePrecision = -1;
  protected sizePrecision = -1;
  protected open = 0;
  protected high = 0;
  protected low = 0;
  protected close = 0;
  protected volume = 0;
  /** Trades in the current bar. */
  protected count = 0;
  protected tsFirst = 0;
  protected tsLast = -1;
  /** Close of the last emitted bar, for empty bars; meaningful once `hasClose`. */
  protected lastClose = 0;
  protected hasClose = false;
  /** Bars emitted so far. */
  emitted = 0;
  /** What the bars are built from (see {@link BarAggregatorOptions.source}). */
  readonly source: BarSource;
  /** `source === "quotes"` (checked on every tick). */
  private readonly fromQuotes: boolean;
  /** The quote being fed through `handleTrade` by {@link handleQuote} (quote bars only). */
  private quoteTick: TradeTick | null = null;

  constructor(barType: BarType, onBar: BarHandler, options: BarAggregatorOptions = {}) {
    const source = options.source ?? "trades";
    const pt = barType.spec.priceType;
    if (source === "trades" && pt !== PriceType.Last) {
      throw new BarAggregationError(
        "BAR_PRICE_TYPE_UNSUPPORTED",
        `${barType}: bars aggregated from trades need the price type LAST (got ${pt}); BID, ASK and MID bars are aggregated from quotes`,
        { barType: barType.toString() },
      );
    }
    if (source === "quotes" && !QUOTE_PRICE_TYPES.includes(pt)) {
      throw new BarAggregationError(
        "BAR_PRICE_TYPE_UNSUPPORTED",
        `${barType}: bars aggregated from quotes need the price type BID, ASK or MID (got ${pt})`,
        { barType: barType.toString() },
      );
    }
    if (source !== "trades" && source !== "quotes") {
      throw new BarAggregationError("BAR_SOURCE_INVALID", `${barType}: unknown bar source "${source}"`, {
        source,
      });
    }
    this.barType = barType;
    this.onBar = onBar;
    this.source = source;
    this.fromQuotes = source === "quotes";
  }

  /** Feeds one trade; may emit bars through the handler before returning. */
  abstract handleTrade(trade: TradeTick): void;

  /**
   * Feeds one quote (bars of price type BID, ASK or MID, `source: "quotes"`): the quote is one
   * tick at its bid, ask or mid price and size. May emit bars before returning.
   */
  handleQuote(quote: QuoteTick): void {
    if (!this.fromQuotes) {
      throw new BarAggregationError(
        "BAR_SOURCE_MISMATCH",
        `${this.barType}: these bars are aggregated from trades, not quotes`,
        { barType: this.barType.toString() },
      );
    }
    if (quote.tsEvent < this.tsLast) {
      throw new BarAggregationError(
        "BAR_QUOTE_OUT_OF_ORDER",
        `quote of ${quote.instrumentId} at ${microsToIso(quote.tsEvent)} is earlier than the previous quote at ${microsToIso(this.tsLast)}; bar aggregation needs quotes in time order`,
        { tsEvent: quote.tsEvent, previous: this.tsLast },
      );
    }
    const { price, size } = quotePriceSize(quote, this.barType.spec.priceType);
    const tick = new TradeTick(
      quote.instrumentId,
      price,
      size,
      AggressorSide.NoAggressor,
      "",
      quote.tsEvent,
      quote.tsInit,
    );
    this.quoteTick = tick;
    try {
      this.handleTrade(tick);
    } finally {
      this.quoteTick = null;
    }
  }

  /** Emits the bar in progress, if it has trades (end of a stream). */
  abstract flush(): void;

  /** Time of the last trade seen, or -1. */
  get lastTradeTime(): UnixMicros {
    return this.tsLast;
  }

  protected checkOrder(trade: TradeTick): void {
    if (this.fromQuotes && trade !== this.quoteTick) {
      throw new BarAggregationError(
        "BAR_SOURCE_MISMATCH",
        `${this.barType}: these bars are aggregated from quotes (price type ${this.barType.spec.priceType}), not trades`,
        { barType: this.barType.toString() },
      );
    }
    if (trade.tsEvent < this.tsLast) {
      throw new BarAggregationError(
        "BAR_TRADE_OUT_OF_ORDER",
        `trade ${trade.tradeId} of ${trade.instrumentId} at ${microsToIso(trade.tsEvent)} is earlier than the previous trade at ${microsToIso(this.tsLast)}; bar aggregation needs trades in time order`,
        { tradeId: trade.tradeId, tsEvent: trade.tsEvent, previous: this.tsLast },
      );
    }
  }

  /** Adds a trade to the current bar. Returns the trade's raw price and size at the bar's precision. */
  protected add(trade: TradeTick): void {
    const p = trade.price;
    const s = trade.size;
    if (p.precision !== this.pricePrecision) this.alignPrice(p.precision);
    if (s.precision !== this.sizePrecision) this.alignSize(s.precision);
    const price =
      p.precision === this.pricePrecision ? p.raw : p.raw * pow10(this.pricePrecision - p.precision);
    const size = s.precision === this.sizePrecision ? s.raw : s.raw * pow10(this.sizePrecision - s.precision);
    if (this.count === 0) {
      this.open = price;
      this.high = price;
      this.low = price;
      this.tsFirst = trade.tsEvent;
      this.volume = size;
    } else {
      if (price > this.high) this.high = price;
      if (price < this.low) this.low = price;
      this.volume = checkRaw(this.volume + size, `${this.barType} volume`);
    }
    this.close = price;
    this.count++;
    this.tsLast = trade.tsEvent;
  }

  private alignPrice(precision: number): void {
    if (this.pricePrecision < 0) {
      this.pricePrecision = precision;
      return;
    }
    if (precision < this.pricePrecision) return;
    const f = pow10(precision - this.pricePrecision);
    this.open *= f;
    this.high *= f;
    this.low *= f;
    this.close *= f;
    this.lastClose = checkRaw(this.lastClose * f, `${this.barType} price rescale`);
    this.pricePrecision = precision;
  }

  private alignSize(precision: number): void {
    if (this.sizePrecision < 0) {
      this.sizePrecision = precision;
      this.onSizePrecision();
      return;
    }
    if (precision < this.sizePrecision) return;
    this.volume = checkRaw(this.volume * pow10(precision - this.sizePrecision), `${this.barType} volume`);
    this.sizePrecision = precision;
    this.onSizePrecision();
  }

  /** Hook for thresholds that depend on the size precision. */
  protected onSizePrecision(): void {}

  /** Emits the current bar and resets it. */
  protected emit(tsOpen: UnixMicros, tsClose: UnixMicros, tsInit: UnixMicros): void {
    const pp = this.pricePrecision;
    const bar = new Bar(
      this.barType,
      Price.fromRaw(this.open, pp),
      Price.fromRaw(this.high, pp),
      Price.fromRaw(this.low, pp),
      Price.fromRaw(this.close, pp),
      Quantity.fromRaw(this.volume, this.sizePrecision),
      tsOpen,
      tsClose,
      tsInit,
    );
    this.lastClose = this.close;
    this.hasClose = true;
    this.count = 0;
    this.volume = 0;
    this.emitted++;
    this.onBar(bar);
  }

  /** Emits an empty bar at the previous close (volume 0). */
  protected emitEmpty(tsOpen: UnixMicros, tsClose: UnixMicros, tsInit: UnixMicros): void {
    const c = Price.fromRaw(this.lastClose, this.pricePrecision);
    this.emitted++;
    this.onBar(new Bar(this.barType, c, c, c, c, Quantity.zero(this.sizePrecision), tsOpen, tsClose, tsInit));
  }
}

/** Time bars of any fixed interval (ms .. weeks) or calendar months, aligned to UTC. */
export class TimeBarAggregator extends BarAggregator {
  private readonly grid: TimeGrid;
  private readonly emitEmptyBars: boolean;
  /** Open and close time of the current interval; -1 before the first trade. */
  private start = -1;
  private end = -1;

  constructor(barType: BarType, onBar: BarHandler, options: BarAggregatorOptions = {}) {
    super(barType, onBar, options);
    this.grid = new TimeGrid(barType.spec);
    this.emitEmptyBars = options.emitEmpty ?? true;
  }

  /** Close time of the bar in progress, or -1 before the first trade. */
  get currentCloseTime(): UnixMicros {
    return this.end;
  }

  handleTrade(trade: TradeTick): void {
    this.checkOrder(trade);
    const ts = trade.tsEvent;
    if (this.end < 0) {
      this.start = this.grid.floor(ts);
      this.end = this.grid.next(this.start);
    } else if (ts >= this.end) {
      this.rollTo(ts, trade.tsInit);
    }
    this.add(trade);
  }

  /**
   * Closes every bar whose close time is at or before `ts` (a timer / the clock passing the
   * boundary), emitting empty bars for intervals without trades. Time must not go backwards
   * relative to the trades seen.
   */
  advanceTime(ts: UnixMicros): void {
    if (this.end < 0 || ts < this.end) return;
    if (ts < this.tsLast) {
      throw new BarAggregationError(
        "BAR_TIME_BACKWARDS",
        `${this.barType}: advanceTime(${microsToIso(ts)}) is before the last trade at ${microsToIso(this.tsLast)}`,
        { ts, last: this.tsLast },
      );
    }
    this.rollTo(ts, ts);
  }

  flush(): void {
    if (this.end >= 0 && this.count > 0) {
      const start = this.start;
      const end = this.end;
      this.emit(start, end, this.tsLast);
      this.start = end;
      this.end = this.grid.next(end);
    }
  }

  private rollTo(ts: UnixMicros, tsInit: UnixMicros): void {
    while (this.end <= ts) {
      if (this.count > 0) this.emit(this.start, this.end, tsInit);
      else if (this.emitEmptyBars && this.hasClose) this.emitEmpty(this.start, this.end, tsInit);
      if (!this.emitEmptyBars && this.count === 0 && this.end <= ts) {
        // Nothing to emit for the skipped intervals: jump straight to the one containing ts.
        this.start = this.grid.floor(ts);
        this.end = this.grid.next(this.start);
        return;
      }
      this.start = this.end;
      this.end = this.grid.next(this.start);
    }
  }
}

/** A bar every `step` trades. */
export class TickBarAggregator extends BarAggregator {
  private readonly ticks: number;

  constructor(barType: BarType, onBar: BarHandler, options: BarAggregatorOptions = {}) {
    super(barType, onBar, options);
    this.ticks = barType.spec.step;
  }

  handleTrade(trade: TradeTick): void {
    this.checkOrder(trade);
    this.add(trade);
    if (this.count >= this.ticks) this.emit(this.tsFirst, this.tsLast, trade.tsInit);
  }

  flush(): void {
    if (this.count > 0) this.emit(this.tsFirst, this.tsLast, this.tsLast);
  }
}

function thresholdDecimal(barType: BarType, options: BarAggregatorOptions): { raw: number; scale: number } {
  const text = options.threshold ?? String(barType.spec.step);
  let d: { raw: number; scale: number };
  try {
    d = parseDecimal(text);
  } catch {
    throw new BarAggregationError(
      "BAR_THRESHOLD_INVALID",
      `${barType}: threshold "${text}" is not a decimal`,
      {
        value: text,
      },
    );
  }
  if (d.raw <= 0 || d.scale > MAX_PRECISION) {
    throw new BarAggregationError(
      "BAR_THRESHOLD_INVALID",
      `${barType}: threshold "${text}" must be positive with at most ${MAX_PRECISION} decimals`,
      { value: text },
    );
  }
  return d;
}

/** A bar each time the base volume traded reaches the threshold (trades are not split). */
export class VolumeBarAggregator extends BarAggregator {
  private readonly threshold: { raw: number; scale: number };
  /** Threshold at the current size precision (rounded up when finer than the sizes). */
  private thresholdRaw = Number.POSITIVE_INFINITY;

  constructor(barType: BarType, onBar: BarHandler, options: BarAggregatorOptions = {}) {
    super(barType, onBar, options);
    this.threshold = thresholdDecimal(barType, options);
  }

  protected override onSizePrecision(): void {
    const { raw, scale } = this.threshold;
    const sp = this.sizePrecision;
    this.thresholdRaw =
      sp >= scale
        ? checkRaw(raw * pow10(sp - scale), "volume threshold")
        : Math.ceil(raw / pow10(scale - sp));
  }

  handleTrade(trade: TradeTick): void {
    this.checkOrder(trade);
    this.add(trade);
    if (this.volume >= this.thresholdRaw) this.emit(this.tsFirst, this.tsLast, trade.tsInit);
  }

  flush(): void {
    if (this.count > 0) this.emit(this.tsFirst, this.tsLast, this.tsLast);
  }
}

/** Scale of the notional accumulator: price and size precision together never exceed it. */
const VALUE_SCALE = 2 * MAX_PRECISION;

/**
 * A bar each time the quote notional traded (sum of price x size, "dollar bars") reaches the
 * threshold. The notional is accumulated exactly in BigInt.
 */
export class ValueBarAggregator extends BarAggregator {
  private readonly thresholdBig: bigint;
  private value = 0n;

  constructor(barType: BarType, onBar: BarHandler, options: BarAggregatorOptions = {}) {
    super(barType, onBar, options);
    const t = thresholdDecimal(barType, options);
    this.thresholdBig = BigInt(t.raw) * pow10n(VALUE_SCALE - t.scale);
  }

  handleTrade(trade: TradeTick): void {
    this.checkOrder(trade);
    this.add(trade);
    const p = trade.price;
    const s = trade.size;
    this.value += BigInt(p.raw) * BigInt(s.raw) * pow10n(VALUE_SCALE - p.precision - s.precision);
    if (this.value >= this.thresholdBig) {
      this.value = 0n;
      this.emit(this.tsFirst, this.tsLast, trade.tsInit);
    }
  }

  flush(): void {
    if (this.count > 0) {
      this.value = 0n;
      this.emit(this.tsFirst, this.tsLast, this.tsLast);
    }
  }
}

/**
 * The aggregator for a bar type: time, tick, volume or value bars of LAST prices from trades,
 * or (with `source: "quotes"`) of BID, ASK or MID prices from quotes.
 */
export function createBarAggregator(
  barType: BarType,
  onBar: BarHandler,
  options: BarAggregatorOptions = {},
): BarAggregator {
  switch (barType.spec.aggregation) {
    case BarAggregation.Tick:
      return new TickBarAggregator(barType, onBar, options);
    case BarAggregation.Volume:
      return new VolumeBarAggregator(barType, onBar, options);
    case BarAggregation.Value:
      return new ValueBarAggregator(barType, onBar, options);
    default:
      return new TimeBarAggregator(barType, onBar, options);
  }
}
