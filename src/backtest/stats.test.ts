import { describe, expect, it } from "vitest";
import { computeStats, MICROS_PER_YEAR } from "./stats.js";

const DAY = 86_400_000_000;

describe("computeStats", () => {
  it("matches hand-computed values on a small curve", () => {
    const eq = [100, 110, 99, 121, 110];
    const curve = eq.map((equity, i) => ({ ts: i * DAY, equity }));
    const s = computeStats(curve, [
      { entryTime: 0, exitTime: DAY, pnl: 10, fees: 1, notional: 200 },
      { entryTime: DAY, exitTime: 3 * DAY, pnl: 11, fees: 1, notional: 200 },
      { entryTime: 3 * DAY, exitTime: 4 * DAY, pnl: -11, fees: 1, notional: 100 },
    ]);
    const r = [0.1, -0.1, 121 / 99 - 1, 110 / 121 - 1];
    const mean = r.reduce((a, b) => a + b) / 4;
    const sd = Math.sqrt(r.reduce((a, x) => a + (x - mean) ** 2, 0) / 3);
    const P = MICROS_PER_YEAR / DAY;
    expect(s.periodsPerYear).toBeCloseTo(365.25, 9);
    expect(s.totalReturn).toBeCloseTo(0.1, 12);
    expect(s.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(P), 9);
    const dd = Math.sqrt((0.1 ** 2 + (110 / 121 - 1) ** 2) / 4);
    expect(s.sortino).toBeCloseTo((mean / dd) * Math.sqrt(P), 9);
    expect(s.maxDrawdown).toBeCloseTo(0.1, 12); // 110 → 99 and 121 → 110 (both 10 %)
    expect(s.maxDrawdownDurationUs).toBe(2 * DAY); // 110 at day 1 → recovered at day 3
    expect(s.cagr).toBeCloseTo(1.1 ** (365.25 / 4) - 1, 6);
    expect(s.calmar).toBeCloseTo(s.cagr / 0.1, 6);
    expect(s.winRate).toBeCloseTo(2 / 3, 12);
    expect(s.profitFactor).toBeCloseTo(21 / 11, 12);
    expect(s.expectancy).toBeCloseTo(10 / 3, 12);
    expect(s.averageWin).toBeCloseTo(10.5, 12);
    expect(s.averageLoss).toBeCloseTo(-11, 12);
    expect(s.exposureTime).toBeCloseTo(1, 12);
    expect(s.turnover).toBeCloseTo(500 / 108, 12);
    expect(s.totalFees).toBe(3);
  });

  it("handles flat and empty runs without throwing", () => {
    const flat = computeStats(
      [
        { ts: 0, equity: 100 },
        { ts: DAY, equity: 100 },
      ],
      [],
    );
    expect(flat.totalReturn).toBe(0);
    expect(Number.isNaN(flat.sharpe)).toBe(true);
    expect(flat.maxDrawdown).toBe(0);
    expect(Number.isNaN(flat.winRate)).toBe(true);
    const empty = computeStats([], []);
    expect(empty.trades).toBe(0);
  });

  it("exposure is the union of trade intervals", () => {
    const s = computeStats(
      [
        { ts: 0, equity: 1 },
        { ts: 10, equity: 1 },
      ],
      [
        { entryTime: 0, exitTime: 4, pnl: 0, fees: 0, notional: 0 },
        { entryTime: 2, exitTime: 5, pnl: 0, fees: 0, notional: 0 },
        { entryTime: 8, exitTime: 9, pnl: 0, fees: 0, notional: 0 },
      ],
    );
    expect(s.exposureTime).toBeCloseTo(0.6, 12);
  });
});
