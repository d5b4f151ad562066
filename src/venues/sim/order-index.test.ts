import { describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import { OrderIndex } from "./order-index.js";

describe("OrderIndex", () => {
  it("agrees with Map under random inserts and deletes (growth, probe wrap-around, large ids)", () => {
    const rng = new Rng(42);
    const index = new OrderIndex<number>(4);
    const ref = new Map<number, number>();
    const ids: number[] = [];
    for (let step = 0; step < 60_000; step++) {
      const r = rng.nextInt(100);
      if (r < 55 || ids.length === 0) {
        // Dense small ids, sparse ids, and ids above 2^32.
        const id =
          r % 3 === 0
            ? 1 + rng.nextInt(5_000)
            : r % 3 === 1
              ? 1 + rng.nextInt(2 ** 31)
              : 2 ** 40 + rng.nextInt(1e6);
        index.set(id, step);
        if (!ref.has(id)) ids.push(id);
        ref.set(id, step);
      } else {
        const k = rng.nextInt(ids.length);
        const id = r < 95 ? ids[k] : 1 + rng.nextInt(10_000);
        expect(index.delete(id)).toBe(ref.delete(id));
        const at = ids.indexOf(id);
        if (at >= 0) {
          ids[at] = ids[ids.length - 1];
          ids.pop();
        }
      }
      if (step % 997 === 0) {
        for (const id of ids) expect(index.get(id)).toBe(ref.get(id));
        expect(index.get(123_456_789_012)).toBeUndefined();
      }
      expect(index.size).toBe(ref.size);
    }
  });
});
