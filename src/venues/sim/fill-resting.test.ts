import { describe, expect, it } from "vitest";
import { limit, setup } from "./test-support.js";

describe("MatchingEngine.fillResting (external fills of resting orders)", () => {
  it("fills a resting order as maker against an external taker, partially then fully", () => {
    const h = setup();
    h.engine.submit(limit(1, "B", 100, 5));
    h.engine.submit(limit(2, "B", 100, 3));
    h.take();
    expect(h.engine.fillResting(2, 2, 100)).toBe(2); // any order in the queue, not just the head
    expect(h.takeKinds()).toEqual(["Trade#0x2 2@100"]);
    expect(h.engine.bids.levelAt(100)?.volume).toBe(6);
    expect(h.engine.fillResting(2, 5, 99)).toBe(1); // capped at leaves; price as given
    const t = h.take()[0];
    expect([t.px, t.lastQty, t.makerLeaves, t.owner, t.side]).toEqual([99, 1, 0, 0, "S"]);
    expect(h.engine.getOrder(2)).toBeUndefined();
    expect(h.engine.fillResting(2, 1, 100)).toBe(0); // gone
    expect(h.engine.lastPrice).toBeNaN(); // market data sets the last price, not this
    expect(h.book().bids).toEqual(["100: 1/5"]);
  });

  it("checks reduce-only makers: resized to the position, canceled when flat", () => {
    const h = setup();
    h.positions.set(1, -2);
    h.engine.submit(limit(1, "B", 100, 2, { reduceOnly: true }));
    h.positions.set(1, -1);
    h.take();
    expect(h.engine.fillResting(1, 2, 100)).toBe(1);
    expect(h.takeKinds()).toEqual(["Updated:REDUCE_ONLY_RESIZED#1", "Trade#0x1 1@100"]);
    h.positions.set(1, -1);
    h.engine.submit(limit(2, "B", 100, 1, { reduceOnly: true }));
    h.positions.set(1, 0);
    h.take();
    expect(h.engine.fillResting(2, 1, 100)).toBe(0);
    expect(h.takeKinds()).toEqual(["Canceled:REDUCE_ONLY_POSITION_CLOSED#2"]);
  });

  it("refuses bad arguments with a RangeError", () => {
    const h = setup();
    expect(() => h.engine.fillResting(1, 0, 100)).toThrow(RangeError);
    expect(() => h.engine.fillResting(1, 1, -1)).toThrow(RangeError);
  });
});
