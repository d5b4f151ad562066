import { describe, expect, it } from "vitest";
import { RecordedSide } from "./recorded-ladder.js";

describe("RecordedSide (the venue's recorded L2 liquidity)", () => {
  it("asks: best is the lowest price; consumption hides a level until its next update", () => {
    const s = new RecordedSide(false);
    s.set(1002, 5);
    s.set(1001, 3);
    s.set(1005, 7);
    expect([s.depth, s.bestAvailable(), s.priceAt(0), s.priceAt(1), s.priceAt(2)]).toEqual([
      3, 1001, 1001, 1002, 1005,
    ]);
    s.take(1001, 3); // all of the best level taken
    s.take(1002, 2);
    expect([s.bestAvailable(), s.availableAt(1002), s.volumeAt(1002), s.takenAt(1002)]).toEqual([
      1002, 3, 5, 2,
    ]);
    s.take(1002, 3);
    expect(s.bestAvailable()).toBe(1005);
    s.set(1001, 3); // the level's next update (same size): available again
    expect([s.bestAvailable(), s.takenAt(1001), s.takenAt(1002)]).toEqual([1001, 0, 5]);
    s.set(1002, 0); // removed: its consumption goes with it
    expect([s.depth, s.volumeAt(1002), s.takenAt(1002), Number.isNaN(s.priceAt(2))]).toEqual([2, 0, 0, true]);
    s.clear();
    expect([s.depth, Number.isNaN(s.bestAvailable())]).toEqual([0, true]);
  });

  it("bids: best is the highest price, fully taken levels are skipped", () => {
    const s = new RecordedSide(true);
    for (const [p, v] of [
      [990, 1],
      [1000, 2],
      [995, 4],
    ])
      s.set(p, v);
    expect([s.priceAt(0), s.volumeAtRank(0), s.priceAt(1), s.priceAt(2)]).toEqual([1000, 2, 995, 990]);
    s.take(1000, 2);
    s.take(995, 4);
    expect(s.bestAvailable()).toBe(990);
    s.take(990, 1);
    expect(Number.isNaN(s.bestAvailable())).toBe(true);
  });
});
