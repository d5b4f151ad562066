/**
 * Backtest statistics from an equity curve and the list of round-trip trades. Formulas are in
 * docs/backtest.md. Statistics are floats (they are ratios, not money); the money they are
 * computed from is exact.
 */

export const MICROS_PER_YEAR = 365.25 * 86_400 * 1_000_000;

export interface EquitySample {
  /** µs since the epoch. */
  ts: number;
  equity: number;
}

export interface TradeSummary {
  entryTime: number;
  exitTime: number;
  /** Net PnL after fees, in the reporting currency. */
  pnl: number;
  fees: number;
  /** Traded notional of entry + exit, in the reporting currency. */
  notional: number;
}

export interface BacktestStats {
  startEquity: number;
  endEquity: number;
  totalReturn: number;
  cagr: number;
  annualVolatility: number;
  sharpe: number;
  sortino: number;
  calmar: number;
  maxDrawdown: number;
  /** Longest time from a peak to the first later point at or above it (or the end), µs. */
  maxDrawdownDurationUs: number;
  trades: number;
  winRate: number;
  profitFactor: number;
  expectancy: number;
  averageWin: number;
  averageLoss: number;
  /** Fraction of the run's time with at least one trade open. */
  exposureTime: number;
  /** Traded notional divided by average equity. */
  turnover: number;
  totalFees: number;
  /** Periods per year used to annualise (from the median sampling interval). */
  periodsPerYear: number;
}

export interface StatsOptions {
  /** Annual risk-free rate (default 0). */
  riskFreeRate?: number;
  /** Override the annualisation factor (e.g. 252 for daily bars of a stock). */
  periodsPerYear?: number;
}

function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function computeStats(
  curve: readonly EquitySample[],
  trades: readonly TradeSummary[],
  options: StatsOptions = {},
): BacktestStats {
  const n = curve.length;
  const start = n > 0 ? curve[0].equity : 0;
  const end = n > 0 ? curve[n - 1].equity : 0;
  const span = n > 1 ? curve[n - 1].ts - curve[0].ts : 0;
  const intervals: number[] = [];
  const returns: number[] = [];
  for (let i = 1; i < n; i++) {
    intervals.push(curve[i].ts - curve[i - 1].ts);
    const prev = curve[i - 1].equity;
    returns.push(prev === 0 ? 0 : curve[i].equity / prev - 1);
  }
  const dt = median(intervals);
  const periodsPerYear = options.periodsPerYear ?? (dt > 0 ? MICROS_PER_YEAR / dt : Number.NaN);
  const rfPerPeriod = (options.riskFreeRate ?? 0) / periodsPerYear;
  const excess = returns.map((r) => r - rfPerPeriod);
  const mean = excess.length ? excess.reduce((a, b) => a + b, 0) / excess.length : Number.NaN;
  const variance =
    excess.length > 1 ? excess.reduce((a, r) => a + (r - mean) ** 2, 0) / (excess.length - 1) : Number.NaN;
  const sd = Math.sqrt(variance);
  const downside = excess.length
    ? Math.sqrt(excess.reduce((a, r) => a + Math.min(r, 0) ** 2, 0) / excess.length)
    : Number.NaN;
  const years = span / MICROS_PER_YEAR;
  const totalReturn = start === 0 ? Number.NaN : end / start - 1;
  const cagr = years > 0 && start > 0 && end > 0 ? (end / start) ** (1 / years) - 1 : Number.NaN;

  let peak = Number.NEGATIVE_INFINITY;
  let peakTs = n > 0 ? curve[0].ts : 0;
  let maxDd = 0;
  let maxDdDur = 0;
  for (const p of curve) {
    if (p.equity >= peak) {
      if (peak > Number.NEGATIVE_INFINITY) maxDdDur = Math.max(maxDdDur, p.ts - peakTs);
      peak = p.equity;
      peakTs = p.ts;
    } else if (peak > 0) {
      maxDd = Math.max(maxDd, (peak - p.equity) / peak);
    }
  }
  if (n > 0 && curve[n - 1].equity < peak) maxDdDur = Math.max(maxDdDur, curve[n - 1].ts - peakTs);

  const wins = trades.filter((t) => t.pnl > 0);
  const losses = trades.filter((t) => t.pnl < 0);
  const grossProfit = wins.reduce((a, t) => a + t.pnl, 0);
  const grossLoss = -losses.reduce((a, t) => a + t.pnl, 0);

  // Exposure: union of [entry, exit] intervals over the run.
  const iv = trades.map((t) => [t.entryTime, t.exitTime] as [number, number]).sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let curS = Number.NaN;
  let curE = Number.NaN;
  for (const [s, e] of iv) {
    if (Number.isNaN(curS) || s > curE) {
      if (!Number.isNaN(curS)) covered += curE - curS;
      curS = s;
      curE = e;
    } else {
      curE = Math.max(curE, e);
    }
  }
  if (!Number.isNaN(curS)) covered += curE - curS;
  const avgEquity = n ? curve.reduce((a, p) => a + p.equity, 0) / n : Number.NaN;
  const maxDrawdown = maxDd;
  return {
    startEquity: start,
    endEquity: end,
    totalReturn,
    cagr,
    annualVolatility: sd * Math.sqrt(periodsPerYear),
    sharpe: sd > 0 ? (mean / sd) * Math.sqrt(periodsPerYear) : Number.NaN,
    sortino: downside > 0 ? (mean / downside) * Math.sqrt(periodsPerYear) : Number.NaN,
    calmar: maxDrawdown > 0 ? cagr / maxDrawdown : Number.NaN,
    maxDrawdown,
    maxDrawdownDurationUs: maxDdDur,
    trades: trades.length,
    winRate: trades.length ? wins.length / trades.length : Number.NaN,
    profitFactor:
      grossLoss > 0 ? grossProfit / grossLoss : grossProfit > 0 ? Number.POSITIVE_INFINITY : Number.NaN,
    expectancy: trades.length ? trades.reduce((a, t) => a + t.pnl, 0) / trades.length : Number.NaN,
    averageWin: wins.length ? grossProfit / wins.length : Number.NaN,
    averageLoss: losses.length ? -grossLoss / losses.length : Number.NaN,
    exposureTime: span > 0 ? Math.min(1, covered / span) : Number.NaN,
    turnover: avgEquity > 0 ? trades.reduce((a, t) => a + t.notional, 0) / avgEquity : Number.NaN,
    totalFees: trades.reduce((a, t) => a + t.fees, 0),
    periodsPerYear,
  };
}
