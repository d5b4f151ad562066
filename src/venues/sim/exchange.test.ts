import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TestClock } from "../../core/clock.js";
import { Rng } from "../../core/rng.js";
import { OrderBook } from "../../data/book/order-book.js";
import type { ExecutionReportSink, VenueOrderRequest, VenueReport } from "../../execution/client.js";
import { currency } from "../../model/currency.js";
import {
  Bar,
  BarAggregation,
  BarSpecification,
  BarType,
  BookFlags,
  BookOrder,
  MarkPriceUpdate,
  OrderBookDelta,
  OrderBookDeltas,
  QuoteTick,
  TradeTick,
} from "../../model/data.js";
import {
  AggressorSide,
  BookAction,
  BookSide,
  OrderSide,
  OrderStatus,
  OrderType,
  PriceType,
  TimeInForce,
  TrailingOffsetType,
  TriggerType,
} from "../../model/enums.js";
import { AccountId, ClientOrderId, InstrumentId } from "../../model/identifiers.js";
import { CurrencyPair } from "../../model/instruments.js";
import { btcUsdtPerp } from "../../model/testing.js";
import { Price, Quantity } from "../../model/values.js";
import { type FillModelKind, SimulatedExchange, type SimulatedExchangeConfig } from "./exchange.js";
import { commissionRaw, parseRate } from "./fees.js";
import { barPath, queueAfterLevelUpdate } from "./fill-models.js";
import { loadBinanceUsdm } from "./replay-support.js";

const ID = InstrumentId.of("BTCUSD", "SIM");
const INST = new CurrencyPair({
  id: ID,
  baseCurrency: currency("BTC"),
  quoteCurrency: currency("USD"),
  priceIncrement: "0.1",
  sizeIncrement: "0.001",
  minQuantity: "0.001",
  minNotional: "5",
  makerFee: "0.0002",
  takerFee: "0.0005",
});
const T0 = 1_700_000_000_000_000;

interface Harness {
  ex: SimulatedExchange;
  clock: TestClock;
  reports: VenueReport[];
  /** Delivery time of each report. */
  times: number[];
  /** Compact text of the reports so far (then cleared). */
  take(): string[];
  submit(
    side: "B" | "S",
    type: OrderType,
    qty: string,
    price?: string | null,
    extra?: Partial<VenueOrderRequest>,
  ): ClientOrderId;
  cancel(id: ClientOrderId): void;
  book(bids: [string, string][], asks: [string, string][], snapshot?: boolean): void;
  trade(price: string, size: string, aggressor: AggressorSide): void;
  quote(bid: string, bidSize: string, ask: string, askSize: string): void;
  bar(o: string, h: string, l: string, c: string): void;
}

let seqNo = 0;

function harness(fillModel: FillModelKind, extra: Partial<SimulatedExchangeConfig> = {}): Harness {
  const clock = new TestClock(T0);
  const reports: VenueReport[] = [];
  const times: number[] = [];
  const sink: ExecutionReportSink = {
    onVenueReport(r) {
      reports.push(r);
      times.push(clock.timestampUs());
    },
  };
  const ex = new SimulatedExchange({
    venue: "SIM",
    accountId: new AccountId("SIM-001"),
    instruments: [INST],
    clock,
    rng: new Rng(7),
    fillModel,
    ...extra,
  });
  ex.bind(sink);
  let n = 0;
  let barOpen = T0;
  const tick = () => clock.advanceTo(clock.timestampUs() + 1);
  return {
    ex,
    clock,
    reports,
    times,
    take() {
      const out = reports.map(fmt);
      reports.length = 0;
      times.length = 0;
      return out;
    },
    submit(side, type, qty, price = null, extra2 = {}) {
      const id = new ClientOrderId(`C${++n}`);
      ex.createOrder({
        clientOrderId: id,
        instrumentId: ID,
        side: side === "B" ? OrderSide.Buy : OrderSide.Sell,
        type,
        quantity: Quantity.parse(qty),
        price: price === null ? null : Price.parse(price),
        triggerPrice: null,
        timeInForce: type === OrderType.Market ? TimeInForce.IOC : TimeInForce.GTC,
        postOnly: false,
        reduceOnly: false,
        displayQty: null,
        tsInit: clock.timestampUs(),
        ...extra2,
      });
      return id;
    },
    cancel(id) {
      ex.cancelOrder(id, null, ID);
    },
    book(bids, asks, snapshot = false) {
      tick();
      const t = clock.timestampUs();
      const ds: OrderBookDelta[] = [];
      if (snapshot) ds.push(new OrderBookDelta(ID, BookAction.Clear, null, 0, 0, t, t));
      for (const [side, list] of [
        [BookSide.Bid, bids],
        [BookSide.Ask, asks],
      ] as const) {
        for (const [p, s] of list) {
          const size = Quantity.parse(s);
          ds.push(
            new OrderBookDelta(
              ID,
              size.isZero() ? BookAction.Delete : BookAction.Update,
              new BookOrder(side, Price.parse(p), size, 0),
              0,
              0,
              t,
              t,
            ),
          );
        }
      }
      ex.processBookDeltas(new OrderBookDeltas(ID, ds, snapshot, ++seqNo, seqNo, seqNo - 1, t, t));
    },
    trade(price, size, aggressor) {
      tick();
      const t = clock.timestampUs();
      ex.processTrade(
        new TradeTick(ID, Price.parse(price), Quantity.parse(size), aggressor, `t${++seqNo}`, t, t),
      );
    },
    quote(bid, bidSize, ask, askSize) {
      tick();
      const t = clock.timestampUs();
      ex.processQuote(
        new QuoteTick(
          ID,
          Price.parse(bid),
          Price.parse(ask),
          Quantity.parse(bidSize),
          Quantity.parse(askSize),
          t,
          t,
        ),
      );
    },
    bar(o, h, l, c) {
      const open = barOpen;
      barOpen += 60_000_000;
      clock.advanceTo(barOpen);
      const bt = new BarType(ID, new BarSpecification(1, BarAggregation.Minute, PriceType.Last));
      ex.processBar(
        new Bar(
          bt,
          Price.parse(o),
          Price.parse(h),
          Price.parse(l),
          Price.parse(c),
          Quantity.parse("1"),
          open,
          barOpen,
          barOpen,
        ),
      );
    },
  };
}

function fmt(r: VenueReport): string {
  const id = r.clientOrderId.value;
  switch (r.kind) {
    case "filled":
      return `${id} filled ${r.lastQty}@${r.lastPx} ${r.liquiditySide} fee ${r.commission.toDecimalString()}`;
    case "rejected":
      return `${id} rejected ${r.reasonCode}`;
    case "cancelRejected":
    case "modifyRejected":
      return `${id} ${r.kind} ${r.reason}`;
    case "updated":
      return `${id} updated q=${r.quantity ?? "-"} p=${r.price ?? "-"}`;
    default:
      return `${id} ${r.kind}`;
  }
}

describe("pure rules", () => {
  it("queue after a level update: increases keep it, cancels come pro rata from ahead", () => {
    // Level 5.000 -> 3.000 with 1.000 traded since the last update: 1.000 cancels, level after
    // the trade 4.000; queue 2.000 loses floor(1.000 * 2.000 / 4.000) = 0.500.
    expect(queueAfterLevelUpdate(2000, 5000, 3000, 1000)).toBe(1500);
    expect(queueAfterLevelUpdate(2000, 3000, 5000, 0)).toBe(2000);
    // Decrease fully explained by trades: no change; capped by the new size.
    expect(queueAfterLevelUpdate(2000, 5000, 4000, 1000)).toBe(2000);
    expect(queueAfterLevelUpdate(3000, 3000, 1000, 0)).toBe(1000);
    expect(queueAfterLevelUpdate(3000, 3000, 0, 0)).toBe(0);
    // Rounding: floor of the reduction (the queue stays the larger).
    expect(queueAfterLevelUpdate(1, 3, 2, 0)).toBe(1);
  });

  it("bar path by proximity and the fixed rules", () => {
    expect(barPath(101, 105, 95, 100, "proximity")).toEqual([101, 105, 95, 100]);
    expect(barPath(99, 105, 95, 100, "proximity")).toEqual([99, 95, 105, 100]);
    expect(barPath(100, 105, 95, 100, "proximity")).toEqual([100, 105, 95, 100]);
    expect(barPath(99, 105, 95, 100, "ohlc")).toEqual([99, 105, 95, 100]);
    expect(barPath(101, 105, 95, 100, "olhc")).toEqual([101, 95, 105, 100]);
  });

  it("commission is exact, half-even once, BigInt when large", () => {
    const taker = parseRate("0.0005", "t");
    // 1.250 @ 100.0 = 125.000; x 0.0005 = 0.0625 -> 0.06 (tie to even)
    expect(commissionRaw(1000, 1, 1250, 3, 1, taker, 2)).toBe(6);
    // 1.500 @ 100.0 = 150; x 0.0005 = 0.075 -> 0.08 (tie to even)
    expect(commissionRaw(1000, 1, 1500, 3, 1, taker, 2)).toBe(8);
    // rebate
    expect(commissionRaw(1000, 1, 1500, 3, 1, parseRate("-0.0001", "m"), 2)).toBe(-2);
    // big: 61659.70 x 123456.789 x 0.00045 at 8 dp
    const big = commissionRaw(6165970, 2, 123456789, 3, 1, parseRate("0.00045", "t"), 8);
    // scale 2 + 3 + 5 = 10 -> 8: divide by 100; the remainder is exactly half: to even
    const p = 6165970n * 123456789n * 45n;
    expect(p % 100n).toBe(50n);
    const q = p / 100n;
    expect(big).toBe(Number(q % 2n === 0n ? q : q + 1n));
    expect(p).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
  });
});

describe("L2 fill model", () => {
  it("walks the recorded levels; taken liquidity stays gone until that level updates", () => {
    const h = harness("l2");
    h.book(
      [["100.0", "1"]],
      [
        ["100.1", "1"],
        ["100.2", "2"],
      ],
      true,
    );
    h.submit("B", OrderType.Limit, "2", "100.2", { timeInForce: TimeInForce.IOC });
    expect(h.take()).toEqual([
      "C1 accepted",
      "C1 filled 1.000@100.1 TAKER fee 0.05",
      "C1 filled 1.000@100.2 TAKER fee 0.05",
    ]);
    // 1.000 left at 100.2: a market order for 2 fills 1 and the rest is canceled (partial).
    h.submit("B", OrderType.Market, "2");
    expect(h.take()).toEqual(["C2 accepted", "C2 filled 1.000@100.2 TAKER fee 0.05", "C2 canceled"]);
    // An update of 100.1 refreshes that level only; 100.2 stays consumed.
    h.book([], [["100.1", "0.5"]]);
    h.submit("B", OrderType.Market, "1");
    expect(h.take()).toEqual(["C3 accepted", "C3 filled 0.500@100.1 TAKER fee 0.03", "C3 canceled"]);
    h.book([], [["100.2", "2"]]);
    h.submit("B", OrderType.Market, "1");
    expect(h.take()).toEqual(["C4 accepted", "C4 filled 1.000@100.2 TAKER fee 0.05"]);
    expect(h.ex.positionRaw(ID)).toBe(4500);
  });

  it("queue position: joins behind the displayed size; trades and cancels ahead reduce it; fills after", () => {
    const h = harness("l2");
    h.book([["100.0", "3"]], [["100.5", "1"]], true);
    const id = h.submit("B", OrderType.Limit, "1", "100.0");
    expect(h.take()).toEqual(["C1 accepted"]);
    expect(h.ex.queueAheadOf(id)).toBe(3000);
    h.book([["100.0", "5"]], []); // others join behind: unchanged
    expect(h.ex.queueAheadOf(id)).toBe(3000);
    h.trade("100.0", "1", AggressorSide.Seller); // 1.000 traded ahead
    expect(h.ex.queueAheadOf(id)).toBe(2000);
    expect(h.take()).toEqual([]);
    // 5 -> 3: 1.000 explained by the trade, 1.000 cancels; level after the trade 4.000;
    // queue ahead 2.000 loses floor(1.000 x 2.000 / 4.000) = 0.500.
    h.book([["100.0", "3"]], []);
    expect(h.ex.queueAheadOf(id)).toBe(1500);
    // A buyer-initiated trade does not touch the bid queue.
    h.trade("100.0", "5", AggressorSide.Buyer);
    expect(h.ex.queueAheadOf(id)).toBe(1500);
    // 2.000 sold at 100.0: 1.500 ahead, then 0.500 to us.
    h.trade("100.0", "2", AggressorSide.Seller);
    expect(h.take()).toEqual(["C1 filled 0.500@100.0 MAKER fee 0.01"]);
    expect(h.ex.queueAheadOf(id)).toBe(0);
    h.trade("100.0", "0.7", AggressorSide.Seller);
    expect(h.take()).toEqual(["C1 filled 0.500@100.0 MAKER fee 0.01"]);
    expect(h.ex.queueAheadOf(id)).toBeUndefined();
  });

  it("a modify that keeps priority keeps the queue; a re-price joins the new level's queue", () => {
    const h = harness("l2");
    h.book(
      [
        ["100.0", "3"],
        ["99.9", "2"],
      ],
      [["100.5", "1"]],
      true,
    );
    const id = h.submit("B", OrderType.Limit, "1", "100.0");
    h.book([["100.0", "4"]], []);
    h.ex.editOrder({
      clientOrderId: id,
      venueOrderId: null,
      instrumentId: ID,
      quantity: Quantity.parse("0.5"),
      price: null,
      triggerPrice: null,
    });
    expect(h.ex.queueAheadOf(id)).toBe(3000);
    h.ex.editOrder({
      clientOrderId: id,
      venueOrderId: null,
      instrumentId: ID,
      quantity: null,
      price: Price.parse("99.9"),
      triggerPrice: null,
    });
    expect(h.ex.queueAheadOf(id)).toBe(2000);
    // A snapshot that shrinks the level: cancels pro rata, capped by the new size.
    h.book([["99.9", "0.5"]], [["100.5", "1"]], true);
    expect(h.ex.queueAheadOf(id)).toBe(500);
    expect(h.take()).toEqual(["C1 accepted", "C1 updated q=0.500 p=-", "C1 updated q=0.500 p=99.9"]);
  });

  it("two own orders at one price share a trade in time priority", () => {
    const h = harness("l2");
    h.book([["100.0", "1"]], [["100.5", "1"]], true);
    const a = h.submit("B", OrderType.Limit, "1", "100.0"); // ahead 1.000
    h.book([["100.0", "2"]], []);
    const b = h.submit("B", OrderType.Limit, "1", "100.0"); // ahead 2.000 (recorded), behind a
    expect([h.ex.queueAheadOf(a), h.ex.queueAheadOf(b)]).toEqual([1000, 2000]);
    h.take();
    // 2.500 sold: 1.000 ext, 1.000 a (filled), 0.500 of the 1.000 ext between a and b.
    h.trade("100.0", "2.5", AggressorSide.Seller);
    expect(h.take()).toEqual(["C1 filled 1.000@100.0 MAKER fee 0.02"]);
    expect(h.ex.queueAheadOf(b)).toBe(500);
  });

  it("a trade through the price fills the whole order at its price", () => {
    const h = harness("l2");
    h.book([["100.0", "3"]], [["100.5", "1"]], true);
    h.submit("B", OrderType.Limit, "0.4", "100.0");
    h.take();
    h.trade("99.9", "0.1", AggressorSide.Seller);
    expect(h.take()).toEqual(["C1 filled 0.400@100.0 MAKER fee 0.01"]);
  });

  it("the recorded book moving through a resting order fills it as maker, limited by the level", () => {
    const h = harness("l2");
    h.book([["99.0", "3"]], [["100.5", "1"]], true);
    h.submit("B", OrderType.Limit, "1", "100.0"); // improves the bid: queue 0
    h.take();
    h.book(
      [],
      [
        ["100.5", "0"],
        ["100.0", "0.4"],
      ],
    );
    expect(h.take()).toEqual(["C1 filled 0.400@100.0 MAKER fee 0.01"]);
    // What we took is gone from the recorded ask until it updates.
    expect(h.ex.recordedTouch(ID).ask).toBeNaN();
  });

  it("fees: maker vs taker to the last unit, and a fee override with a rebate", () => {
    const h = harness("l2");
    h.book([["99.0", "1"]], [["100.0", "5"]], true);
    h.submit("B", OrderType.Market, "1.5"); // 150 x 0.0005 = 0.075 -> 0.08
    h.submit("S", OrderType.Limit, "1.25", "100.0"); // joins ask 100.0 behind 3.500
    h.trade("100.1", "0.001", AggressorSide.Buyer); // through: 125 x 0.0002 = 0.025 -> 0.02
    expect(h.take()).toEqual([
      "C1 accepted",
      "C1 filled 1.500@100.0 TAKER fee 0.08",
      "C2 accepted",
      "C2 filled 1.250@100.0 MAKER fee 0.02",
    ]);
    const r = harness("l2", { fees: { maker: "-0.0001", taker: "0.001" } });
    r.book([["99.0", "1"]], [["100.0", "5"]], true);
    r.submit("B", OrderType.Market, "1.5");
    r.submit("S", OrderType.Limit, "1.5", "100.0");
    r.trade("100.1", "0.001", AggressorSide.Buyer);
    expect(r.take().filter((s) => s.includes("filled"))).toEqual([
      "C1 filled 1.500@100.0 TAKER fee 0.15",
      "C2 filled 1.500@100.0 MAKER fee -0.02",
    ]);
  });

  it("rejections: reduce-only, min notional, increments, min quantity, post-only", () => {
    const h = harness("l2");
    h.book([["99.0", "1"]], [["100.0", "5"]], true);
    h.submit("S", OrderType.Market, "0.1", null, { reduceOnly: true });
    h.submit("B", OrderType.Limit, "0.01", "99.0"); // 0.99 < 5
    h.submit("B", OrderType.Limit, "1", "99.05");
    h.submit("B", OrderType.Limit, "1.0005", "99.0");
    h.submit("B", OrderType.Limit, "1", "100.0", { postOnly: true });
    h.submit("B", OrderType.Market, "0.01"); // 0.01 x 100.0 (the ask) = 1 < 5
    expect(h.take()).toEqual([
      "C1 rejected REDUCE_ONLY_WOULD_INCREASE",
      "C2 rejected NOTIONAL_BELOW_MINIMUM",
      "C3 rejected PRICE_NOT_MULTIPLE_OF_TICK",
      "C4 rejected QUANTITY_NOT_MULTIPLE_OF_LOT",
      "C5 rejected POST_ONLY_WOULD_TAKE",
      "C6 rejected NOTIONAL_BELOW_MINIMUM",
    ]);
    // With a long position a reduce-only sell is accepted and capped to the position.
    h.submit("B", OrderType.Market, "0.2");
    h.submit("S", OrderType.Limit, "0.5", "101.0", { reduceOnly: true });
    expect(h.take()).toEqual([
      "C7 accepted",
      "C7 filled 0.200@100.0 TAKER fee 0.01",
      "C8 accepted",
      "C8 updated q=0.200 p=-",
    ]);
  });

  it("cancel of an unknown or filled order is refused", async () => {
    const h = harness("l2");
    h.book([["99.0", "1"]], [["100.0", "5"]], true);
    const a = h.submit("B", OrderType.Limit, "1", "99.0");
    h.cancel(a);
    h.cancel(a);
    expect(h.take()).toEqual(["C1 accepted", "C1 canceled", "C1 cancelRejected UNKNOWN_ORDER"]);
    const rep = await h.ex.fetchOrder(a, ID);
    expect(rep?.status).toBe("CANCELED");
  });
});

describe("trades + quotes model", () => {
  it("market orders fill at the touch up to the quote size; the touch refreshes only when it changes", () => {
    const h = harness("trades");
    h.quote("100.0", "1", "100.1", "0.5");
    h.submit("B", OrderType.Market, "1");
    expect(h.take()).toEqual(["C1 accepted", "C1 filled 0.500@100.1 TAKER fee 0.03", "C1 canceled"]);
    h.quote("100.0", "1", "100.1", "0.5"); // same quote: nothing new
    h.submit("B", OrderType.Market, "0.2");
    expect(h.take()).toEqual(["C2 accepted", "C2 canceled"]);
    h.quote("100.0", "1", "100.1", "0.8");
    h.submit("B", OrderType.Limit, "1", "100.1"); // GTC: 0.8 now, the rest rests at 100.1
    expect(h.take()).toEqual(["C3 accepted", "C3 filled 0.800@100.1 TAKER fee 0.04"]);
    expect(h.ex.engineOf(ID).bestBid()).toBe(1001);
  });

  it("limits fill from trades: queue at the touch, trade-through behind it", () => {
    const h = harness("trades");
    h.quote("100.0", "2", "100.1", "1");
    const a = h.submit("B", OrderType.Limit, "1", "100.0");
    const b = h.submit("B", OrderType.Limit, "1", "99.5");
    h.take();
    expect(h.ex.queueAheadOf(a)).toBe(2000);
    expect(h.ex.queueAheadOf(b)).toBe(Number.POSITIVE_INFINITY);
    h.quote("100.0", "2", "100.1", "1"); // identical touch: not an update
    h.quote("100.0", "5", "100.1", "1"); // joins behind: queue unchanged
    expect(h.ex.queueAheadOf(a)).toBe(2000);
    h.trade("100.0", "1", AggressorSide.Seller); // queue 1.000, traded 1.000
    h.quote("100.0", "4", "100.1", "1"); // decrease explained by the trade
    expect(h.ex.queueAheadOf(a)).toBe(1000);
    h.quote("100.0", "2", "100.1", "1"); // 2.000 cancels; level 4: 1.000 - floor(2 x 1 / 4) = 0.500
    expect(h.ex.queueAheadOf(a)).toBe(500);
    h.trade("100.0", "1", AggressorSide.Seller);
    expect(h.take()).toEqual(["C1 filled 0.500@100.0 MAKER fee 0.01"]);
    // At 99.5: through C1 (filled); at C2's price with unknown depth ahead: no fill.
    h.trade("99.5", "3", AggressorSide.Seller);
    expect(h.take()).toEqual(["C1 filled 0.500@100.0 MAKER fee 0.01"]);
    h.trade("99.4", "0.1", AggressorSide.Seller); // through C2
    expect(h.take()).toEqual(["C2 filled 1.000@99.5 MAKER fee 0.02"]);
  });
});

describe("bars model", () => {
  it("market orders submitted before a bar fill at its open (both sides)", () => {
    const h = harness("bars");
    h.bar("100.0", "101.0", "99.0", "100.5");
    h.submit("B", OrderType.Market, "1");
    h.submit("S", OrderType.Market, "0.5");
    expect(h.take()).toEqual([]);
    const open = h.clock.timestampUs();
    h.bar("102.0", "103.0", "101.0", "102.5");
    expect(h.reports.map((r) => r.ts)).toEqual([open, open, open, open]);
    expect(h.take()).toEqual([
      "C1 accepted",
      "C1 filled 1.000@102.0 TAKER fee 0.05",
      "C2 accepted",
      "C2 filled 0.500@102.0 TAKER fee 0.03",
    ]);
  });

  it("with entry latency longer than a bar, the order waits for the bar after it arrives", () => {
    const h = harness("bars", { latency: { entryUs: 90_000_000, ackUs: 0, jitterUs: 0 } });
    h.bar("100.0", "100.0", "100.0", "100.0");
    h.submit("B", OrderType.Market, "1"); // arrives 90 s later, inside the next bar
    h.bar("101.0", "101.0", "101.0", "101.0");
    expect(h.take()).toEqual([]);
    h.bar("102.0", "102.0", "102.0", "102.0");
    expect(h.take()).toEqual(["C1 accepted", "C1 filled 1.000@102.0 TAKER fee 0.05"]);
  });

  const stops = (rule: "proximity" | "ohlc" | "olhc", o: string) => {
    const h = harness("bars", { barPath: rule });
    h.bar("100.0", "100.0", "100.0", "100.0");
    h.submit("B", OrderType.StopMarket, "1", null, { triggerPrice: Price.parse("104.0") });
    h.submit("S", OrderType.StopMarket, "1", null, { triggerPrice: Price.parse("97.0") });
    h.bar(o, "105.0", "95.0", "100.0");
    return h.take().filter((s) => s.includes("filled"));
  };

  it("stops trigger inside a bar in the order of each path rule, filling at their trigger", () => {
    const up = ["C1 filled 1.000@104.0 TAKER fee 0.05", "C2 filled 1.000@97.0 TAKER fee 0.05"];
    const down = ["C2 filled 1.000@97.0 TAKER fee 0.05", "C1 filled 1.000@104.0 TAKER fee 0.05"];
    expect(stops("proximity", "101.0")).toEqual(up); // open nearer the high: O-H-L-C
    expect(stops("proximity", "99.0")).toEqual(down); // nearer the low: O-L-H-C
    expect(stops("ohlc", "99.0")).toEqual(up);
    expect(stops("olhc", "101.0")).toEqual(down);
  });

  it("a gap through a stop or a limit fills at the open; limits on the path fill at their price", () => {
    const h = harness("bars");
    h.bar("100.0", "100.0", "100.0", "100.0");
    h.submit("S", OrderType.StopMarket, "1", null, { triggerPrice: Price.parse("97.0") });
    h.submit("B", OrderType.Limit, "1", "96.0");
    h.submit("B", OrderType.Limit, "1", "93.0");
    h.bar("100.0", "100.0", "100.0", "100.0"); // orders reach the venue at this open
    h.take();
    h.bar("95.0", "95.5", "92.0", "94.0");
    expect(h.take()).toEqual([
      "C2 filled 1.000@95.0 MAKER fee 0.02",
      "C1 triggered",
      "C1 filled 1.000@95.0 TAKER fee 0.05",
      "C3 filled 1.000@93.0 MAKER fee 0.02",
    ]);
  });

  it("if-touched orders fill at their trigger too (liquidity on the side they need)", () => {
    const h = harness("bars", { barPath: "ohlc" });
    h.bar("100.0", "100.0", "100.0", "100.0");
    h.submit("S", OrderType.MarketIfTouched, "1", null, { triggerPrice: Price.parse("103.0") });
    h.submit("B", OrderType.MarketIfTouched, "1", null, { triggerPrice: Price.parse("98.0") });
    h.bar("100.0", "104.0", "97.0", "100.0");
    expect(h.take().filter((s) => s.includes("filled"))).toEqual([
      "C1 filled 1.000@103.0 TAKER fee 0.05",
      "C2 filled 1.000@98.0 TAKER fee 0.05",
    ]);
  });

  it("a stop-limit triggered on the way up rests and fills later on the path", () => {
    const h = harness("bars", { barPath: "ohlc" });
    h.bar("100.0", "100.0", "100.0", "100.0");
    h.submit("B", OrderType.StopLimit, "1", "101.0", { triggerPrice: Price.parse("102.0") });
    h.bar("100.0", "103.0", "99.0", "100.0");
    expect(h.take()).toEqual(["C1 accepted", "C1 triggered", "C1 filled 1.000@101.0 MAKER fee 0.02"]);
  });
});

describe("latency", () => {
  it("commands arrive after entryUs, reports after ackUs, on the clock", () => {
    const h = harness("l2", { latency: { entryUs: 100, ackUs: 50, jitterUs: 0 } });
    h.book([["99.0", "1"]], [["100.0", "5"]], true);
    const t = h.clock.timestampUs();
    h.submit("B", OrderType.Market, "1");
    h.book(
      [],
      [
        ["100.0", "0"],
        ["100.2", "5"],
      ],
    ); // at t+1: before the order arrives
    h.clock.advanceTo(t + 149);
    expect(h.reports).toEqual([]);
    h.clock.advanceTo(t + 150);
    expect(h.take()).toEqual(["C1 accepted", "C1 filled 1.000@100.2 TAKER fee 0.05"]);
    const eng = h.ex.engineOf(ID);
    expect(eng.now).toBe(t + 100);
  });

  it("a cancel that arrives after the order filled is refused; reports keep their order", () => {
    const h = harness("l2", { latency: { entryUs: 100, ackUs: 50, jitterUs: 0 } });
    h.book([["100.0", "3"]], [["100.5", "1"]], true);
    const t = h.clock.timestampUs();
    const id = h.submit("B", OrderType.Limit, "1", "100.0");
    h.clock.advanceTo(t + 100); // arrives: rests behind 3.000
    h.trade("99.9", "0.1", AggressorSide.Seller); // t+101: through it, filled
    h.cancel(id); // sent at t+101, arrives t+201
    h.clock.advanceTo(t + 1000);
    expect(h.take()).toEqual([
      "C1 accepted",
      "C1 filled 1.000@100.0 MAKER fee 0.02",
      "C1 cancelRejected UNKNOWN_ORDER",
    ]);
  });

  it("an order for an unknown instrument is rejected", () => {
    const h = harness("bars");
    h.ex.createOrder({
      clientOrderId: new ClientOrderId("X1"),
      instrumentId: InstrumentId.of("ETHUSD", "SIM"),
      side: OrderSide.Buy,
      type: OrderType.Market,
      quantity: Quantity.parse("1"),
      price: null,
      triggerPrice: null,
      timeInForce: TimeInForce.IOC,
      postOnly: false,
      reduceOnly: false,
      displayQty: null,
      tsInit: 0,
    });
    expect(h.take()).toEqual(["X1 rejected UNKNOWN_INSTRUMENT"]);
  });

  it("seeded jitter is deterministic and never reorders messages", () => {
    const run = (seed: number) => {
      const h = harness("l2", { latency: { entryUs: 100, ackUs: 50, jitterUs: 1000 }, rng: new Rng(seed) });
      h.book([["99.0", "10"]], [["100.0", "50"]], true);
      for (let i = 0; i < 20; i++) {
        h.submit("B", OrderType.Market, "0.1");
        h.clock.advanceTo(h.clock.timestampUs() + 10);
      }
      h.clock.advanceTo(h.clock.timestampUs() + 10_000);
      return { text: h.reports.map(fmt), times: [...h.times] };
    };
    const a = run(1);
    const b = run(1);
    const c = run(2);
    expect(a).toEqual(b);
    expect(a.times).not.toEqual(c.times);
    expect(a.text.filter((s) => s.includes("filled")).length).toBe(20);
    for (let i = 1; i < a.times.length; i++) expect(a.times[i]).toBeGreaterThanOrEqual(a.times[i - 1]);
    expect(a.text.map((s) => s.split(" ")[0])).toEqual(c.text.map((s) => s.split(" ")[0]));
  });
});

describe("mark price", () => {
  it("mark-price stops fire on processMarkPrice", () => {
    const h = harness("l2");
    h.book([["99.0", "1"]], [["100.0", "5"]], true);
    h.submit("S", OrderType.StopMarket, "0.5", null, {
      triggerPrice: Price.parse("99.5"),
    });
    h.take();
    const t = h.clock.timestampUs();
    h.ex.processMarkPrice(new MarkPriceUpdate(ID, Price.parse("99.4"), null, null, null, t, t));
    expect(h.take()).toEqual([]); // default trigger is the last price, not the mark
  });
});

const USDM = "/work/shared/data/orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz";

describe.runIf(existsSync(USDM))("L2 model on the Binance USD-M recording", () => {
  const id = InstrumentId.parse("BTCUSDT-PERP.BINANCE");
  const inst = btcUsdtPerp(id, { minNotional: "100", marginInit: "0.01", marginMaint: "0.005" });
  const usdmVenue = (clock: TestClock) =>
    new SimulatedExchange({
      venue: "BINANCE",
      accountId: new AccountId("BINANCE-001"),
      instruments: [inst],
      clock,
      rng: new Rng(1),
      fillModel: "l2",
    });

  it("the recorded ladder equals the data layer's L2 book after every message; no engine orders", async () => {
    const { records } = await loadBinanceUsdm(USDM);
    const clock = new TestClock(0);
    const ex = usdmVenue(clock);
    const ob = new OrderBook(id);
    let checked = 0;
    for (const rec of records) {
      if (!(rec instanceof OrderBookDeltas)) continue;
      if (rec.tsEvent > clock.timestampUs()) clock.advanceTo(rec.tsEvent);
      ex.processBookDeltas(rec);
      ob.applyDeltas(rec);
      const t = ex.recordedTouch(id);
      if (t.bid !== ob.bestBidRaw() || t.ask !== ob.bestAskRaw()) {
        throw new Error(`message ${checked}: ${t.bid}/${t.ask} vs ${ob.bestBidRaw()}/${ob.bestAskRaw()}`);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(6000);
    expect(ex.engineOf(id).liveOrderCount).toBe(0);
  }, 60_000);

  it("a batch with a level off the tick is refused as a whole, naming the level", () => {
    const clock = new TestClock(0);
    const ex = usdmVenue(clock);
    const lvl = (side: BookSide, px: string, sz: string) =>
      new OrderBookDelta(
        id,
        BookAction.Update,
        new BookOrder(side, Price.parse(px), Quantity.parse(sz), 0),
        0,
        0,
        1,
        1,
      );
    ex.processBookDeltas(
      new OrderBookDeltas(
        id,
        [lvl(BookSide.Bid, "61800.00", "1.000"), lvl(BookSide.Ask, "61800.30", "1.000")],
        true,
        1,
        1,
        0,
        1,
        1,
      ),
    );
    const bad = new OrderBookDeltas(
      id,
      [lvl(BookSide.Bid, "61800.10", "0.500"), lvl(BookSide.Ask, "61800.25", "1.000")],
      false,
      2,
      2,
      1,
      2,
      2,
    );
    expect(() => ex.processBookDeltas(bad)).toThrow(
      "BTCUSDT-PERP.BINANCE: recorded level ask 61800.25 x 1.000 is not on the instrument's tick/lot grid",
    );
    expect(ex.recordedTouch(id)).toEqual({ bid: 6180000, ask: 6180030 });
  });

  it("a quoting loop runs through the whole file deterministically, with maker fills", async () => {
    const { records } = await loadBinanceUsdm(USDM);
    const run = () => {
      const clock = new TestClock(0);
      const ex = usdmVenue(clock);
      const fills: string[] = [];
      ex.bind({
        onVenueReport(r) {
          if (r.kind === "filled") fills.push(`${r.lastQty}@${r.lastPx}:${r.liquiditySide}`);
        },
      });
      let n = 0;
      let cid = 0;
      const live: ClientOrderId[] = [];
      for (const rec of records) {
        if (rec.tsEvent > clock.timestampUs()) clock.advanceTo(rec.tsEvent);
        if (rec instanceof OrderBookDeltas) ex.processBookDeltas(rec);
        else if (rec instanceof TradeTick) ex.processTrade(rec);
        if (++n % 50 === 0) {
          while (live.length > 0) ex.cancelOrder(live.pop()!, null, id);
          const { bid, ask } = ex.recordedTouch(id);
          for (const [side, px] of [
            [OrderSide.Buy, bid],
            [OrderSide.Sell, ask],
          ] as const) {
            const c = new ClientOrderId(`Q${++cid}`);
            live.push(c);
            ex.createOrder({
              clientOrderId: c,
              instrumentId: id,
              side,
              type: OrderType.Limit,
              quantity: Quantity.parse("0.002"),
              price: Price.fromRaw(px, 2),
              triggerPrice: null,
              timeInForce: TimeInForce.GTC,
              postOnly: true,
              reduceOnly: false,
              displayQty: null,
              tsInit: clock.timestampUs(),
            });
          }
        }
      }
      return {
        fills,
        position: ex.positionRaw(id),
        ...ex.recordedTouch(id),
        ownResting: ex.engineOf(id).liveOrderCount,
      };
    };
    const a = run();
    const b = run();
    expect(a).toEqual(b);
    expect(a.fills.length).toBeGreaterThan(10);
    expect(a.fills.every((f) => f.endsWith("MAKER"))).toBe(true);
    // Final recorded top of book (docs: 61659.70 / 61659.80); nothing of ours rests.
    expect([a.bid, a.ask]).toEqual([6165970, 6165980]);
    expect(a.ownResting).toBeLessThanOrEqual(2);
  }, 60_000);
});

describe("bars model with finer bars for detail (fillBars)", () => {
  const spec = (n: number) => new BarSpecification(n, BarAggregation.Minute, PriceType.Last);
  const M = 60_000_000;
  const run = (fillBars: string | undefined, sendBetween: boolean) => {
    const h = harness("bars", fillBars === undefined ? {} : { fillBars });
    const bar = (n: number, open: number, o: string, hi: string, lo: string, c: string) => {
      const close = open + n * M;
      if (close > h.clock.timestampUs()) h.clock.advanceTo(close);
      const p = Price.parse;
      h.ex.processBar(
        new Bar(new BarType(ID, spec(n)), p(o), p(hi), p(lo), p(c), Quantity.parse("1"), open, close, close),
      );
    };
    bar(1, T0, "100.0", "100.0", "100.0", "100.0");
    bar(2, T0 - M, "100.0", "100.0", "100.0", "100.0");
    h.submit("B", OrderType.StopMarket, "1", null, { triggerPrice: Price.parse("104.0") });
    h.submit("S", OrderType.StopMarket, "1", null, { triggerPrice: Price.parse("97.0") });
    // Two 1-minute bars inside one 2-minute bar: down to 95 first, then up to 105. The 2-minute
    // bar alone (open nearer the high) walks O-H-L-C: up first.
    bar(1, T0 + M, "101.0", "101.0", "95.0", "96.0");
    if (!sendBetween) bar(1, T0 + 2 * M, "96.0", "105.0", "96.0", "100.0");
    bar(2, T0 + M, "101.0", "105.0", "95.0", "100.0");
    // A market order sent on the 2-minute bar's close (T0 + 3 min).
    h.submit("B", OrderType.Market, "1");
    if (sendBetween) bar(1, T0 + 2 * M, "96.0", "105.0", "96.0", "100.0"); // closes at the same time
    bar(1, T0 + 3 * M, "100.5", "100.5", "100.5", "100.5");
    return h.take().filter((r) => r.includes("filled"));
  };

  it("stops and limits follow the finer bars' paths; the coarse bars reach strategies only", () => {
    expect(run("1-MINUTE-LAST", false)).toEqual([
      "C2 filled 1.000@97.0 TAKER fee 0.05",
      "C1 filled 1.000@104.0 TAKER fee 0.05",
      "C3 filled 1.000@100.5 TAKER fee 0.05",
    ]);
    // Filling on the 2-minute bars instead: their path goes up first (and the market order
    // waits for a 2-minute bar that never comes).
    expect(run("2-MINUTE-LAST", false)).toEqual([
      "C1 filled 1.000@104.0 TAKER fee 0.05",
      "C2 filled 1.000@97.0 TAKER fee 0.05",
    ]);
  });

  it("an order sent on a coarse bar never fills at the open of a finer bar that opened before it", () => {
    // The last 1-minute bar closes with the 2-minute bar but comes after it: the market order
    // sent on the 2-minute bar waits for the next 1-minute bar's open (100.5), not 96.0.
    expect(run("1-MINUTE-LAST", true)).toEqual([
      "C2 filled 1.000@97.0 TAKER fee 0.05",
      "C1 filled 1.000@104.0 TAKER fee 0.05",
      "C3 filled 1.000@100.5 TAKER fee 0.05",
    ]);
  });

  it("a bad fillBars specification is refused when the venue is built", () => {
    expect(() => harness("bars", { fillBars: "1-FORTNIGHT-LAST" })).toThrow(/unknown aggregation/);
  });
});

describe("memory of closed orders", () => {
  it("fetchOrder answers the most recent 10,000 closed orders; older ones are forgotten", async () => {
    const h = harness("l2");
    for (let i = 0; i < 10_001; i++)
      h.submit("B", OrderType.Limit, "1", "100.0", { timeInForce: TimeInForce.IOC });
    expect(h.take().slice(0, 2)).toEqual(["C1 accepted", "C1 canceled"]);
    expect(await h.ex.fetchOrder(new ClientOrderId("C1"), ID)).toBeNull();
    expect((await h.ex.fetchOrder(new ClientOrderId("C2"), ID))?.reason).toBe("IOC_REMAINDER");
    expect((await h.ex.fetchOrder(new ClientOrderId("C10001"), ID))?.status).toBe(OrderStatus.Canceled);
    // A forgotten id can be used again.
    h.submit("B", OrderType.Limit, "1", "100.0", { clientOrderId: new ClientOrderId("C1") });
    expect(h.take()).toEqual(["C1 accepted"]);
  });
});

describe("order features through the venue request", () => {
  it("GTD: accepted with its expire time, expired at that time without any market data", () => {
    const h = harness("l2");
    h.book([["99.0", "1"]], [["101.0", "1"]], true);
    const t = h.clock.timestampUs();
    h.submit("B", OrderType.Limit, "1", "100.0", { timeInForce: TimeInForce.GTD, expireTime: t + 5_000 });
    expect(h.take()).toEqual(["C1 accepted"]);
    h.clock.advanceTo(t + 4_999);
    expect(h.take()).toEqual([]);
    h.clock.advanceTo(t + 10_000);
    expect(h.reports.map((r) => [r.kind, r.ts])).toEqual([["expired", t + 5_000]]);
    h.take();
    // Without an expire time (or one in the past) GTD is rejected with the engine's reason.
    h.submit("B", OrderType.Limit, "1", "100.0", { timeInForce: TimeInForce.GTD });
    h.submit("B", OrderType.Limit, "1", "100.0", { timeInForce: TimeInForce.GTD, expireTime: t });
    expect(h.take()).toEqual(["C2 rejected INVALID_EXPIRE_TIME", "C3 rejected EXPIRE_TIME_IN_PAST"]);
  });

  it("trailing stops: offsets in price, ticks and basis points; the trigger follows the last price", async () => {
    const h = harness("l2");
    h.book([["100.0", "5"]], [["101.0", "5"]], true);
    h.trade("100.5", "0.1", AggressorSide.Buyer);
    const trailing = (offset: number, unit: TrailingOffsetType) =>
      h.submit("S", OrderType.TrailingStopMarket, "1", null, {
        trailingOffset: offset,
        trailingOffsetType: unit,
      });
    const a = trailing(0.5, TrailingOffsetType.Price); // 100.5 - 0.5
    const b = trailing(5, TrailingOffsetType.Ticks); // 5 x 0.1
    const c = trailing(50, TrailingOffsetType.BasisPoints); // 0.5025 -> 0.6 (never closer)
    trailing(0.05, TrailingOffsetType.Price); // finer than the tick: rejected
    const trig = async (id: ClientOrderId) => (await h.ex.fetchOrder(id, ID))?.triggerPrice?.toString();
    expect(h.take()).toEqual([
      "C1 accepted",
      "C2 accepted",
      "C3 accepted",
      "C4 rejected INVALID_TRAILING_OFFSET",
    ]);
    expect([await trig(a), await trig(b), await trig(c)]).toEqual(["100.0", "100.0", "99.9"]);
    h.trade("101.0", "0.1", AggressorSide.Buyer); // new high: triggers move up
    expect(h.take()).toEqual(["C1 updated q=- p=-", "C2 updated q=- p=-", "C3 updated q=- p=-"]);
    expect([await trig(a), await trig(b), await trig(c)]).toEqual(["100.5", "100.5", "100.4"]);
    h.trade("100.5", "0.1", AggressorSide.Seller); // touches 100.5: a and b fire, sell on the book
    // ... and their own prints at 100.0 reach c's 100.4 (every print counts, docs/matching.md).
    expect(h.take()).toEqual([
      "C1 triggered",
      "C1 filled 1.000@100.0 TAKER fee 0.05",
      "C2 triggered",
      "C2 filled 1.000@100.0 TAKER fee 0.05",
      "C3 triggered",
      "C3 filled 1.000@100.0 TAKER fee 0.05",
    ]);
  });

  it("trigger types: bid/ask stops fire on the recorded book alone; mark stops on the mark price", async () => {
    const h = harness("l2");
    h.book(
      [["100.0", "5"]],
      [
        ["101.0", "1"],
        ["102.0", "5"],
      ],
      true,
    );
    h.submit("B", OrderType.StopMarket, "1", null, {
      triggerPrice: Price.parse("101.5"),
      triggerType: TriggerType.BidAsk,
    });
    h.submit("B", OrderType.StopMarket, "1", null, { triggerPrice: Price.parse("101.5") }); // last
    h.submit("B", OrderType.StopMarket, "1", null, {
      triggerPrice: Price.parse("101.5"),
      triggerType: TriggerType.MarkPrice,
    });
    expect(h.take()).toEqual(["C1 accepted", "C2 accepted", "C3 accepted"]);
    h.book([], [["101.0", "0"]]); // the ask moves to 102.0: no trade printed
    // C1 fires on the ask; its own print at 102.0 then fires the last-price stop C2.
    expect(h.take()).toEqual([
      "C1 triggered",
      "C1 filled 1.000@102.0 TAKER fee 0.05",
      "C2 triggered",
      "C2 filled 1.000@102.0 TAKER fee 0.05",
    ]);
    expect((await h.ex.fetchOrder(new ClientOrderId("C3"), ID))?.status).toBe(OrderStatus.Accepted);
    const t = h.clock.timestampUs();
    h.ex.processMarkPrice(new MarkPriceUpdate(ID, Price.parse("101.4"), null, null, null, t, t));
    expect(h.take()).toEqual([]);
    h.ex.processMarkPrice(new MarkPriceUpdate(ID, Price.parse("101.6"), null, null, null, t, t));
    expect(h.take()).toEqual(["C3 triggered", "C3 filled 1.000@102.0 TAKER fee 0.05"]);
    // What the stops took stays taken until the level updates: 2.000 of 5.000 left.
    h.submit("B", OrderType.Market, "4");
    expect(h.take()).toEqual(["C4 accepted", "C4 filled 2.000@102.0 TAKER fee 0.10", "C4 canceled"]);
  });

  it("iceberg: a trade at the price fills only the shown part; the refill queues behind the level", () => {
    const h = harness("l2");
    h.book([["100.0", "2"]], [["101.0", "5"]], true);
    const id = h.submit("B", OrderType.Limit, "3", "100.0", { displayQty: Quantity.parse("1") });
    expect(h.ex.queueAheadOf(id)).toBe(2000);
    h.trade("100.0", "2.5", AggressorSide.Seller); // 2.000 ahead, then 0.500 of our shown 1.000
    expect(h.take()).toEqual(["C1 accepted", "C1 filled 0.500@100.0 MAKER fee 0.01"]);
    h.trade("100.0", "0.7", AggressorSide.Seller); // the shown rest 0.500, then refill
    expect(h.take()).toEqual(["C1 filled 0.500@100.0 MAKER fee 0.01"]);
    // The refill joined behind what the level displays now (2.000 recorded, 2.000 ahead).
    expect(h.ex.queueAheadOf(id)).toBe(2000);
    // A trade through the price fills all of it, refills included.
    h.trade("99.9", "0.1", AggressorSide.Seller);
    expect(h.take()).toEqual([
      "C1 filled 1.000@100.0 MAKER fee 0.02",
      "C1 filled 1.000@100.0 MAKER fee 0.02",
    ]);
    // A display quantity finer than the lot is refused before the engine.
    h.submit("B", OrderType.Limit, "3", "100.0", { displayQty: Quantity.parse("0.0005") });
    expect(h.take()).toEqual(["C2 rejected QUANTITY_NOT_MULTIPLE_OF_LOT"]);
  });
});

void BookFlags;
