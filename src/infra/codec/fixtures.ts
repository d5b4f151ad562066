/**
 * One sample of every wire message type, for round-trip tests, bridge tests and benchmarks.
 * Values exercise the edges: negative prices, nulls and non-nulls, non-ASCII text.
 */
import type { TradingCommand } from "../../model/commands.js";
import { currency } from "../../model/currency.js";
import {
  Bar,
  BarType,
  BookFlags,
  BookLevel,
  BookOrder,
  MarkPriceUpdate,
  OrderBookDelta,
  OrderBookDeltas,
  OrderBookDepth,
  QuoteTick,
  TradeTick,
} from "../../model/data.js";
import {
  AccountType,
  AggressorSide,
  BookAction,
  BookSide,
  ContingencyType,
  LiquiditySide,
  OrderSide,
  OrderType,
  PositionSide,
  TimeInForce,
  TrailingOffsetType,
  TriggerType,
} from "../../model/enums.js";
import type { AccountState, OrderEvent, PositionEvent } from "../../model/events.js";
import {
  AccountId,
  ClientOrderId,
  InstrumentId,
  PositionId,
  StrategyId,
  VenueOrderId,
} from "../../model/identifiers.js";
import { createOrder } from "../../model/orders.js";
import { Money, Price, Quantity } from "../../model/values.js";
import type { WireMessage } from "./codec.js";

export const BTC = InstrumentId.parse("BTCUSDT.BINANCE");
const T0 = 1_700_000_000_000_000;
const px = (s: string) => Price.parse(s);
const qty = (s: string) => Quantity.parse(s);
const usdt = (s: string) => Money.parse(s, currency("USDT"));
const strategy = new StrategyId("EMA-CROSS-001");
const account = new AccountId("BINANCE-001");
const coid = new ClientOrderId("O-20240101-001");

/** A trade of instrument `id` with sequence `n` (for streams of distinct messages). */
export function sampleTrade(n: number, id: InstrumentId = BTC): TradeTick {
  return new TradeTick(
    id,
    Price.fromRaw(6_165_970 + (n % 1000), 2),
    Quantity.fromRaw(12_345 + n, 5),
    n % 2 === 0 ? AggressorSide.Buyer : AggressorSide.Seller,
    String(100_000_000 + n),
    T0 + n,
    T0 + n + 1,
  );
}

const orderHead = (n: number) => ({
  eventId: `E-${n}`,
  tsEvent: T0 + n,
  tsInit: T0 + n + 5,
  strategyId: strategy,
  instrumentId: BTC,
  clientOrderId: coid,
});

const limitOrder = createOrder({
  strategyId: strategy,
  instrumentId: BTC,
  clientOrderId: coid,
  side: OrderSide.Buy,
  type: OrderType.Limit,
  quantity: qty("0.500"),
  price: px("61000.10"),
  timeInForce: TimeInForce.GTD,
  expireTime: T0 + 60_000_000,
  postOnly: true,
  displayQty: qty("0.100"),
  contingencyType: ContingencyType.OTO,
  linkedOrderIds: [new ClientOrderId("O-TP"), new ClientOrderId("O-SL")],
  tags: ["entry", "größe"],
  tsInit: T0,
});
const trailingOrder = createOrder({
  strategyId: strategy,
  instrumentId: BTC,
  clientOrderId: new ClientOrderId("O-SL"),
  side: OrderSide.Sell,
  type: OrderType.TrailingStopLimit,
  quantity: qty("0.500"),
  price: px("60000.00"),
  triggerPrice: px("60010.00"),
  triggerType: TriggerType.MarkPrice,
  trailingOffset: 25,
  limitOffset: 5,
  trailingOffsetType: TrailingOffsetType.BasisPoints,
  reduceOnly: true,
  parentOrderId: coid,
  emulated: true,
  tsInit: T0,
});

const positionBase = {
  eventId: "P-E-1",
  tsEvent: T0 + 10,
  tsInit: T0 + 11,
  positionId: new PositionId("BTCUSDT.BINANCE-EMA-CROSS-001"),
  strategyId: strategy,
  instrumentId: BTC,
  accountId: account,
  side: PositionSide.Short,
  signedQty: "-0.500",
  quantity: qty("0.500"),
  avgPxOpen: 61000.1,
  realizedPnl: usdt("-1.25"),
  unrealizedPnl: usdt("3.50000001"),
  lastFillEventId: "E-14",
};

const bookDeltas = new OrderBookDeltas(
  BTC,
  [
    new OrderBookDelta(BTC, BookAction.Clear, null, BookFlags.Snapshot, 10, T0, T0 + 1),
    new OrderBookDelta(
      BTC,
      BookAction.Add,
      new BookOrder(BookSide.Bid, px("61000.10"), qty("1.25000"), 0),
      BookFlags.Snapshot,
      10,
      T0,
      T0 + 1,
    ),
    new OrderBookDelta(
      BTC,
      BookAction.Update,
      new BookOrder(BookSide.Ask, px("61000.20"), qty("0.00000"), 987_654_321),
      BookFlags.Snapshot | BookFlags.Last,
      11,
      T0,
      T0 + 1,
    ),
  ],
  true,
  9,
  11,
  8,
  T0,
  T0 + 1,
  -123_456_789,
);

/** Every wire type once, by type name. */
export function sampleMessages(): Record<string, WireMessage> {
  const orderEvents: OrderEvent[] = [
    {
      type: "OrderInitialized",
      ...orderHead(1),
      side: OrderSide.Buy,
      orderType: OrderType.Limit,
      quantity: qty("0.500"),
      timeInForce: TimeInForce.GTC,
    },
    { type: "OrderDenied", ...orderHead(2), reasonCode: "RISK_MAX_NOTIONAL", reason: "notional 1e6 > 5e5 ✗" },
    { type: "OrderSubmitted", ...orderHead(3), accountId: account },
    { type: "OrderAccepted", ...orderHead(4), accountId: account, venueOrderId: new VenueOrderId("V-1") },
    {
      type: "OrderRejected",
      ...orderHead(5),
      accountId: account,
      reasonCode: "POST_ONLY",
      reason: "would take",
    },
    { type: "OrderTriggered", ...orderHead(6), venueOrderId: null },
    { type: "OrderPendingUpdate", ...orderHead(7) },
    { type: "OrderPendingCancel", ...orderHead(8) },
    {
      type: "OrderUpdated",
      ...orderHead(9),
      venueOrderId: new VenueOrderId("V-1"),
      quantity: qty("0.400"),
      price: null,
      triggerPrice: px("-5.5"),
    },
    { type: "OrderModifyRejected", ...orderHead(10), reason: "too late" },
    { type: "OrderCancelRejected", ...orderHead(11), reason: "unknown order" },
    { type: "OrderCanceled", ...orderHead(12) },
    { type: "OrderExpired", ...orderHead(13) },
    {
      type: "OrderFilled",
      ...orderHead(14),
      accountId: account,
      venueOrderId: new VenueOrderId("V-1"),
      tradeId: "T-77",
      positionId: new PositionId("BTCUSDT.BINANCE-EMA-CROSS-001"),
      orderSide: OrderSide.Buy,
      orderType: OrderType.Limit,
      lastQty: qty("0.250"),
      lastPx: px("61000.10"),
      commission: usdt("0.61000100"),
      liquiditySide: LiquiditySide.Maker,
    },
  ];
  const positionEvents: PositionEvent[] = [
    { type: "PositionOpened", ...positionBase },
    { type: "PositionChanged", ...positionBase, side: PositionSide.Long, signedQty: "0.250" },
    {
      type: "PositionClosed",
      ...positionBase,
      side: PositionSide.Flat,
      avgPxClose: 60999.5,
      durationMicros: 42,
    },
  ];
  const accountState: AccountState = {
    type: "AccountState",
    eventId: "A-1",
    tsEvent: T0,
    tsInit: T0,
    accountId: account,
    accountType: AccountType.Margin,
    baseCurrency: null,
    balances: [{ total: usdt("1000"), locked: usdt("10.5"), free: usdt("989.5") }],
    margins: [{ instrumentId: BTC, initial: usdt("5"), maintenance: usdt("2.5") }],
    reported: true,
  };
  const cmdBase = { strategyId: strategy, instrumentId: BTC, tsInit: T0 };
  const commands: TradingCommand[] = [
    { type: "SubmitOrder", commandId: "C-1", ...cmdBase, order: limitOrder, positionId: null },
    { type: "SubmitOrderList", commandId: "C-2", ...cmdBase, orders: [limitOrder, trailingOrder] },
    {
      type: "ModifyOrder",
      commandId: "C-3",
      ...cmdBase,
      clientOrderId: coid,
      venueOrderId: null,
      quantity: null,
      price: px("61000.50"),
      triggerPrice: null,
    },
    {
      type: "CancelOrder",
      commandId: "C-4",
      ...cmdBase,
      clientOrderId: coid,
      venueOrderId: new VenueOrderId("V-1"),
    },
    { type: "CancelAllOrders", commandId: "C-5", ...cmdBase, side: OrderSide.Sell },
  ];
  const out: Record<string, WireMessage> = {
    TradeTick: sampleTrade(1),
    QuoteTick: new QuoteTick(BTC, px("61000.10"), px("61000.20"), qty("1.5"), qty("0.25"), T0, T0 + 2),
    OrderBookDeltas: bookDeltas,
    OrderBookDepth: new OrderBookDepth(
      BTC,
      [new BookLevel(px("61000.10"), qty("1.5"), 3), new BookLevel(px("61000.00"), qty("2"), 0)],
      [new BookLevel(px("61000.20"), qty("0.75"), 1)],
      12345,
      T0,
      T0 + 3,
    ),
    Bar: new Bar(
      BarType.parse("BTCUSDT.BINANCE-1-MINUTE-LAST-EXTERNAL"),
      px("100.0"),
      px("101.5"),
      px("99.5"),
      px("100.5"),
      qty("12.345"),
      T0 - 60_000_000,
      T0,
      T0 + 4,
    ),
    MarkPriceUpdate: new MarkPriceUpdate(BTC, px("61000.15"), px("60999.99"), "0.00010000", T0 + 1e9, T0, T0),
  };
  for (const m of [...orderEvents, ...positionEvents, accountState, ...commands]) out[m.type] = m;
  // A lockstep frame of `botv6 node` carrying two opaque items.
  out.NodeFrame = {
    type: "NodeFrame",
    eventId: "ack:ACC-1:7",
    key: "ACC-1",
    kind: "ack",
    step: 7,
    items: [new Uint8Array([1, 2, 3]), new Uint8Array(0)],
  };
  return out;
}
