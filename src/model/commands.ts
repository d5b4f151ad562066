/** Trading commands: what strategies (or the API) ask the execution side to do. */

import type { OrderSide } from "./enums.js";
import type { ClientOrderId, InstrumentId, PositionId, StrategyId, VenueOrderId } from "./identifiers.js";
import type { Order } from "./orders.js";
import type { UnixMicros } from "./time.js";
import type { Price, Quantity } from "./values.js";

interface CommandBase {
  readonly commandId: string;
  readonly strategyId: StrategyId;
  readonly instrumentId: InstrumentId;
  readonly tsInit: UnixMicros;
}

export interface SubmitOrder extends CommandBase {
  readonly type: "SubmitOrder";
  readonly order: Order;
  readonly positionId: PositionId | null;
}
/** Several orders submitted together (a bracket: entry + take-profit + stop-loss). */
export interface SubmitOrderList extends CommandBase {
  readonly type: "SubmitOrderList";
  readonly orders: readonly Order[];
}
/** Change price, trigger price and/or quantity; null fields are unchanged. */
export interface ModifyOrder extends CommandBase {
  readonly type: "ModifyOrder";
  readonly clientOrderId: ClientOrderId;
  readonly venueOrderId: VenueOrderId | null;
  readonly quantity: Quantity | null;
  readonly price: Price | null;
  readonly triggerPrice: Price | null;
}
export interface CancelOrder extends CommandBase {
  readonly type: "CancelOrder";
  readonly clientOrderId: ClientOrderId;
  readonly venueOrderId: VenueOrderId | null;
}
/** Cancel every open order of the strategy on the instrument (optionally one side only). */
export interface CancelAllOrders extends CommandBase {
  readonly type: "CancelAllOrders";
  readonly side: OrderSide | null;
}

export type TradingCommand = SubmitOrder | SubmitOrderList | ModifyOrder | CancelOrder | CancelAllOrders;
