import { describe, expect, it } from "vitest";
import { Kernel } from "../core/kernel.js";
import { Topics } from "../core/topics.js";
import {
  AggregationSource,
  Bar,
  BarType,
  BookFlags,
  BookOrder,
  OrderBookDelta,
  OrderBookDeltas,
  QuoteTick,
  TradeTick,
} from "../model/data.js";
import { AggressorSide, BookAction, BookSide } from "../model/enums.js";
import { InstrumentId } from "../model/identifiers.js";
import { MICROS_PER_MINUTE } from "../model/time.js";
import { Price, Quantity } from "../model/values.js";
import { parseBarInterval } from "./bars/interval.js";
import { DataEngine } from "./engine.js";

const ID = InstrumentId.of("ENG", "SIM");

function kernel(): { k: Kernel; engine: DataEngine } {
  const k = new Kernel({ traderId: "E", mode: "backtest", seed: 1 });
  const engine = k.add(new DataEngine());
  return { k, engine };
}

function trade(ts: number, price: string): TradeTick {
  return new TradeTick(ID, Price.parse(price), Quantity.parse("1"), AggressorSide.Seller, String(ts), ts, ts);
}

describe("DataEngine", () => {
  it("routes each data type to its topic", () => {
    const { k, engine } = kernel();
    k.start();
    const seen: string[] = [];
    k.bus.subscribe("data.*", (m: unknown) => seen.push((m as object).constructor.name));
    engine.process(trade(1, "1"));
    engine.process(
      new QuoteTick(ID, Price.parse("1"), Price.parse("2"), Quantity.parse("1"), Quantity.parse("1"), 2, 2),
    );
    const bt = BarType.parse("ENG.SIM-1-MINUTE-LAST-EXTERNAL");
    engine.process(
      new Bar(
        bt,
        Price.parse("1"),
        Price.parse("1"),
        Price.parse("1"),
        Price.parse("1"),
        Quantity.parse("0"),
        0,
        60,
        60,
      ),
    );
    expect(seen).toEqual(["TradeTick", "QuoteTick", "Bar"]);
    expect(k.bus.topicNames()).toContain(Topics.bars(bt));
    expect(engine.processed).toBe(3);
  });

  it("aggregates subscribed bars from trades and closes time bars on the clock", () => {
    const { k, engine } = kernel();
    const bt = new BarType(ID, parseBarInterval("1m"), AggregationSource.Internal);
    engine.subscribeBars(bt);
    const bars: Bar[] = [];
    k.bus.subscribe<Bar>(Topics.bars(bt), (b) => bars.push(b));
    k.start();
    const topic = k.bus.topic<TradeTick>(Topics.trades(ID));
    const m = (ts: number, p: string) => ({ ts, topic, message: trade(ts, p) });
    k.replay([m(10, "5"), m(20, "7"), m(MICROS_PER_MINUTE + 5, "6")]);
    // The clock passing 1:00 closed the first bar before the trade at 1:00.000005 was seen.
    expect(bars.map((b) => `${b.open}/${b.high}/${b.close}@${b.tsEvent}`)).toEqual([
      `5/7/7@${MICROS_PER_MINUTE}`,
    ]);
    k.advanceTo(4 * MICROS_PER_MINUTE);
    expect(bars.map((b) => `${b.close} ${b.volume}`)).toEqual(["7 2", "6 1", "6 0", "6 0"]);
    expect(bars[3].tsInit).toBe(4 * MICROS_PER_MINUTE);
    expect(engine.unsubscribeBars(bt)).toBe(true);
    k.advanceTo(10 * MICROS_PER_MINUTE);
    expect(bars.length).toBe(4);
  });

  it("tick bars through the engine", () => {
    const { k, engine } = kernel();
    const bt = BarType.parse("ENG.SIM-2-TICK-LAST-INTERNAL");
    engine.subscribeBars(bt);
    const bars: Bar[] = [];
    k.bus.subscribe<Bar>(Topics.bars(bt), (b) => bars.push(b));
    k.start();
    for (let i = 0; i < 5; i++) engine.process(trade(i, String(i + 1)));
    engine.flushBars();
    expect(bars.map((b) => `${b.open}-${b.close}`)).toEqual(["1-2", "3-4", "5-5"]);
  });

  it("maintains order books from deltas before other subscribers see them", () => {
    const { k, engine } = kernel();
    k.start();
    const d = (side: BookSide, p: string, s: string, flags = 0) =>
      new OrderBookDelta(
        ID,
        BookAction.Update,
        new BookOrder(side, Price.parse(p), Quantity.parse(s), 0),
        flags,
        1,
        1,
        1,
      );
    let bestSeen = "";
    k.bus.subscribe(Topics.bookDeltas(ID), () => {
      bestSeen = `${engine.book(ID)?.bestBid()} / ${engine.book(ID)?.bestAsk()}`;
    });
    engine.process(
      new OrderBookDeltas(
        ID,
        [d(BookSide.Bid, "99.5", "2"), d(BookSide.Ask, "100.0", "1", BookFlags.Last)],
        true,
        1,
        1,
        0,
        1,
        1,
      ),
    );
    expect(bestSeen).toBe("99.5 / 100.0");
    expect(engine.book(InstrumentId.of("OTHER", "SIM"))).toBeNull();
  });
});
