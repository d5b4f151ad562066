/**
 * The DataEngine: the component between data sources and the rest of the node.
 *
 * - **Routing**: {@link DataEngine.process} publishes a market data object on its topic
 *   ({@link Topics}): trades, quotes, book deltas, depth snapshots, bars, mark prices. Data
 *   clients (live feeds, the synthetic market) call it; catalog replay publishes on the same
 *   topics through `Kernel.replay`, so subscribers cannot tell the two apart.
 * - **Bars**: {@link DataEngine.subscribeBars} aggregates a bar type internally from the
 *   instrument's trades (time bars aligned to UTC with Binance-style empty bars, tick, volume
 *   and value bars) and publishes each bar on `Topics.bars(barType)`. Time bars also close on
 *   the clock: a time alert at each bar's close time emits it even when no trade follows.
 * - **Books**: with `maintainBooks` (default), every instrument whose deltas or depth
 *   snapshots pass through gets an {@link OrderBook}, updated before other subscribers of the
 *   topic see the message (the engine subscribes with a high priority).
 *
 * Everything runs synchronously inside the publishing call chain (hot path, no awaits).
 */
import type { Handler, Topic } from "../core/bus.js";
import type { TimeEvent } from "../core/clock.js";
import { Component } from "../core/component.js";
import { Topics } from "../core/topics.js";
import {
  Bar,
  type BarType,
  type MarketData,
  MarkPriceUpdate,
  OrderBookDeltas,
  OrderBookDepth,
  QuoteTick,
  TradeTick,
} from "../model/data.js";
import { BotV6Error } from "../model/errors.js";
import type { InstrumentId } from "../model/identifiers.js";
import {
  type BarAggregator,
  type BarAggregatorOptions,
  createBarAggregator,
  TimeBarAggregator,
} from "./bars/aggregator.js";
import { OrderBook } from "./book/order-book.js";

export class DataEngineError extends BotV6Error {}

export interface DataEngineOptions {
  /** Maintain an order book per instrument from deltas / depth snapshots (default true). */
  maintainBooks?: boolean;
}

interface InstrumentTopics {
  trades: Topic<TradeTick>;
  quotes: Topic<QuoteTick>;
  deltas: Topic<OrderBookDeltas>;
  depth: Topic<OrderBookDepth>;
  mark: Topic<MarkPriceUpdate>;
}

interface BarSubscription {
  readonly barType: BarType;
  readonly aggregator: BarAggregator;
  readonly onTrade: Handler<TradeTick>;
  readonly timerName: string;
  /** Close time the alert is set for, -1 if none. */
  armedAt: number;
}

/** Priority of the engine's own subscriptions: books and bars update before strategies run. */
const ENGINE_PRIORITY = 1_000_000;

export class DataEngine extends Component {
  private readonly maintainBooks: boolean;
  private readonly topics = new Map<InstrumentId, InstrumentTopics>();
  private readonly barTopics = new Map<string, Topic<Bar>>();
  private readonly bars = new Map<string, BarSubscription>();
  private readonly books = new Map<InstrumentId, OrderBook>();
  /** Messages routed through {@link process}. */
  processed = 0;

  constructor(id = "DataEngine", options: DataEngineOptions = {}) {
    super(id);
    this.maintainBooks = options.maintainBooks ?? true;
  }

  protected override onStart(): void {
    if (this.maintainBooks) {
      this.context.bus.subscribe<OrderBookDeltas>("data.book.deltas.*", this.onDeltas, ENGINE_PRIORITY);
      this.context.bus.subscribe<OrderBookDepth>("data.book.depth.*", this.onDepth, ENGINE_PRIORITY);
    }
    for (const s of this.bars.values()) this.attach(s);
  }

  protected override onStop(): void {
    if (this.maintainBooks) {
      this.context.bus.unsubscribe("data.book.deltas.*", this.onDeltas);
      this.context.bus.unsubscribe("data.book.depth.*", this.onDepth);
    }
    for (const s of this.bars.values()) this.detach(s);
  }

  /** Publishes a market data object on its topic (the entry point for data clients). */
  process(data: MarketData): void {
    this.processed++;
    if (data instanceof TradeTick) this.topicsOf(data.instrumentId).trades.publish(data);
    else if (data instanceof QuoteTick) this.topicsOf(data.instrumentId).quotes.publish(data);
    else if (data instanceof OrderBookDeltas) this.topicsOf(data.instrumentId).deltas.publish(data);
    else if (data instanceof Bar) this.barTopic(data.barType).publish(data);
    else if (data instanceof OrderBookDepth) this.topicsOf(data.instrumentId).depth.publish(data);
    else if (data instanceof MarkPriceUpdate) this.topicsOf(data.instrumentId).mark.publish(data);
    else {
      throw new DataEngineError(
        "DATA_ENGINE_UNKNOWN_DATA",
        `cannot route ${String(data)}: unknown market data type`,
        {},
      );
    }
  }

  /**
   * Aggregates `barType` (source INTERNAL, price type LAST) from the instrument's trades and
   * publishes the bars on `Topics.bars(barType)`. Subscribing twice is a no-op.
   */
  subscribeBars(barType: BarType, options: BarAggregatorOptions = {}): void {
    const key = barType.toString();
    if (this.bars.has(key)) return;
    const topic = this.barTopic(barType);
    const aggregator = createBarAggregator(barType, (bar) => topic.publish(bar), options);
    const sub: BarSubscription = {
      barType,
      aggregator,
      timerName: `${this.id}.bars.${key}`,
      armedAt: -1,
      onTrade: (trade) => {
        aggregator.handleTrade(trade);
        this.arm(sub);
      },
    };
    this.bars.set(key, sub);
    if (this.isRunning) this.attach(sub);
  }

  /** Stops aggregating `barType`; emits nothing further (a partial bar is dropped by request). */
  unsubscribeBars(barType: BarType): boolean {
    const key = barType.toString();
    const sub = this.bars.get(key);
    if (sub === undefined) return false;
    if (this.isRunning) this.detach(sub);
    this.bars.delete(key);
    return true;
  }

  /** Emits every partial bar in progress (end of a backtest). */
  flushBars(): void {
    for (const s of this.bars.values()) s.aggregator.flush();
  }

  /** Bar types being aggregated. */
  get barSubscriptions(): BarType[] {
    return [...this.bars.values()].map((s) => s.barType);
  }

  /** The book of an instrument, or null if no book data has been seen. */
  book(instrumentId: InstrumentId): OrderBook | null {
    return this.books.get(instrumentId) ?? null;
  }

  private readonly onDeltas = (d: OrderBookDeltas): void => {
    this.bookOf(d.instrumentId).applyDeltas(d);
  };

  private readonly onDepth = (d: OrderBookDepth): void => {
    this.bookOf(d.instrumentId).applyDepth(d);
  };

  private bookOf(id: InstrumentId): OrderBook {
    let b = this.books.get(id);
    if (b === undefined) {
      b = new OrderBook(id);
      this.books.set(id, b);
    }
    return b;
  }

  private attach(sub: BarSubscription): void {
    this.context.bus.subscribe(Topics.trades(sub.barType.instrumentId), sub.onTrade, ENGINE_PRIORITY);
    this.arm(sub);
  }

  private detach(sub: BarSubscription): void {
    this.context.bus.unsubscribe(Topics.trades(sub.barType.instrumentId), sub.onTrade);
    if (sub.armedAt >= 0) this.context.clock.cancelTimer(sub.timerName);
    sub.armedAt = -1;
  }

  /** Keeps one time alert at the close time of the time bar in progress. */
  private arm(sub: BarSubscription): void {
    const agg = sub.aggregator;
    if (!(agg instanceof TimeBarAggregator)) return;
    const close = agg.currentCloseTime;
    if (close < 0 || close === sub.armedAt) return;
    const clock = this.context.clock;
    if (sub.armedAt >= 0) clock.cancelTimer(sub.timerName);
    sub.armedAt = close;
    clock.setTimeAlert(sub.timerName, close, (e: TimeEvent) => {
      sub.armedAt = -1;
      agg.advanceTime(e.tsEvent);
      this.arm(sub);
    });
  }

  private lastTopicsId: InstrumentId | null = null;
  private lastTopics: InstrumentTopics | null = null;

  private topicsOf(id: InstrumentId): InstrumentTopics {
    if (id === this.lastTopicsId) return this.lastTopics!;
    let t = this.topics.get(id);
    if (t === undefined) {
      const bus = this.context.bus;
      t = {
        trades: bus.topic(Topics.trades(id)),
        quotes: bus.topic(Topics.quotes(id)),
        deltas: bus.topic(Topics.bookDeltas(id)),
        depth: bus.topic(Topics.bookDepth(id)),
        mark: bus.topic(Topics.markPrices(id)),
      };
      this.topics.set(id, t);
    }
    this.lastTopicsId = id;
    this.lastTopics = t;
    return t;
  }

  private barTopic(barType: BarType): Topic<Bar> {
    const key = barType.toString();
    let t = this.barTopics.get(key);
    if (t === undefined) {
      t = this.context.bus.topic<Bar>(Topics.bars(barType));
      this.barTopics.set(key, t);
    }
    return t;
  }
}
