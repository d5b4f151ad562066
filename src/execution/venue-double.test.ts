/**
 * An honest in-test venue double implementing {@link ExecutionClient}: it keeps its own order
 * book of client orders, acknowledges immediately or only when told (`ackMode: "manual"`), can
 * drop acknowledgements (to exercise in-flight timeouts), and fills only when a test says so.
 * It is a test helper (never part of the build); its own behaviour is tested at the bottom,
 * only when this file itself is the test being run.
 */
import { describe, expect, it } from "vitest";
import type { TestClock } from "../core/clock.js";
import { Kernel } from "../core/kernel.js";
import { currency } from "../model/currency.js";
import { QuoteTick, TradeTick } from "../model/data.js";
import { AggressorSide, LiquiditySide, OrderSide, OrderStatus, OrderType } from "../model/enums.js";
import type { OrderEvent } from "../model/events.js";
import {
  AccountId,
  type ClientOrderId,
  ClientOrderId as ClientOrderIdClass,
  InstrumentId,
  StrategyId,
  VenueOrderId,
} from "../model/identifiers.js";
import { CurrencyPair, type InstrumentSpec } from "../model/instruments.js";
import { createOrder, type Order, type OrderSpec } from "../model/orders.js";
import { Money, Price, Quantity } from "../model/values.js";
import type { OrderCache } from "./cache.js";
import type {
  BalanceReport,
  ExecutionClient,
  ExecutionReportSink,
  OrderStatusReport,
  PositionReport,
  TradeReport,
  VenueCapabilities,
  VenueEditRequest,
  VenueOrderRequest,
} from "./client.js";
import { ContingencyManager } from "./contingency.js";
import { OrderEmulator } from "./emulator.js";
import { ExecutionEngine, type ExecutionNotice } from "./engine.js";

export interface VenueOrder {
  request: VenueOrderRequest;
  venueOrderId: VenueOrderId;
  status: OrderStatus;
  quantity: Quantity;
  price: Price | null;
  triggerPrice: Price | null;
  filledRaw: number;
}

export interface FakeVenueOptions {
  venue?: string;
  account?: string;
  /** "auto": acknowledge every command at once; "manual": only on `ackAll()`; "drop": never. */
  ackMode?: "auto" | "manual" | "drop";
  native?: OrderType[];
  supportsModify?: boolean;
  now?: () => number;
}

export class FakeVenue implements ExecutionClient {
  readonly venue: string;
  readonly accountId: AccountId;
  readonly capabilities: VenueCapabilities;
  ackMode: "auto" | "manual" | "drop";
  private sink: ExecutionReportSink | null = null;
  readonly orders = new Map<string, VenueOrder>();
  readonly trades: TradeReport[] = [];
  readonly calls: string[] = [];
  private pending: (() => void)[] = [];
  private seq = 0;
  private tradeSeq = 0;
  private readonly now: () => number;
  /** When false, a created order is not even recorded (lost on the wire). */
  recordCreates = true;

  constructor(o: FakeVenueOptions = {}) {
    this.venue = o.venue ?? "SIM";
    this.accountId = new AccountId(o.account ?? `${this.venue}-001`);
    this.ackMode = o.ackMode ?? "auto";
    this.now = o.now ?? (() => 0);
    this.capabilities = {
      nativeOrderTypes: new Set(o.native ?? [OrderType.Market, OrderType.Limit]),
      supportsModify: o.supportsModify ?? true,
      supportsPostOnly: true,
      supportsReduceOnly: true,
    };
  }

  bind(sink: ExecutionReportSink): void {
    this.sink = sink;
  }

  private send(fn: () => void): void {
    if (this.ackMode === "auto") fn();
    else if (this.ackMode === "manual") this.pending.push(fn);
  }

  /** Delivers acknowledgements held in manual mode. */
  ackAll(): void {
    const p = this.pending;
    this.pending = [];
    for (const f of p) f();
  }

  createOrder(r: VenueOrderRequest): void {
    this.calls.push(
      `create ${r.clientOrderId} ${r.type} ${r.side} ${r.quantity}${r.price ? ` @ ${r.price}` : ""}`,
    );
    if (!this.recordCreates) return;
    const vo: VenueOrder = {
      request: r,
      venueOrderId: new VenueOrderId(`V-${++this.seq}`),
      status: OrderStatus.Accepted,
      quantity: r.quantity,
      price: r.price,
      triggerPrice: r.triggerPrice,
      filledRaw: 0,
    };
    this.orders.set(r.clientOrderId.value, vo);
    this.send(() =>
      this.sink?.onVenueReport({
        kind: "accepted",
        clientOrderId: r.clientOrderId,
        venueOrderId: vo.venueOrderId,
        ts: this.now(),
      }),
    );
  }

  cancelOrder(clientOrderId: ClientOrderId): void {
    this.calls.push(`cancel ${clientOrderId}`);
    const vo = this.orders.get(clientOrderId.value);
    this.send(() => {
      if (vo === undefined || vo.status === OrderStatus.Filled || vo.status === OrderStatus.Canceled) {
        this.sink?.onVenueReport({
          kind: "cancelRejected",
          clientOrderId,
          reason: "order not open",
          ts: this.now(),
        });
        return;
      }
      vo.status = OrderStatus.Canceled;
      this.sink?.onVenueReport({ kind: "canceled", clientOrderId, ts: this.now() });
    });
  }

  editOrder(r: VenueEditRequest): void {
    this.calls.push(
      `edit ${r.clientOrderId}${r.quantity ? ` q=${r.quantity}` : ""}${r.price ? ` p=${r.price}` : ""}`,
    );
    const vo = this.orders.get(r.clientOrderId.value);
    this.send(() => {
      if (vo === undefined || vo.status === OrderStatus.Filled || vo.status === OrderStatus.Canceled) {
        this.sink?.onVenueReport({
          kind: "modifyRejected",
          clientOrderId: r.clientOrderId,
          reason: "order not open",
          ts: this.now(),
        });
        return;
      }
      if (r.quantity) vo.quantity = r.quantity;
      if (r.price) vo.price = r.price;
      if (r.triggerPrice) vo.triggerPrice = r.triggerPrice;
      this.sink?.onVenueReport({
        kind: "updated",
        clientOrderId: r.clientOrderId,
        venueOrderId: vo.venueOrderId,
        quantity: r.quantity,
        price: r.price,
        triggerPrice: r.triggerPrice,
        ts: this.now(),
      });
    });
  }

  /** Fills `qty` (default: all remaining) of an order at `px`, reporting at once. */
  fill(clientOrderId: string, px: Price, qty?: string, report = true): void {
    const vo = this.orders.get(clientOrderId);
    if (vo === undefined) throw new Error(`fake venue: no order ${clientOrderId}`);
    const q =
      qty === undefined
        ? Quantity.fromRaw(vo.quantity.raw - vo.filledRaw, vo.quantity.precision)
        : Quantity.parse(qty, vo.quantity.precision);
    vo.filledRaw += q.raw;
    vo.status = vo.filledRaw >= vo.quantity.raw ? OrderStatus.Filled : OrderStatus.PartiallyFilled;
    const t: TradeReport = {
      clientOrderId: vo.request.clientOrderId,
      venueOrderId: vo.venueOrderId,
      instrumentId: vo.request.instrumentId,
      tradeId: `T-${++this.tradeSeq}`,
      side: vo.request.side,
      lastQty: q,
      lastPx: px,
      commission: Money.zero(currency("USDT")),
      liquiditySide: LiquiditySide.Taker,
      tsEvent: this.now(),
    };
    this.trades.push(t);
    if (report) {
      this.sink?.onVenueReport({
        kind: "filled",
        clientOrderId: t.clientOrderId,
        venueOrderId: t.venueOrderId,
        tradeId: t.tradeId,
        lastQty: t.lastQty,
        lastPx: t.lastPx,
        commission: t.commission,
        liquiditySide: t.liquiditySide,
        ts: t.tsEvent,
      });
    }
  }

  private report(vo: VenueOrder): OrderStatusReport {
    return {
      clientOrderId: vo.request.clientOrderId,
      venueOrderId: vo.venueOrderId,
      instrumentId: vo.request.instrumentId,
      status: vo.status,
      quantity: vo.quantity,
      filledQty: Quantity.fromRaw(vo.filledRaw, vo.quantity.precision),
      price: vo.price,
      triggerPrice: vo.triggerPrice,
      reason: null,
      tsLast: this.now(),
    };
  }

  async fetchOrder(clientOrderId: ClientOrderId): Promise<OrderStatusReport | null> {
    this.calls.push(`fetchOrder ${clientOrderId}`);
    const vo = this.orders.get(clientOrderId.value);
    return vo === undefined ? null : this.report(vo);
  }

  async fetchOpenOrders(): Promise<OrderStatusReport[]> {
    return [...this.orders.values()]
      .filter((v) => v.status === OrderStatus.Accepted || v.status === OrderStatus.PartiallyFilled)
      .map((v) => this.report(v));
  }

  async fetchMyTrades(_i: InstrumentId, clientOrderId?: ClientOrderId): Promise<TradeReport[]> {
    this.calls.push(`fetchMyTrades ${clientOrderId ?? ""}`);
    return this.trades.filter(
      (t) => clientOrderId === undefined || t.clientOrderId.value === clientOrderId.value,
    );
  }

  async fetchPositions(): Promise<PositionReport[]> {
    return [];
  }

  async fetchBalance(): Promise<BalanceReport> {
    return { accountId: this.accountId, balances: [], tsLast: this.now() };
  }
}

/** A backtest node with one instrument (BTCUSDT.SIM, tick 0.01, lot 0.001), an engine and a fake venue. */
export function makeNode(
  options: FakeVenueOptions & {
    inflightTimeoutUs?: number;
    instrument?: Partial<InstrumentSpec>;
    cache?: OrderCache;
  } = {},
) {
  const kernel = new Kernel({ traderId: "T", mode: "backtest", seed: 1 });
  const clock = kernel.clock as TestClock;
  clock.setTime(1_000_000);
  const inst = new CurrencyPair({
    id: InstrumentId.parse(`BTCUSDT.${options.venue ?? "SIM"}`),
    baseCurrency: currency("BTC"),
    quoteCurrency: currency("USDT"),
    priceIncrement: "0.01",
    sizeIncrement: "0.001",
    minQuantity: "0.001",
    ...options.instrument,
  });
  const engine = new ExecutionEngine({
    instruments: new Map([[inst.id, inst]]),
    inflightTimeoutUs: options.inflightTimeoutUs ?? 1_000_000,
    maxInflightQueries: 3,
    cache: options.cache,
  });
  kernel.add(engine);
  const venue = new FakeVenue({ now: () => clock.timestampUs(), ...options });
  engine.registerClient(venue);
  const emulator = new OrderEmulator(engine, (t, h) => kernel.bus.subscribe(t, h));
  const contingency = new ContingencyManager(engine);
  kernel.start();
  const events: OrderEvent[] = [];
  const notices: ExecutionNotice[] = [];
  kernel.bus.subscribe<OrderEvent>("events.order.*", (e) => events.push(e));
  kernel.bus.subscribe<ExecutionNotice>("events.system.execution", (n) => notices.push(n));
  const strategy = new StrategyId("S-1");
  let n = 0;
  const order = (spec: Partial<OrderSpec> = {}): Order =>
    createOrder({
      strategyId: strategy,
      instrumentId: inst.id,
      clientOrderId: new ClientOrderIdClass(`O-${++n}`),
      side: OrderSide.Buy,
      type: OrderType.Limit,
      quantity: Quantity.parse("1.000"),
      price: Price.parse("100.00"),
      tsInit: clock.timestampUs(),
      ...spec,
    });
  const submit = (o: Order) =>
    engine.execute({
      type: "SubmitOrder",
      commandId: `C-${o.clientOrderId}`,
      strategyId: o.strategyId,
      instrumentId: o.instrumentId,
      tsInit: clock.timestampUs(),
      order: o,
      positionId: null,
    });
  const cancel = (id: string) =>
    engine.execute({
      type: "CancelOrder",
      commandId: `C-cancel-${id}`,
      strategyId: strategy,
      instrumentId: inst.id,
      tsInit: clock.timestampUs(),
      clientOrderId: new ClientOrderIdClass(id),
      venueOrderId: null,
    });
  const modify = (
    id: string,
    quantity: Quantity | null,
    price: Price | null,
    triggerPrice: Price | null = null,
  ) =>
    engine.execute({
      type: "ModifyOrder",
      commandId: `C-modify-${id}`,
      strategyId: strategy,
      instrumentId: inst.id,
      tsInit: clock.timestampUs(),
      clientOrderId: new ClientOrderIdClass(id),
      venueOrderId: null,
      quantity,
      price,
      triggerPrice,
    });
  const px = (s: string) => Price.parse(s, 2);
  const qty = (s: string) => Quantity.parse(s, 3);
  const quote = (bid: string, ask: string) =>
    kernel.bus.publish(
      `data.quotes.${inst.id.value}`,
      new QuoteTick(inst.id, px(bid), px(ask), qty("1"), qty("1"), clock.timestampUs(), clock.timestampUs()),
    );
  const trade = (price: string, size = "1") =>
    kernel.bus.publish(
      `data.trades.${inst.id.value}`,
      new TradeTick(
        inst.id,
        px(price),
        qty(size),
        AggressorSide.Buyer,
        `t${clock.timestampUs()}`,
        clock.timestampUs(),
        clock.timestampUs(),
      ),
    );
  return {
    kernel,
    clock,
    inst,
    engine,
    venue,
    emulator,
    contingency,
    events,
    notices,
    strategy,
    order,
    submit,
    cancel,
    modify,
    px,
    qty,
    quote,
    trade,
  };
}

if (expect.getState().testPath?.endsWith("venue-double.test.ts")) {
  describe("FakeVenue (test double)", () => {
    it("acknowledges at once in auto mode and answers queries", async () => {
      const v = new FakeVenue();
      const reports: string[] = [];
      v.bind({ onVenueReport: (r) => reports.push(r.kind) });
      const id = InstrumentId.parse("X.SIM");
      const { ClientOrderId } = await import("../model/identifiers.js");
      const coid = new ClientOrderId("A");
      v.createOrder({
        clientOrderId: coid,
        instrumentId: id,
        side: OrderSide.Buy,
        type: OrderType.Market,
        quantity: Quantity.parse("1"),
        price: null,
        triggerPrice: null,
        timeInForce: "IOC" as never,
        postOnly: false,
        reduceOnly: false,
        displayQty: null,
        tsInit: 0,
      });
      expect(reports).toEqual(["accepted"]);
      expect((await v.fetchOrder(coid))?.status).toBe(OrderStatus.Accepted);
      expect(await v.fetchOrder(new ClientOrderId("B"))).toBeNull();
    });
  });
}
