/**
 * The venue side of execution: what the {@link ExecutionEngine} asks a venue to do, and what a
 * venue reports back.
 *
 * Method names follow ccxt's unified API (`createOrder`, `cancelOrder`, `editOrder`,
 * `fetchOrder`, `fetchOpenOrders`, `fetchMyTrades`, `fetchPositions`, `fetchBalance`) so users
 * recognise the adapter surface. The three order commands are fire-and-forget: they return at
 * once and the venue answers later (or at once, for the simulated venue) through the
 * {@link ExecutionReportSink} it was bound to. The `fetch*` queries are I/O and return promises;
 * the engine uses them only off the hot path (an unacknowledged command, reconciliation).
 */
import type {
  LiquiditySide,
  OrderSide,
  OrderStatus,
  OrderType,
  TimeInForce,
  TrailingOffsetType,
  TriggerType,
} from "../model/enums.js";
import type { AccountBalance } from "../model/events.js";
import type { AccountId, ClientOrderId, InstrumentId, VenueOrderId } from "../model/identifiers.js";
import type { UnixMicros } from "../model/time.js";
import type { Money, Price, Quantity } from "../model/values.js";

/** What a venue supports natively; anything else of the emulatable types is emulated locally. */
export interface VenueCapabilities {
  /** Order types the venue accepts as such. MARKET and LIMIT must be here. */
  readonly nativeOrderTypes: ReadonlySet<OrderType>;
  /** Whether `editOrder` is supported (otherwise a modify is refused with MODIFY_UNSUPPORTED). */
  readonly supportsModify: boolean;
  readonly supportsPostOnly: boolean;
  readonly supportsReduceOnly: boolean;
}

/** An order as sent to the venue: for a released emulated order, the type it is released as. */
export interface VenueOrderRequest {
  readonly clientOrderId: ClientOrderId;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly quantity: Quantity;
  readonly price: Price | null;
  readonly triggerPrice: Price | null;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  readonly reduceOnly: boolean;
  /** Iceberg: the quantity shown in the book at a time (null: all of it). */
  readonly displayQty: Quantity | null;
  readonly tsInit: UnixMicros;
  /** GTD: when the order expires (µs since the epoch); absent/null for other times in force. */
  readonly expireTime?: UnixMicros | null;
  /** Stops, if-touched and trailing orders: the price the trigger watches (default: last trade). */
  readonly triggerType?: TriggerType;
  /**
   * Trailing stops: the trigger's distance from the reference price, in `trailingOffsetType`
   * units as on the order — PRICE: a price distance (e.g. 0.5), BASIS_POINTS, TICKS.
   */
  readonly trailingOffset?: number | null;
  /** Trailing-stop-limit: the limit price's distance beyond the trigger, same unit. */
  readonly limitOffset?: number | null;
  readonly trailingOffsetType?: TrailingOffsetType;
}

export interface VenueEditRequest {
  readonly clientOrderId: ClientOrderId;
  readonly venueOrderId: VenueOrderId | null;
  readonly instrumentId: InstrumentId;
  readonly quantity: Quantity | null;
  readonly price: Price | null;
  readonly triggerPrice: Price | null;
}

/** A venue's answer about one order (`fetchOrder`, `fetchOpenOrders`). */
export interface OrderStatusReport {
  readonly clientOrderId: ClientOrderId;
  readonly venueOrderId: VenueOrderId;
  readonly instrumentId: InstrumentId;
  readonly status: OrderStatus;
  readonly quantity: Quantity;
  readonly filledQty: Quantity;
  readonly price: Price | null;
  readonly triggerPrice: Price | null;
  readonly reason: string | null;
  readonly tsLast: UnixMicros;
}

/** One execution (`fetchMyTrades`). */
export interface TradeReport {
  readonly clientOrderId: ClientOrderId;
  readonly venueOrderId: VenueOrderId;
  readonly instrumentId: InstrumentId;
  readonly tradeId: string;
  readonly side: OrderSide;
  readonly lastQty: Quantity;
  readonly lastPx: Price;
  readonly commission: Money;
  readonly liquiditySide: LiquiditySide;
  readonly tsEvent: UnixMicros;
}

export interface PositionReport {
  readonly instrumentId: InstrumentId;
  /** Signed quantity as an exact decimal string (negative when short). */
  readonly signedQty: string;
  readonly tsLast: UnixMicros;
}

export interface BalanceReport {
  readonly accountId: AccountId;
  readonly balances: readonly AccountBalance[];
  readonly tsLast: UnixMicros;
}

/** Reports a venue pushes to the engine, one discriminated union. */
export type VenueReport =
  | {
      readonly kind: "accepted";
      readonly clientOrderId: ClientOrderId;
      readonly venueOrderId: VenueOrderId;
      readonly ts: UnixMicros;
    }
  | {
      readonly kind: "rejected";
      readonly clientOrderId: ClientOrderId;
      readonly reasonCode: string;
      readonly reason: string;
      readonly ts: UnixMicros;
    }
  | { readonly kind: "canceled"; readonly clientOrderId: ClientOrderId; readonly ts: UnixMicros }
  | { readonly kind: "expired"; readonly clientOrderId: ClientOrderId; readonly ts: UnixMicros }
  | {
      readonly kind: "triggered";
      readonly clientOrderId: ClientOrderId;
      readonly venueOrderId: VenueOrderId | null;
      readonly ts: UnixMicros;
    }
  | {
      readonly kind: "cancelRejected";
      readonly clientOrderId: ClientOrderId;
      readonly reason: string;
      readonly ts: UnixMicros;
    }
  | {
      readonly kind: "modifyRejected";
      readonly clientOrderId: ClientOrderId;
      readonly reason: string;
      readonly ts: UnixMicros;
    }
  | {
      readonly kind: "updated";
      readonly clientOrderId: ClientOrderId;
      readonly venueOrderId: VenueOrderId | null;
      readonly quantity: Quantity | null;
      readonly price: Price | null;
      readonly triggerPrice: Price | null;
      readonly ts: UnixMicros;
    }
  | {
      readonly kind: "filled";
      readonly clientOrderId: ClientOrderId;
      readonly venueOrderId: VenueOrderId;
      readonly tradeId: string;
      readonly lastQty: Quantity;
      readonly lastPx: Price;
      readonly commission: Money;
      readonly liquiditySide: LiquiditySide;
      readonly ts: UnixMicros;
    };

/** Where a venue delivers its reports (the execution engine). */
export interface ExecutionReportSink {
  onVenueReport(report: VenueReport): void;
}

/** A venue adapter (simulated venue or exchange). */
export interface ExecutionClient {
  /** The venue name, as in `InstrumentId.venue`. */
  readonly venue: string;
  readonly accountId: AccountId;
  readonly capabilities: VenueCapabilities;
  /** Called once by the engine; the client sends every report there. */
  bind(sink: ExecutionReportSink): void;
  createOrder(request: VenueOrderRequest): void;
  cancelOrder(
    clientOrderId: ClientOrderId,
    venueOrderId: VenueOrderId | null,
    instrumentId: InstrumentId,
  ): void;
  editOrder(request: VenueEditRequest): void;
  /** The venue's view of one order, or null if the venue does not know it. */
  fetchOrder(clientOrderId: ClientOrderId, instrumentId: InstrumentId): Promise<OrderStatusReport | null>;
  fetchOpenOrders(instrumentId?: InstrumentId): Promise<OrderStatusReport[]>;
  fetchMyTrades(instrumentId: InstrumentId, clientOrderId?: ClientOrderId): Promise<TradeReport[]>;
  fetchPositions(): Promise<PositionReport[]>;
  fetchBalance(): Promise<BalanceReport>;
  /**
   * Balance movements that are not trades (ccxt `fetchLedger`): deposits, withdrawals,
   * transfers, manual adjustments, since `since` (µs). Optional: without it, reconciliation can
   * explain no balance difference and fails closed on any.
   */
  fetchLedger?(since: UnixMicros): Promise<LedgerEntry[]>;
}

/** One non-trade balance movement reported by the venue. */
export interface LedgerEntry {
  /** The venue's id of the entry (applied at most once). */
  readonly id: string;
  readonly kind: "deposit" | "withdrawal" | "transfer" | "adjustment";
  /** Signed: positive credits the account. */
  readonly amount: Money;
  readonly ts: UnixMicros;
}
