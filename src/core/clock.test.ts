import { describe, expect, it } from "vitest";
import { type Clock, ClockError, LiveClock, TestClock, type TimeEvent } from "./clock.js";

function schedule(clock: Clock, log: string[], t0: number): void {
  clock.setTimer(
    "every-100",
    100_000,
    (e) => log.push(`${e.name}@${e.tsEvent - t0}`),
    t0 + 100_000,
    t0 + 300_000,
  );
  clock.setTimeAlert("alert-150", t0 + 150_000, (e) => log.push(`${e.name}@${e.tsEvent - t0}`));
  clock.setTimeAlert("alert-200", t0 + 200_000, (e) => log.push(`${e.name}@${e.tsEvent - t0}`));
  clock.setTimer(
    "every-50",
    50_000,
    (e) => log.push(`${e.name}@${e.tsEvent - t0}`),
    t0 + 50_000,
    t0 + 200_000,
  );
}

const EXPECTED = [
  "every-50@50000",
  "every-100@100000",
  "every-50@100000",
  "alert-150@150000",
  "every-50@150000",
  "every-100@200000",
  "alert-200@200000",
  "every-50@200000",
  "every-100@300000",
];

describe("TestClock", () => {
  it("fires timers in timestamp order, ties in the order set, with the clock at each timer's time", () => {
    const clock = new TestClock(1_000_000);
    const log: string[] = [];
    const nowAtFire: number[] = [];
    schedule(clock, log, 1_000_000);
    clock.setTimeAlert("probe", 1_120_000, () => nowAtFire.push(clock.timestampUs()));
    expect(clock.advanceTo(1_400_000)).toBe(10);
    expect(log).toEqual(EXPECTED);
    expect(nowAtFire).toEqual([1_120_000]);
    expect(clock.timestampUs()).toBe(1_400_000);
    expect(clock.timerNames()).toEqual([]);
  });

  it("never goes backwards and rejects duplicate timer names and bad intervals", () => {
    const clock = new TestClock(10);
    expect(() => clock.advanceTo(5)).toThrow(ClockError);
    clock.setTimeAlert("a", 20, () => {});
    expect(() => clock.setTimeAlert("a", 30, () => {})).toThrow(/already set/);
    expect(() => clock.setTimer("b", 0, () => {})).toThrow(/positive integer/);
    expect(clock.cancelTimer("a")).toBe(true);
    expect(clock.advanceTo(100)).toBe(0);
  });

  it("a timer set from inside a callback fires in the same advance if due", () => {
    const clock = new TestClock(0);
    const seen: TimeEvent[] = [];
    clock.setTimeAlert("first", 10, () => clock.setTimeAlert("second", 15, (e) => seen.push(e)));
    clock.advanceTo(20);
    expect(seen.map((e) => [e.name, e.tsEvent])).toEqual([["second", 15]]);
  });
});

describe("LiveClock", () => {
  it("fires the same schedule in the same order as the test clock", async () => {
    const clock = new LiveClock();
    const log: string[] = [];
    const t0 = clock.timestampUs();
    await new Promise<void>((resolve) => {
      schedule(clock, log, t0);
      clock.setTimeAlert("done", t0 + 350_000, () => resolve());
    });
    clock.dispose();
    expect(log).toEqual(EXPECTED);
  });

  it("is monotonic with microsecond integers", () => {
    const clock = new LiveClock();
    let prev = clock.timestampUs();
    for (let i = 0; i < 1000; i++) {
      const t = clock.timestampUs();
      expect(Number.isSafeInteger(t)).toBe(true);
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
    }
    expect(Math.abs(prev / 1000 - Date.now())).toBeLessThan(5_000);
  });
});
