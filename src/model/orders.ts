/**
 * Orders and their state machine.
 *
 * One monomorphic {@link Order} class holds every order type (fields not used by a type are
 * null), which keeps hot-path code monomorphic. {@link createOrder} validates a specification
 * per type. An order changes only by {@link Order.apply} of an {@link OrderEvent}; the allowed
 * transitions are the explicit table {@link ORDER_TRANSITIONS}. An event not allowed in the
 * current state throws {@link InvalidStateTransitionError} naming both, and is not applied.
 */
import {
  ContingencyType,
  type OrderSide,
  OrderStatus,
  OrderType,
  TimeInForce,
  TrailingOffsetType,
  TriggerType,
} from "./enums.js";
import { InvalidStateTransitionError, OrderError } from "./errors.js";
import type { OrderEvent, OrderEventType } from "./events.js";
import type {
  AccountId,
  ClientOrderId,
  InstrumentId,
  PositionId,
  StrategyId,
  VenueOrderId,
} from "./identifiers.js";
import type { UnixMicros } from "./time.js";
import { type Price, Quantity } from "./values.js";

const S = OrderStatus;

/** Statuses after which nothing can change. */
export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set([
  S.Denied,
  S.Rejected,
  S.Canceled,
  S.Expired,
  S.Filled,
]);

/** Target of an event: a fixed status, or computed by the order (fills, returns from pending). */
type Target = OrderStatus | "FILL" | "RESTORE" | "SAME";

/**
 * The transition table: for each status, the events it accepts and where they lead.
 * "FILL" → PARTIALLY_FILLED or FILLED by the remaining quantity; "RESTORE" → the status before
 * the pending state (a modify or cancel that was rejected, or a modify that took effect);
 * "SAME" → stays (an update applied outside a pending state).
 */
export const ORDER_TRANSITIONS: ReadonlyMap<OrderStatus, ReadonlyMap<OrderEventType, Target>> = new Map<
  OrderStatus,
  Map<OrderEventType, Target>
>([
  [
    S.Initialized,
    new Map<OrderEventType, Target>([
      ["OrderDenied", S.Denied],
      ["OrderSubmitted", S.Submitted],
      // Emulated orders are held locally: they can be accepted, triggered, updated or
      // canceled before any venue sees them.
      ["OrderAccepted", S.Accepted],
      ["OrderRejected", S.Rejected],
      ["OrderTriggered", S.Triggered],
      ["OrderUpdated", "SAME"],
      ["OrderCanceled", S.Canceled],
      ["OrderExpired", S.Expired],
    ]),
  ],
  [
    S.Submitted,
    new Map<OrderEventType, Target>([
      ["OrderAccepted", S.Accepted],
      ["OrderRejected", S.Rejected],
      ["OrderTriggered", S.Triggered],
      ["OrderPendingUpdate", S.PendingUpdate],
      ["OrderPendingCancel", S.PendingCancel],
      ["OrderUpdated", "SAME"],
      ["OrderCanceled", S.Canceled],
      ["OrderExpired", S.Expired],
      // A fill can overtake the acceptance message.
      ["OrderFilled", "FILL"],
    ]),
  ],
  [
    S.Accepted,
    new Map<OrderEventType, Target>([
      ["OrderRejected", S.Rejected],
      ["OrderTriggered", S.Triggered],
      ["OrderPendingUpdate", S.PendingUpdate],
      ["OrderPendingCancel", S.PendingCancel],
      ["OrderUpdated", "SAME"],
      ["OrderModifyRejected", "SAME"],
      ["OrderCancelRejected", "SAME"],
      ["OrderCanceled", S.Canceled],
      ["OrderExpired", S.Expired],
      ["OrderFilled", "FILL"],
    ]),
  ],
  [
    S.Triggered,
    new Map<OrderEventType, Target>([
      // An emulated order triggered locally is then released to the venue: its submission and
      // the venue's acknowledgement keep it TRIGGERED (the acceptance records the venue id).
      ["OrderSubmitted", "SAME"],
      ["OrderAccepted", "SAME"],
      ["OrderRejected", S.Rejected],
      ["OrderPendingUpdate", S.PendingUpdate],
      ["OrderPendingCancel", S.PendingCancel],
      ["OrderUpdated", "SAME"],
      ["OrderModifyRejected", "SAME"],
      ["OrderCancelRejected", "SAME"],
      ["OrderCanceled", S.Canceled],
      ["OrderExpired", S.Expired],
      ["OrderFilled", "FILL"],
    ]),
  ],
  [
    S.PendingUpdate,
    new Map<OrderEventType, Target>([
      ["OrderAccepted", S.Accepted],
      ["OrderRejected", S.Rejected],
      ["OrderTriggered", S.Triggered],
      ["OrderPendingCancel", S.PendingCancel],
      ["OrderUpdated", "RESTORE"],
      ["OrderModifyRejected", "RESTORE"],
      ["OrderCanceled", S.Canceled],
      ["OrderExpired", S.Expired],
      ["OrderFilled", "FILL"],
    ]),
  ],
  [
    S.PendingCancel,
    new Map<OrderEventType, Target>([
      ["OrderAccepted", S.PendingCancel],
      ["OrderCancelRejected", "RESTORE"],
      ["OrderCanceled", S.Canceled],
      ["OrderExpired", S.Expired],
      // The fill can happen at the venue before the cancel arrives there.
      ["OrderFilled", "FILL"],
    ]),
  ],
  [
    S.PartiallyFilled,
    new Map<OrderEventType, Target>([
      ["OrderPendingUpdate", S.PendingUpdate],
      ["OrderPendingCancel", S.PendingCancel],
      ["OrderUpdated", "SAME"],
      ["OrderModifyRejected", "SAME"],
      ["OrderCancelRejected", "SAME"],
      ["OrderCanceled", S.Canceled],
      ["OrderExpired", S.Expired],
      ["OrderFilled", "FILL"],
    ]),
  ],
  [S.Denied, new Map()],
  [S.Rejected, new Map()],
  [S.Canceled, new Map()],
  [S.Expired, new Map()],
  [S.Filled, new Map()],
]);

/** What a caller specifies to create an order; validated per type by {@link createOrder}. */
export interface OrderSpec {
  strategyId: StrategyId;
  instrumentId: InstrumentId;
  clientOrderId: ClientOrderId;
  side: OrderSide;
  type: OrderType;
  quantity: Quantity;
  price?: Price | null;
  triggerPrice?: Price | null;
  triggerType?: TriggerType;
  /** Trailing distance (in the unit of `trailingOffsetType`). */
  trailingOffset?: number | null;
  /** For trailing-stop-limit: the limit's distance from the trigger, in the same unit. */
  limitOffset?: number | null;
  trailingOffsetType?: TrailingOffsetType;
  timeInForce?: TimeInForce;
  expireTime?: UnixMicros | null;
  postOnly?: boolean;
  reduceOnly?: boolean;
  /** Iceberg: the quantity shown on the book. */
  displayQty?: Quantity | null;
  contingencyType?: ContingencyType;
  parentOrderId?: ClientOrderId | null;
  linkedOrderIds?: ClientOrderId[];
  /** Run emulated locally (triggers watched here) rather than natively at the venue. */
  emulated?: boolean;
  tags?: string[];
  tsInit: UnixMicros;
}

const NEEDS_PRICE = new Set([OrderType.Limit, OrderType.StopLimit, OrderType.LimitIfTouched]);
const NEEDS_TRIGGER = new Set([
  OrderType.StopMarket,
  OrderType.StopLimit,
  OrderType.MarketIfTouched,
  OrderType.LimitIfTouched,
]);
const TRAILING = new Set([OrderType.TrailingStopMarket, OrderType.TrailingStopLimit]);
const PASSIVE_CAPABLE = new Set([
  OrderType.Limit,
  OrderType.StopLimit,
  OrderType.LimitIfTouched,
  OrderType.TrailingStopLimit,
]);

function invalid(spec: OrderSpec, reason: string): OrderError {
  return new OrderError(
    "ORDER_INVALID",
    `order ${spec.clientOrderId} (${spec.type} ${spec.instrumentId}): ${reason}`,
    {
      clientOrderId: spec.clientOrderId.value,
      orderType: spec.type,
    },
  );
}

/** Validates `spec` for its order type and returns an INITIALIZED order. */
export function createOrder(spec: OrderSpec): Order {
  const tif = spec.timeInForce ?? (spec.type === OrderType.Market ? TimeInForce.IOC : TimeInForce.GTC);
  if (!(spec.quantity instanceof Quantity) || spec.quantity.raw <= 0) {
    throw invalid(spec, `quantity must be positive, got ${spec.quantity}`);
  }
  const hasPrice = spec.price != null;
  const hasTrigger = spec.triggerPrice != null;
  if (NEEDS_PRICE.has(spec.type) && !hasPrice) throw invalid(spec, "a price is required");
  if (!NEEDS_PRICE.has(spec.type) && hasPrice && spec.type !== OrderType.TrailingStopLimit) {
    throw invalid(spec, "a price is not allowed for this type");
  }
  if (NEEDS_TRIGGER.has(spec.type) && !hasTrigger) throw invalid(spec, "a trigger price is required");
  if (!NEEDS_TRIGGER.has(spec.type) && !TRAILING.has(spec.type) && hasTrigger) {
    throw invalid(spec, "a trigger price is not allowed for this type");
  }
  if (TRAILING.has(spec.type)) {
    if (spec.trailingOffset == null || !(spec.trailingOffset > 0) || !Number.isFinite(spec.trailingOffset)) {
      throw invalid(spec, "a positive trailingOffset is required");
    }
    if (
      spec.type === OrderType.TrailingStopLimit &&
      (spec.limitOffset == null || !Number.isFinite(spec.limitOffset))
    ) {
      throw invalid(spec, "a limitOffset is required for a trailing-stop-limit order");
    }
  } else if (spec.trailingOffset != null || spec.limitOffset != null) {
    throw invalid(spec, "trailing offsets are only for trailing-stop orders");
  }
  if (spec.type === OrderType.Market && (tif === TimeInForce.GTD || tif === TimeInForce.DAY)) {
    throw invalid(spec, `time in force ${tif} is not valid for a market order`);
  }
  if (tif === TimeInForce.GTD) {
    if (spec.expireTime == null || !Number.isSafeInteger(spec.expireTime) || spec.expireTime <= spec.tsInit) {
      throw invalid(spec, "GTD needs an expireTime after the order's creation time");
    }
  } else if (spec.expireTime != null) {
    throw invalid(spec, `expireTime is only valid with GTD, not ${tif}`);
  }
  if (spec.postOnly === true) {
    if (!PASSIVE_CAPABLE.has(spec.type)) throw invalid(spec, "post-only needs a limit-type order");
    if (tif === TimeInForce.IOC || tif === TimeInForce.FOK) {
      throw invalid(spec, `post-only cannot be combined with ${tif}`);
    }
  }
  if (spec.displayQty != null) {
    if (spec.displayQty.raw <= 0 || spec.displayQty.gt(spec.quantity)) {
      throw invalid(spec, "displayQty must be positive and not exceed quantity");
    }
  }
  return new Order(spec, tif);
}

/** An order: its specification plus the state built from its events. */
export class Order {
  readonly strategyId: StrategyId;
  readonly instrumentId: InstrumentId;
  readonly clientOrderId: ClientOrderId;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly triggerType: TriggerType;
  readonly trailingOffset: number | null;
  readonly limitOffset: number | null;
  readonly trailingOffsetType: TrailingOffsetType;
  readonly expireTime: UnixMicros | null;
  readonly postOnly: boolean;
  readonly reduceOnly: boolean;
  readonly displayQty: Quantity | null;
  readonly contingencyType: ContingencyType;
  readonly parentOrderId: ClientOrderId | null;
  readonly linkedOrderIds: ClientOrderId[];
  readonly emulated: boolean;
  readonly tags: string[];
  readonly tsInit: UnixMicros;

  quantity: Quantity;
  price: Price | null;
  triggerPrice: Price | null;
  status: OrderStatus = OrderStatus.Initialized;
  /** Status before entering PENDING_UPDATE / PENDING_CANCEL, to return to. */
  previousStatus: OrderStatus | null = null;
  venueOrderId: VenueOrderId | null = null;
  accountId: AccountId | null = null;
  positionId: PositionId | null = null;
  filledQty: Quantity;
  leavesQty: Quantity;
  /** Volume-weighted average fill price (float, for display and statistics). */
  avgPx: number | null = null;
  isTriggered = false;
  tsLast: UnixMicros;
  readonly tradeIds: string[] = [];
  readonly events: OrderEvent[] = [];

  constructor(spec: OrderSpec, timeInForce: TimeInForce) {
    this.strategyId = spec.strategyId;
    this.instrumentId = spec.instrumentId;
    this.clientOrderId = spec.clientOrderId;
    this.side = spec.side;
    this.type = spec.type;
    this.timeInForce = timeInForce;
    this.triggerType = spec.triggerType ?? TriggerType.Default;
    this.trailingOffset = spec.trailingOffset ?? null;
    this.limitOffset = spec.limitOffset ?? null;
    this.trailingOffsetType = spec.trailingOffsetType ?? TrailingOffsetType.Price;
    this.expireTime = spec.expireTime ?? null;
    this.postOnly = spec.postOnly ?? false;
    this.reduceOnly = spec.reduceOnly ?? false;
    this.displayQty = spec.displayQty ?? null;
    this.contingencyType = spec.contingencyType ?? ContingencyType.None;
    this.parentOrderId = spec.parentOrderId ?? null;
    this.linkedOrderIds = spec.linkedOrderIds ?? [];
    this.emulated = spec.emulated ?? false;
    this.tags = spec.tags ?? [];
    this.tsInit = spec.tsInit;
    this.quantity = spec.quantity;
    this.price = spec.price ?? null;
    this.triggerPrice = spec.triggerPrice ?? null;
    this.filledQty = Quantity.zero(spec.quantity.precision);
    this.leavesQty = spec.quantity;
    this.tsLast = spec.tsInit;
  }

  isOpen(): boolean {
    return (
      this.status === S.Accepted ||
      this.status === S.Triggered ||
      this.status === S.PendingUpdate ||
      this.status === S.PendingCancel ||
      this.status === S.PartiallyFilled ||
      this.status === S.Submitted
    );
  }

  isClosed(): boolean {
    return TERMINAL_STATUSES.has(this.status);
  }

  /** Whether the table allows `eventType` in the current status. */
  canApply(eventType: OrderEventType): boolean {
    return ORDER_TRANSITIONS.get(this.status)?.has(eventType) ?? false;
  }

  /**
   * Applies an event. Throws {@link InvalidStateTransitionError} (and changes nothing) if the
   * transition table does not allow it, if the event belongs to another order, or if a fill
   * would exceed the order quantity.
   */
  apply(event: OrderEvent): void {
    if (event.clientOrderId.value !== this.clientOrderId.value) {
      throw this.transitionError(event, `event is for order ${event.clientOrderId}`);
    }
    if (event.type === "OrderInitialized") {
      throw this.transitionError(event, "an order is initialized only once");
    }
    const target = ORDER_TRANSITIONS.get(this.status)?.get(event.type);
    if (target === undefined) throw this.transitionError(event, "not allowed by the transition table");
    let next: OrderStatus;
    switch (event.type) {
      case "OrderFilled": {
        if (event.lastQty.raw <= 0) throw this.transitionError(event, "fill quantity must be positive");
        if (event.lastQty.gt(this.leavesQty)) {
          throw this.transitionError(
            event,
            `fill ${event.lastQty} exceeds leaves quantity ${this.leavesQty}`,
          );
        }
        if (this.tradeIds.includes(event.tradeId)) {
          throw this.transitionError(event, `duplicate fill trade id ${event.tradeId}`);
        }
        const prevFilled = this.filledQty.toNumber();
        const last = event.lastQty.toNumber();
        this.filledQty = this.filledQty.add(event.lastQty).withPrecision(this.quantity.precision);
        this.leavesQty = this.quantity.sub(this.filledQty);
        this.avgPx =
          this.avgPx === null
            ? event.lastPx.toNumber()
            : (this.avgPx * prevFilled + event.lastPx.toNumber() * last) / (prevFilled + last);
        this.tradeIds.push(event.tradeId);
        this.venueOrderId = event.venueOrderId;
        this.accountId = event.accountId;
        if (event.positionId !== null) this.positionId = event.positionId;
        next = this.leavesQty.raw === 0 ? S.Filled : S.PartiallyFilled;
        break;
      }
      case "OrderSubmitted":
        this.accountId = event.accountId;
        next = this.resolve(target);
        break;
      case "OrderAccepted":
        this.accountId = event.accountId;
        this.venueOrderId = event.venueOrderId;
        next = this.resolve(target);
        break;
      case "OrderTriggered":
        this.isTriggered = true;
        if (event.venueOrderId !== null) this.venueOrderId = event.venueOrderId;
        next = target as OrderStatus;
        break;
      case "OrderUpdated":
        if (event.quantity !== null) {
          if (event.quantity.lt(this.filledQty)) {
            throw this.transitionError(
              event,
              `new quantity ${event.quantity} is below filled ${this.filledQty}`,
            );
          }
          this.quantity = event.quantity;
          this.leavesQty = event.quantity.sub(this.filledQty);
        }
        if (event.price !== null) this.price = event.price;
        if (event.triggerPrice !== null) this.triggerPrice = event.triggerPrice;
        if (event.venueOrderId !== null) this.venueOrderId = event.venueOrderId;
        next = this.resolve(target);
        break;
      default:
        next = this.resolve(target);
    }
    if (next === S.PendingUpdate || next === S.PendingCancel) {
      if (this.status !== S.PendingUpdate && this.status !== S.PendingCancel)
        this.previousStatus = this.status;
    } else if (this.status === S.PendingUpdate || this.status === S.PendingCancel) {
      this.previousStatus = null;
    }
    this.status = next;
    this.tsLast = event.tsEvent;
    this.events.push(event);
  }

  private resolve(target: Target): OrderStatus {
    if (target === "SAME") return this.status;
    if (target === "RESTORE") {
      // A partially filled order returns to PARTIALLY_FILLED whatever it was before.
      if (this.filledQty.raw > 0) return S.PartiallyFilled;
      return this.previousStatus ?? S.Accepted;
    }
    if (target === "FILL") return this.leavesQty.raw === 0 ? S.Filled : S.PartiallyFilled;
    return target;
  }

  private transitionError(event: OrderEvent, reason: string): InvalidStateTransitionError {
    return new InvalidStateTransitionError(
      "ORDER_INVALID_TRANSITION",
      `order ${this.clientOrderId}: ${event.type} in state ${this.status} rejected: ${reason}`,
      { clientOrderId: this.clientOrderId.value, state: this.status, event: event.type },
    );
  }
}
