/**
 * Order, position and account events. Events are the truth: orders and positions are built by
 * applying them, and the journal of events is what crash recovery replays. Every event has a
 * `type` discriminator, an `eventId` (deterministic, from the kernel's id generator), and
 * `tsEvent` / `tsInit` in microseconds.
 */
import type { AccountType, LiquiditySide, OrderSide, OrderType, PositionSide, TimeInForce } from "./enums.js";
import type {
  AccountId,
  ClientOrderId,
  InstrumentId,
  PositionId,
  StrategyId,
  VenueOrderId,
} from "./identifiers.js";
import type { UnixMicros } from "./time.js";
import type { Money, Price, Quantity } from "./values.js";

interface EventBase {
  readonly eventId: string;
  readonly tsEvent: UnixMicros;
  readonly tsInit: UnixMicros;
}

interface OrderEventBase extends EventBase {
  readonly strategyId: StrategyId;
  readonly instrumentId: InstrumentId;
  readonly clientOrderId: ClientOrderId;
}

/** The order as created; carries every field needed to rebuild it from the journal. */
export interface OrderInitialized extends OrderEventBase {
  readonly type: "OrderInitialized";
  readonly side: OrderSide;
  readonly orderType: OrderType;
  readonly quantity: Quantity;
  readonly timeInForce: TimeInForce;
}
/** Refused by the risk engine before reaching a venue. */
export interface OrderDenied extends OrderEventBase {
  readonly type: "OrderDenied";
  readonly reasonCode: string;
  readonly reason: string;
}
export interface OrderSubmitted extends OrderEventBase {
  readonly type: "OrderSubmitted";
  readonly accountId: AccountId;
}
export interface OrderAccepted extends OrderEventBase {
  readonly type: "OrderAccepted";
  readonly accountId: AccountId;
  readonly venueOrderId: VenueOrderId;
}
export interface OrderRejected extends OrderEventBase {
  readonly type: "OrderRejected";
  readonly accountId: AccountId;
  readonly reasonCode: string;
  readonly reason: string;
}
/** A stop-limit / limit-if-touched / trailing-stop-limit order's trigger condition was met. */
export interface OrderTriggered extends OrderEventBase {
  readonly type: "OrderTriggered";
  readonly venueOrderId: VenueOrderId | null;
}
export interface OrderPendingUpdate extends OrderEventBase {
  readonly type: "OrderPendingUpdate";
}
export interface OrderPendingCancel extends OrderEventBase {
  readonly type: "OrderPendingCancel";
}
/** A modify took effect; null fields are unchanged. */
export interface OrderUpdated extends OrderEventBase {
  readonly type: "OrderUpdated";
  readonly venueOrderId: VenueOrderId | null;
  readonly quantity: Quantity | null;
  readonly price: Price | null;
  readonly triggerPrice: Price | null;
}
export interface OrderModifyRejected extends OrderEventBase {
  readonly type: "OrderModifyRejected";
  readonly reason: string;
}
export interface OrderCancelRejected extends OrderEventBase {
  readonly type: "OrderCancelRejected";
  readonly reason: string;
}
export interface OrderCanceled extends OrderEventBase {
  readonly type: "OrderCanceled";
}
export interface OrderExpired extends OrderEventBase {
  readonly type: "OrderExpired";
}
/**
 * A (partial) fill. Applying it moves the order to PARTIALLY_FILLED while quantity remains and
 * to FILLED when none does; the event is the same, the order decides.
 */
export interface OrderFilled extends OrderEventBase {
  readonly type: "OrderFilled";
  readonly accountId: AccountId;
  readonly venueOrderId: VenueOrderId;
  readonly tradeId: string;
  readonly positionId: PositionId | null;
  readonly orderSide: OrderSide;
  readonly orderType: OrderType;
  readonly lastQty: Quantity;
  readonly lastPx: Price;
  readonly commission: Money;
  readonly liquiditySide: LiquiditySide;
}

export type OrderEvent =
  | OrderInitialized
  | OrderDenied
  | OrderSubmitted
  | OrderAccepted
  | OrderRejected
  | OrderTriggered
  | OrderPendingUpdate
  | OrderPendingCancel
  | OrderUpdated
  | OrderModifyRejected
  | OrderCancelRejected
  | OrderCanceled
  | OrderExpired
  | OrderFilled;

export type OrderEventType = OrderEvent["type"];

interface PositionEventBase extends EventBase {
  readonly positionId: PositionId;
  readonly strategyId: StrategyId;
  readonly instrumentId: InstrumentId;
  readonly accountId: AccountId;
  readonly side: PositionSide;
  /** Signed quantity as an exact decimal string (negative when short). */
  readonly signedQty: string;
  readonly quantity: Quantity;
  readonly avgPxOpen: number;
  readonly realizedPnl: Money;
  readonly unrealizedPnl: Money;
  readonly lastFillEventId: string;
}
export interface PositionOpened extends PositionEventBase {
  readonly type: "PositionOpened";
}
export interface PositionChanged extends PositionEventBase {
  readonly type: "PositionChanged";
}
export interface PositionClosed extends PositionEventBase {
  readonly type: "PositionClosed";
  readonly avgPxClose: number;
  readonly durationMicros: number;
}
export type PositionEvent = PositionOpened | PositionChanged | PositionClosed;

export interface AccountBalance {
  readonly total: Money;
  readonly locked: Money;
  readonly free: Money;
}
export interface MarginBalance {
  readonly instrumentId: InstrumentId;
  readonly initial: Money;
  readonly maintenance: Money;
}
/** A full account snapshot, reported by the venue or computed by the simulated venue. */
export interface AccountState extends EventBase {
  readonly type: "AccountState";
  readonly accountId: AccountId;
  readonly accountType: AccountType;
  readonly baseCurrency: string | null;
  readonly balances: readonly AccountBalance[];
  readonly margins: readonly MarginBalance[];
  /** True when the venue reported it, false when computed locally. */
  readonly reported: boolean;
}
