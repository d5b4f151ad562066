/**
 * Bars from quotes (price type BID, ASK, MID). Expected values on the real capture were computed
 * independently (a short Python script over the raw bookTicker JSON with `decimal.Decimal`:
 * group by floor(E / 60 s), open = first, high = max, low = min, close = last, volume = sum of
 * the quoted sizes).
 */
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AggregationSource,
  type Bar,
  BarAggregation,
  BarSpecification,
  BarType,
  QuoteTick,
  TradeTick,
} from "../../model/data.js";
import { AggressorSide, PriceType } from "../../model/enums.js";
import { InstrumentId } from "../../model/identifiers.js";
import { microsToIso } from "../../model/time.js";
import { Price, Quantity } from "../../model/values.js";
import { readMarketData } from "../files/index.js";
import { BarAggregationError, createBarAggregator, quotePriceSize } from "./aggregator.js";
import { parseBarInterval } from "./interval.js";

const USDM = fileURLToPath(
  new URL("../../../../shared/data/orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz", import.meta.url),
);
const ID = InstrumentId.of("TEST", "SIM");
const S = 1_000_000;

function q(t: number, bid: string, bidSize: string, ask: string, askSize: string, id = ID): QuoteTick {
  return new QuoteTick(
    id,
    Price.parse(bid),
    Price.parse(ask),
    Quantity.parse(bidSize),
    Quantity.parse(askSize),
    t,
    t,
  );
}

const row = (b: Bar) => [
  microsToIso(b.tsOpen),
  `${b.open}`,
  `${b.high}`,
  `${b.low}`,
  `${b.close}`,
  `${b.volume}`,
];

function run(spec: BarSpecification, quotes: QuoteTick[], options = {}): Bar[] {
  const bars: Bar[] = [];
  const agg = createBarAggregator(
    new BarType(quotes[0].instrumentId, spec, AggregationSource.Internal),
    (b) => bars.push(b),
    {
      source: "quotes",
      ...options,
    },
  );
  for (const x of quotes) agg.handleQuote(x);
  agg.flush();
  return bars;
}

// Hand-made quotes: 3 in minute 0, 1 in minute 1, none in minute 2, 1 in minute 3.
const HAND = [
  q(0, "100.0", "2", "100.2", "1"),
  q(10 * S, "100.1", "1", "100.3", "3"),
  q(30 * S, "99.9", "4", "100.0", "2"),
  q(70 * S, "100.5", "1", "100.6", "1"),
  q(190 * S, "100.4", "1", "100.5", "1"),
];

describe("bars from quotes", () => {
  it("mid price and size are exact half-sums at one more decimal", () => {
    expect(quotePriceSize(HAND[0], PriceType.Mid)).toEqual({
      price: Price.parse("100.10"),
      size: Quantity.parse("1.5"),
    });
    // Different precisions on the two sides: the finer one, then one more decimal.
    const m = quotePriceSize(q(0, "1.5", "0.25", "1.625", "1"), PriceType.Mid);
    expect([m.price.toString(), m.size.toString()]).toEqual(["1.5625", "0.625"]);
    expect(quotePriceSize(HAND[0], PriceType.Bid).price.toString()).toBe("100.0");
    expect(quotePriceSize(HAND[0], PriceType.Ask).size.toString()).toBe("1");
  });

  it("1m BID / ASK / MID time bars, with the Binance-style empty bar (hand-computed)", () => {
    expect(run(parseBarInterval("1m", PriceType.Bid), HAND).map(row)).toEqual([
      ["1970-01-01T00:00:00.000000Z", "100.0", "100.1", "99.9", "99.9", "7"],
      ["1970-01-01T00:01:00.000000Z", "100.5", "100.5", "100.5", "100.5", "1"],
      ["1970-01-01T00:02:00.000000Z", "100.5", "100.5", "100.5", "100.5", "0"],
      ["1970-01-01T00:03:00.000000Z", "100.4", "100.4", "100.4", "100.4", "1"],
    ]);
    expect(run(parseBarInterval("1m", PriceType.Ask), HAND).map(row)[0]).toEqual([
      "1970-01-01T00:00:00.000000Z",
      "100.2",
      "100.3",
      "100.0",
      "100.0",
      "6",
    ]);
    // mids 100.10, 100.20, 99.95 (sizes 1.5, 2.0, 3.0); then 100.55; empty; 100.45.
    const mid = run(parseBarInterval("1m", PriceType.Mid), HAND);
    expect(mid.map(row)).toEqual([
      ["1970-01-01T00:00:00.000000Z", "100.10", "100.20", "99.95", "99.95", "6.5"],
      ["1970-01-01T00:01:00.000000Z", "100.55", "100.55", "100.55", "100.55", "1.0"],
      ["1970-01-01T00:02:00.000000Z", "100.55", "100.55", "100.55", "100.55", "0.0"],
      ["1970-01-01T00:03:00.000000Z", "100.45", "100.45", "100.45", "100.45", "1.0"],
    ]);
    expect(mid[0].barType.toString()).toBe("TEST.SIM-1-MINUTE-MID-INTERNAL");
    expect(mid[0].tsEvent).toBe(60 * S);
  });

  it("tick bars count quotes", () => {
    const spec = new BarSpecification(3, BarAggregation.Tick, PriceType.Bid);
    const bars = run(spec, HAND);
    expect(bars.map(row)).toEqual([
      ["1970-01-01T00:00:00.000000Z", "100.0", "100.1", "99.9", "99.9", "7"],
      ["1970-01-01T00:01:10.000000Z", "100.5", "100.5", "100.4", "100.4", "2"],
    ]);
    expect(bars[0].tsEvent).toBe(30 * S);
  });

  describe("on the Binance USD-M bookTicker capture (66,089 quotes)", () => {
    const quotes: QuoteTick[] = [];
    beforeAll(async () => {
      for await (const r of readMarketData([USDM])) if (r.data instanceof QuoteTick) quotes.push(r.data);
    });

    it("1m bid, ask and mid bars equal the independently computed values", () => {
      expect(quotes).toHaveLength(66_089);
      const bid = run(parseBarInterval("1m", PriceType.Bid), quotes).map(row);
      expect(bid).toEqual([
        ["2024-08-08T23:54:00.000000Z", "61800.20", "61839.70", "61800.00", "61807.70", "34101.939"],
        ["2024-08-08T23:55:00.000000Z", "61807.70", "61839.80", "61760.30", "61760.30", "41089.966"],
        ["2024-08-08T23:56:00.000000Z", "61760.30", "61760.30", "61700.00", "61701.20", "35020.669"],
        ["2024-08-08T23:57:00.000000Z", "61701.20", "61719.00", "61620.10", "61628.10", "36994.041"],
        ["2024-08-08T23:58:00.000000Z", "61628.10", "61720.20", "61590.30", "61694.40", "54979.941"],
        ["2024-08-08T23:59:00.000000Z", "61694.40", "61723.60", "61645.00", "61659.70", "35470.993"],
        ["2024-08-09T00:00:00.000000Z", "61659.70", "61659.70", "61659.70", "61659.70", "1.486"],
      ]);
      const ask = run(parseBarInterval("1m", PriceType.Ask), quotes).map(row);
      expect(ask[3]).toEqual([
        "2024-08-08T23:57:00.000000Z",
        "61701.30",
        "61719.10",
        "61620.20",
        "61628.20",
        "81966.186",
      ]);
      const mid = run(parseBarInterval("1m", PriceType.Mid), quotes).map(row);
      expect(mid[4]).toEqual([
        "2024-08-08T23:58:00.000000Z",
        "61628.150",
        "61721.550",
        "61590.350",
        "61694.450",
        "63812.2320",
      ]);
      expect(mid[5]).toEqual([
        "2024-08-08T23:59:00.000000Z",
        "61694.450",
        "61725.500",
        "61646.450",
        "61659.750",
        "42718.8500",
      ]);
    });

    it("1000-quote ASK tick bars", () => {
      const bars = run(new BarSpecification(1000, BarAggregation.Tick, PriceType.Ask), quotes);
      expect(bars).toHaveLength(67);
      expect(row(bars[0])).toEqual([
        "2024-08-08T23:54:16.313000Z",
        "61800.30",
        "61809.50",
        "61800.10",
        "61808.10",
        "2366.356",
      ]);
      expect(bars[0].tsEvent).toBe(1723161262947000);
      // The last bar is the 89 quotes after the first 66,000, emitted by flush().
      expect(row(bars[66])).toEqual([
        "2024-08-08T23:59:59.176000Z",
        "61659.80",
        "61659.80",
        "61659.80",
        "61659.80",
        "225.003",
      ]);
      expect(bars[66].tsEvent).toBe(1723161600709000);
    });
  });

  describe("bad input", () => {
    const bt = (pt: PriceType) => new BarType(ID, parseBarInterval("1m", pt), AggregationSource.Internal);
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(BarAggregationError);
        return `${(e as BarAggregationError).code}: ${(e as Error).message}`;
      }
      throw new Error("did not throw");
    };

    it("rejects price types that do not fit the source", () => {
      expect(err(() => createBarAggregator(bt(PriceType.Last), () => {}, { source: "quotes" }))).toBe(
        "BAR_PRICE_TYPE_UNSUPPORTED: TEST.SIM-1-MINUTE-LAST-INTERNAL: bars aggregated from quotes need the price type BID, ASK or MID (got LAST)",
      );
      expect(err(() => createBarAggregator(bt(PriceType.Mark), () => {}, { source: "quotes" }))).toContain(
        "(got MARK)",
      );
      expect(err(() => createBarAggregator(bt(PriceType.Bid), () => {}))).toBe(
        "BAR_PRICE_TYPE_UNSUPPORTED: TEST.SIM-1-MINUTE-BID-INTERNAL: bars aggregated from trades need the price type LAST (got BID); BID, ASK and MID bars are aggregated from quotes",
      );
      expect(
        err(() => createBarAggregator(bt(PriceType.Bid), () => {}, { source: "book" as "quotes" })),
      ).toContain("BAR_SOURCE_INVALID");
    });

    it("rejects the other kind of tick, and quotes out of time order, changing nothing", () => {
      const bars: Bar[] = [];
      const quoteAgg = createBarAggregator(bt(PriceType.Mid), (b) => bars.push(b), { source: "quotes" });
      const trade = new TradeTick(ID, Price.parse("1"), Quantity.parse("1"), AggressorSide.Buyer, "7", 0, 0);
      expect(err(() => quoteAgg.handleTrade(trade))).toContain("BAR_SOURCE_MISMATCH");
      const tradeAgg = createBarAggregator(bt(PriceType.Last), () => {});
      expect(err(() => tradeAgg.handleQuote(HAND[0]))).toContain(
        "these bars are aggregated from trades, not quotes",
      );
      quoteAgg.handleQuote(HAND[1]);
      expect(err(() => quoteAgg.handleQuote(HAND[0]))).toBe(
        "BAR_QUOTE_OUT_OF_ORDER: quote of TEST.SIM at 1970-01-01T00:00:00.000000Z is earlier than the previous quote at 1970-01-01T00:00:10.000000Z; bar aggregation needs quotes in time order",
      );
      quoteAgg.flush();
      expect(bars.map(row)).toEqual([
        ["1970-01-01T00:00:00.000000Z", "100.20", "100.20", "100.20", "100.20", "2.0"],
      ]);
    });
  });
});
