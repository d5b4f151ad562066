import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";
import { MAX_PRODUCERS, SeenSet } from "./dedup.js";

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

  it("de-duplicates sequenced ids per producer within the window, growing to it", () => {
    const s = new SeenSet(3000);
    for (let i = 0; i < 3000; i++) s.addSeqAbsent("p", i);
    expect(s.hasSeq("p", 0) && s.hasSeq("p", 2999)).toBe(true);
    expect(s.hasSeq("q", 0)).toBe(false);
    s.addSeqAbsent("p", 3000); // evicts 0
    expect(s.hasSeq("p", 0)).toBe(false);
    expect(s.hasSeq("p", 1) && s.hasSeq("p", 3000)).toBe(true);
    // Sequenced ids and string ids are separate: "p:5" as a string is another id.
    expect(s.has("p:5")).toBe(false);
    expect(s.size).toBe(3000);
    // Interleaved producers keep their own windows.
    s.addSeqAbsent("q", 7);
    s.addSeqAbsent("p", 3001);
    expect(s.hasSeq("q", 7) && s.hasSeq("p", 3001) && !s.hasSeq("q", 3001)).toBe(true);
  });

  it("keeps the windows of the most recently used producers only", () => {
    const s = new SeenSet(10);
    s.addSeqAbsent("keep", 1);
    for (let i = 0; i < MAX_PRODUCERS + 5; i++) {
      s.addSeqAbsent(`p${i}`, 1);
      expect(s.hasSeq("keep", 1)).toBe(true); // used again: never the least recently used
    }
    expect(s.hasSeq("p0", 1)).toBe(false);
    expect(s.hasSeq(`p${MAX_PRODUCERS + 4}`, 1)).toBe(true);
    expect(s.size).toBe(MAX_PRODUCERS);
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
