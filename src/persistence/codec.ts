/**
 * Journal payload codec: events and commands to JSON text and back, exactly.
 *
 * Value types serialise as exact decimal strings (`Price` "61659.70", `Quantity` "0.006",
 * `Money` "1.00000000 USDT"), identifiers as their string. Decoding revives them by field name,
 * with their precision as written, so a decoded event is equal to the original. Orders inside
 * commands are journaled as their specification ({@link orderSpecOf}) captured when the command
 * was accepted (the live `Order` object changes afterwards).
 */
import type { TradingCommand } from "../model/commands.js";
import { currency } from "../model/currency.js";
import { BotV6Error } from "../model/errors.js";
import {
  AccountId,
  ClientOrderId,
  InstrumentId,
  PositionId,
  StrategyId,
  VenueOrderId,
} from "../model/identifiers.js";
import type { Order, OrderSpec } from "../model/orders.js";
import { Money, Price, Quantity } from "../model/values.js";

export class JournalCodecError extends BotV6Error {}

const PRICE_FIELDS = new Set(["price", "triggerPrice", "lastPx"]);
const QTY_FIELDS = new Set(["quantity", "lastQty", "displayQty", "filledQty"]);
const MONEY_FIELDS = new Set([
  "commission",
  "total",
  "locked",
  "free",
  "initial",
  "maintenance",
  "realizedPnl",
  "unrealizedPnl",
]);

function reviveId(key: string, v: string): unknown {
  switch (key) {
    case "strategyId":
      return new StrategyId(v);
    case "instrumentId":
      return InstrumentId.parse(v);
    case "clientOrderId":
    case "parentOrderId":
      return new ClientOrderId(v);
    case "venueOrderId":
      return new VenueOrderId(v);
    case "accountId":
      return new AccountId(v);
    case "positionId":
      return new PositionId(v);
    default:
      return undefined;
  }
}

function reviver(key: string, v: unknown): unknown {
  if (typeof v === "string") {
    if (PRICE_FIELDS.has(key)) return Price.parse(v);
    if (QTY_FIELDS.has(key)) return Quantity.parse(v);
    if (MONEY_FIELDS.has(key)) {
      const sp = v.indexOf(" ");
      if (sp < 0) throw new JournalCodecError("JOURNAL_DECODE", `money field ${key} "${v}" has no currency`);
      return Money.parse(v.slice(0, sp), currency(v.slice(sp + 1)));
    }
    const id = reviveId(key, v);
    if (id !== undefined) return id;
  } else if (key === "linkedOrderIds" && Array.isArray(v)) {
    return v.map((x) => new ClientOrderId(String(x)));
  }
  return v;
}

/** Serialises a payload (events, command snapshots, risk events) to JSON text. */
export function encodePayload(payload: unknown): string {
  return JSON.stringify(payload);
}

/** Parses JSON text back into typed values; a malformed payload throws naming the reason. */
export function decodePayload<T = unknown>(text: string): T {
  try {
    return JSON.parse(text, reviver) as T;
  } catch (e) {
    throw new JournalCodecError("JOURNAL_DECODE", `cannot decode journal payload: ${(e as Error).message}`);
  }
}

/** The immutable specification of an order, as it was when submitted. */
export function orderSpecOf(order: Order): OrderSpec {
  return {
    strategyId: order.strategyId,
    instrumentId: order.instrumentId,
    clientOrderId: order.clientOrderId,
    side: order.side,
    type: order.type,
    quantity: order.quantity,
    price: order.price,
    triggerPrice: order.triggerPrice,
    triggerType: order.triggerType,
    trailingOffset: order.trailingOffset,
    limitOffset: order.limitOffset,
    trailingOffsetType: order.trailingOffsetType,
    timeInForce: order.timeInForce,
    expireTime: order.expireTime,
    postOnly: order.postOnly,
    reduceOnly: order.reduceOnly,
    displayQty: order.displayQty,
    contingencyType: order.contingencyType,
    parentOrderId: order.parentOrderId,
    linkedOrderIds: [...order.linkedOrderIds],
    emulated: order.emulated,
    tags: [...order.tags],
    tsInit: order.tsInit,
  };
}

/** A command as journaled: orders replaced by their specifications. */
export function commandSnapshot(cmd: TradingCommand): unknown {
  if (cmd.type === "SubmitOrder") {
    return { ...cmd, order: orderSpecOf(cmd.order) };
  }
  if (cmd.type === "SubmitOrderList") {
    return { ...cmd, orders: cmd.orders.map(orderSpecOf) };
  }
  return cmd;
}
