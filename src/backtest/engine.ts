/**
 * The backtest engine: the node's kernel driven by recorded or synthetic data on the test
 * clock, with a simulated exchange per venue. Strategies, the execution engine, the risk gate
 * and the portfolio are the very components a live node runs; only the clock, the data source
 * and the venues are the backtest's.
 *
 * Per data event, in one synchronous step:
 *   1. the clock advances to the event's time (timers due before it fire first: latency
 *      deliveries, strategy timers, equity samples);
 *   2. the simulated exchange of the instrument's venue sees the event (fills happen here, so
 *      an order placed on bar t fills on bar t+1, never on data it was computed from);
 *   3. the portfolio's mark is updated;
 *   4. the data engine publishes it to strategies (indicators first, then the hooks).
 * Same data + same config + same seed ⇒ the same orders, fills and equity, bit for bit.
 */
import { TestClock } from "../core/clock.js";
import { Kernel } from "../core/kernel.js";
import { createLogger } from "../core/logging.js";
import { Rng } from "../core/rng.js";
import { Topics } from "../core/topics.js";
import { DataEngine } from "../data/engine.js";
import { OrderCache, type OrderRetention } from "../execution/cache.js";
import { ContingencyManager } from "../execution/contingency.js";
import { OrderEmulator } from "../execution/emulator.js";
import { ExecutionEngine } from "../execution/engine.js";
import { type Currency, currency } from "../model/currency.js";
import {
  AggregationSource,
  Bar,
  type MarketData,
  MarkPriceUpdate,
  OrderBookDeltas,
  OrderBookDepth,
  QuoteTick,
  TradeTick,
} from "../model/data.js";
import { OrderSide, OrderType } from "../model/enums.js";
import { BotV6Error } from "../model/errors.js";
import type { OrderFilled, PositionEvent } from "../model/events.js";
import { divRoundBig, formatRaw, pow10n, RoundingMode } from "../model/fixed.js";
import { AccountId, ClientOrderId, type InstrumentId } from "../model/identifiers.js";
import type { Instrument } from "../model/instruments.js";
import type { Order } from "../model/orders.js";
import { createOrder } from "../model/orders.js";
import { microsToIso, type UnixMicros } from "../model/time.js";
import { Money, Price } from "../model/values.js";
import { CashAccount, MarginAccount } from "../portfolio/account.js";
import { Portfolio } from "../portfolio/portfolio.js";
import type { Position } from "../portfolio/position.js";
import { RiskEngine, type RiskEngineConfig } from "../risk/engine.js";
import type { Strategy, TradingContext } from "../strategy/strategy.js";
import { type FillModelKind, SimulatedExchange } from "../venues/sim/exchange.js";
import type { LatencyConfig } from "../venues/sim/latency.js";
import { type BacktestStats, computeStats } from "./stats.js";

export class BacktestError extends BotV6Error {}

export interface BacktestVenueConfig {
  /** Venue name, as in the instruments' ids. */
  name: string;
  accountType: "cash" | "margin";
  /** e.g. ["100000 USDT"]. */
  startingBalances: string[];
  fillModel: FillModelKind;
  /**
   * Order entry / acknowledgement latency and market data latency (µs; constant + seeded
   * jitter): with `marketDataUs` / `marketDataJitterUs`, strategies (and their indicators) see
   * this venue's data that much later than the venue does.
   */
  latency?: LatencyConfig;
  /**
   * Bar fill model: the bar specification (e.g. "1-MINUTE-LAST") the venue fills on; other bars
   * of the instrument only reach strategies. Default: every bar.
   */
  fillBars?: string;
  /** Decimal fee rates overriding the instruments' own. */
  fees?: { maker: string; taker: string };
  barPath?: "proximity" | "ohlc" | "olhc";
  /** Leverage for every instrument of a margin account. */
  leverage?: number;
}

export interface BacktestConfig {
  traderId?: string;
  seed?: number;
  venues: BacktestVenueConfig[];
  instruments: Instrument[];
  /** Currency of equity and statistics (default: the first venue's first starting balance). */
  reportingCurrency?: Currency;
  /** Equity sampling interval in µs (default 60 s). */
  equitySampleUs?: number;
  /**
   * Pre-trade and post-trade risk: when given, every order and modify passes the risk engine
   * before the venue sees it (the same gate a live node runs).
   */
  risk?: RiskEngineConfig;
  /**
   * What the execution engine's order cache keeps of closed orders (docs/execution.md,
   * "Retention"). Default `{ dropClosedEvents: true }`: every order stays listed (queries and
   * `BacktestResult.orders`) but a closed order's event list is released — the events reached
   * the strategies, the portfolio and `fills` already. `{}` keeps every event; a
   * `maxClosedOrders` bound also forgets the oldest closed orders (not listed in the result's
   * `orders` then, counted in `ordersForgotten`; fills, trades and statistics are complete).
   */
  orderRetention?: OrderRetention;
}

/** A round trip: a position from open to close. */
export interface RoundTrip {
  instrumentId: string;
  strategyId: string;
  side: "LONG" | "SHORT";
  qty: string;
  entryTime: UnixMicros;
  entryPrice: string;
  exitTime: UnixMicros;
  exitPrice: string;
  /** Net PnL after the round trip's fees, settlement currency. */
  pnl: string;
  fees: string;
  currency: string;
}

export interface BacktestResult {
  /** Orders in submission order (see {@link BacktestConfig.orderRetention}). */
  orders: Order[];
  /** Closed orders forgotten under a `maxClosedOrders` bound and not listed in `orders`. */
  ordersForgotten: number;
  fills: OrderFilled[];
  trades: RoundTrip[];
  positions: Position[];
  equityCurve: { ts: UnixMicros; equity: string }[];
  finalEquity: Money;
  startEquity: Money;
  stats: BacktestStats;
  events: number;
  startTime: UnixMicros;
  endTime: UnixMicros;
}

/** Average price of an exact notional (scale pp+qp) over a raw quantity, as a decimal string. */
function avgPriceText(notional: bigint, qtyRaw: number, pricePrecision: number): string {
  if (qtyRaw === 0) return formatRaw(0, pricePrecision);
  const q = BigInt(qtyRaw);
  if (notional % q === 0n) return formatRaw(Number(notional / q), pricePrecision);
  const extra = 8;
  const v = divRoundBig(notional * pow10n(extra), q, RoundingMode.HalfEven);
  return formatRaw(Number(v), pricePrecision + extra).replace(/0+$/, "");
}

export class BacktestEngine {
  readonly kernel: Kernel;
  readonly clock: TestClock;
  readonly data: DataEngine;
  readonly exec: ExecutionEngine;
  readonly portfolio: Portfolio;
  readonly exchanges = new Map<string, SimulatedExchange>();
  readonly fills: OrderFilled[] = [];
  readonly risk: RiskEngine | null = null;
  private readonly instruments = new Map<string, Instrument>();
  private readonly strategies: Strategy[] = [];
  private readonly pendingPositionEvents: PositionEvent[] = [];
  private readonly startBalances: Money[] = [];
  private readonly sampleUs: number;
  private started = false;

  constructor(readonly config: BacktestConfig) {
    if (config.venues.length === 0)
      throw new BacktestError("BACKTEST_CONFIG", "a backtest needs at least one venue", {});
    if (config.instruments.length === 0)
      throw new BacktestError("BACKTEST_CONFIG", "a backtest needs at least one instrument", {});
    this.clock = new TestClock(0);
    this.kernel = new Kernel({
      traderId: config.traderId ?? "BACKTEST",
      mode: "backtest",
      seed: config.seed ?? 42,
      clock: this.clock,
      logger: createLogger({ level: "silent" }),
    });
    this.sampleUs = config.equitySampleUs ?? 60_000_000;
    for (const i of config.instruments) this.instruments.set(i.id.value, i);
    const firstBalance = config.venues[0].startingBalances[0];
    const reporting =
      config.reportingCurrency ?? (firstBalance === undefined ? null : currency(firstBalance.split(" ")[1]));
    if (reporting === null)
      throw new BacktestError("BACKTEST_CONFIG", "give a reportingCurrency or a starting balance", {});
    this.portfolio = new Portfolio(this.kernel.ids, reporting);
    for (const i of config.instruments) this.portfolio.addInstrument(i);

    this.data = this.kernel.add(new DataEngine());
    const instrumentMap = new Map<InstrumentId, Instrument>(config.instruments.map((i) => [i.id, i]));
    const cache = new OrderCache(config.orderRetention ?? { dropClosedEvents: true });
    this.exec = this.kernel.add(new ExecutionEngine({ instruments: instrumentMap, cache }));
    if (config.risk !== undefined) {
      this.risk = this.kernel.add(new RiskEngine(this.exec, config.risk));
      this.exec.setGate(this.risk);
    }
    new ContingencyManager(this.exec);
    new OrderEmulator(this.exec, (topic, handler) => this.kernel.bus.subscribe(topic, handler));

    // Fills update the portfolio as bookkeeping (before strategies hear of the fill); the
    // position events are published right after the order event.
    this.exec.onEventApplied((event) => {
      if (event.type !== "OrderFilled") return;
      this.fills.push(event);
      for (const pe of this.portfolio.onFill(event)) this.pendingPositionEvents.push(pe);
    });
    this.exec.onEvent(() => {
      if (this.pendingPositionEvents.length === 0) return;
      const events = this.pendingPositionEvents.splice(0);
      for (const pe of events) this.kernel.bus.publish(Topics.positionEvents(pe.strategyId), pe);
    });

    let venueIndex = 0;
    for (const v of config.venues) {
      const accountId = new AccountId(`${v.name}-001`);
      const account = v.accountType === "cash" ? new CashAccount(accountId) : new MarginAccount(accountId);
      if (account instanceof MarginAccount) this.marginAccounts++;
      for (const b of v.startingBalances) {
        const [amount, code] = b.split(" ");
        if (amount === undefined || code === undefined) {
          throw new BacktestError(
            "BACKTEST_CONFIG",
            `venue ${v.name}: starting balance "${b}" must be "AMOUNT CURRENCY"`,
            {},
          );
        }
        account.deposit(currency(code), amount);
        this.startBalances.push(Money.parse(amount, currency(code)));
      }
      this.portfolio.addAccount(account);
      const venueInstruments = config.instruments.filter((i) => i.id.venue === v.name);
      if (account instanceof MarginAccount && v.leverage !== undefined) {
        for (const i of venueInstruments)
          if ("maxLeverage" in i) account.setLeverage(i as Instrument & { maxLeverage: number }, v.leverage);
      }
      const exchange = new SimulatedExchange({
        venue: v.name,
        accountId,
        instruments: venueInstruments,
        clock: this.clock,
        rng: new Rng((config.seed ?? 42) * 31 + ++venueIndex),
        fillModel: v.fillModel,
        latency: v.latency,
        fees: v.fees,
        barPath: v.barPath,
        fillBars: v.fillBars,
        positionOf: (id: InstrumentId) => this.netPositionRaw(id),
      });
      this.exec.registerClient(exchange);
      this.exchanges.set(v.name, exchange);
    }
  }

  /** Net position of every strategy in an instrument (raw): what reduce-only is judged on. */
  private netPositionRaw(id: InstrumentId): number {
    let n = 0;
    for (const p of this.portfolio.openPositions())
      if (p.instrument.id.value === id.value) n += p.signedQtyRaw;
    return n;
  }

  instrument(id: InstrumentId | string): Instrument {
    const key = typeof id === "string" ? id : id.value;
    const i = this.instruments.get(key);
    if (i === undefined)
      throw new BacktestError("BACKTEST_UNKNOWN_INSTRUMENT", `unknown instrument ${key}`, {
        instrument: key,
      });
    return i;
  }

  addStrategy(strategy: Strategy): void {
    if (this.started) throw new BacktestError("BACKTEST_STARTED", "add strategies before running", {});
    const ctx: TradingContext = {
      instrument: (id) => this.instrument(id),
      execute: (cmd) => this.exec.execute(cmd),
      portfolio: this.portfolio,
      orders: this.exec.cache,
      book: (id) => this.data.book(id),
      requestBars: (barType) => {
        if (
          barType.source === AggregationSource.Internal &&
          !this.data.barSubscriptions.some((b) => b.toString() === barType.toString())
        ) {
          this.data.subscribeBars(barType);
        }
      },
    };
    strategy.attach(ctx);
    this.strategies.push(strategy);
    this.kernel.add(strategy);
  }

  /**
   * Runs the backtest over time-ordered market data. `onProgress` is called every 64k events
   * with the count and the current time (for progress bars).
   */
  async run(
    data: Iterable<MarketData> | AsyncIterable<MarketData>,
    onProgress?: (events: number, ts: UnixMicros) => void,
  ): Promise<BacktestResult> {
    if (this.started) throw new BacktestError("BACKTEST_STARTED", "a backtest engine runs once", {});
    this.started = true;
    let count = 0;
    let first = -1;
    let last = -1;
    let nextSample = -1;
    const startEquity = () => this.portfolio.totalEquity();
    let startEq: Money | null = null;
    let dataDue = -1;
    let dataSeq = 0;
    // The venue of the previous event's instrument (ids are shared objects: one lookup per run).
    let lastId: InstrumentId | null = null;
    let lastExchange: SimulatedExchange | undefined;
    const publish = (d: MarketData, id: InstrumentId) => {
      this.data.process(d);
      if (d instanceof OrderBookDeltas && !this.hasTrades) this.markFromBook(id);
    };
    const step = (d: MarketData) => {
      const ts = d.tsEvent;
      if (first < 0) {
        first = ts;
        this.clock.setTime(ts);
        this.kernel.start();
        startEq = startEquity();
        this.portfolio.snapshot(ts);
        nextSample = ts - (ts % this.sampleUs) + this.sampleUs;
      } else if (ts < last) {
        throw new BacktestError(
          "BACKTEST_OUT_OF_ORDER",
          `event ${count} (${d.constructor.name} ${d instanceof Bar ? d.barType.instrumentId : d.instrumentId}) at ${microsToIso(ts)} is before the previous event at ${microsToIso(last)}`,
          { index: count, ts, previous: last },
        );
      }
      while (nextSample <= ts) {
        this.clock.advanceTo(nextSample);
        this.portfolio.snapshot(nextSample);
        nextSample += this.sampleUs;
      }
      this.clock.advanceTo(ts);
      const id = d instanceof Bar ? d.barType.instrumentId : d.instrumentId;
      if (id !== lastId) {
        lastId = id;
        lastExchange = this.exchanges.get(id.venue);
      }
      const exchange = lastExchange;
      if (d instanceof TradeTick) {
        exchange?.processTrade(d);
        this.setMark(id.value, d.price);
      } else if (d instanceof QuoteTick) {
        exchange?.processQuote(d);
        if (this.portfolio.mark(id.value) === undefined || !this.hasTrades) this.markFromQuote(d);
      } else if (d instanceof OrderBookDeltas) {
        exchange?.processBookDeltas(d);
      } else if (d instanceof Bar) {
        exchange?.processBar(d);
        this.setMark(id.value, d.close);
      } else if (d instanceof MarkPriceUpdate) {
        exchange?.processMarkPrice(d);
        this.onMarkPrice(d);
      } else if (!(d instanceof OrderBookDepth)) {
        throw new BacktestError("BACKTEST_DATA", `unsupported data ${String(d)}`, {});
      }
      if (d instanceof TradeTick) this.hasTrades = true;
      if (this.marginAccounts > 0 && (d instanceof TradeTick || d instanceof Bar)) this.checkLiquidations(ts);
      if (exchange?.delaysMarketData) {
        // Market data latency: strategies see the event later than the venue did (FIFO).
        const at = exchange.marketDataTime(ts);
        if (at > dataDue) dataDue = at;
        this.clock.setTimeAlert(`DATA:${++dataSeq}`, at, () => publish(d, id));
      } else {
        publish(d, id);
      }
      last = ts;
      count++;
      if (onProgress !== undefined && (count & 0xffff) === 0) onProgress(count, ts);
    };
    if (Symbol.asyncIterator in (data as object)) {
      for await (const d of data as AsyncIterable<MarketData>) step(d);
    } else if (Array.isArray(data)) {
      for (let i = 0; i < data.length; i++) step(data[i]);
    } else {
      for (const d of data as Iterable<MarketData>) step(d);
    }
    if (first < 0) throw new BacktestError("BACKTEST_NO_DATA", "the data source produced no events", {});
    // Delayed market data still in flight reaches the strategies (the run ends when it has).
    if (dataDue > last) {
      this.clock.advanceTo(dataDue);
      last = dataDue;
    }
    this.data.flushBars();
    this.portfolio.snapshot(last);
    this.kernel.stop();
    onProgress?.(count, last);
    return this.result(startEq ?? startEquity(), first, last, count);
  }

  private hasTrades = false;
  /** Announced funding per instrument: rate and time, until applied. */
  private readonly funding = new Map<string, { rate: string; at: UnixMicros; mark: Price }>();
  /** Funding payments applied: instrument, time, rate and the amount per position. */
  readonly fundingPayments: {
    ts: UnixMicros;
    instrumentId: string;
    positionId: string;
    rate: string;
    amount: string;
  }[] = [];

  /**
   * Perpetual funding: a mark-price update announces the rate for the next funding time; when
   * an update arrives at or after that time, every open position in the instrument pays (or
   * receives) signed notional at the mark × rate — longs pay a positive rate.
   */
  private onMarkPrice(m: MarkPriceUpdate): void {
    const key = m.instrumentId.value;
    const due = this.funding.get(key);
    if (due !== undefined && m.tsEvent >= due.at) {
      if (m.tsEvent === due.at) due.mark = m.markPrice;
      for (const p of this.portfolio.openPositions()) {
        if (p.instrument.id.value !== key) continue;
        const account = this.portfolio.account(p.accountId);
        if (!(account instanceof MarginAccount)) continue;
        const paid = account.applyFunding(p, due.mark, due.rate);
        this.fundingPayments.push({
          ts: due.at,
          instrumentId: key,
          positionId: p.id.value,
          rate: due.rate,
          amount: formatRaw(paid, p.settlement.precision),
        });
      }
      this.funding.delete(key);
    }
    // The latest announcement before the funding time wins (venues publish a running estimate).
    if (m.fundingRate !== null && m.nextFundingTime !== null && m.nextFundingTime > m.tsEvent) {
      this.funding.set(key, { rate: m.fundingRate, at: m.nextFundingTime, mark: m.markPrice });
    }
  }
  private marginAccounts = 0;
  /** Positions liquidated, with the equity and maintenance margin that triggered it. */
  readonly liquidations: { ts: UnixMicros; positionId: string; equity: string; maintenance: string }[] = [];
  private readonly liquidating = new Set<string>();

  /**
   * Margin call: when an account's equity falls to its maintenance margin, every open order of
   * the position's strategy on that instrument is canceled and the position is closed with a
   * reduce-only market order tagged `liquidation` (the simulated venue's liquidation engine).
   */
  /** Marks an instrument; counts changes (a liquidation check is due only after one). */
  private setMark(key: string, price: Price): void {
    const prev = this.lastMarks.get(key);
    if (prev === undefined || prev.raw !== price.raw || prev.precision !== price.precision) {
      this.lastMarks.set(key, price);
      this.markChanges++;
    }
    this.portfolio.updateMark(key, price);
  }
  private readonly lastMarks = new Map<string, Price>();
  private markChanges = 0;
  /** Marks, fills and funding payments seen by the last liquidation check. */
  private checkedAt = [-1, -1, -1];

  private checkLiquidations(ts: UnixMicros): void {
    // Equity and margin change only with a mark, a fill or a funding payment.
    const at = this.checkedAt;
    if (at[0] === this.markChanges && at[1] === this.fills.length && at[2] === this.fundingPayments.length)
      return;
    at[0] = this.markChanges;
    at[1] = this.fills.length;
    at[2] = this.fundingPayments.length;
    if (!this.portfolio.hasOpenPositions()) return;
    for (const l of this.portfolio.liquidations()) {
      const p = l.position;
      if (this.liquidating.has(p.id.value)) continue;
      this.liquidating.add(p.id.value);
      const digits = p.settlement.precision;
      this.liquidations.push({
        ts,
        positionId: p.id.value,
        equity: formatRaw(l.equityRaw, digits),
        maintenance: formatRaw(l.maintenanceRaw, digits),
      });
      this.exec.execute({
        type: "CancelAllOrders",
        commandId: `liquidation-cancel-${p.id.value}`,
        strategyId: p.strategyId,
        instrumentId: p.instrument.id,
        tsInit: ts,
        side: null,
      });
      const order = createOrder({
        strategyId: p.strategyId,
        instrumentId: p.instrument.id,
        clientOrderId: new ClientOrderId(`LIQ-${p.id.value}`),
        side: p.signedQtyRaw > 0 ? OrderSide.Sell : OrderSide.Buy,
        type: OrderType.Market,
        quantity: p.quantity,
        reduceOnly: true,
        tags: ["liquidation"],
        tsInit: ts,
      });
      this.exec.execute({
        type: "SubmitOrder",
        commandId: `liquidation-${p.id.value}`,
        strategyId: p.strategyId,
        instrumentId: p.instrument.id,
        tsInit: ts,
        order,
        positionId: p.id,
      });
      this.kernel.bus.publish(Topics.system("liquidation"), this.liquidations[this.liquidations.length - 1]);
    }
  }

  private markFromQuote(q: QuoteTick): void {
    const inst = this.instruments.get(q.instrumentId.value);
    if (inst === undefined) return;
    const mid = Math.round((q.bidPrice.raw + q.askPrice.raw) / 2);
    this.setMark(q.instrumentId.value, Price.fromRaw(mid, q.bidPrice.precision));
  }

  private markFromBook(id: InstrumentId): void {
    const book = this.data.book(id);
    if (book === null || book.bidLevels === 0 || book.askLevels === 0) return;
    const mid = book.mid();
    if (mid !== null)
      this.setMark(id.value, mid.withPrecision(this.instrument(id).pricePrecision, RoundingMode.HalfEven));
  }

  private result(startEq: Money, first: UnixMicros, last: UnixMicros, events: number): BacktestResult {
    const reporting = this.portfolio.reportingCurrency;
    const trades: RoundTrip[] = [];
    for (const p of this.portfolio.allPositions()) {
      if (p.isOpen || p.closedAt === null) continue;
      const long = p.entrySideBuy;
      trades.push({
        instrumentId: p.instrument.id.value,
        strategyId: p.strategyId.value,
        side: long ? "LONG" : "SHORT",
        qty: formatRaw(p.entryQtyRaw, p.instrument.sizePrecision),
        entryTime: p.openedAt,
        entryPrice: avgPriceText(p.entryNotional, p.entryQtyRaw, p.instrument.pricePrecision),
        exitTime: p.closedAt,
        exitPrice: avgPriceText(p.exitNotional, p.exitQtyRaw, p.instrument.pricePrecision),
        pnl: formatRaw(p.realizedRaw - p.feesInSettlementRaw, p.settlement.precision),
        fees: formatRaw(p.feesInSettlementRaw, p.settlement.precision),
        currency: p.settlement.code,
      });
    }
    trades.sort((a, b) => a.exitTime - b.exitTime || a.entryTime - b.entryTime);
    const curve = this.portfolio.equityCurve.map((e) => ({
      ts: e.ts,
      equity: formatRaw(e.equityRaw, reporting.precision),
    }));
    const scale = 10 ** reporting.precision;
    const stats = computeStats(
      this.portfolio.equityCurve.map((e) => ({ ts: e.ts, equity: e.equityRaw / scale })),
      trades.map((t) => ({
        entryTime: t.entryTime,
        exitTime: t.exitTime,
        pnl: Number(t.pnl),
        fees: Number(t.fees),
        notional:
          (Number(t.entryPrice) + Number(t.exitPrice)) *
          Number(t.qty) *
          this.instrument(t.instrumentId).multiplier,
      })),
    );
    return {
      orders: this.exec.cache.orders(),
      ordersForgotten: this.exec.cache.forgottenCount,
      fills: this.fills,
      trades,
      positions: this.portfolio.allPositions(),
      equityCurve: curve,
      finalEquity: this.portfolio.totalEquity(),
      startEquity: startEq,
      stats,
      events,
      startTime: first,
      endTime: last,
    };
  }
}
