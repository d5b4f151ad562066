/**
 * Wire bodies of trading commands (type ids 64-68). An order travels as its specification and
 * is rebuilt with `createOrder` (so it is validated again on arrival); a command carries a
 * freshly created order, so its mutable state (status, fills) is not part of the wire form.
 */
import type {
  CancelAllOrders,
  CancelOrder,
  ModifyOrder,
  SubmitOrder,
  SubmitOrderList,
  TradingCommand,
} from "../../model/commands.js";
import {
  ClientOrderId,
  type InstrumentId,
  PositionId,
  StrategyId,
  VenueOrderId,
} from "../../model/identifiers.js";
import { createOrder, type Order } from "../../model/orders.js";
import type { ByteReader, ByteWriter } from "./bytes.js";
import { CodecError } from "./errors.js";
import {
  ContingencyTypes,
  OrderSides,
  OrderTypes,
  readInstrumentId,
  readOptId,
  readOptInt,
  readOptNumber,
  readOptPrice,
  readOptQuantity,
  readQuantity,
  TimesInForce,
  TrailingOffsetTypes,
  TriggerTypes,
  writeOptId,
  writeOptNumber,
  writeOptPrice,
  writeOptQuantity,
  writeQuantity,
} from "./fields.js";
import type { BodyCodec } from "./market.js";

export function writeOrder(w: ByteWriter, o: Order): void {
  w.str(o.strategyId.value, "order.strategyId");
  w.str(o.instrumentId.value, "order.instrumentId");
  w.str(o.clientOrderId.value, "order.clientOrderId");
  OrderSides.encode(w, o.side);
  OrderTypes.encode(w, o.type);
  writeQuantity(w, o.quantity);
  writeOptPrice(w, o.price);
  writeOptPrice(w, o.triggerPrice);
  TriggerTypes.encode(w, o.triggerType);
  writeOptNumber(w, o.trailingOffset);
  writeOptNumber(w, o.limitOffset);
  TrailingOffsetTypes.encode(w, o.trailingOffsetType);
  TimesInForce.encode(w, o.timeInForce);
  writeOptNumber(w, o.expireTime);
  w.bool(o.postOnly);
  w.bool(o.reduceOnly);
  writeOptQuantity(w, o.displayQty);
  ContingencyTypes.encode(w, o.contingencyType);
  writeOptId(w, o.parentOrderId, "order.parentOrderId");
  w.u16(o.linkedOrderIds.length);
  for (const id of o.linkedOrderIds) w.str(id.value, "order.linkedOrderIds");
  w.bool(o.emulated);
  w.u16(o.tags.length);
  for (const t of o.tags) w.str(t, "order.tags");
  w.f64(o.tsInit);
}

export function readOrder(r: ByteReader): Order {
  const strategyId = new StrategyId(r.internedStr("order.strategyId"));
  const instrumentId = readInstrumentId(r, "order.instrumentId");
  const clientOrderId = new ClientOrderId(r.str("order.clientOrderId"));
  const side = OrderSides.decode(r, "order.side");
  const type = OrderTypes.decode(r, "order.type");
  const quantity = readQuantity(r, "order.quantity");
  const price = readOptPrice(r, "order.price");
  const triggerPrice = readOptPrice(r, "order.triggerPrice");
  const triggerType = TriggerTypes.decode(r, "order.triggerType");
  const trailingOffset = readOptNumber(r, "order.trailingOffset");
  const limitOffset = readOptNumber(r, "order.limitOffset");
  const trailingOffsetType = TrailingOffsetTypes.decode(r, "order.trailingOffsetType");
  const timeInForce = TimesInForce.decode(r, "order.timeInForce");
  const expireTime = readOptInt(r, "order.expireTime");
  const postOnly = r.bool("order.postOnly");
  const reduceOnly = r.bool("order.reduceOnly");
  const displayQty = readOptQuantity(r, "order.displayQty");
  const contingencyType = ContingencyTypes.decode(r, "order.contingencyType");
  const parentOrderId = readOptId(r, "order.parentOrderId", (v) => new ClientOrderId(v));
  const nLinked = r.u16("order.linkedOrderIds");
  const linkedOrderIds: ClientOrderId[] = [];
  for (let i = 0; i < nLinked; i++) linkedOrderIds.push(new ClientOrderId(r.str("order.linkedOrderIds")));
  const emulated = r.bool("order.emulated");
  const nTags = r.u16("order.tags");
  const tags: string[] = [];
  for (let i = 0; i < nTags; i++) tags.push(r.str("order.tags"));
  const tsInit = r.int("order.tsInit");
  return createOrder({
    strategyId,
    instrumentId,
    clientOrderId,
    side,
    type,
    quantity,
    price,
    triggerPrice,
    triggerType,
    trailingOffset,
    limitOffset,
    trailingOffsetType,
    timeInForce,
    expireTime,
    postOnly,
    reduceOnly,
    displayQty,
    contingencyType,
    parentOrderId,
    linkedOrderIds,
    emulated,
    tags,
    tsInit,
  });
}

interface Base {
  commandId: string;
  strategyId: StrategyId;
  instrumentId: InstrumentId;
  tsInit: number;
}

function writeBase(w: ByteWriter, c: TradingCommand): void {
  w.str(c.commandId, "commandId");
  w.str(c.strategyId.value, "strategyId");
  w.str(c.instrumentId.value, "instrumentId");
  w.f64(c.tsInit);
}

function readBase(r: ByteReader): Base {
  return {
    commandId: r.str("commandId"),
    strategyId: new StrategyId(r.internedStr("strategyId")),
    instrumentId: readInstrumentId(r, "instrumentId"),
    tsInit: r.int("tsInit"),
  };
}

const optVenueOrderId = (r: ByteReader) => readOptId(r, "venueOrderId", (v) => new VenueOrderId(v));

export const SubmitOrderCodec: BodyCodec<SubmitOrder> = {
  id: 64,
  name: "SubmitOrder",
  encode(w, c) {
    writeBase(w, c);
    writeOrder(w, c.order);
    writeOptId(w, c.positionId, "positionId");
  },
  decode(r) {
    const base = readBase(r);
    const order = readOrder(r);
    const positionId = readOptId(r, "positionId", (v) => new PositionId(v));
    return { type: "SubmitOrder", ...base, order, positionId };
  },
};

export const SubmitOrderListCodec: BodyCodec<SubmitOrderList> = {
  id: 65,
  name: "SubmitOrderList",
  encode(w, c) {
    writeBase(w, c);
    if (c.orders.length > 0xffff) {
      throw new CodecError("CODEC_UNENCODABLE", `SubmitOrderList of ${c.orders.length} orders exceeds 65535`);
    }
    w.u16(c.orders.length);
    for (const o of c.orders) writeOrder(w, o);
  },
  decode(r) {
    const base = readBase(r);
    const n = r.u16("orders.length");
    const orders: Order[] = [];
    for (let i = 0; i < n; i++) orders.push(readOrder(r));
    return { type: "SubmitOrderList", ...base, orders };
  },
};

export const ModifyOrderCodec: BodyCodec<ModifyOrder> = {
  id: 66,
  name: "ModifyOrder",
  encode(w, c) {
    writeBase(w, c);
    w.str(c.clientOrderId.value, "clientOrderId");
    writeOptId(w, c.venueOrderId, "venueOrderId");
    writeOptQuantity(w, c.quantity);
    writeOptPrice(w, c.price);
    writeOptPrice(w, c.triggerPrice);
  },
  decode(r) {
    return {
      type: "ModifyOrder",
      ...readBase(r),
      clientOrderId: new ClientOrderId(r.str("clientOrderId")),
      venueOrderId: optVenueOrderId(r),
      quantity: readOptQuantity(r, "quantity"),
      price: readOptPrice(r, "price"),
      triggerPrice: readOptPrice(r, "triggerPrice"),
    };
  },
};

export const CancelOrderCodec: BodyCodec<CancelOrder> = {
  id: 67,
  name: "CancelOrder",
  encode(w, c) {
    writeBase(w, c);
    w.str(c.clientOrderId.value, "clientOrderId");
    writeOptId(w, c.venueOrderId, "venueOrderId");
  },
  decode(r) {
    return {
      type: "CancelOrder",
      ...readBase(r),
      clientOrderId: new ClientOrderId(r.str("clientOrderId")),
      venueOrderId: optVenueOrderId(r),
    };
  },
};

export const CancelAllOrdersCodec: BodyCodec<CancelAllOrders> = {
  id: 68,
  name: "CancelAllOrders",
  encode(w, c) {
    writeBase(w, c);
    if (c.side === null) w.u8(0);
    else {
      w.u8(1);
      OrderSides.encode(w, c.side);
    }
  },
  decode(r) {
    const base = readBase(r);
    const side = r.bool("side") ? OrderSides.decode(r, "side") : null;
    return { type: "CancelAllOrders", ...base, side };
  },
};
