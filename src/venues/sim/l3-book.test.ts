import { describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import { BookSide, OrderNode } from "./l3-book.js";

function node(id: number, price: number, leaves: number): OrderNode {
  const n = new OrderNode();
  n.id = id;
  n.price = price;
  n.leaves = leaves;
  return n;
}

describe("BookSide ladder", () => {
  for (const isBid of [true, false]) {
    it(`${isBid ? "bid" : "ask"} side: best level and traversal match a sorted reference`, () => {
      const rng = new Rng(isBid ? 7 : 8);
      const tick = 5;
      const side = new BookSide(isBid, tick);
      const live = new Map<number, OrderNode>();
      let id = 0;
      // Prices over ~4 pages of 4,096 ticks, with clusters at word and page boundaries.
      const special = [1, 31, 32, 33, 63, 64, 1023, 1024, 1025, 4095, 4096, 4097, 8191, 8192, 12_287, 12_288];
      for (let step = 0; step < 20_000; step++) {
        if (live.size === 0 || rng.nextInt(100) < 55) {
          const t = rng.nextInt(4) === 0 ? special[rng.nextInt(special.length)] : 1 + rng.nextInt(16_000);
          const n = node(++id, t * tick, 1 + rng.nextInt(9));
          side.append(n);
          live.set(n.id, n);
        } else {
          const ids = [...live.keys()];
          const victim = live.get(ids[rng.nextInt(ids.length)])!;
          side.remove(victim);
          live.delete(victim.id);
        }
        if (step % 50 === 0 || live.size < 5) {
          const prices = [...new Set([...live.values()].map((n) => n.price))].sort((a, b) =>
            isBid ? b - a : a - b,
          );
          const walked = [...side.levelsFromBest()].map((l) => l.price);
          expect(walked).toEqual(prices);
          expect(side.depth).toBe(prices.length);
          expect(Number.isNaN(side.bestPrice()) ? undefined : side.bestPrice()).toBe(prices[0]);
          for (const p of prices.slice(0, 5)) {
            const level = side.levelAt(p)!;
            let vol = 0;
            for (const n of live.values()) if (n.price === p) vol += n.leaves;
            expect(level.volume).toBe(vol);
          }
        }
      }
    });
  }

  it("keeps FIFO order within a level and unlinks from the middle", () => {
    const side = new BookSide(true, 1);
    const a = node(1, 100, 1);
    const b = node(2, 100, 2);
    const c = node(3, 100, 3);
    side.append(a);
    side.append(b);
    side.append(c);
    side.remove(b);
    const level = side.levelAt(100)!;
    expect([level.head!.id, level.head!.next!.id, level.tail!.id]).toEqual([1, 3, 3]);
    expect([level.count, level.volume]).toEqual([2, 4]);
    side.remove(a);
    side.remove(c);
    expect(side.best()).toBeNull();
    expect(side.levelAt(100)).toBeNull();
  });
});
