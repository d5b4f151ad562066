import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";
import { SeenSet } from "./dedup.js";

describe("SeenSet", () => {
  it("detects duplicates within its window and stays bounded", () => {
    const s = new SeenSet(3);
    expect(s.add("a")).toBe(true);
    expect(s.add("a")).toBe(false);
    s.add("b");
    s.add("c");
    s.add("d"); // evicts a
    expect(s.has("a")).toBe(false);
    expect(s.has("b") && s.has("c") && s.has("d")).toBe(true);
    for (let i = 0; i < 10_000; i++) s.add(`x${i}`);
    expect(s.size).toBe(3);
  });

  it("rejects a bad capacity", () => {
    expect(() => new SeenSet(0)).toThrow(/positive integer/);
  });
});

describe("Backoff", () => {
  it("grows exponentially with jitter, capped, and is reproducible from its seed", () => {
    const a = new Backoff({ initialMs: 100, maxMs: 2000, seed: 7 });
    const delays = Array.from({ length: 8 }, () => a.next());
    const b = new Backoff({ initialMs: 100, maxMs: 2000, seed: 7 });
    expect(Array.from({ length: 8 }, () => b.next())).toEqual(delays);
    delays.forEach((d, i) => {
      const cap = Math.min(2000, 100 * 2 ** i);
      expect(d).toBeGreaterThanOrEqual(cap / 2);
      expect(d).toBeLessThanOrEqual(cap);
    });
    const c = new Backoff({ initialMs: 100, maxMs: 2000, seed: 8 });
    expect(Array.from({ length: 8 }, () => c.next())).not.toEqual(delays);
    a.reset();
    expect(a.attempts).toBe(0);
    expect(a.next()).toBeLessThanOrEqual(100);
  });
});
