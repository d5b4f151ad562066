/**
 * Validation splits that respect time: walk-forward folds and purged, embargoed k-fold
 * cross-validation (López de Prado, ch. 7), plus a leakage check that catches features which
 * look into the future.
 */
import { MlError } from "../errors.js";

export interface Fold {
  /** Training row indices (ascending). */
  train: Int32Array;
  /** Test row indices (ascending, contiguous). */
  test: Int32Array;
}

function range(a: number, b: number): Int32Array {
  const out = new Int32Array(Math.max(0, b - a));
  for (let i = 0; i < out.length; i++) out[i] = a + i;
  return out;
}

export interface WalkForwardParams {
  /** Rows in each training window (the first window when expanding). */
  trainSize: number;
  testSize: number;
  /** Rows the window moves per fold (default testSize). */
  step?: number;
  /** Keep all history (expanding window) instead of a rolling window. Default false. */
  expanding?: boolean;
  /** Rows dropped between train and test (label horizon), default 0. */
  gap?: number;
}

/** Walk-forward folds over `n` time-ordered rows: train on the past, test on the block after it. */
export function walkForward(n: number, p: WalkForwardParams): Fold[] {
  const step = p.step ?? p.testSize;
  const gap = p.gap ?? 0;
  for (const [k, v] of Object.entries({ trainSize: p.trainSize, testSize: p.testSize, step }))
    if (!Number.isInteger(v) || v < 1)
      throw new MlError("ML_BAD_PARAMS", `walkForward: ${k} must be an integer >= 1, got ${v}`);
  if (!Number.isInteger(gap) || gap < 0)
    throw new MlError("ML_BAD_PARAMS", `walkForward: gap must be an integer >= 0, got ${gap}`);
  const folds: Fold[] = [];
  for (let trainEnd = p.trainSize; trainEnd + gap + p.testSize <= n; trainEnd += step) {
    const trainStart = p.expanding ? 0 : trainEnd - p.trainSize;
    folds.push({
      train: range(trainStart, trainEnd),
      test: range(trainEnd + gap, trainEnd + gap + p.testSize),
    });
  }
  if (folds.length === 0)
    throw new MlError(
      "ML_BAD_PARAMS",
      `walkForward: ${n} rows are too few for trainSize ${p.trainSize} + gap ${gap} + testSize ${p.testSize}`,
    );
  return folds;
}

export interface PurgedKFoldParams {
  k: number;
  /**
   * Bar at which each row's label is known (e.g. `tripleBarrierLabels(...).end`, or t + horizon).
   * Row i's label spans [i, labelEnd[i]].
   */
  labelEnd: ArrayLike<number>;
  /** Rows after each test block excluded from training (embargo), default 0. */
  embargo?: number;
}

/**
 * Purged, embargoed k-fold: contiguous test blocks; a training row is *purged* when its label
 * interval [i, labelEnd[i]] overlaps the test block's span [testStart, max labelEnd in test], and
 * the `embargo` rows right after that span are dropped too (serial correlation; as in López de
 * Prado's `getEmbargoTimes`, the embargo extends the test labels' end).
 */
export function purgedKFold(n: number, p: PurgedKFoldParams): Fold[] {
  if (!Number.isInteger(p.k) || p.k < 2 || p.k > n)
    throw new MlError("ML_BAD_PARAMS", `purgedKFold: k must be an integer in [2, ${n}], got ${p.k}`);
  if (p.labelEnd.length !== n)
    throw new MlError("ML_BAD_PARAMS", `purgedKFold: labelEnd has ${p.labelEnd.length} values for ${n} rows`);
  for (let i = 0; i < n; i++)
    if (!(p.labelEnd[i] >= i))
      throw new MlError(
        "ML_BAD_PARAMS",
        `purgedKFold: labelEnd[${i}] = ${p.labelEnd[i]} is before its row (labels end at or after their row)`,
      );
  const embargo = p.embargo ?? 0;
  const folds: Fold[] = [];
  for (let f = 0; f < p.k; f++) {
    const a = Math.floor((f * n) / p.k);
    const b = Math.floor(((f + 1) * n) / p.k);
    let spanEnd = b - 1;
    for (let i = a; i < b; i++) spanEnd = Math.max(spanEnd, p.labelEnd[i]);
    const train: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i >= a && i < b) continue;
      if (i < a && p.labelEnd[i] >= a) continue; // purge: label overlaps the test span
      if (i >= b && i <= spanEnd) continue; // purge: row starts inside the test labels' span
      if (i > spanEnd && i <= spanEnd + embargo) continue; // embargo after the test labels' span
      train.push(i);
    }
    folds.push({ train: Int32Array.from(train), test: range(a, b) });
  }
  return folds;
}

export interface LeakageReport {
  ok: boolean;
  /** Columns whose value at some row changed when later data was removed, with the first such row. */
  leaks: { column: number; name?: string; row: number; full: number; truncated: number }[];
}

/**
 * Look-ahead check by truncation: a causal feature's value at row t depends only on data up to t,
 * so computing the features on a prefix of the data must reproduce the full-data values on that
 * prefix, bit for bit. `compute(end)` must build the feature matrix (row-major, `cols` wide) from
 * the first `end` rows of the raw data only. Checked at `cuts` prefix lengths (default: 8 spread
 * over the data); a feature that reads row t+1 changes at the last row of a prefix and is reported.
 */
export function checkLookahead(
  n: number,
  cols: number,
  compute: (end: number) => ArrayLike<number>,
  opts: { cuts?: number[]; names?: readonly string[] } = {},
): LeakageReport {
  const full = compute(n);
  if (full.length !== n * cols)
    throw new MlError(
      "ML_BAD_DATASET",
      `checkLookahead: compute(${n}) returned ${full.length} values, expected ${n * cols}`,
    );
  const cuts = opts.cuts ?? Array.from({ length: 8 }, (_, i) => Math.max(1, Math.floor(((i + 1) * n) / 9)));
  const leaks = new Map<number, LeakageReport["leaks"][number]>();
  for (const end of cuts) {
    const part = compute(end);
    for (let r = 0; r < end; r++)
      for (let c = 0; c < cols; c++) {
        const a = full[r * cols + c];
        const b = part[r * cols + c];
        if (!Object.is(a, b) && !leaks.has(c))
          leaks.set(c, { column: c, name: opts.names?.[c], row: r, full: a, truncated: b });
      }
  }
  const list = [...leaks.values()].sort((x, y) => x.column - y.column);
  return { ok: list.length === 0, leaks: list };
}
