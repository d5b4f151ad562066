import { describe, expect, it } from "vitest";
import { OrderType, TimeInForce } from "../../model/enums.js";
import { limit, market, setup } from "./test-support.js";

describe("iceberg (display quantity)", () => {
  it("shows only the display quantity; a refill goes to the back of its price's queue", () => {
    const h = setup();
    h.engine.submit(limit(1, "S", 100, 10, { displayQty: 3 })); // shows 3 of 10
    h.engine.submit(limit(2, "S", 100, 2, { owner: 2 }));
    expect(h.engine.asks.best()!.volume).toBe(5); // 3 shown + 2
    expect(h.book().asks).toEqual(["100: 1/10 2/2"]);
    h.take();
    // A buy of 4: 3 from the iceberg's shown part, then (the refill is behind order 2) 1 from 2.
    h.engine.submit(market(3, "B", 4, { owner: 3 }));
    expect(h.takeKinds()).toEqual([
      "Accepted#3",
      "Trade#3x1 3@100",
      "Updated:ICEBERG_REFILLED#1",
      "Trade#3x2 1@100",
    ]);
    expect(h.book().asks).toEqual(["100: 2/1 1/7"]);
    expect(h.engine.asks.best()!.volume).toBe(4); // 1 + 3 shown of 7
    // A sweep larger than the level takes the hidden part too, refill by refill, in queue order.
    h.engine.submit(market(4, "B", 8, { owner: 3 }));
    expect(h.takeKinds()).toEqual([
      "Accepted#4",
      "Trade#4x2 1@100",
      "Trade#4x1 3@100",
      "Updated:ICEBERG_REFILLED#1",
      "Trade#4x1 3@100",
      "Updated:ICEBERG_REFILLED#1",
      "Trade#4x1 1@100",
    ]);
    expect(h.book().asks).toEqual([]);
  });

  it("FOK counts the hidden part; a size decrease cuts the hidden part first and keeps priority", () => {
    const h = setup();
    h.engine.submit(limit(1, "S", 100, 10, { displayQty: 2 }));
    h.engine.submit(limit(2, "S", 100, 1, { owner: 2 }));
    h.engine.modify(1, null, 3); // 3 left: 2 shown, 1 hidden, still first
    expect(h.book().asks).toEqual(["100: 1/3 2/1"]);
    expect(h.engine.asks.best()!.volume).toBe(3);
    h.take();
    h.engine.submit(limit(3, "B", 100, 4, { owner: 3, timeInForce: TimeInForce.FOK }));
    expect(h.takeKinds()).toEqual([
      "Accepted#3",
      "Trade#3x1 2@100",
      "Updated:ICEBERG_REFILLED#1",
      "Trade#3x2 1@100",
      "Trade#3x1 1@100",
    ]);
  });

  it("an aggressive iceberg takes its full quantity, then rests showing the display quantity", () => {
    const h = setup();
    h.engine.submit(limit(1, "S", 100, 2, { owner: 2 }));
    h.engine.submit(limit(2, "B", 100, 9, { displayQty: 4 }));
    expect(h.book().bids).toEqual(["100: 2/7"]);
    expect(h.engine.bids.best()!.volume).toBe(4);
  });

  it("bad display quantities are rejected with INVALID_DISPLAY_QTY", () => {
    const h = setup({ lotSize: 2 });
    const bad = [
      limit(1, "B", 100, 10, { displayQty: 0 }),
      limit(2, "B", 100, 10, { displayQty: 12 }),
      limit(3, "B", 100, 10, { displayQty: 3 }),
      limit(4, "B", 100, 10, { displayQty: 4, timeInForce: TimeInForce.IOC }),
      market(5, "B", 10, { displayQty: 4 }),
      { ...limit(6, "B", 100, 10, { displayQty: 4 }), type: OrderType.Market, price: null },
    ];
    for (const r of bad) expect(h.engine.submit(r)).toBe(false);
    expect(h.take().map((e) => e.reason)).toEqual(Array(6).fill("INVALID_DISPLAY_QTY"));
    expect(h.book()).toEqual({ bids: [], asks: [] });
  });
});
