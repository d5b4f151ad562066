/**
 * The risk engine: pre-trade checks on every order and modify (it is the execution engine's
 * {@link PreTradeGate}), post-trade limits with a kill switch, trading states, and stale-data
 * protection.
 *
 * **Pre-trade** checks run in a fixed order (cheapest and most fundamental first) on raw
 * fixed-point integers precomputed per instrument, with no allocation on the passing path; the
 * first failing check denies the order with a stable {@link RiskReason}. The denial text is
 * built only when a denial happens. See `docs/risk.md` for each check.
 *
 * **Post-trade** limits are evaluated on every fill and on a timer (unrealized PnL moves with the
 * market): daily loss, drawdown from peak equity, consecutive losing round trips (account and
 * strategy), per-strategy daily loss, and a cooldown after a stop-out. A breach trips the kill
 * switch for its scope: state HALTED first, then every open order of the scope is canceled and,
 * if configured, positions are flattened with reduce-only market orders (tagged
 * {@link FLATTEN_TAG}, the only orders HALTED lets through). Only an authorised
 * {@link ResumeTrading} command resumes.
 *
 * **Stale data**: an instrument with no quote or trade for `staleAfterUs` moves to REDUCING
 * (only position-reducing orders pass) and back to ACTIVE when data resumes.
 */
import type { Topic } from "../core/bus.js";
import { Component } from "../core/component.js";
import { Endpoints, Topics } from "../core/topics.js";
import type { ExecutionEngine, PreTradeGate } from "../execution/engine.js";
import type { Currency } from "../model/currency.js";
import type { QuoteTick, TradeTick } from "../model/data.js";
import { AccountType, OrderSide, OrderType, TimeInForce, TradingState } from "../model/enums.js";
import type { AccountState, OrderEvent, OrderFilled } from "../model/events.js";
import { parseDecimal } from "../model/fixed.js";
import { type AccountId, ClientOrderId, type InstrumentId, type StrategyId } from "../model/identifiers.js";
import type { Instrument } from "../model/instruments.js";
import { createOrder, type Order } from "../model/orders.js";
import { MICROS_PER_DAY } from "../model/time.js";
import { Money, type Price, Quantity } from "../model/values.js";
import type { RiskCommand, RiskEvent, RiskScope, RiskTripped, TradingStateChanged } from "./events.js";
import { RiskReason as R, TripCause } from "./reasons.js";
import { TokenBucket } from "./throttle.js";
import { AccountVar, type RiskMeasure } from "./var.js";

/** Tag carried by the kill switch's flatten orders (the only new orders allowed while HALTED). */
export const FLATTEN_TAG = "risk:flatten";

export interface ThrottleConfig {
  /** Burst size (tokens). */
  capacity: number;
  /** Sustained orders (and modifies) per second. */
  perSecond: number;
}

export interface InstrumentRiskConfig {
  /** Largest absolute position, a decimal in the instrument's quantity unit. */
  maxPosition?: string;
  /** Fat-finger band: a price may deviate at most this many basis points from the reference. */
  priceBandBps?: number;
  /** No quote/trade for this long moves the instrument to REDUCING. */
  staleAfterUs?: number;
}

export interface AccountRiskConfig {
  accountId: AccountId;
  /** The venue whose instruments this account trades (one account per venue). */
  venue: string;
  type: AccountType;
  /** Currency of equity, exposure and money limits; instruments must be quoted in it. */
  currency: Currency;
  /** Equity at start as a decimal string (otherwise the free balance of `currency`, once known). */
  startingEquity?: string;
  maxGrossExposure?: string;
  maxNetExposure?: string;
  /** Largest notional of a single order, decimal in `currency`. */
  maxOrderNotional?: string;
  maxOpenOrders?: number;
  throttle?: ThrottleConfig;
  dailyLossLimit?: string;
  /** Trip when equity falls this many basis points below its peak. */
  maxDrawdownBps?: number;
  maxConsecutiveLosses?: number;
  /** Flatten positions when the kill switch trips (default false: cancel only). */
  flattenOnTrip?: boolean;
  /** Check free balance / margin (default true). */
  checkBalance?: boolean;
}

export interface StrategyRiskConfig {
  maxOpenOrders?: number;
  throttle?: ThrottleConfig;
  /** Daily realized loss (after commissions) that halts the strategy, decimal in the account currency. */
  dailyLossLimit?: string;
  maxConsecutiveLosses?: number;
  /** After a stop order closes a position at a loss: no new exposure in that instrument for this long. */
  cooldownAfterStopOutUs?: number;
}

export interface RiskEngineConfig {
  accounts: AccountRiskConfig[];
  /** Per instrument id string (e.g. "BTCUSDT.BINANCE"), merged over `defaultInstrument`. */
  instruments?: Record<string, InstrumentRiskConfig>;
  defaultInstrument?: InstrumentRiskConfig;
  strategies?: Record<string, StrategyRiskConfig>;
  defaultStrategy?: StrategyRiskConfig;
  /** Deny orders that need a reference price (market orders, band check) when none is known (default true). */
  requireReferencePrice?: boolean;
  /** How often stale data and post-trade limits are evaluated on the clock (default 1 s). */
  checkIntervalUs?: number;
  /** Sample each account's equity this often into a rolling VaR window (default: off). */
  varSampleIntervalUs?: number;
  /** Number of PnL periods in the VaR window (default 250). */
  varWindow?: number;
  /** Decides whether a resume (or loosening state change) is authorised. None: always refused. */
  authorize?: (operator: string, token: string) => boolean;
}

const STOP_TYPES: ReadonlySet<OrderType> = new Set([
  OrderType.StopMarket,
  OrderType.StopLimit,
  OrderType.TrailingStopMarket,
  OrderType.TrailingStopLimit,
]);

/** -1 marks "no limit" in the numeric fields below. */
const NONE = -1;

function decimalTimesPow10(text: string, exp: number, what: string): number {
  let d: { raw: number; scale: number };
  try {
    d = parseDecimal(text);
  } catch {
    throw new RangeError(`risk config: ${what} "${text}" is not a decimal`);
  }
  if (d.raw < 0) throw new RangeError(`risk config: ${what} "${text}" must not be negative`);
  return d.raw * 10 ** (exp - d.scale);
}

function ratio(text: string | undefined): number {
  if (text === undefined) return 0;
  const d = parseDecimal(text);
  return d.raw / 10 ** d.scale;
}

class AccountRisk {
  readonly instruments: InstrumentRisk[] = [];
  openOrders = 0;
  state = TradingState.Active;
  readonly free = new Map<string, number>();
  bucket: TokenBucket | null = null;
  maxOpen: number;
  maxGrossCcy = NONE;
  maxNetCcy = NONE;
  maxOrderNotionalCcy = NONE;
  dailyLossCcy = NONE;
  maxDrawdownBps: number;
  maxConsecutive: number;
  consecutiveLosses = 0;
  realizedCcy = 0;
  startEquityCcy: number | null = null;
  dayStartEquityCcy = 0;
  peakEquityCcy = 0;
  day = -1;
  readonly flattenOnTrip: boolean;
  readonly checkBalance: boolean;

  constructor(readonly config: AccountRiskConfig) {
    const cp = config.currency.precision;
    this.maxOpen = config.maxOpenOrders ?? NONE;
    if (config.maxGrossExposure !== undefined)
      this.maxGrossCcy = decimalTimesPow10(config.maxGrossExposure, cp, "maxGrossExposure");
    if (config.maxNetExposure !== undefined)
      this.maxNetCcy = decimalTimesPow10(config.maxNetExposure, cp, "maxNetExposure");
    if (config.maxOrderNotional !== undefined)
      this.maxOrderNotionalCcy = decimalTimesPow10(config.maxOrderNotional, cp, "maxOrderNotional");
    if (config.dailyLossLimit !== undefined)
      this.dailyLossCcy = decimalTimesPow10(config.dailyLossLimit, cp, "dailyLossLimit");
    if (config.startingEquity !== undefined)
      this.startEquityCcy = decimalTimesPow10(config.startingEquity, cp, "startingEquity");
    this.maxDrawdownBps = config.maxDrawdownBps ?? NONE;
    this.maxConsecutive = config.maxConsecutiveLosses ?? NONE;
    this.flattenOnTrip = config.flattenOnTrip ?? false;
    this.checkBalance = config.checkBalance ?? true;
  }
}

class InstrumentRisk {
  readonly id: InstrumentId;
  readonly sp: number;
  readonly pp: number;
  readonly mult: number;
  readonly priceIncRaw: number;
  readonly sizeIncRaw: number;
  readonly minQtyRaw: number;
  readonly maxQtyRaw: number;
  /** Notional limits in scaled units (price raw x qty raw x multiplier). */
  readonly minNotionalScaled: number;
  readonly maxNotionalScaled: number;
  readonly maxOrderNotionalScaled: number;
  /** Scaled notional x toCcy = account-currency raw. */
  readonly toCcy: number;
  readonly maxPosRaw: number;
  readonly bandBps: number;
  readonly staleAfterUs: number;
  readonly takerFee: number;
  readonly marginInit: number;
  /** Base currency raw per quantity raw (spot sells need the base). */
  readonly baseCode: string;
  readonly qtyToBase: number;
  refPxRaw = 0;
  lastDataTs: number;
  state = TradingState.Active;
  staleTripped = false;
  netRaw = 0;
  openBuyRaw = 0;
  openSellRaw = 0;
  maxBuyPxRaw = NONE;
  minSellPxRaw = Number.POSITIVE_INFINITY;
  readonly working = new Set<Order>();
  /**
   * Orders held locally (emulated, or contingent children waiting for their parent): they count
   * toward the open-order limits and self-trade prevention, but not toward open quantity (they
   * are not at the venue; they are checked in full when released).
   */
  readonly held = new Set<Order>();
  /** What each working order contributes to the aggregates (leaves, price raw or NONE). */
  private readonly counted = new Map<Order, { leaves: number; px: number }>();

  constructor(
    readonly inst: Instrument,
    readonly account: AccountRisk | null,
    cfg: InstrumentRiskConfig,
    now: number,
  ) {
    this.id = inst.id;
    this.sp = inst.sizePrecision;
    this.pp = inst.pricePrecision;
    this.mult = inst.multiplier;
    this.priceIncRaw = inst.priceIncrement.raw;
    this.sizeIncRaw = inst.sizeIncrement.raw;
    this.minQtyRaw = inst.minQuantity?.raw ?? NONE;
    this.maxQtyRaw = inst.maxQuantity?.raw ?? NONE;
    const scale = this.pp + this.sp;
    this.minNotionalScaled =
      inst.minNotional === null ? NONE : decimalTimesPow10(inst.minNotional, scale, "minNotional");
    this.maxNotionalScaled =
      inst.maxNotional === null ? NONE : decimalTimesPow10(inst.maxNotional, scale, "maxNotional");
    const cp = account?.config.currency.precision ?? inst.quoteCurrency.precision;
    this.toCcy = 10 ** (cp - scale);
    this.maxOrderNotionalScaled =
      account === null || account.maxOrderNotionalCcy === NONE
        ? NONE
        : account.maxOrderNotionalCcy / this.toCcy;
    this.maxPosRaw =
      cfg.maxPosition === undefined ? NONE : decimalTimesPow10(cfg.maxPosition, this.sp, "maxPosition");
    this.bandBps = cfg.priceBandBps ?? NONE;
    this.staleAfterUs = cfg.staleAfterUs ?? NONE;
    this.takerFee = Math.max(0, ratio(inst.takerFee));
    const m = (inst as { marginInit?: string }).marginInit;
    this.marginInit = m === undefined ? 1 : ratio(m);
    this.baseCode = inst.baseCurrency.code;
    this.qtyToBase = 10 ** (inst.baseCurrency.precision - this.sp);
    this.lastDataTs = now;
  }

  /**
   * Keeps the working-order aggregates current after an event on `o` (never in a check):
   * open quantity per side incrementally; the self-trade extremes are rescanned only when the
   * order that set one leaves or moves.
   */
  update(o: Order, working: boolean): void {
    const prev = this.counted.get(o);
    const leaves = working ? o.quantity.raw - o.filledQty.raw : 0;
    const buy = o.side === OrderSide.Buy;
    const delta = leaves - (prev?.leaves ?? 0);
    if (buy) this.openBuyRaw += delta;
    else this.openSellRaw += delta;
    // Only priced orders rest on a book; a working market order never does, so it cannot be
    // the resting side of a self-trade (a new market order is checked against resting ones).
    const px = o.type === OrderType.Market ? NONE : (o.price?.raw ?? NONE);
    const wasExtreme =
      prev !== undefined &&
      (buy ? prev.px === this.maxBuyPxRaw : prev.px === this.minSellPxRaw) &&
      prev.px !== NONE;
    if (working) {
      if (prev === undefined) this.counted.set(o, { leaves, px });
      else {
        prev.leaves = leaves;
        prev.px = px;
      }
    } else if (prev !== undefined) {
      this.counted.delete(o);
    }
    if (wasExtreme && (!working || px !== prev.px)) this.rescanExtremes();
    else if (working && px !== NONE) {
      if (buy && px > this.maxBuyPxRaw) this.maxBuyPxRaw = px;
      if (!buy && px < this.minSellPxRaw) this.minSellPxRaw = px;
    }
  }

  private rescanExtremes(): void {
    let maxBuy = NONE;
    let minSell = Number.POSITIVE_INFINITY;
    for (const [o, c] of this.counted) {
      if (c.px === NONE) continue;
      if (o.side === OrderSide.Buy) {
        if (c.px > maxBuy) maxBuy = c.px;
      } else if (c.px < minSell) minSell = c.px;
    }
    this.maxBuyPxRaw = maxBuy;
    this.minSellPxRaw = minSell;
  }
}

class StrategyRisk {
  state = TradingState.Active;
  openOrders = 0;
  bucket: TokenBucket | null = null;
  readonly maxOpen: number;
  readonly dailyLossCcy: number;
  readonly maxConsecutive: number;
  readonly cooldownUs: number;
  consecutiveLosses = 0;
  dailyRealizedCcy = 0;
  day = -1;
  readonly cooldownUntil = new Map<InstrumentId, number>();

  constructor(
    readonly id: StrategyId,
    cfg: StrategyRiskConfig,
    currencyPrecision: number,
    now: number,
  ) {
    this.maxOpen = cfg.maxOpenOrders ?? NONE;
    this.dailyLossCcy =
      cfg.dailyLossLimit === undefined
        ? NONE
        : decimalTimesPow10(cfg.dailyLossLimit, currencyPrecision, "dailyLossLimit");
    this.maxConsecutive = cfg.maxConsecutiveLosses ?? NONE;
    this.cooldownUs = cfg.cooldownAfterStopOutUs ?? NONE;
    if (cfg.throttle !== undefined)
      this.bucket = new TokenBucket(cfg.throttle.capacity, cfg.throttle.perSecond, now);
  }
}

export class RiskEngine extends Component implements PreTradeGate {
  private readonly exec: ExecutionEngine;
  private readonly config: RiskEngineConfig;
  private readonly accounts = new Map<string, AccountRisk>();
  private readonly instruments = new Map<InstrumentId, InstrumentRisk>();
  private readonly strategies = new Map<string, StrategyRisk>();
  private readonly requireRef: boolean;
  private tradingStateValue = TradingState.Active;
  private lastCode: string | null = null;
  private lastText = "";
  private riskTopic: Topic<RiskEvent> | null = null;
  private readonly listeners: ((e: RiskEvent) => void)[] = [];
  private flattenSeq = 0;
  private readonly vars = new Map<string, AccountVar>();
  /** Trips so far (tests, monitoring). */
  readonly trips: RiskTripped[] = [];

  constructor(exec: ExecutionEngine, config: RiskEngineConfig, id = "RiskEngine") {
    super(id);
    this.exec = exec;
    this.config = config;
    this.requireRef = config.requireReferencePrice ?? true;
    for (const a of config.accounts) {
      if (this.accounts.has(a.venue)) throw new RangeError(`risk config: two accounts for venue ${a.venue}`);
      this.accounts.set(a.venue, new AccountRisk(a));
    }
    exec.setGate(this);
    exec.onEventApplied((e, o) => this.onOrderEvent(e, o));
  }

  get tradingState(): TradingState {
    return this.tradingStateValue;
  }

  protected override onInitialize(): void {
    const ctx = this.context;
    const now = ctx.clock.timestampUs();
    this.riskTopic = ctx.bus.topic(Topics.system("risk"));
    for (const inst of this.exec.instruments.values()) {
      const acct = this.accounts.get(inst.id.venue) ?? null;
      const cfg = { ...this.config.defaultInstrument, ...this.config.instruments?.[inst.id.value] };
      const ir = new InstrumentRisk(inst, acct, cfg, now);
      this.instruments.set(inst.id, ir);
      acct?.instruments.push(ir);
      ctx.bus.subscribe<QuoteTick>(Topics.quotes(inst.id), (q) =>
        this.onData(ir, (q.bidPrice.raw + q.askPrice.raw) / 2, q.tsEvent),
      );
      ctx.bus.subscribe<TradeTick>(Topics.trades(inst.id), (t) => this.onData(ir, t.price.raw, t.tsEvent));
    }
    for (const a of this.accounts.values()) {
      if (a.config.throttle !== undefined)
        a.bucket = new TokenBucket(a.config.throttle.capacity, a.config.throttle.perSecond, now);
      ctx.bus.subscribe<AccountState>(Topics.accountEvents(a.config.accountId.value), (s) =>
        this.onAccountState(a, s),
      );
    }
    ctx.bus.register<RiskCommand, boolean>(Endpoints.risk, (c) => this.handleCommand(c));
    this.seedFromCache();
  }

  /**
   * Takes over what the execution engine already holds — after a restart its cache is rebuilt
   * from the journal — so limits see the open orders (working or held) and the net positions
   * from the first check on, not only what happens after this engine started.
   */
  private seedFromCache(): void {
    for (const o of this.exec.cache.openOrders()) {
      const ir = this.instruments.get(o.instrumentId);
      if (ir !== undefined) this.track(ir, o);
    }
    const net = new Map<InstrumentRisk, number>();
    for (const p of this.exec.cache.allPositions()) {
      const ir = this.instruments.get(p.instrumentId);
      if (ir !== undefined) net.set(ir, (net.get(ir) ?? 0) + p.signedQtyRaw);
    }
    for (const [ir, raw] of net) ir.netRaw = raw;
  }

  protected override onStart(): void {
    const clock = this.context.clock;
    const interval = this.config.checkIntervalUs ?? 1_000_000;
    const name = `${this.id}:checks`;
    if (!clock.timerNames().includes(name)) clock.setTimer(name, interval, () => this.periodic());
    const vi = this.config.varSampleIntervalUs;
    if (vi !== undefined && !clock.timerNames().includes(`${this.id}:var`)) {
      for (const a of this.accounts.values())
        this.vars.set(a.config.venue, new AccountVar(this.config.varWindow ?? 250));
      clock.setTimer(`${this.id}:var`, vi, () => this.sampleEquity());
    }
  }

  private sampleEquity(): void {
    for (const a of this.accounts.values()) {
      if (a.startEquityCcy === null) continue;
      this.vars.get(a.config.venue)?.addEquity(this.equity(a) / 10 ** a.config.currency.precision);
    }
  }

  /**
   * Rolling VaR and expected shortfall of an account's per-period PnL (account currency units),
   * historical or parametric. Needs `varSampleIntervalUs` configured and at least 2 periods.
   */
  valueAtRisk(
    venue: string,
    confidence: number,
    method: "historical" | "parametric" = "historical",
  ): RiskMeasure {
    const v = this.vars.get(venue);
    if (v === undefined) throw new RangeError(`risk: no VaR window for ${venue} (set varSampleIntervalUs)`);
    return method === "historical" ? v.historical(confidence) : v.parametric(confidence);
  }

  protected override onStop(): void {
    this.context.clock.cancelTimer(`${this.id}:checks`);
    this.context.clock.cancelTimer(`${this.id}:var`);
  }

  /** Subscribes to every risk event (journal, monitoring). */
  onRiskEvent(listener: (e: RiskEvent) => void): void {
    this.listeners.push(listener);
  }

  // --- inputs --------------------------------------------------------------------------

  /** Sets an account's free balance of a currency (normally from `AccountState` events). */
  setFreeBalance(venue: string, amount: Money): void {
    const a = this.accounts.get(venue);
    if (a === undefined) throw new RangeError(`risk: no account for venue ${venue}`);
    a.free.set(amount.currency.code, amount.raw);
    if (a.startEquityCcy === null && amount.currency.code === a.config.currency.code) {
      a.startEquityCcy = amount.raw;
    }
  }

  /** Sets the reference price of an instrument (normally from quotes and trades). */
  setReferencePrice(instrumentId: InstrumentId, price: Price): void {
    const ir = this.instruments.get(instrumentId);
    if (ir === undefined) throw new RangeError(`risk: unknown instrument ${instrumentId}`);
    this.onData(ir, price.raw, this.context.clock.timestampUs());
  }

  private onData(ir: InstrumentRisk, pxRaw: number, _ts: number): void {
    ir.refPxRaw = pxRaw;
    ir.lastDataTs = this.context.clock.timestampUs();
    if (ir.staleTripped) {
      ir.staleTripped = false;
      this.changeState("instrument", ir.id.value, ir.state, TradingState.Active, "market data resumed");
      ir.state = TradingState.Active;
    }
  }

  private onAccountState(a: AccountRisk, s: AccountState): void {
    for (const b of s.balances) this.setFreeBalance(a.config.venue, b.free);
  }

  // --- pre-trade -----------------------------------------------------------------------

  lastDenialReason(): string {
    return this.lastText;
  }

  /** The code of the last denial (null if the last check passed). */
  get lastDenialCode(): string | null {
    return this.lastCode;
  }

  checkSubmit(order: Order): string | null {
    const leaves = order.quantity.raw - order.filledQty.raw;
    return this.runChecks(order, order.quantity, order.price ?? order.triggerPrice, leaves, leaves, false);
  }

  checkModify(
    order: Order,
    quantity: Quantity | null,
    price: Price | null,
    triggerPrice: Price | null,
  ): string | null {
    const q = quantity ?? order.quantity;
    const px = price ?? triggerPrice ?? order.price ?? order.triggerPrice;
    const leaves = q.raw - order.filledQty.raw;
    const oldLeaves = order.quantity.raw - order.filledQty.raw;
    // A working order's leaves are already in the open totals; only the change is new.
    const added = order.isOpen() ? leaves - oldLeaves : leaves;
    return this.runChecks(order, q, px, leaves, added, true);
  }

  private deny(code: string, text: string): string {
    this.lastCode = code;
    this.lastText = text;
    return code;
  }

  private runChecks(
    order: Order,
    quantity: Quantity,
    price: Price | null,
    qty: number,
    added: number,
    isModify: boolean,
  ): string | null {
    const now = this.context.clock.timestampUs();
    this.lastCode = null;
    const flatten = order.reduceOnly && order.tags.length > 0 && order.tags[0] === FLATTEN_TAG;
    if (this.tradingStateValue === TradingState.Halted && !flatten)
      return this.deny(R.TRADING_HALTED, "trading is HALTED");
    const ir = this.instruments.get(order.instrumentId);
    if (ir === undefined)
      return this.deny(R.INSTRUMENT_UNKNOWN, `instrument ${order.instrumentId} is not known to risk`);
    const acct = ir.account;
    if (acct === null)
      return this.deny(R.ACCOUNT_UNKNOWN, `no account configured for venue ${order.instrumentId.venue}`);
    if (acct.state === TradingState.Halted && !flatten)
      return this.deny(R.TRADING_HALTED, `account ${acct.config.accountId} is HALTED`);
    let sr = this.strategies.get(order.strategyId.value);
    if (sr === undefined) sr = this.strategyRisk(order.strategyId, acct, now);
    if (sr.state === TradingState.Halted && !flatten)
      return this.deny(R.STRATEGY_HALTED, `strategy ${order.strategyId} is HALTED`);

    // Values.
    if (quantity.precision !== ir.sp || !Number.isSafeInteger(qty) || qty <= 0) {
      return this.deny(R.QUANTITY_INVALID, `quantity ${quantity} must be positive at precision ${ir.sp}`);
    }
    let pxRaw = 0;
    if (price !== null) {
      pxRaw = price.raw;
      if (price.precision !== ir.pp || !Number.isSafeInteger(pxRaw) || pxRaw <= 0) {
        return this.deny(R.PRICE_INVALID, `price ${price} must be positive at precision ${ir.pp}`);
      }
      if (pxRaw % ir.priceIncRaw !== 0) {
        return this.deny(R.PRICE_INCREMENT, `price ${price} is not a multiple of ${ir.inst.priceIncrement}`);
      }
    }
    if (quantity.raw % ir.sizeIncRaw !== 0) {
      return this.deny(
        R.QUANTITY_INCREMENT,
        `quantity ${quantity} is not a multiple of ${ir.inst.sizeIncrement}`,
      );
    }
    if (ir.minQtyRaw !== NONE && quantity.raw < ir.minQtyRaw) {
      return this.deny(
        R.QUANTITY_BELOW_MIN,
        `quantity ${quantity} is below the minimum ${ir.inst.minQuantity}`,
      );
    }
    if (ir.maxQtyRaw !== NONE && quantity.raw > ir.maxQtyRaw) {
      return this.deny(
        R.QUANTITY_ABOVE_MAX,
        `quantity ${quantity} is above the maximum ${ir.inst.maxQuantity}`,
      );
    }

    // Stale data (fail closed between timer checks too).
    if (ir.staleAfterUs !== NONE && !ir.staleTripped && now - ir.lastDataTs > ir.staleAfterUs)
      this.markStale(ir, now);

    // Notional.
    const ref = ir.refPxRaw;
    const notionalPx = pxRaw !== 0 ? pxRaw : ref;
    if (notionalPx === 0) {
      if (this.requireRef)
        return this.deny(
          R.NO_REFERENCE_PRICE,
          `no reference price for ${ir.id} to value a ${order.type} order`,
        );
    }
    const notional = notionalPx * qty * ir.mult;
    if (ir.minNotionalScaled !== NONE && notional < ir.minNotionalScaled && !order.reduceOnly) {
      return this.deny(
        R.NOTIONAL_BELOW_MIN,
        `notional ${this.ccy(ir, notional)} is below the instrument minimum ${ir.inst.minNotional}`,
      );
    }
    if (ir.maxNotionalScaled !== NONE && notional > ir.maxNotionalScaled) {
      return this.deny(
        R.NOTIONAL_ABOVE_MAX,
        `notional ${this.ccy(ir, notional)} is above the instrument maximum ${ir.inst.maxNotional}`,
      );
    }
    if (ir.maxOrderNotionalScaled !== NONE && notional > ir.maxOrderNotionalScaled) {
      return this.deny(
        R.MAX_ORDER_NOTIONAL,
        `notional ${this.ccy(ir, notional)} is above the order limit ${acct.config.maxOrderNotional}`,
      );
    }
    if (ir.bandBps !== NONE && pxRaw !== 0) {
      if (ref === 0) {
        if (this.requireRef)
          return this.deny(R.NO_REFERENCE_PRICE, `no reference price for ${ir.id} to check the price band`);
      } else {
        const diff = pxRaw > ref ? pxRaw - ref : ref - pxRaw;
        if (diff * 10_000 > ir.bandBps * ref) {
          return this.deny(
            R.PRICE_BAND,
            `price ${price} is more than ${ir.bandBps} bps from the reference ${ref / 10 ** ir.pp}`,
          );
        }
      }
    }

    // Direction: does it only reduce the position?
    const buy = order.side === OrderSide.Buy;
    const net = ir.netRaw;
    const reduces = buy ? net < 0 && qty <= -net : net > 0 && qty <= net;
    if (order.reduceOnly && !reduces) {
      return this.deny(
        R.REDUCE_ONLY_VIOLATION,
        `reduce-only ${order.side} ${quantity} would not reduce position ${net / 10 ** ir.sp}`,
      );
    }
    if (!reduces) {
      if (
        this.tradingStateValue === TradingState.Reducing ||
        acct.state === TradingState.Reducing ||
        sr.state === TradingState.Reducing ||
        ir.state === TradingState.Reducing
      ) {
        return this.deny(
          R.TRADING_REDUCING,
          `${ir.id} is REDUCING${ir.staleTripped ? " (stale market data)" : ""}: only reducing orders`,
        );
      }
      if (sr.cooldownUs !== NONE) {
        const until = sr.cooldownUntil.get(ir.id);
        if (until !== undefined && now < until) {
          return this.deny(R.COOLDOWN, `strategy ${sr.id} is in cooldown on ${ir.id} until ${until}`);
        }
      }
      if (ir.maxPosRaw !== NONE) {
        const worst = buy ? net + ir.openBuyRaw + added : -(net - ir.openSellRaw - added);
        if (worst > ir.maxPosRaw) {
          return this.deny(
            R.MAX_POSITION,
            `worst-case position ${worst / 10 ** ir.sp} would exceed ${ir.maxPosRaw / 10 ** ir.sp}`,
          );
        }
      }
      if (acct.maxGrossCcy !== NONE || acct.maxNetCcy !== NONE) {
        let gross = 0;
        let netExp = 0;
        const list = acct.instruments;
        for (let i = 0; i < list.length; i++) {
          const x = list[i];
          let pos = x.netRaw;
          let px = x.refPxRaw;
          if (x === ir) {
            pos += buy ? added : -added;
            if (px === 0) px = notionalPx;
          }
          const v = pos * px * x.mult * x.toCcy;
          gross += v < 0 ? -v : v;
          netExp += v;
        }
        if (acct.maxGrossCcy !== NONE && gross > acct.maxGrossCcy) {
          return this.deny(
            R.MAX_GROSS_EXPOSURE,
            `gross exposure ${this.money(acct, gross)} would exceed ${acct.config.maxGrossExposure}`,
          );
        }
        if (acct.maxNetCcy !== NONE && (netExp < 0 ? -netExp : netExp) > acct.maxNetCcy) {
          return this.deny(
            R.MAX_NET_EXPOSURE,
            `net exposure ${this.money(acct, netExp)} would exceed ${acct.config.maxNetExposure}`,
          );
        }
      }
    }
    if (!isModify) {
      if (acct.maxOpen !== NONE && acct.openOrders >= acct.maxOpen) {
        return this.deny(
          R.MAX_OPEN_ORDERS_ACCOUNT,
          `account has ${acct.openOrders} open orders, working or held (max ${acct.maxOpen})`,
        );
      }
      if (sr.maxOpen !== NONE && sr.openOrders >= sr.maxOpen) {
        return this.deny(
          R.MAX_OPEN_ORDERS_STRATEGY,
          `strategy has ${sr.openOrders} open orders, working or held (max ${sr.maxOpen})`,
        );
      }
    }
    // Self-trade: would it cross one of our own resting orders on the other side?
    if (buy) {
      if (
        ir.minSellPxRaw !== Number.POSITIVE_INFINITY &&
        !ir.working.has(order) &&
        (pxRaw === 0 || order.type === OrderType.Market || pxRaw >= ir.minSellPxRaw)
      ) {
        return this.deny(
          R.SELF_TRADE,
          `buy at ${price ?? "market"} would cross our own sell at ${ir.minSellPxRaw / 10 ** ir.pp}`,
        );
      }
    } else if (
      ir.maxBuyPxRaw !== NONE &&
      !ir.working.has(order) &&
      (pxRaw === 0 || order.type === OrderType.Market || pxRaw <= ir.maxBuyPxRaw)
    ) {
      return this.deny(
        R.SELF_TRADE,
        `sell at ${price ?? "market"} would cross our own buy at ${ir.maxBuyPxRaw / 10 ** ir.pp}`,
      );
    }
    // Self-trade against held orders: a priced order of ours that would rest crossing a held
    // priced order on the other side (it would cross once the held one is released).
    if (ir.held.size > 0 && pxRaw !== 0 && order.type !== OrderType.Market) {
      for (const h of ir.held) {
        if (h === order || h.side === order.side || h.price === null || h.type === OrderType.Market) continue;
        const hp = h.price.raw;
        if (buy ? pxRaw >= hp : pxRaw <= hp) {
          return this.deny(
            R.SELF_TRADE,
            `${buy ? "buy" : "sell"} at ${price} would cross our own held ${h.side === OrderSide.Buy ? "buy" : "sell"} ${h.clientOrderId} at ${h.price} (released on trigger or parent fill)`,
          );
        }
      }
    }
    // Balance or margin (reducing orders free margin rather than use it).
    if (acct.checkBalance && !(reduces && acct.config.type === AccountType.Margin)) {
      const cost = notional * ir.toCcy;
      const ccyCode = acct.config.currency.code;
      if (acct.config.type === AccountType.Cash) {
        if (buy) {
          const need = Math.ceil(cost * (1 + ir.takerFee));
          const free = acct.free.get(ccyCode) ?? 0;
          if (need > free)
            return this.deny(
              R.INSUFFICIENT_BALANCE,
              `needs ${this.money(acct, need)} but ${this.money(acct, free)} is free`,
            );
        } else {
          const need = qty * ir.qtyToBase;
          const free = acct.free.get(ir.baseCode) ?? 0;
          if (need > free)
            return this.deny(
              R.INSUFFICIENT_BALANCE,
              `sell of ${quantity} needs ${need} raw ${ir.baseCode}, ${free} free`,
            );
        }
      } else {
        const need = Math.ceil(cost * ir.marginInit + cost * ir.takerFee);
        const free = acct.free.get(ccyCode) ?? 0;
        if (need > free)
          return this.deny(
            R.INSUFFICIENT_MARGIN,
            `initial margin ${this.money(acct, need)} exceeds free ${this.money(acct, free)}`,
          );
      }
    }
    // Throttles last, so a denied order consumes no token.
    const sb = sr.bucket;
    if (sb !== null && !sb.canTake(now))
      return this.deny(
        R.THROTTLE_STRATEGY,
        `strategy ${sr.id} exceeded ${sb.perSecond} orders/s (burst ${sb.capacity})`,
      );
    const ab = acct.bucket;
    if (ab !== null && !ab.canTake(now))
      return this.deny(
        R.THROTTLE_ACCOUNT,
        `account exceeded ${ab.perSecond} orders/s (burst ${ab.capacity})`,
      );
    if (sb !== null) sb.take();
    if (ab !== null) ab.take();
    return null;
  }

  private strategyRisk(id: StrategyId, acct: AccountRisk | null, now: number): StrategyRisk {
    const cfg = { ...this.config.defaultStrategy, ...this.config.strategies?.[id.value] };
    const sr = new StrategyRisk(id, cfg, acct?.config.currency.precision ?? 8, now);
    this.strategies.set(id.value, sr);
    return sr;
  }

  private ccy(ir: InstrumentRisk, scaled: number): string {
    return ir.account === null ? String(scaled) : this.money(ir.account, scaled * ir.toCcy);
  }

  private money(a: AccountRisk, raw: number): string {
    return Money.fromRaw(Math.round(raw), a.config.currency).toString();
  }

  // --- order bookkeeping ---------------------------------------------------------------

  private onOrderEvent(event: OrderEvent, order: Order): void {
    const ir = this.instruments.get(order.instrumentId);
    if (ir === undefined) return;
    this.track(ir, order);
    if (event.type === "OrderFilled") this.onFill(ir, order, event);
  }

  /** The execution engine started or stopped holding `order` locally. */
  onHeldChanged(order: Order): void {
    const ir = this.instruments.get(order.instrumentId);
    if (ir !== undefined) this.track(ir, order);
  }

  /** Files `order` as working at a venue, held locally, or neither, and keeps the counts. */
  private track(ir: InstrumentRisk, order: Order): void {
    const working = order.isOpen();
    const held = !working && !order.isClosed() && this.exec.cache.isHeld(order);
    const was = ir.working.has(order);
    const wasHeld = ir.held.has(order);
    const d = (working || held ? 1 : 0) - (was || wasHeld ? 1 : 0);
    if (working !== was) {
      if (working) ir.working.add(order);
      else ir.working.delete(order);
    }
    if (held !== wasHeld) {
      if (held) ir.held.add(order);
      else ir.held.delete(order);
    }
    if (d !== 0) {
      const sr =
        this.strategies.get(order.strategyId.value) ??
        this.strategyRisk(order.strategyId, ir.account, this.context.clock.timestampUs());
      sr.openOrders += d;
      if (ir.account !== null) ir.account.openOrders += d;
    }
    if (working || was) ir.update(order, working);
  }

  /**
   * Whether `orders` (not yet counted: about to be held or sent) fit the account and strategy
   * open-order limits on top of the orders already working or held.
   */
  checkOpenOrderCapacity(orders: readonly Order[]): string | null {
    this.lastCode = null;
    const perAccount = new Map<AccountRisk, number>();
    const perStrategy = new Map<StrategyRisk, number>();
    const now = this.context.clock.timestampUs();
    for (const o of orders) {
      const ir = this.instruments.get(o.instrumentId);
      if (ir === undefined || ir.working.has(o) || ir.held.has(o)) continue;
      const sr = this.strategies.get(o.strategyId.value) ?? this.strategyRisk(o.strategyId, ir.account, now);
      perStrategy.set(sr, (perStrategy.get(sr) ?? 0) + 1);
      if (ir.account !== null) perAccount.set(ir.account, (perAccount.get(ir.account) ?? 0) + 1);
    }
    for (const [acct, n] of perAccount) {
      if (acct.maxOpen !== NONE && acct.openOrders + n > acct.maxOpen) {
        return this.deny(
          R.MAX_OPEN_ORDERS_ACCOUNT,
          `account has ${acct.openOrders} open orders (working or held); ${n} more would exceed max ${acct.maxOpen}`,
        );
      }
    }
    for (const [sr, n] of perStrategy) {
      if (sr.maxOpen !== NONE && sr.openOrders + n > sr.maxOpen) {
        return this.deny(
          R.MAX_OPEN_ORDERS_STRATEGY,
          `strategy has ${sr.openOrders} open orders (working or held); ${n} more would exceed max ${sr.maxOpen}`,
        );
      }
    }
    return null;
  }

  private onFill(ir: InstrumentRisk, order: Order, fill: OrderFilled): void {
    ir.netRaw += fill.orderSide === OrderSide.Buy ? fill.lastQty.raw : -fill.lastQty.raw;
    const acct = ir.account;
    if (acct === null) return;
    const now = this.context.clock.timestampUs();
    const sr = this.strategies.get(order.strategyId.value) ?? this.strategyRisk(order.strategyId, acct, now);
    const pos = this.exec.cache.position(order.instrumentId, order.strategyId);
    const realized = pos === undefined ? 0 : Math.round(pos.lastRealizedRaw * ir.toCcy);
    const commission = fill.commission.currency.code === acct.config.currency.code ? fill.commission.raw : 0;
    this.rollDay(acct, sr, now);
    acct.realizedCcy += realized - commission;
    sr.dailyRealizedCcy += realized - commission;
    if (pos?.lastFillClosedTrip) {
      const trip = pos.lastTripRealizedRaw;
      if (trip < 0) {
        acct.consecutiveLosses++;
        sr.consecutiveLosses++;
      } else {
        acct.consecutiveLosses = 0;
        sr.consecutiveLosses = 0;
      }
    }
    if (STOP_TYPES.has(order.type) && realized < 0 && sr.cooldownUs !== NONE) {
      sr.cooldownUntil.set(ir.id, now + sr.cooldownUs);
      this.trip(
        TripCause.COOLDOWN,
        "strategy",
        `${sr.id}@${ir.id}`,
        this.money(acct, realized),
        "0",
        `stop-out at a loss; no new exposure for ${sr.cooldownUs} µs`,
        0,
        0,
      );
    }
    this.evaluateStrategy(acct, sr);
    this.evaluateAccount(acct, now);
  }

  // --- post-trade ----------------------------------------------------------------------

  private rollDay(acct: AccountRisk, sr: StrategyRisk | null, now: number): void {
    const day = Math.floor(now / MICROS_PER_DAY);
    if (acct.day !== day) {
      acct.day = day;
      acct.dayStartEquityCcy = this.equity(acct);
    }
    if (sr !== null && sr.day !== day) {
      sr.day = day;
      sr.dailyRealizedCcy = 0;
    }
  }

  /** Account equity in account-currency raw: start + realized − commissions + unrealized. */
  equity(acct: AccountRisk): number {
    let e = (acct.startEquityCcy ?? 0) + acct.realizedCcy;
    for (const p of this.exec.cache.allPositions()) {
      if (p.signedQtyRaw === 0) continue;
      const ir = this.instruments.get(p.instrumentId);
      if (ir === undefined || ir.account !== acct || ir.refPxRaw === 0) continue;
      e += Math.round(p.unrealizedRaw(ir.refPxRaw) * ir.toCcy);
    }
    return e;
  }

  /** Equity of the account trading `venue`, as Money. */
  accountEquity(venue: string): Money {
    const a = this.accounts.get(venue);
    if (a === undefined) throw new RangeError(`risk: no account for venue ${venue}`);
    return Money.fromRaw(this.equity(a), a.config.currency);
  }

  private evaluateStrategy(acct: AccountRisk, sr: StrategyRisk): void {
    if (sr.state === TradingState.Halted) return;
    if (sr.dailyLossCcy !== NONE && -sr.dailyRealizedCcy >= sr.dailyLossCcy) {
      this.killSwitch(
        "strategy",
        sr,
        acct,
        TripCause.STRATEGY_LOSS_LIMIT,
        this.money(acct, -sr.dailyRealizedCcy),
        this.money(acct, sr.dailyLossCcy),
        "strategy daily realized loss limit reached",
      );
    } else if (sr.maxConsecutive !== NONE && sr.consecutiveLosses >= sr.maxConsecutive) {
      this.killSwitch(
        "strategy",
        sr,
        acct,
        TripCause.CONSECUTIVE_LOSSES,
        String(sr.consecutiveLosses),
        String(sr.maxConsecutive),
        "consecutive losing round trips",
      );
    }
  }

  private evaluateAccount(acct: AccountRisk, now: number): void {
    if (acct.state === TradingState.Halted || acct.startEquityCcy === null) return;
    this.rollDay(acct, null, now);
    const eq = this.equity(acct);
    if (eq > acct.peakEquityCcy) acct.peakEquityCcy = eq;
    if (acct.dailyLossCcy !== NONE && acct.dayStartEquityCcy - eq >= acct.dailyLossCcy) {
      this.killSwitch(
        "account",
        null,
        acct,
        TripCause.DAILY_LOSS_LIMIT,
        this.money(acct, acct.dayStartEquityCcy - eq),
        this.money(acct, acct.dailyLossCcy),
        "daily loss limit reached",
      );
    } else if (
      acct.maxDrawdownBps !== NONE &&
      acct.peakEquityCcy > 0 &&
      (acct.peakEquityCcy - eq) * 10_000 >= acct.maxDrawdownBps * acct.peakEquityCcy
    ) {
      const dd = Math.round(((acct.peakEquityCcy - eq) * 10_000) / acct.peakEquityCcy);
      this.killSwitch(
        "account",
        null,
        acct,
        TripCause.MAX_DRAWDOWN,
        `${dd} bps`,
        `${acct.maxDrawdownBps} bps`,
        `equity ${this.money(acct, eq)} vs peak ${this.money(acct, acct.peakEquityCcy)}`,
      );
    } else if (acct.maxConsecutive !== NONE && acct.consecutiveLosses >= acct.maxConsecutive) {
      this.killSwitch(
        "account",
        null,
        acct,
        TripCause.CONSECUTIVE_LOSSES,
        String(acct.consecutiveLosses),
        String(acct.maxConsecutive),
        "consecutive losing round trips",
      );
    }
  }

  /** Timer: stale data and equity-based limits. */
  private periodic(): void {
    const now = this.context.clock.timestampUs();
    for (const ir of this.instruments.values()) {
      if (ir.staleAfterUs !== NONE && !ir.staleTripped && now - ir.lastDataTs > ir.staleAfterUs)
        this.markStale(ir, now);
    }
    for (const a of this.accounts.values()) this.evaluateAccount(a, now);
  }

  private markStale(ir: InstrumentRisk, now: number): void {
    ir.staleTripped = true;
    const from = ir.state;
    if (from === TradingState.Active) ir.state = TradingState.Reducing;
    this.trip(
      TripCause.STALE_DATA,
      "instrument",
      ir.id.value,
      `${now - ir.lastDataTs} µs`,
      `${ir.staleAfterUs} µs`,
      "no market data update within the configured time",
      0,
      0,
    );
    if (from !== ir.state) this.changeState("instrument", ir.id.value, from, ir.state, "stale market data");
  }

  /**
   * The kill switch: HALTED first (nothing new gets through), then cancel every open order of
   * the scope, then (if configured) flatten with reduce-only market orders. Idempotent.
   */
  private killSwitch(
    scope: "account" | "strategy",
    sr: StrategyRisk | null,
    acct: AccountRisk,
    cause: TripCause,
    value: string,
    limit: string,
    detail: string,
  ): void {
    const target = scope === "strategy" ? sr!.id.value : acct.config.accountId.value;
    const from = scope === "strategy" ? sr!.state : acct.state;
    if (from === TradingState.Halted) return;
    if (scope === "strategy") sr!.state = TradingState.Halted;
    else acct.state = TradingState.Halted;
    this.changeState(scope, target, from, TradingState.Halted, `kill switch: ${cause}`);
    const canceled = this.exec.cancelAllOpen(scope === "strategy" ? sr!.id : undefined);
    let flattened = 0;
    if (acct.flattenOnTrip) flattened = this.flatten(acct, scope === "strategy" ? sr!.id : null);
    this.trip(cause, scope, target, value, limit, detail, canceled, flattened);
  }

  private flatten(acct: AccountRisk, strategyId: StrategyId | null): number {
    let n = 0;
    const now = this.context.clock.timestampUs();
    for (const p of this.exec.cache.allPositions()) {
      if (p.signedQtyRaw === 0) continue;
      if (strategyId !== null && p.strategyId.value !== strategyId.value) continue;
      const ir = this.instruments.get(p.instrumentId);
      if (ir === undefined || ir.account !== acct) continue;
      const order = createOrder({
        strategyId: p.strategyId,
        instrumentId: p.instrumentId,
        clientOrderId: new ClientOrderId(`FLATTEN-${this.id}-${++this.flattenSeq}`),
        side: p.signedQtyRaw > 0 ? OrderSide.Sell : OrderSide.Buy,
        type: OrderType.Market,
        quantity: Quantity.fromRaw(Math.abs(p.signedQtyRaw), ir.sp),
        timeInForce: TimeInForce.IOC,
        reduceOnly: true,
        tags: [FLATTEN_TAG],
        tsInit: now,
      });
      const r = this.exec.execute({
        type: "SubmitOrder",
        commandId: `flatten-${this.flattenSeq}`,
        strategyId: p.strategyId,
        instrumentId: p.instrumentId,
        tsInit: now,
        order,
        positionId: null,
      });
      if (r.ok) n++;
    }
    return n;
  }

  private trip(
    cause: TripCause,
    scope: RiskScope,
    target: string | null,
    value: string,
    limit: string,
    detail: string,
    canceled: number,
    flattened: number,
  ): void {
    const ts = this.context.clock.timestampUs();
    const e: RiskTripped = {
      type: "RiskTripped",
      eventId: this.context.ids.next("R"),
      cause,
      scope,
      target,
      value,
      limit,
      detail,
      canceledOrders: canceled,
      flattenOrders: flattened,
      tsEvent: ts,
    };
    this.trips.push(e);
    this.context.logger.warn({ cause, scope, target, value, limit }, `risk trip: ${detail}`);
    this.publish(e);
  }

  private changeState(
    scope: RiskScope,
    target: string | null,
    from: TradingState,
    to: TradingState,
    reason: string,
  ): void {
    const e: TradingStateChanged = {
      type: "TradingStateChanged",
      eventId: this.context.ids.next("R"),
      scope,
      target,
      from,
      to,
      reason,
      tsEvent: this.context.clock.timestampUs(),
    };
    this.publish(e);
  }

  private publish(e: RiskEvent): void {
    for (const l of this.listeners) l(e);
    this.riskTopic?.publish(e);
  }

  // --- commands ------------------------------------------------------------------------

  /** Trips the kill switch by hand (global scope: every account). */
  halt(reason: string): void {
    const from = this.tradingStateValue;
    this.tradingStateValue = TradingState.Halted;
    if (from !== TradingState.Halted) this.changeState("global", null, from, TradingState.Halted, reason);
    const canceled = this.exec.cancelAllOpen();
    this.trip(TripCause.MANUAL, "global", null, "-", "-", reason, canceled, 0);
  }

  /** Handles a {@link RiskCommand}; returns whether it was applied. */
  handleCommand(cmd: RiskCommand): boolean {
    if (
      cmd === null ||
      typeof cmd !== "object" ||
      (cmd.type !== "ResumeTrading" && cmd.type !== "SetTradingState")
    ) {
      return this.refuse("RISK_COMMAND_INVALID", `unknown risk command ${JSON.stringify(cmd)}`);
    }
    const to = cmd.type === "ResumeTrading" ? TradingState.Active : cmd.state;
    if (to !== TradingState.Active && to !== TradingState.Reducing && to !== TradingState.Halted) {
      return this.refuse("RISK_COMMAND_INVALID", `unknown trading state ${String(to)}`);
    }
    const tightening =
      to === TradingState.Halted ||
      (to === TradingState.Reducing && this.currentState(cmd) === TradingState.Active);
    if (!tightening) {
      const auth = this.config.authorize;
      if (
        auth === undefined ||
        typeof cmd.operator !== "string" ||
        typeof cmd.token !== "string" ||
        !auth(cmd.operator, cmd.token)
      ) {
        return this.refuse("RISK_UNAUTHORISED", `${cmd.type} by "${String(cmd.operator)}" is not authorised`);
      }
    }
    const reason = `${cmd.type} by ${cmd.operator}: ${cmd.reason}`;
    switch (cmd.scope) {
      case "global": {
        const from = this.tradingStateValue;
        this.tradingStateValue = to;
        this.changeState("global", null, from, to, reason);
        if (to === TradingState.Active) {
          for (const a of this.accounts.values()) {
            if (a.state !== TradingState.Active)
              this.changeState("account", a.config.accountId.value, a.state, to, reason);
            a.state = to;
            a.consecutiveLosses = 0;
            a.peakEquityCcy = this.equity(a);
          }
        }
        if (to === TradingState.Halted) this.exec.cancelAllOpen();
        return true;
      }
      case "strategy": {
        const sr = cmd.target === null ? undefined : this.strategies.get(cmd.target);
        if (sr === undefined) return this.refuse("RISK_TARGET_UNKNOWN", `unknown strategy ${cmd.target}`);
        this.changeState("strategy", sr.id.value, sr.state, to, reason);
        sr.state = to;
        if (to === TradingState.Active) {
          sr.consecutiveLosses = 0;
          sr.cooldownUntil.clear();
        }
        if (to === TradingState.Halted) this.exec.cancelAllOpen(sr.id);
        return true;
      }
      case "instrument": {
        let ir: InstrumentRisk | undefined;
        for (const x of this.instruments.values()) if (x.id.value === cmd.target) ir = x;
        if (ir === undefined) return this.refuse("RISK_TARGET_UNKNOWN", `unknown instrument ${cmd.target}`);
        this.changeState("instrument", ir.id.value, ir.state, to, reason);
        ir.state = to;
        ir.staleTripped = false;
        return true;
      }
      default:
        return this.refuse(
          "RISK_COMMAND_INVALID",
          `unknown scope ${String((cmd as { scope?: unknown }).scope)}`,
        );
    }
  }

  private currentState(cmd: RiskCommand): TradingState {
    if (cmd.scope === "strategy") return this.strategies.get(cmd.target ?? "")?.state ?? TradingState.Active;
    if (cmd.scope === "instrument") {
      for (const x of this.instruments.values()) if (x.id.value === cmd.target) return x.state;
    }
    return this.tradingStateValue;
  }

  private refuse(code: string, reason: string): boolean {
    this.context.logger.warn({ code }, reason);
    this.publish({
      type: "RiskCommandRefused",
      eventId: this.context.ids.next("R"),
      code,
      reason,
      tsEvent: this.context.clock.timestampUs(),
    });
    return false;
  }

  /** State of a strategy / instrument / account (tests and monitoring). */
  stateOf(scope: "strategy" | "instrument" | "account", target: string): TradingState | undefined {
    if (scope === "strategy") return this.strategies.get(target)?.state;
    if (scope === "account") {
      for (const a of this.accounts.values()) if (a.config.accountId.value === target) return a.state;
      return undefined;
    }
    for (const x of this.instruments.values()) if (x.id.value === target) return x.state;
    return undefined;
  }
}
