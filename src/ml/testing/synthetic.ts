/** Small deterministic data sets for tests and benchmarks of the ML engine. */
import { Rng } from "../../core/rng.js";
import type { Dataset } from "../dataset.js";

/** Gaussian blobs: `classes` clusters in `cols` dimensions, centres ±`spread` apart. */
export function blobs(rows: number, cols: number, classes: number, seed: number, spread = 3): Dataset {
  const rng = new Rng(seed);
  const centres: number[][] = [];
  for (let k = 0; k < classes; k++)
    centres.push(Array.from({ length: cols }, () => (rng.nextFloat() * 2 - 1) * spread));
  const x = new Float32Array(rows * cols);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const k = r % classes;
    y[r] = k;
    for (let c = 0; c < cols; c++) x[r * cols + c] = centres[k][c] + rng.nextNormal();
  }
  return { x, y, rows, cols };
}

/** y = sum_c coef[c] * x_c + intercept + noise * N(0,1), x ~ U(-1, 1). */
export function linear(
  rows: number,
  coef: number[],
  intercept: number,
  noise: number,
  seed: number,
): Dataset {
  const rng = new Rng(seed);
  const cols = coef.length;
  const x = new Float32Array(rows * cols);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = intercept;
    for (let c = 0; c < cols; c++) {
      const v = Math.fround(rng.nextFloat() * 2 - 1);
      x[r * cols + c] = v;
      s += coef[c] * v;
    }
    y[r] = s + noise * rng.nextNormal();
  }
  return { x, y, rows, cols };
}

/** Splits rows [0, n) into the first `fraction` and the rest (no shuffling: time order kept). */
export function splitRows(ds: Dataset, fraction: number): [Dataset, Dataset] {
  const n = Math.floor(ds.rows * fraction);
  const a: Dataset = { x: ds.x.slice(0, n * ds.cols), y: ds.y.slice(0, n), rows: n, cols: ds.cols };
  const b: Dataset = {
    x: ds.x.slice(n * ds.cols),
    y: ds.y.slice(n),
    rows: ds.rows - n,
    cols: ds.cols,
  };
  return [a, b];
}

/** Argmax of each row of a rows*k matrix. */
export function argmaxRows(p: ArrayLike<number>, k: number): number[] {
  const out: number[] = [];
  for (let r = 0; r * k < p.length; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p[r * k + j] > p[r * k + best]) best = j;
    out.push(best);
  }
  return out;
}

export function accuracy(pred: number[], y: ArrayLike<number>): number {
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === y[i]) ok++;
  return ok / pred.length;
}
