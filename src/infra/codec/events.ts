/** Wire bodies of order (32-45), position (48-50) and account (56) events. */
import type {
  AccountBalance,
  AccountState,
  MarginBalance,
  OrderEvent,
  OrderEventType,
  PositionEvent,
} from "../../model/events.js";
import {
  AccountId,
  ClientOrderId,
  type InstrumentId,
  PositionId,
  StrategyId,
  VenueOrderId,
} from "../../model/identifiers.js";
import type { ByteReader, ByteWriter } from "./bytes.js";
import {
  AccountTypes,
  LiquiditySides,
  OrderSides,
  OrderTypes,
  PositionSides,
  readInstrumentId,
  readMoney,
  readOptId,
  readOptPrice,
  readOptQuantity,
  readOptStr,
  readPrice,
  readQuantity,
  TimesInForce,
  writeMoney,
  writeOptId,
  writeOptPrice,
  writeOptQuantity,
  writeOptStr,
  writePrice,
  writeQuantity,
} from "./fields.js";
import type { BodyCodec } from "./market.js";

interface OrderBase {
  eventId: string;
  tsEvent: number;
  tsInit: number;
  strategyId: StrategyId;
  instrumentId: InstrumentId;
  clientOrderId: ClientOrderId;
}

function writeOrderBase(w: ByteWriter, e: OrderEvent): void {
  w.str(e.eventId, "eventId");
  w.f64(e.tsEvent);
  w.f64(e.tsInit);
  w.str(e.strategyId.value, "strategyId");
  w.str(e.instrumentId.value, "instrumentId");
  w.str(e.clientOrderId.value, "clientOrderId");
}

function readOrderBase(r: ByteReader): OrderBase {
  return {
    eventId: r.str("eventId"),
    tsEvent: r.int("tsEvent"),
    tsInit: r.int("tsInit"),
    strategyId: new StrategyId(r.internedStr("strategyId")),
    instrumentId: readInstrumentId(r, "instrumentId"),
    clientOrderId: new ClientOrderId(r.str("clientOrderId")),
  };
}

type Extra<E extends OrderEvent> = Omit<E, keyof OrderBase | "type">;

/**
 * One order-event body: the shared base, then `write`/`read` of the type's own fields. The
 * decoded object has `type` first, then the base, then the extras (stable key order).
 */
function orderEvent<T extends OrderEventType>(
  id: number,
  type: T,
  write: (w: ByteWriter, e: Extract<OrderEvent, { type: T }>) => void,
  read: (r: ByteReader) => Extra<Extract<OrderEvent, { type: T }>>,
): BodyCodec<Extract<OrderEvent, { type: T }>> {
  return {
    id,
    name: type,
    encode(w, e) {
      writeOrderBase(w, e);
      write(w, e);
    },
    decode(r) {
      const base = readOrderBase(r);
      const extra = read(r);
      return { type, ...base, ...extra } as unknown as Extract<OrderEvent, { type: T }>;
    },
  };
}

const none = () => {};
const noneRead = () => ({});
const accountId = (r: ByteReader) => new AccountId(r.internedStr("accountId"));
const optVenueOrderId = (r: ByteReader) => readOptId(r, "venueOrderId", (v) => new VenueOrderId(v));

export const ORDER_EVENT_CODECS = [
  orderEvent(
    32,
    "OrderInitialized",
    (w, e) => {
      OrderSides.encode(w, e.side);
      OrderTypes.encode(w, e.orderType);
      writeQuantity(w, e.quantity);
      TimesInForce.encode(w, e.timeInForce);
    },
    (r) => ({
      side: OrderSides.decode(r, "side"),
      orderType: OrderTypes.decode(r, "orderType"),
      quantity: readQuantity(r, "quantity"),
      timeInForce: TimesInForce.decode(r, "timeInForce"),
    }),
  ),
  orderEvent(
    33,
    "OrderDenied",
    (w, e) => {
      w.str(e.reasonCode, "reasonCode");
      w.str(e.reason, "reason");
    },
    (r) => ({ reasonCode: r.str("reasonCode"), reason: r.str("reason") }),
  ),
  orderEvent(
    34,
    "OrderSubmitted",
    (w, e) => w.str(e.accountId.value, "accountId"),
    (r) => ({ accountId: accountId(r) }),
  ),
  orderEvent(
    35,
    "OrderAccepted",
    (w, e) => {
      w.str(e.accountId.value, "accountId");
      w.str(e.venueOrderId.value, "venueOrderId");
    },
    (r) => ({ accountId: accountId(r), venueOrderId: new VenueOrderId(r.str("venueOrderId")) }),
  ),
  orderEvent(
    36,
    "OrderRejected",
    (w, e) => {
      w.str(e.accountId.value, "accountId");
      w.str(e.reasonCode, "reasonCode");
      w.str(e.reason, "reason");
    },
    (r) => ({ accountId: accountId(r), reasonCode: r.str("reasonCode"), reason: r.str("reason") }),
  ),
  orderEvent(
    37,
    "OrderTriggered",
    (w, e) => writeOptId(w, e.venueOrderId, "venueOrderId"),
    (r) => ({ venueOrderId: optVenueOrderId(r) }),
  ),
  orderEvent(38, "OrderPendingUpdate", none, noneRead),
  orderEvent(39, "OrderPendingCancel", none, noneRead),
  orderEvent(
    40,
    "OrderUpdated",
    (w, e) => {
      writeOptId(w, e.venueOrderId, "venueOrderId");
      writeOptQuantity(w, e.quantity);
      writeOptPrice(w, e.price);
      writeOptPrice(w, e.triggerPrice);
    },
    (r) => ({
      venueOrderId: optVenueOrderId(r),
      quantity: readOptQuantity(r, "quantity"),
      price: readOptPrice(r, "price"),
      triggerPrice: readOptPrice(r, "triggerPrice"),
    }),
  ),
  orderEvent(
    41,
    "OrderModifyRejected",
    (w, e) => w.str(e.reason, "reason"),
    (r) => ({ reason: r.str("reason") }),
  ),
  orderEvent(
    42,
    "OrderCancelRejected",
    (w, e) => w.str(e.reason, "reason"),
    (r) => ({ reason: r.str("reason") }),
  ),
  orderEvent(43, "OrderCanceled", none, noneRead),
  orderEvent(44, "OrderExpired", none, noneRead),
  orderEvent(
    45,
    "OrderFilled",
    (w, e) => {
      w.str(e.accountId.value, "accountId");
      w.str(e.venueOrderId.value, "venueOrderId");
      w.str(e.tradeId, "tradeId");
      writeOptId(w, e.positionId, "positionId");
      OrderSides.encode(w, e.orderSide);
      OrderTypes.encode(w, e.orderType);
      writeQuantity(w, e.lastQty);
      writePrice(w, e.lastPx);
      writeMoney(w, e.commission);
      LiquiditySides.encode(w, e.liquiditySide);
    },
    (r) => ({
      accountId: accountId(r),
      venueOrderId: new VenueOrderId(r.str("venueOrderId")),
      tradeId: r.str("tradeId"),
      positionId: readOptId(r, "positionId", (v) => new PositionId(v)),
      orderSide: OrderSides.decode(r, "orderSide"),
      orderType: OrderTypes.decode(r, "orderType"),
      lastQty: readQuantity(r, "lastQty"),
      lastPx: readPrice(r, "lastPx"),
      commission: readMoney(r, "commission"),
      liquiditySide: LiquiditySides.decode(r, "liquiditySide"),
    }),
  ),
] as const;

function positionEvent<T extends PositionEvent["type"]>(id: number, type: T): BodyCodec<PositionEvent> {
  return {
    id,
    name: type,
    encode(w, e) {
      w.str(e.eventId, "eventId");
      w.f64(e.tsEvent);
      w.f64(e.tsInit);
      w.str(e.positionId.value, "positionId");
      w.str(e.strategyId.value, "strategyId");
      w.str(e.instrumentId.value, "instrumentId");
      w.str(e.accountId.value, "accountId");
      PositionSides.encode(w, e.side);
      w.str(e.signedQty, "signedQty");
      writeQuantity(w, e.quantity);
      w.f64(e.avgPxOpen);
      writeMoney(w, e.realizedPnl);
      writeMoney(w, e.unrealizedPnl);
      w.str(e.lastFillEventId, "lastFillEventId");
      if (e.type === "PositionClosed") {
        w.f64(e.avgPxClose);
        w.f64(e.durationMicros);
      }
    },
    decode(r) {
      const base = {
        type,
        eventId: r.str("eventId"),
        tsEvent: r.int("tsEvent"),
        tsInit: r.int("tsInit"),
        positionId: new PositionId(r.str("positionId")),
        strategyId: new StrategyId(r.internedStr("strategyId")),
        instrumentId: readInstrumentId(r, "instrumentId"),
        accountId: new AccountId(r.internedStr("accountId")),
        side: PositionSides.decode(r, "side"),
        signedQty: r.str("signedQty"),
        quantity: readQuantity(r, "quantity"),
        avgPxOpen: r.f64("avgPxOpen"),
        realizedPnl: readMoney(r, "realizedPnl"),
        unrealizedPnl: readMoney(r, "unrealizedPnl"),
        lastFillEventId: r.str("lastFillEventId"),
      };
      if (type === "PositionClosed") {
        return {
          ...base,
          avgPxClose: r.f64("avgPxClose"),
          durationMicros: r.int("durationMicros"),
        } as PositionEvent;
      }
      return base as PositionEvent;
    },
  };
}

export const POSITION_EVENT_CODECS = [
  positionEvent(48, "PositionOpened"),
  positionEvent(49, "PositionChanged"),
  positionEvent(50, "PositionClosed"),
] as const;

export const AccountStateCodec: BodyCodec<AccountState> = {
  id: 56,
  name: "AccountState",
  encode(w, e) {
    w.str(e.eventId, "eventId");
    w.f64(e.tsEvent);
    w.f64(e.tsInit);
    w.str(e.accountId.value, "accountId");
    AccountTypes.encode(w, e.accountType);
    writeOptStr(w, e.baseCurrency, "baseCurrency");
    w.u16(e.balances.length);
    for (const b of e.balances) {
      writeMoney(w, b.total);
      writeMoney(w, b.locked);
      writeMoney(w, b.free);
    }
    w.u16(e.margins.length);
    for (const m of e.margins) {
      w.str(m.instrumentId.value, "margin.instrumentId");
      writeMoney(w, m.initial);
      writeMoney(w, m.maintenance);
    }
    w.bool(e.reported);
  },
  decode(r) {
    const eventId = r.str("eventId");
    const tsEvent = r.int("tsEvent");
    const tsInit = r.int("tsInit");
    const accountIdValue = new AccountId(r.internedStr("accountId"));
    const accountType = AccountTypes.decode(r, "accountType");
    const baseCurrency = readOptStr(r, "baseCurrency");
    const nb = r.u16("balances.length");
    const balances: AccountBalance[] = [];
    for (let i = 0; i < nb; i++) {
      balances.push({
        total: readMoney(r, "balance.total"),
        locked: readMoney(r, "balance.locked"),
        free: readMoney(r, "balance.free"),
      });
    }
    const nm = r.u16("margins.length");
    const margins: MarginBalance[] = [];
    for (let i = 0; i < nm; i++) {
      margins.push({
        instrumentId: readInstrumentId(r, "margin.instrumentId"),
        initial: readMoney(r, "margin.initial"),
        maintenance: readMoney(r, "margin.maintenance"),
      });
    }
    return {
      type: "AccountState",
      eventId,
      tsEvent,
      tsInit,
      accountId: accountIdValue,
      accountType,
      baseCurrency,
      balances,
      margins,
      reported: r.bool("reported"),
    };
  },
};
