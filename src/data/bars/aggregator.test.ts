import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AggregationSource,
  type Bar,
  BarAggregation,
  BarSpecification,
  BarType,
  TradeTick,
} from "../../model/data.js";
import { AggressorSide, PriceType } from "../../model/enums.js";
import { InstrumentId } from "../../model/identifiers.js";
import { MICROS_PER_MINUTE, parseIsoToMicros } from "../../model/time.js";
import { Price, Quantity } from "../../model/values.js";
import { readMarketData } from "../files/index.js";
import { BarAggregationError, createBarAggregator, TimeBarAggregator } from "./aggregator.js";
import { BarIntervalError, parseBarInterval, TimeGrid } from "./interval.js";

const DATA = new URL("../../../../shared/data/", import.meta.url);
const TRADES = new URL("trades/freqtrade_binance_XRP-ETH_trades_2019-10-11.json.gz", DATA).pathname;

const ID = InstrumentId.of("TEST", "SIM");

function trade(ts: number, price: string, size: string, id = String(ts)): TradeTick {
  return new TradeTick(ID, Price.parse(price), Quantity.parse(size), AggressorSide.Buyer, id, ts, ts);
}

function barType(step: number, agg: BarAggregation): BarType {
  return new BarType(ID, new BarSpecification(step, agg, PriceType.Last), AggregationSource.Internal);
}

function collect(bt: BarType, trades: TradeTick[], options = {}): Bar[] {
  const bars: Bar[] = [];
  const agg = createBarAggregator(bt, (b) => bars.push(b), options);
  for (const t of trades) agg.handleTrade(t);
  agg.flush();
  return bars;
}

type Candle = [number, number, number, number, number, number];

function candlesOf(bars: Bar[]): Candle[] {
  return bars.map((b) => [
    b.tsOpen / 1000,
    b.open.toNumber(),
    b.high.toNumber(),
    b.low.toNumber(),
    b.close.toNumber(),
    b.volume.toNumber(),
  ]);
}

describe("Binance candles from freqtrade XRP/ETH trades", () => {
  let trades: TradeTick[] = [];
  beforeAll(async () => {
    trades = [];
    for await (const r of readMarketData([TRADES])) trades.push(r.data as TradeTick);
  });

  it("reads 12,477 trades (through the shared file readers)", () => {
    expect(trades.length).toBe(12_477);
    expect(trades[0].instrumentId.value).toBe("XRPETH.BINANCE");
    expect(trades[0].price.toString()).toBe("0.00141342");
  });

  for (const [interval, file, nonEmpty] of [
    ["1m", "freqtrade_binance_XRP-ETH_1m_2019-10-11_13.json", 2469],
    ["5m", "freqtrade_binance_XRP-ETH_5m_2019-10-11_13.json", 706],
  ] as const) {
    it(`reproduces every ${interval} candle exactly (${nonEmpty} non-empty + empty ones)`, () => {
      const expected = JSON.parse(readFileSync(new URL(`ohlcv/${file}`, DATA), "utf8")) as Candle[];
      const bt = new BarType(trades[0].instrumentId, parseBarInterval(interval), AggregationSource.Internal);
      const bars = collect(bt, trades);
      // Exact comparison on integers: the expected JSON numbers converted at each bar's precision.
      expect(bars.length).toBe(expected.length);
      const exp = expected.map((c, i) => {
        const pp = bars[i].open.precision;
        const sp = bars[i].volume.precision;
        return [
          c[0] * 1000,
          Price.fromNumber(c[1], pp).raw,
          Price.fromNumber(c[2], pp).raw,
          Price.fromNumber(c[3], pp).raw,
          Price.fromNumber(c[4], pp).raw,
          Quantity.fromNumber(c[5], sp).raw,
        ];
      });
      const got = bars.map((b) => [b.tsOpen, b.open.raw, b.high.raw, b.low.raw, b.close.raw, b.volume.raw]);
      expect(got).toEqual(exp);
      expect(bars.filter((b) => b.volume.raw > 0).length).toBe(nonEmpty);
      expect(candlesOf(bars)).toEqual(expected);
    });
  }
});

describe("time bars", () => {
  it("aligns to UTC, covers [open, close) and emits Binance-style empty bars", () => {
    const t0 = parseIsoToMicros("2024-01-01T00:00:30Z");
    const bars = collect(barType(1, BarAggregation.Minute), [
      trade(t0, "10.0", "1"),
      trade(t0 + 10_000_000, "12.5", "2"),
      trade(t0 + 30_000_000, "9.0", "1"), // exactly 00:01:00 → next bar
      trade(t0 + 3 * MICROS_PER_MINUTE, "11.0", "0.5"), // 00:03:30, leaving 00:02 empty
    ]);
    expect(bars.map((b) => [b.tsOpen, b.tsEvent - b.tsOpen])).toEqual([
      [t0 - 30_000_000, MICROS_PER_MINUTE],
      [t0 + 30_000_000, MICROS_PER_MINUTE],
      [t0 + 90_000_000, MICROS_PER_MINUTE],
      [t0 + 150_000_000, MICROS_PER_MINUTE],
    ]);
    expect(bars.map((b) => `${b.open} ${b.high} ${b.low} ${b.close} ${b.volume}`)).toEqual([
      "10.0 12.5 10.0 12.5 3",
      "9.0 9.0 9.0 9.0 1",
      "9.0 9.0 9.0 9.0 0",
      "11.0 11.0 11.0 11.0 0.5",
    ]);
  });

  it("can skip empty intervals", () => {
    const t0 = 0;
    const bars = collect(
      barType(1, BarAggregation.Minute),
      [trade(t0, "1", "1"), trade(t0 + 10 * MICROS_PER_MINUTE, "2", "1")],
      { emitEmpty: false },
    );
    expect(bars.map((b) => b.tsOpen)).toEqual([0, 10 * MICROS_PER_MINUTE]);
  });

  it("advanceTime closes bars without a new trade", () => {
    const bars: Bar[] = [];
    const agg = new TimeBarAggregator(barType(1, BarAggregation.Minute), (b) => bars.push(b));
    agg.handleTrade(trade(5, "1", "1"));
    agg.advanceTime(MICROS_PER_MINUTE - 1);
    expect(bars.length).toBe(0);
    agg.advanceTime(3 * MICROS_PER_MINUTE);
    expect(bars.map((b) => b.volume.toString())).toEqual(["1", "0", "0"]);
    expect(bars[2].tsInit).toBe(3 * MICROS_PER_MINUTE);
  });

  it("rescales exactly when a finer precision appears", () => {
    const bars = collect(barType(1, BarAggregation.Hour), [
      trade(0, "1.5", "1"),
      trade(1, "1.25", "0.001"),
      trade(2, "2", "2"),
    ]);
    expect(bars.map((b) => `${b.open} ${b.high} ${b.low} ${b.close} ${b.volume}`)).toEqual([
      "1.50 2.00 1.25 2.00 3.001",
    ]);
  });

  it("rejects out-of-order trades with a clear error and changes nothing", () => {
    const bars: Bar[] = [];
    const agg = createBarAggregator(barType(1, BarAggregation.Minute), (b) => bars.push(b));
    agg.handleTrade(trade(2_000_000, "1", "1", "a"));
    let err: unknown;
    try {
      agg.handleTrade(trade(1_000_000, "2", "1", "b"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BarAggregationError);
    expect((err as BarAggregationError).code).toBe("BAR_TRADE_OUT_OF_ORDER");
    expect((err as Error).message).toContain("trade b");
    agg.flush();
    expect(bars.map((b) => `${b.close} ${b.volume}`)).toEqual(["1 1"]);
  });

  it("aligns days to 00:00 UTC, weeks to Monday and months to the 1st", () => {
    const t = parseIsoToMicros("2024-08-08T23:54:16.322Z"); // a Thursday
    expect(new TimeGrid(parseBarInterval("1d")).floor(t)).toBe(parseIsoToMicros("2024-08-08T00:00:00Z"));
    expect(new TimeGrid(parseBarInterval("1w")).floor(t)).toBe(parseIsoToMicros("2024-08-05T00:00:00Z"));
    const month = new TimeGrid(parseBarInterval("1M"));
    expect(month.floor(t)).toBe(parseIsoToMicros("2024-08-01T00:00:00Z"));
    expect(month.next(month.floor(t))).toBe(parseIsoToMicros("2024-09-01T00:00:00Z"));
    expect(new TimeGrid(parseBarInterval("3M")).floor(t)).toBe(parseIsoToMicros("2024-07-01T00:00:00Z"));
    expect(new TimeGrid(parseBarInterval("4h")).floor(t)).toBe(parseIsoToMicros("2024-08-08T20:00:00Z"));
    expect(new TimeGrid(parseBarInterval("250ms")).floor(t)).toBe(
      parseIsoToMicros("2024-08-08T23:54:16.250Z"),
    );
  });

  it("rejects invalid intervals", () => {
    for (const bad of ["", "1", "m", "0m", "1x", "-1m", "1.5m", "1-TICK-LAST"]) {
      expect(() => parseBarInterval(bad), bad).toThrow(BarIntervalError);
    }
    expect(parseBarInterval("1-MINUTE-LAST").toString()).toBe("1-MINUTE-LAST");
  });
});

describe("tick, volume and value bars", () => {
  const trades = [
    trade(1, "10", "1"),
    trade(2, "11", "2"),
    trade(3, "9", "3"),
    trade(4, "10", "1"),
    trade(5, "12", "4"),
  ];

  it("tick bars close every N trades; the last partial bar is flushed", () => {
    const bars = collect(barType(2, BarAggregation.Tick), trades);
    expect(
      bars.map((b) => `${b.tsOpen}-${b.tsEvent} ${b.open} ${b.high} ${b.low} ${b.close} ${b.volume}`),
    ).toEqual(["1-2 10 11 10 11 3", "3-4 9 10 9 10 4", "5-5 12 12 12 12 4"]);
  });

  it("volume bars close on the trade reaching the threshold, without splitting it", () => {
    const bars = collect(barType(3, BarAggregation.Volume), trades);
    expect(bars.map((b) => b.volume.toString())).toEqual(["3", "3", "5"]);
  });

  it("value bars use exact quote notional, with decimal thresholds", () => {
    // notionals: 10, 22, 27, 10, 48
    const bars = collect(barType(1, BarAggregation.Value), trades, { threshold: "31.5" });
    expect(bars.map((b) => `${b.open} ${b.close} ${b.volume}`)).toEqual(["10 11 3", "9 10 4", "12 12 4"]);
    const big = collect(
      barType(1, BarAggregation.Value),
      [trade(1, "0.00141342", "23.0"), trade(2, "0.00141266", "54")],
      {
        threshold: "0.03250866",
      },
    );
    expect(big.map((b) => b.volume.toString())).toEqual(["23.0", "54.0"]);
  });
});
