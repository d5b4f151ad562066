import { describe, expect, it } from "vitest";
import {
  ACTION_CLEAR,
  ACTION_UPDATE,
  AggregationSource,
  Bar,
  BarAggregation,
  BarSpecification,
  BarType,
  BookDeltaColumns,
  BookFlags,
  OrderBookDeltas,
} from "./data.js";
import { BookAction, BookSide, PriceType } from "./enums.js";
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

describe("columnar OrderBookDeltas", () => {
  const id = InstrumentId.of("BTCUSDT", "TEST");
  const u8 = (...v: number[]) => Uint8Array.from(v);
  const f64 = (...v: number[]) => Float64Array.from(v);

  it("materialises its levels lazily, once, at the columns' precisions", () => {
    // entries 0 and 3 belong to other batches sharing the arrays
    const c = new BookDeltaColumns(
      2,
      u8(9, 0, 1, 9),
      u8(9, ACTION_UPDATE, ACTION_CLEAR, 9),
      u8(9, 0, BookFlags.Last, 9),
      f64(9, 6165970, 0, 9),
      f64(9, 1500, 0, 9),
      2,
      3,
      1,
    );
    const d = OrderBookDeltas.fromColumns(id, c, false, 7, 8, 6, 100, 101);
    expect(d.length).toBe(2);
    const list = d.deltas;
    expect(d.deltas).toBe(list);
    expect(
      list.map((x) => [x.action, x.order?.side, `${x.order?.price}`, `${x.order?.size}`, x.flags]),
    ).toEqual([
      [BookAction.Update, BookSide.Bid, "61659.70", "1.500", 0],
      [BookAction.Clear, undefined, "undefined", "undefined", BookFlags.Last],
    ]);
    expect(list.map((x) => [x.sequence, x.tsEvent, x.tsInit, x.instrumentId])).toEqual([
      [8, 100, 101, id],
      [8, 100, 101, id],
    ]);
    // the object form is unchanged: deltas as given, no columns
    const o = new OrderBookDeltas(id, list, false, 7, 8, 6, 100, 101);
    expect([o.columns, o.deltas, o.length]).toEqual([null, list, 2]);
    // both forms serialise the same way, with the deltas (as before columnar batches)
    expect(JSON.stringify(d)).toBe(JSON.stringify(o));
    expect(JSON.parse(JSON.stringify(d)).deltas[0].order.price).toBe("61659.70");
  });

  it("rejects columns shorter than offset + count and bad precisions", () => {
    const a = () => u8(0, 0);
    expect(() => new BookDeltaColumns(2, a(), a(), a(), f64(1, 2), f64(1), 0, 0)).toThrow(/fewer than/);
    expect(() => new BookDeltaColumns(1, a(), a(), a(), f64(1, 2), f64(1, 2), 0, 0, 1.5)).toThrow(/offset/);
    expect(() => new BookDeltaColumns(1, a(), a(), a(), f64(1, 2), f64(1, 2), 13, 0)).toThrow(/precision/);
  });
});
