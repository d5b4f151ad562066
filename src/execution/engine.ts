/**
 * The execution engine (OMS): the one place orders change.
 *
 * It takes {@link TradingCommand}s (from strategies, algorithms, the risk engine's kill switch
 * or the API), runs every new order and every modify through the {@link PreTradeGate} before
 * any venue sees it, routes orders to their venue's {@link ExecutionClient} (or holds them
 * locally: emulated stops/if-touched/trailing orders, contingent children waiting for their
 * parent), and turns venue reports into {@link OrderEvent}s applied through the order's
 * transition table. An event the table refuses is logged with both states, reported as an
 * {@link ExecutionNotice} and never applied.
 *
 * Guarantees:
 * - **Client order ids are unique and idempotent.** Submitting the same order again (same id,
 *   same specification) is a no-op answered `DUPLICATE_IGNORED`; a different order with a used
 *   id is refused (`CLIENT_ORDER_ID_DUPLICATE`). Ids of closed orders stay used.
 * - **In-flight commands are tracked.** A submit, modify or cancel not acknowledged within
 *   `inflightTimeoutUs` is *queried at the venue* (`fetchOrder`, then `fetchMyTrades` for
 *   missing fills) and the order is brought forward from the venue's answer; nothing is assumed.
 * - **Nothing is partially applied.** A command is validated completely first; an order list
 *   is accepted whole or not at all.
 *
 * Everything is synchronous except the venue queries after a timeout.
 */
import type { Topic } from "../core/bus.js";
import { Component } from "../core/component.js";
import { Topics } from "../core/topics.js";
import type {
  CancelAllOrders,
  CancelOrder,
  ModifyOrder,
  SubmitOrder,
  SubmitOrderList,
  TradingCommand,
} from "../model/commands.js";
import { ContingencyType, OrderStatus, OrderType } from "../model/enums.js";
import { InvalidStateTransitionError } from "../model/errors.js";
import type { AccountState, OrderEvent, OrderFilled } from "../model/events.js";
import { ClientOrderId, type InstrumentId, StrategyId, type VenueOrderId } from "../model/identifiers.js";
import type { Instrument } from "../model/instruments.js";
import { Order } from "../model/orders.js";
import type { UnixMicros } from "../model/time.js";
import { Price, Quantity } from "../model/values.js";
import { OrderCache } from "./cache.js";
import type {
  ExecutionClient,
  ExecutionReportSink,
  OrderStatusReport,
  VenueOrderRequest,
  VenueReport,
} from "./client.js";
import { CommandCodes as C, type CommandResult, fail, ok, okWith } from "./errors.js";

/**
 * The pre-trade risk check the engine runs on every order and modify before a venue sees it.
 * Implemented by the risk engine. Returns null to pass or a stable reason code; the text of the
 * last denial is built only when asked for (no allocation on the passing path).
 */
export interface PreTradeGate {
  checkSubmit(order: Order): string | null;
  checkModify(
    order: Order,
    quantity: Quantity | null,
    price: Price | null,
    triggerPrice: Price | null,
  ): string | null;
  lastDenialReason(): string;
  /**
   * Whether `orders` (about to be held locally or sent, not yet counted) fit the open-order
   * limits, counting held orders. Called for contingent children before they are held and for
   * a whole order list before any of it is routed. Returns a denial code or null.
   */
  checkOpenOrderCapacity?(orders: readonly Order[]): string | null;
  /** An order started or stopped being held locally (it counts as open while held). */
  onHeldChanged?(order: Order): void;
}

/** Something the engine noticed that is not an order event: refused commands, stray reports. */
export interface ExecutionNotice {
  readonly type: "ExecutionNotice";
  readonly code: string;
  readonly message: string;
  readonly clientOrderId: string | null;
  readonly ts: UnixMicros;
}

export interface ExecutionEngineConfig {
  /** Instruments by id (precision and multiplier for positions, increments for algorithms). */
  instruments?: ReadonlyMap<InstrumentId, Instrument>;
  /** How long a submit/modify/cancel may stay unacknowledged before the venue is queried. */
  inflightTimeoutUs?: number;
  /** Queries per in-flight command before it is resolved as unconfirmed. */
  maxInflightQueries?: number;
  /** Start from this cache (e.g. rebuilt from the journal) instead of an empty one. */
  cache?: OrderCache;
}

/** Order types the engine can emulate locally for venues that lack them. */
export const EMULATABLE_TYPES: ReadonlySet<OrderType> = new Set([
  OrderType.StopMarket,
  OrderType.StopLimit,
  OrderType.MarketIfTouched,
  OrderType.LimitIfTouched,
  OrderType.TrailingStopMarket,
  OrderType.TrailingStopLimit,
]);

type InflightKind = "submit" | "modify" | "cancel";

interface Inflight {
  kind: InflightKind;
  attempts: number;
  timer: string;
  querying: boolean;
  /** Whether its timer is set (it is set only when the venue did not answer inside the call). */
  armed: boolean;
  /** For a modify: what was asked for (to recognise it in the venue's answer). */
  requested: { q: Quantity | null; p: Price | null; t: Price | null } | null;
}

/** Permanent entry of the in-flight map (identifiers cannot contain whitespace). */
const INFLIGHT_SENTINEL = " ";
const SENTINEL_ENTRY: Inflight = {
  kind: "submit",
  attempts: 0,
  timer: "",
  querying: false,
  armed: false,
  requested: null,
};

/** Holds emulated orders; implemented by {@link OrderEmulator}. */
export interface EmulatorPort {
  hold(order: Order): void;
  release(order: Order): void;
  /** The order was updated locally (trigger/price/quantity changed). */
  updated(order: Order): void;
}

export type EventListener = (event: OrderEvent, order: Order) => void;
export type CommandListener = (command: TradingCommand) => void;

export class ExecutionEngine extends Component implements ExecutionReportSink {
  readonly cache: OrderCache;
  readonly instruments: ReadonlyMap<InstrumentId, Instrument>;
  private readonly clients = new Map<string, ExecutionClient>();
  private gate: PreTradeGate | null = null;
  private emulator: EmulatorPort | null = null;
  /**
   * In-flight commands by client order id. It always holds {@link INFLIGHT_SENTINEL} (a key no
   * id can be): a map emptied and refilled on every command reallocates its table each time.
   */
  private readonly inflight = new Map<string, Inflight>([[INFLIGHT_SENTINEL, SENTINEL_ENTRY]]);
  private readonly inflightTimeoutUs: number;
  private readonly maxInflightQueries: number;
  /** Bookkeeping listeners (risk state, journal): run right after an event is applied. */
  private readonly appliedListeners: EventListener[] = [];
  /** Reactors (contingencies, emulator, algorithms): run after the event is published. */
  private readonly reactors: EventListener[] = [];
  private readonly commandListeners: CommandListener[] = [];
  private readonly topics = new Map<string, Topic<OrderEvent>>();
  private noticeTopic: Topic<ExecutionNotice> | null = null;
  /** Invalid transitions refused so far (each was logged and noticed). */
  invalidTransitions = 0;
  private pendingQueries = new Set<Promise<void>>();
  /** Prefix of event ids: "E", or "RECON" while reconciliation fixes state forward. */
  private eventIdPrefix = "E";

  constructor(config: ExecutionEngineConfig = {}, id = "ExecutionEngine") {
    super(id);
    this.instruments = config.instruments ?? new Map();
    this.cache = config.cache ?? new OrderCache();
    this.inflightTimeoutUs = config.inflightTimeoutUs ?? 5_000_000;
    this.maxInflightQueries = config.maxInflightQueries ?? 3;
  }

  protected override onInitialize(): void {
    this.noticeTopic = this.context.bus.topic(Topics.system("execution"));
  }

  // --- wiring --------------------------------------------------------------------------

  registerClient(client: ExecutionClient): void {
    if (this.clients.has(client.venue)) {
      throw new Error(`an execution client for venue ${client.venue} is already registered`);
    }
    this.clients.set(client.venue, client);
    client.bind(this);
  }

  client(venue: string): ExecutionClient | undefined {
    return this.clients.get(venue);
  }

  setGate(gate: PreTradeGate): void {
    this.gate = gate;
  }

  setEmulator(emulator: EmulatorPort): void {
    this.emulator = emulator;
  }

  /** Called after each applied event, before it is published (state bookkeeping only). */
  onEventApplied(listener: EventListener): void {
    this.appliedListeners.push(listener);
  }

  /** Called after each event is published; may issue further commands. */
  onEvent(listener: EventListener): void {
    this.reactors.push(listener);
  }

  /** Called with every command that passed validation, before it is acted on. */
  onCommand(listener: CommandListener): void {
    this.commandListeners.push(listener);
  }

  /** Resolves when every venue query started after a timeout has been handled (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pendingQueries.size > 0) await Promise.all([...this.pendingQueries]);
  }

  // --- commands ------------------------------------------------------------------------

  /** Handles one command synchronously; the result says whether (and how) it was accepted. */
  execute(command: TradingCommand): CommandResult {
    if (command === null || typeof command !== "object") {
      return this.refuse(
        fail(C.COMMAND_INVALID, `a command must be an object, got ${String(command)}`),
        null,
      );
    }
    switch (command.type) {
      case "SubmitOrder":
        return this.submit(command);
      case "SubmitOrderList":
        return this.submitList(command);
      case "ModifyOrder":
        return this.modify(command);
      case "CancelOrder":
        return this.cancel(command);
      case "CancelAllOrders":
        return this.cancelAll(command);
      default:
        return this.refuse(
          fail(C.COMMAND_INVALID, `unknown command type "${String((command as { type?: unknown }).type)}"`),
          null,
        );
    }
  }

  private submit(cmd: SubmitOrder): CommandResult {
    const bad = this.checkSubmitShape(cmd.order, cmd);
    if (bad !== null)
      return this.refuse(bad, cmd.order instanceof Order ? cmd.order.clientOrderId.value : null);
    const order = cmd.order;
    const existing = this.cache.get(order.clientOrderId);
    if (existing !== undefined) return this.duplicate(existing, order);
    if (this.cache.has(order.clientOrderId)) {
      // A closed order the cache's retention policy has forgotten: its id stays used.
      return this.refuse(
        fail(C.CLIENT_ORDER_ID_DUPLICATE, `client order id ${order.clientOrderId} is already used`),
        order.clientOrderId.value,
      );
    }
    if (order.status !== OrderStatus.Initialized || order.events.length > 0) {
      return this.refuse(
        fail(C.ORDER_NOT_INITIALIZED, `order ${order.clientOrderId} is ${order.status}; submit a new order`),
        order.clientOrderId.value,
      );
    }
    if (order.parentOrderId !== null && !this.cache.has(order.parentOrderId)) {
      return this.refuse(
        fail(C.COMMAND_INVALID, `order ${order.clientOrderId}: parent ${order.parentOrderId} is unknown`),
        order.clientOrderId.value,
      );
    }
    this.notifyCommand(cmd);
    this.admit(order);
    return this.dispatch(order);
  }

  private submitList(cmd: SubmitOrderList): CommandResult {
    if (!Array.isArray(cmd.orders) || cmd.orders.length === 0) {
      return this.refuse(fail(C.COMMAND_INVALID, "SubmitOrderList needs a non-empty orders array"), null);
    }
    const ids = new Set<string>();
    for (const order of cmd.orders) {
      const bad = this.checkSubmitShape(order, cmd);
      if (bad !== null) return this.refuse(bad, order instanceof Order ? order.clientOrderId.value : null);
      if (ids.has(order.clientOrderId.value)) {
        return this.refuse(
          fail(C.CLIENT_ORDER_ID_DUPLICATE, `order list repeats client order id ${order.clientOrderId}`),
          order.clientOrderId.value,
        );
      }
      ids.add(order.clientOrderId.value);
      if (this.cache.has(order.clientOrderId)) {
        return this.refuse(
          fail(C.CLIENT_ORDER_ID_DUPLICATE, `client order id ${order.clientOrderId} is already used`),
          order.clientOrderId.value,
        );
      }
      if (order.status !== OrderStatus.Initialized || order.events.length > 0) {
        return this.refuse(
          fail(C.ORDER_NOT_INITIALIZED, `order ${order.clientOrderId} is ${order.status}`),
          order.clientOrderId.value,
        );
      }
    }
    for (const order of cmd.orders) {
      if (order.parentOrderId !== null && !ids.has(order.parentOrderId.value)) {
        return this.refuse(
          fail(
            C.COMMAND_INVALID,
            `order ${order.clientOrderId}: parent ${order.parentOrderId} is not in the list`,
          ),
          order.clientOrderId.value,
        );
      }
      for (const l of order.linkedOrderIds) {
        if (!ids.has(l.value)) {
          return this.refuse(
            fail(C.COMMAND_INVALID, `order ${order.clientOrderId}: linked order ${l} is not in the list`),
            order.clientOrderId.value,
          );
        }
      }
      if (order.linkedOrderIds.length > 0 && order.contingencyType === ContingencyType.None) {
        return this.refuse(
          fail(C.COMMAND_INVALID, `order ${order.clientOrderId} has linked orders but no contingency type`),
          order.clientOrderId.value,
        );
      }
    }
    this.notifyCommand(cmd);
    for (const order of cmd.orders) this.admit(order);
    // The whole list must fit the open-order limits (held children count): otherwise every
    // order is denied, so a bracket never goes out without its exits.
    const capacity = this.gate?.checkOpenOrderCapacity?.(cmd.orders) ?? null;
    if (capacity !== null) {
      const reason = this.gate?.lastDenialReason() ?? "";
      for (const order of cmd.orders) if (!order.isClosed()) this.deny(order, capacity, reason);
      return okWith(C.DENIED, `${cmd.orders.length} of ${cmd.orders.length} orders were denied: ${capacity}`);
    }
    // Parents first (list order), children wait for their parent's fill.
    let denied = 0;
    for (const order of cmd.orders) {
      if (order.isClosed()) continue; // e.g. canceled as a contingent sibling of a denied order
      const r = this.dispatch(order);
      if (!r.ok) denied++;
    }
    return denied === 0 ? ok() : okWith(C.DENIED, `${denied} of ${cmd.orders.length} orders were denied`);
  }

  private checkSubmitShape(order: unknown, cmd: SubmitOrder | SubmitOrderList): CommandResult | null {
    if (!(order instanceof Order)) return fail(C.COMMAND_INVALID, "order must be an Order (use createOrder)");
    if (!(cmd.strategyId instanceof StrategyId) || cmd.strategyId.value !== order.strategyId.value) {
      return fail(
        C.COMMAND_INVALID,
        `command strategy ${String(cmd.strategyId)} is not the order's ${order.strategyId}`,
      );
    }
    if (cmd.type === "SubmitOrder" && cmd.instrumentId !== order.instrumentId) {
      return fail(
        C.COMMAND_INVALID,
        `command instrument ${String(cmd.instrumentId)} is not the order's ${order.instrumentId}`,
      );
    }
    return null;
  }

  private duplicate(existing: Order, order: Order): CommandResult {
    if (existing === order || sameSpec(existing, order)) {
      return okWith(
        C.DUPLICATE_IGNORED,
        `order ${order.clientOrderId} was already submitted (${existing.status})`,
      );
    }
    return this.refuse(
      fail(
        C.CLIENT_ORDER_ID_DUPLICATE,
        `client order id ${order.clientOrderId} is already used by a different order`,
      ),
      order.clientOrderId.value,
    );
  }

  private modify(cmd: ModifyOrder): CommandResult {
    if (!(cmd.clientOrderId instanceof ClientOrderId)) {
      return this.refuse(fail(C.COMMAND_INVALID, "ModifyOrder needs a ClientOrderId"), null);
    }
    const id = cmd.clientOrderId.value;
    const q = cmd.quantity ?? null;
    const p = cmd.price ?? null;
    const t = cmd.triggerPrice ?? null;
    if (q !== null && (!(q instanceof Quantity) || !Number.isSafeInteger(q.raw) || q.raw <= 0)) {
      return this.refuse(
        fail(C.COMMAND_INVALID, `modify ${id}: quantity must be a positive Quantity, got ${String(q)}`),
        id,
      );
    }
    if (p !== null && (!(p instanceof Price) || !Number.isSafeInteger(p.raw) || p.raw <= 0)) {
      return this.refuse(
        fail(C.COMMAND_INVALID, `modify ${id}: price must be a positive Price, got ${String(p)}`),
        id,
      );
    }
    if (t !== null && (!(t instanceof Price) || !Number.isSafeInteger(t.raw) || t.raw <= 0)) {
      return this.refuse(
        fail(C.COMMAND_INVALID, `modify ${id}: trigger price must be a positive Price, got ${String(t)}`),
        id,
      );
    }
    if (q === null && p === null && t === null) {
      return this.refuse(fail(C.COMMAND_INVALID, `modify ${id}: nothing to change`), id);
    }
    const order = this.cache.get(id);
    if (order === undefined) return this.refuse(fail(C.ORDER_UNKNOWN, `modify: no order ${id}`), id);
    if (!(cmd.strategyId instanceof StrategyId) || order.strategyId.value !== cmd.strategyId.value) {
      return this.refuse(
        fail(C.ORDER_STRATEGY_MISMATCH, `modify ${id}: order belongs to ${order.strategyId}`),
        id,
      );
    }
    if (order.isClosed())
      return this.refuse(fail(C.ORDER_CLOSED, `modify ${id}: order is ${order.status}`), id);
    if (p !== null && order.price === null) {
      return this.refuse(fail(C.COMMAND_INVALID, `modify ${id}: a ${order.type} order has no price`), id);
    }
    if (t !== null && order.triggerPrice === null) {
      return this.refuse(
        fail(C.COMMAND_INVALID, `modify ${id}: a ${order.type} order has no trigger price`),
        id,
      );
    }
    if (p !== null && order.price !== null && p.precision !== order.price.precision) {
      return this.refuse(
        fail(C.COMMAND_INVALID, `modify ${id}: price precision ${p.precision} != ${order.price.precision}`),
        id,
      );
    }
    if (q !== null && q.precision !== order.quantity.precision) {
      return this.refuse(
        fail(
          C.COMMAND_INVALID,
          `modify ${id}: quantity precision ${q.precision} != ${order.quantity.precision}`,
        ),
        id,
      );
    }
    this.notifyCommand(cmd);
    return this.modifyOrder(order, q, p, t);
  }

  /** Modifies an order (also used by contingency management); validated by the caller. */
  modifyOrder(order: Order, q: Quantity | null, p: Price | null, t: Price | null): CommandResult {
    const id = order.clientOrderId.value;
    if (order.status === OrderStatus.PendingUpdate || order.status === OrderStatus.PendingCancel) {
      return this.refuse(fail(C.ORDER_PENDING, `modify ${id}: a ${order.status} is in flight`), id);
    }
    if (q !== null && q.raw <= order.filledQty.raw) {
      return this.refuse(
        fail(
          C.MODIFY_QUANTITY_BELOW_FILLED,
          `modify ${id}: quantity ${q} is not above filled ${order.filledQty}`,
        ),
        id,
      );
    }
    const code = this.gate?.checkModify(order, q, p, t) ?? null;
    if (code !== null) {
      const reason = `${code}: ${this.gate?.lastDenialReason() ?? ""}`;
      if (order.canApply("OrderModifyRejected")) {
        this.apply(order, { type: "OrderModifyRejected", reason, ...this.head(order) });
      }
      return this.refuse(fail(C.MODIFY_DENIED, `modify ${id} denied: ${reason}`), id);
    }
    if (this.cache.isHeld(order)) {
      this.apply(order, this.updatedEvent(order, null, q, p, t));
      this.emulator?.updated(order);
      return ok();
    }
    const client = this.clients.get(order.instrumentId.venue);
    if (client === undefined || !client.capabilities.supportsModify) {
      return this.refuse(
        fail(C.MODIFY_UNSUPPORTED, `modify ${id}: venue ${order.instrumentId.venue} cannot edit`),
        id,
      );
    }
    if (!this.apply(order, { type: "OrderPendingUpdate", ...this.head(order) })) {
      return fail(C.ORDER_PENDING, `modify ${id}: not allowed in ${order.status}`);
    }
    this.track(order, "modify", { q, p, t });
    try {
      client.editOrder({
        clientOrderId: order.clientOrderId,
        venueOrderId: order.venueOrderId,
        instrumentId: order.instrumentId,
        quantity: q,
        price: p,
        triggerPrice: t,
      });
    } finally {
      this.armPending(order);
    }
    return ok();
  }

  private cancel(cmd: CancelOrder): CommandResult {
    if (!(cmd.clientOrderId instanceof ClientOrderId)) {
      return this.refuse(fail(C.COMMAND_INVALID, "CancelOrder needs a ClientOrderId"), null);
    }
    const id = cmd.clientOrderId.value;
    const order = this.cache.get(id);
    if (order === undefined) return this.refuse(fail(C.ORDER_UNKNOWN, `cancel: no order ${id}`), id);
    if (!(cmd.strategyId instanceof StrategyId) || order.strategyId.value !== cmd.strategyId.value) {
      return this.refuse(
        fail(C.ORDER_STRATEGY_MISMATCH, `cancel ${id}: order belongs to ${order.strategyId}`),
        id,
      );
    }
    if (order.isClosed())
      return this.refuse(fail(C.ORDER_CLOSED, `cancel ${id}: order is ${order.status}`), id);
    if (order.status === OrderStatus.PendingCancel) {
      return okWith(C.CANCEL_ALREADY_PENDING, `cancel ${id}: already pending`);
    }
    this.notifyCommand(cmd);
    return this.cancelOrder(order);
  }

  private cancelAll(cmd: CancelAllOrders): CommandResult {
    if (!(cmd.strategyId instanceof StrategyId)) {
      return this.refuse(fail(C.COMMAND_INVALID, "CancelAllOrders needs a StrategyId"), null);
    }
    this.notifyCommand(cmd);
    const orders = this.cache.openOrders({
      strategyId: cmd.strategyId,
      instrumentId: cmd.instrumentId ?? undefined,
      side: cmd.side ?? undefined,
    });
    for (const o of orders) if (o.status !== OrderStatus.PendingCancel && !o.isClosed()) this.cancelOrder(o);
    return ok();
  }

  /** Cancels an order (also used by the kill switch and contingency management). */
  cancelOrder(order: Order): CommandResult {
    if (order.isClosed())
      return fail(C.ORDER_CLOSED, `cancel ${order.clientOrderId}: order is ${order.status}`);
    if (order.status === OrderStatus.PendingCancel) return okWith(C.CANCEL_ALREADY_PENDING, "");
    if (this.cache.isHeld(order) || order.status === OrderStatus.Initialized) {
      this.emulator?.release(order);
      this.apply(order, { type: "OrderCanceled", ...this.head(order) });
      return ok();
    }
    const client = this.clients.get(order.instrumentId.venue);
    if (client === undefined)
      return fail(C.COMMAND_INVALID, `no client for venue ${order.instrumentId.venue}`);
    if (!this.apply(order, { type: "OrderPendingCancel", ...this.head(order) })) {
      return fail(C.ORDER_PENDING, `cancel ${order.clientOrderId}: not allowed in ${order.status}`);
    }
    this.track(order, "cancel");
    try {
      client.cancelOrder(order.clientOrderId, order.venueOrderId, order.instrumentId);
    } finally {
      this.armPending(order);
    }
    return ok();
  }

  /** Cancels every open order (optionally of one strategy); returns how many cancels were issued. */
  cancelAllOpen(strategyId?: StrategyId): number {
    let n = 0;
    for (const o of this.cache.openOrders(strategyId === undefined ? undefined : { strategyId })) {
      if (o.status !== OrderStatus.PendingCancel && this.cancelOrder(o).ok) n++;
    }
    return n;
  }

  // --- routing -------------------------------------------------------------------------

  private admit(order: Order): void {
    this.cache.add(order);
    const now = this.context.clock.timestampUs();
    const init: OrderEvent = {
      type: "OrderInitialized",
      eventId: this.context.ids.next("E"),
      tsEvent: now,
      tsInit: now,
      strategyId: order.strategyId,
      instrumentId: order.instrumentId,
      clientOrderId: order.clientOrderId,
      side: order.side,
      orderType: order.type,
      quantity: order.quantity,
      timeInForce: order.timeInForce,
    };
    // OrderInitialized is not applied (the order starts INITIALIZED) but recorded and published.
    this.emit(order, init);
  }

  /** Marks an order held (or not) and tells the gate, which counts held orders as open. */
  private setHeld(order: Order, held: boolean): void {
    if (this.cache.isHeld(order) === held) return;
    this.cache.setHeld(order, held);
    this.gate?.onHeldChanged?.(order);
  }

  /** Routes an admitted order: hold it (contingent child / emulated) or check and send it. */
  private dispatch(order: Order): CommandResult {
    // With instruments configured, an order for any other instrument goes nowhere (also
    // without a risk engine attached). A venue without a client is VENUE_UNKNOWN (in route).
    if (
      this.instruments.size > 0 &&
      !this.instruments.has(order.instrumentId) &&
      this.clients.has(order.instrumentId.venue)
    ) {
      return this.deny(order, "INSTRUMENT_UNKNOWN", `instrument ${order.instrumentId} is not configured`);
    }
    if (order.parentOrderId !== null) {
      const parent = this.cache.get(order.parentOrderId);
      if (
        parent !== undefined &&
        parent.contingencyType === ContingencyType.OTO &&
        parent.filledQty.raw === 0
      ) {
        if (parent.isClosed()) {
          this.apply(order, { type: "OrderCanceled", ...this.head(order) });
          return ok();
        }
        // A held child counts as an open order: it must fit the open-order limits now.
        const code = this.gate?.checkOpenOrderCapacity?.([order]) ?? null;
        if (code !== null) return this.deny(order, code, this.gate?.lastDenialReason() ?? "");
        this.setHeld(order, true);
        return ok();
      }
    }
    return this.route(order);
  }

  /**
   * After starting from a rebuilt cache: orders still INITIALIZED were held locally (emulated,
   * or contingent children waiting for their parent) — they never reached a venue — so they
   * are routed again: held again, or sent if their condition is already met. Returns how many.
   */
  restoreHeld(): number {
    let n = 0;
    for (const o of this.cache.orders()) {
      if (o.status !== OrderStatus.Initialized || this.cache.isHeld(o)) continue;
      this.dispatch(o);
      n++;
    }
    return n;
  }

  /** Releases a held contingent child (its parent filled): route it now. */
  releaseHeld(order: Order): CommandResult {
    this.setHeld(order, false);
    return this.route(order);
  }

  private route(order: Order): CommandResult {
    const client = this.clients.get(order.instrumentId.venue);
    if (client === undefined) {
      return this.deny(order, "VENUE_UNKNOWN", `no execution client for venue ${order.instrumentId.venue}`);
    }
    const native = client.capabilities.nativeOrderTypes.has(order.type);
    if (order.emulated || !native) {
      if (!EMULATABLE_TYPES.has(order.type) || this.emulator === null) {
        return this.deny(
          order,
          "ORDER_TYPE_UNSUPPORTED",
          `venue ${client.venue} does not support ${order.type} and it cannot be emulated`,
        );
      }
      const code = this.gate?.checkSubmit(order) ?? null;
      if (code !== null) return this.deny(order, code, this.gate?.lastDenialReason() ?? "");
      this.setHeld(order, true);
      this.emulator.hold(order);
      return ok();
    }
    return this.send(order, client, order.type, order.price, order.triggerPrice, false);
  }

  /**
   * Releases a triggered emulated order to its venue as `asType` (MARKET or LIMIT at `price`).
   * The order is checked again first; a denial leaves it DENIED, never half-sent.
   */
  releaseEmulated(order: Order, asType: OrderType, price: Price | null): CommandResult {
    this.setHeld(order, false);
    const client = this.clients.get(order.instrumentId.venue);
    if (client === undefined)
      return this.deny(order, "VENUE_UNKNOWN", `no client for ${order.instrumentId.venue}`);
    return this.send(order, client, asType, price, null, true);
  }

  private send(
    order: Order,
    client: ExecutionClient,
    type: OrderType,
    price: Price | null,
    triggerPrice: Price | null,
    triggered: boolean,
  ): CommandResult {
    const code = this.gate?.checkSubmit(order) ?? null;
    if (code !== null) return this.deny(order, code, this.gate?.lastDenialReason() ?? "");
    if (triggered) this.apply(order, { type: "OrderTriggered", venueOrderId: null, ...this.head(order) });
    this.apply(order, { type: "OrderSubmitted", accountId: client.accountId, ...this.head(order) });
    this.track(order, "submit");
    const request: VenueOrderRequest = {
      clientOrderId: order.clientOrderId,
      instrumentId: order.instrumentId,
      side: order.side,
      type,
      quantity: order.quantity,
      price,
      triggerPrice,
      timeInForce: order.timeInForce,
      postOnly: order.postOnly,
      reduceOnly: order.reduceOnly,
      displayQty: order.displayQty,
      tsInit: this.context.clock.timestampUs(),
      expireTime: order.expireTime,
      triggerType: order.triggerType,
      // an emulated order released as another type (stop → market) carries no trailing offsets
      trailingOffset: type === order.type ? order.trailingOffset : null,
      limitOffset: type === order.type ? order.limitOffset : null,
      trailingOffsetType: order.trailingOffsetType,
    };
    try {
      client.createOrder(request);
    } finally {
      this.armPending(order);
    }
    return ok();
  }

  private deny(order: Order, code: string, reason: string): CommandResult {
    this.setHeld(order, false);
    this.apply(order, { type: "OrderDenied", reasonCode: code, reason, ...this.head(order) });
    return fail(C.DENIED, `order ${order.clientOrderId} denied: ${code}: ${reason}`);
  }

  // --- venue reports -------------------------------------------------------------------

  onVenueReport(r: VenueReport): void {
    const order = this.cache.get(r.clientOrderId);
    if (order === undefined) {
      this.notice(
        "REPORT_UNKNOWN_ORDER",
        `venue report ${r.kind} for unknown order ${r.clientOrderId}`,
        r.clientOrderId.value,
      );
      return;
    }
    const h = this.headAt(order, r.ts);
    let ev: OrderEvent;
    switch (r.kind) {
      case "accepted":
        ev = { type: "OrderAccepted", accountId: this.accountOf(order), venueOrderId: r.venueOrderId, ...h };
        break;
      case "rejected":
        ev = {
          type: "OrderRejected",
          accountId: this.accountOf(order),
          reasonCode: r.reasonCode,
          reason: r.reason,
          ...h,
        };
        break;
      case "canceled":
        ev = { type: "OrderCanceled", ...h };
        break;
      case "expired":
        ev = { type: "OrderExpired", ...h };
        break;
      case "triggered":
        ev = { type: "OrderTriggered", venueOrderId: r.venueOrderId, ...h };
        break;
      case "cancelRejected":
        ev = { type: "OrderCancelRejected", reason: r.reason, ...h };
        break;
      case "modifyRejected":
        ev = { type: "OrderModifyRejected", reason: r.reason, ...h };
        break;
      case "updated":
        ev = this.updatedEvent(order, r.venueOrderId, r.quantity, r.price, r.triggerPrice, r.ts);
        break;
      case "filled":
        ev = this.fillEvent(
          order,
          r.venueOrderId,
          r.tradeId,
          r.lastQty,
          r.lastPx,
          r.commission,
          r.liquiditySide,
          r.ts,
        );
        break;
      default:
        this.notice("REPORT_INVALID", `unknown venue report kind ${(r as { kind?: unknown }).kind}`, null);
        return;
    }
    this.apply(order, ev);
  }

  private accountOf(order: Order) {
    return order.accountId ?? this.clients.get(order.instrumentId.venue)!.accountId;
  }

  // --- applying events -----------------------------------------------------------------

  /**
   * Applies an event to its order. A transition the table refuses is logged with both states,
   * noticed and not applied; returns whether it was applied.
   */
  apply(order: Order, event: OrderEvent): boolean {
    try {
      order.apply(event);
    } catch (e) {
      if (e instanceof InvalidStateTransitionError) {
        this.invalidTransitions++;
        this.context.logger.warn(
          {
            clientOrderId: order.clientOrderId.value,
            state: order.status,
            event: event.type,
            reason: e.message,
          },
          "invalid order transition refused",
        );
        this.notice("INVALID_TRANSITION", e.message, order.clientOrderId.value);
        return false;
      }
      throw e;
    }
    this.cache.refresh(order);
    if (event.type === "OrderFilled") this.applyFillToPosition(order, event);
    this.resolveInflightOnEvent(order, event);
    this.emit(order, event);
    return true;
  }

  private emit(order: Order, event: OrderEvent): void {
    for (let i = 0; i < this.appliedListeners.length; i++) this.appliedListeners[i](event, order);
    this.topicFor(order).publish(event);
    for (let i = 0; i < this.reactors.length; i++) this.reactors[i](event, order);
  }

  private applyFillToPosition(order: Order, fill: OrderFilled): void {
    const inst = this.instruments.get(order.instrumentId);
    const pos = this.cache.positionFor(
      order.instrumentId,
      order.strategyId,
      fill.accountId,
      inst?.pricePrecision ?? fill.lastPx.precision,
      inst?.sizePrecision ?? fill.lastQty.precision,
      inst?.multiplier ?? 1,
    );
    pos.applyFill(fill);
  }

  private topicFor(order: Order): Topic<OrderEvent> {
    let t = this.topics.get(order.strategyId.value);
    if (t === undefined) {
      t = this.context.bus.topic<OrderEvent>(Topics.orderEvents(order.strategyId));
      this.topics.set(order.strategyId.value, t);
    }
    return t;
  }

  head(order: Order) {
    return this.headAt(order, this.context.clock.timestampUs());
  }

  /**
   * Runs `fn` with every event it causes tagged as a reconciliation event (event ids
   * `RECON-...`), so journals and audits can tell fixes from live events.
   */
  asReconciliation<T>(fn: () => T): T {
    const prev = this.eventIdPrefix;
    this.eventIdPrefix = "RECON";
    try {
      return fn();
    } finally {
      this.eventIdPrefix = prev;
    }
  }

  /** A fresh reconciliation event id (`RECON-...`) for events reconciliation makes itself. */
  reconciliationEventId(): string {
    return this.context.ids.next("RECON");
  }

  /** Publishes an account state on `events.account.<id>` (risk and the journal listen there). */
  publishAccountState(state: AccountState): void {
    this.context.bus.publish(Topics.accountEvents(state.accountId.value), state);
  }

  private headAt(order: Order, ts: UnixMicros) {
    return {
      eventId: this.context.ids.next(this.eventIdPrefix),
      tsEvent: ts,
      tsInit: this.context.clock.timestampUs(),
      strategyId: order.strategyId,
      instrumentId: order.instrumentId,
      clientOrderId: order.clientOrderId,
    };
  }

  updatedEvent(
    order: Order,
    venueOrderId: VenueOrderId | null,
    q: Quantity | null,
    p: Price | null,
    t: Price | null,
    ts?: UnixMicros,
  ): OrderEvent {
    return {
      type: "OrderUpdated",
      venueOrderId,
      quantity: q,
      price: p,
      triggerPrice: t,
      ...(ts === undefined ? this.head(order) : this.headAt(order, ts)),
    };
  }

  private fillEvent(
    order: Order,
    venueOrderId: VenueOrderId,
    tradeId: string,
    lastQty: Quantity,
    lastPx: Price,
    commission: OrderFilled["commission"],
    liquiditySide: OrderFilled["liquiditySide"],
    ts: UnixMicros,
  ): OrderFilled {
    return {
      type: "OrderFilled",
      accountId: this.accountOf(order),
      venueOrderId,
      tradeId,
      positionId: null,
      orderSide: order.side,
      orderType: order.type,
      lastQty,
      lastPx,
      commission,
      liquiditySide,
      ...this.headAt(order, ts),
    };
  }

  private notifyCommand(cmd: TradingCommand): void {
    for (let i = 0; i < this.commandListeners.length; i++) this.commandListeners[i](cmd);
  }

  private refuse(result: CommandResult, clientOrderId: string | null): CommandResult {
    this.notice(result.code, result.reason, clientOrderId);
    return result;
  }

  notice(code: string, message: string, clientOrderId: string | null): void {
    this.context.logger.warn({ code, clientOrderId }, message);
    this.noticeTopic?.publish({
      type: "ExecutionNotice",
      code,
      message,
      clientOrderId,
      ts: this.context.clock.timestampUs(),
    });
  }

  // --- in-flight tracking --------------------------------------------------------------

  /** Client order ids with an unacknowledged command, and its kind. */
  inflightCommands(): Map<string, InflightKind> {
    const m = new Map<string, InflightKind>();
    for (const [k, v] of this.inflight) if (k !== INFLIGHT_SENTINEL) m.set(k, v.kind);
    return m;
  }

  private track(order: Order, kind: InflightKind, requested: Inflight["requested"] = null): void {
    const id = order.clientOrderId.value;
    this.clearInflight(id);
    const entry: Inflight = {
      kind,
      attempts: 0,
      timer: `inflight:${kind}:${id}`,
      querying: false,
      armed: false,
      requested,
    };
    this.inflight.set(id, entry);
  }

  /**
   * After the command reached the client: starts the timeout of the order's in-flight command
   * unless the venue already answered it inside the call (a simulated venue without latency
   * does), so an answered command costs no timer.
   */
  private armPending(order: Order): void {
    const e = this.inflight.get(order.clientOrderId.value);
    if (e !== undefined && !e.armed) this.arm(order, e);
  }

  private arm(order: Order, entry: Inflight): void {
    const clock = this.context.clock;
    entry.armed = true;
    clock.setTimeAlert(entry.timer, clock.timestampUs() + this.inflightTimeoutUs, () => {
      entry.armed = false;
      this.onInflightTimeout(order, entry);
    });
  }

  private clearInflight(id: string): void {
    const e = this.inflight.get(id);
    if (e === undefined) return;
    if (e.armed) {
      e.armed = false;
      this.context.clock.cancelTimer(e.timer);
    }
    this.inflight.delete(id);
  }

  private resolveInflightOnEvent(order: Order, event: OrderEvent): void {
    const e = this.inflight.get(order.clientOrderId.value);
    if (e === undefined) return;
    if (order.isClosed()) {
      this.clearInflight(order.clientOrderId.value);
      return;
    }
    const t = event.type;
    if (e.kind === "submit") {
      if (t === "OrderAccepted" || t === "OrderRejected" || t === "OrderFilled" || t === "OrderTriggered") {
        this.clearInflight(order.clientOrderId.value);
      }
    } else if (e.kind === "cancel") {
      if (order.status !== OrderStatus.PendingCancel) this.clearInflight(order.clientOrderId.value);
    } else if (order.status !== OrderStatus.PendingUpdate) {
      this.clearInflight(order.clientOrderId.value);
    }
  }

  private onInflightTimeout(order: Order, entry: Inflight): void {
    if (this.inflight.get(order.clientOrderId.value) !== entry) return;
    const client = this.clients.get(order.instrumentId.venue);
    if (client === undefined) return;
    entry.attempts++;
    entry.querying = true;
    this.notice(
      "INFLIGHT_TIMEOUT",
      `${entry.kind} of ${order.clientOrderId} unacknowledged after ${this.inflightTimeoutUs} µs; querying venue (attempt ${entry.attempts})`,
      order.clientOrderId.value,
    );
    const p = this.queryVenue(order, entry, client).finally(() => {
      this.pendingQueries.delete(p);
    });
    this.pendingQueries.add(p);
  }

  private async queryVenue(order: Order, entry: Inflight, client: ExecutionClient): Promise<void> {
    let report: OrderStatusReport | null;
    let trades: Awaited<ReturnType<ExecutionClient["fetchMyTrades"]>> = [];
    try {
      report = await client.fetchOrder(order.clientOrderId, order.instrumentId);
      if (report !== null && report.filledQty.raw > order.filledQty.raw) {
        trades = await client.fetchMyTrades(order.instrumentId, order.clientOrderId);
      }
    } catch (e) {
      entry.querying = false;
      if (this.inflight.get(order.clientOrderId.value) !== entry) return;
      this.notice(
        "INFLIGHT_QUERY_FAILED",
        `query of ${order.clientOrderId} failed: ${(e as Error).message}`,
        order.clientOrderId.value,
      );
      this.rearmOrGiveUp(order, entry);
      return;
    }
    entry.querying = false;
    if (this.inflight.get(order.clientOrderId.value) !== entry) return; // acknowledged meanwhile
    this.applyStatusReport(order, entry, report, trades);
  }

  private applyStatusReport(
    order: Order,
    entry: Inflight,
    report: OrderStatusReport | null,
    trades: Awaited<ReturnType<ExecutionClient["fetchMyTrades"]>>,
  ): void {
    const id = order.clientOrderId.value;
    if (report === null) {
      if (entry.kind === "submit" && entry.attempts >= this.maxInflightQueries) {
        this.apply(order, {
          type: "OrderRejected",
          accountId: this.accountOf(order),
          reasonCode: "INFLIGHT_NOT_FOUND",
          reason: `venue does not know the order after ${entry.attempts} queries`,
          ...this.head(order),
        });
        this.clearInflight(id);
        return;
      }
      this.rearmOrGiveUp(order, entry);
      return;
    }
    const S = OrderStatus;
    if (report.status !== S.Rejected && order.venueOrderId === null && order.canApply("OrderAccepted")) {
      this.apply(order, {
        type: "OrderAccepted",
        accountId: this.accountOf(order),
        venueOrderId: report.venueOrderId,
        ...this.head(order),
      });
    }
    for (const t of trades) {
      if (t.clientOrderId.value !== id || order.tradeIds.includes(t.tradeId)) continue;
      this.apply(
        order,
        this.fillEvent(
          order,
          t.venueOrderId,
          t.tradeId,
          t.lastQty,
          t.lastPx,
          t.commission,
          t.liquiditySide,
          t.tsEvent,
        ),
      );
    }
    if (order.isClosed()) return;
    switch (report.status) {
      case S.Rejected:
        this.apply(order, {
          type: "OrderRejected",
          accountId: this.accountOf(order),
          reasonCode: "VENUE_REJECTED",
          reason: report.reason ?? "rejected (found by query)",
          ...this.head(order),
        });
        return;
      case S.Canceled:
        this.apply(order, { type: "OrderCanceled", ...this.head(order) });
        return;
      case S.Expired:
        this.apply(order, { type: "OrderExpired", ...this.head(order) });
        return;
      default:
        break;
    }
    if (!this.inflight.has(id)) return;
    if (entry.kind === "modify") {
      const rq = entry.requested;
      const matches =
        rq !== null &&
        (rq.q === null || rq.q.raw === report.quantity.raw) &&
        (rq.p === null || rq.p.raw === report.price?.raw) &&
        (rq.t === null || rq.t.raw === report.triggerPrice?.raw);
      if (matches) {
        this.apply(order, this.updatedEvent(order, report.venueOrderId, rq.q, rq.p, rq.t));
      } else if (entry.attempts >= this.maxInflightQueries) {
        this.apply(order, {
          type: "OrderModifyRejected",
          reason: "modify not confirmed by the venue",
          ...this.head(order),
        });
      } else {
        this.arm(order, entry);
      }
      return;
    }
    if (entry.kind === "cancel") {
      // Still open at the venue: send the cancel again.
      if (entry.attempts < this.maxInflightQueries) {
        this.clients
          .get(order.instrumentId.venue)
          ?.cancelOrder(order.clientOrderId, order.venueOrderId, order.instrumentId);
        this.arm(order, entry);
      } else {
        this.notice(
          "CANCEL_UNCONFIRMED",
          `cancel of ${id} not confirmed after ${entry.attempts} queries; order still open at venue`,
          id,
        );
        this.apply(order, {
          type: "OrderCancelRejected",
          reason: "cancel not confirmed by the venue",
          ...this.head(order),
        });
      }
      return;
    }
    // submit: the venue has it and it is working; acceptance above resolved it.
    this.clearInflight(id);
  }

  private rearmOrGiveUp(order: Order, entry: Inflight): void {
    if (entry.attempts < this.maxInflightQueries) {
      this.arm(order, entry);
    } else {
      this.notice(
        "INFLIGHT_UNRESOLVED",
        `${entry.kind} of ${order.clientOrderId} unresolved after ${entry.attempts} queries; state kept ${order.status}`,
        order.clientOrderId.value,
      );
      this.inflight.delete(order.clientOrderId.value);
    }
  }
}

/** Whether two orders have the same specification (for idempotent resubmission). */
export function sameSpec(a: Order, b: Order): boolean {
  return (
    a.clientOrderId.value === b.clientOrderId.value &&
    a.strategyId.value === b.strategyId.value &&
    a.instrumentId === b.instrumentId &&
    a.side === b.side &&
    a.type === b.type &&
    a.timeInForce === b.timeInForce &&
    a.quantity.eq(b.quantity) &&
    eqNullable(a.price, b.price) &&
    eqNullable(a.triggerPrice, b.triggerPrice) &&
    a.reduceOnly === b.reduceOnly &&
    a.postOnly === b.postOnly
  );
}

function eqNullable(a: Price | null, b: Price | null): boolean {
  return a === null || b === null ? a === b : a.eq(b);
}
