import { describe, expect, it } from "vitest";
import { AggregationSource, Bar, BarAggregation, BarSpecification, BarType } from "./data.js";
import { PriceType } from "./enums.js";
import { InstrumentId } from "./identifiers.js";
import { Price, Quantity } from "./values.js";

describe("bar types", () => {
  it("round-trip their string form", () => {
    const bt = BarType.parse("BTCUSDT-PERP.BINANCE-5-MINUTE-LAST-EXTERNAL");
    expect(bt.instrumentId.value).toBe("BTCUSDT-PERP.BINANCE");
    expect(bt.spec.step).toBe(5);
    expect(bt.spec.aggregation).toBe(BarAggregation.Minute);
    expect(bt.spec.intervalMicros()).toBe(300_000_000);
    expect(bt.source).toBe(AggregationSource.External);
    expect(bt.toString()).toBe("BTCUSDT-PERP.BINANCE-5-MINUTE-LAST-EXTERNAL");
  });

  it("support tick, volume and value bars", () => {
    for (const agg of [BarAggregation.Tick, BarAggregation.Volume, BarAggregation.Value]) {
      const s = new BarSpecification(100, agg, PriceType.Last);
      expect(s.isTimeBar()).toBe(false);
      expect(() => s.intervalMicros()).toThrow(/no fixed length/);
    }
  });

  it("reject bad specifications", () => {
    expect(() => BarSpecification.parse("0-MINUTE-LAST")).toThrow(/positive integer/);
    expect(() => BarSpecification.parse("1-FORTNIGHT-LAST")).toThrow(/unknown aggregation/);
    expect(() => BarType.parse("X.Y-1-MINUTE-LAST-SOMEWHERE")).toThrow(/unknown source/);
  });

  it("bars check that high and low bound open and close", () => {
    const bt = new BarType(InstrumentId.parse("A.B"), BarSpecification.parse("1-MINUTE-LAST"));
    const p = (s: string) => Price.parse(s);
    expect(() => new Bar(bt, p("1"), p("0.5"), p("0.4"), p("0.6"), Quantity.parse("1"), 0, 60, 60)).toThrow(
      /do not bound/,
    );
    const ok = new Bar(bt, p("1"), p("2"), p("0.5"), p("1.5"), Quantity.parse("3"), 0, 60, 60);
    expect(ok.high.toString()).toBe("2");
  });
});
