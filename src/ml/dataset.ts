/**
 * A dense, row-major, float32 data set: the one shape every trainer and exporter in `src/ml`
 * consumes. Features are float32 because that is what ONNX models take, so a model trained here
 * sees exactly the values its exported twin will see.
 */
import { MlError } from "./errors.js";

export interface Dataset {
  /** Row-major features, `rows * cols` entries. */
  readonly x: Float32Array;
  /** One target per row: a real value (regression) or a class index 0..K-1 (classification). */
  readonly y: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** Optional feature names (length `cols`). */
  readonly featureNames?: readonly string[];
}

/** Builds a {@link Dataset} from nested arrays, checking shape and finiteness (`what` names it in errors). */
export function datasetFromRows(
  rows: readonly (readonly number[])[],
  y: readonly number[],
  what = "dataset",
  featureNames?: readonly string[],
): Dataset {
  if (rows.length === 0) throw new MlError("ML_BAD_DATASET", `${what}: no rows`);
  const cols = rows[0].length;
  const x = new Float32Array(rows.length * cols);
  for (let r = 0; r < rows.length; r++) {
    if (rows[r].length !== cols)
      throw new MlError(
        "ML_BAD_DATASET",
        `${what}: row ${r} has ${rows[r].length} features, expected ${cols}`,
      );
    x.set(rows[r], r * cols);
  }
  const ds: Dataset = { x, y: Float64Array.from(y), rows: rows.length, cols, featureNames };
  validateDataset(ds, what);
  return ds;
}

/**
 * Checks a data set: sizes agree, every feature and target finite; for classification
 * (`classes` given) every target an integer in [0, classes). Throws `ML_BAD_DATASET` naming the
 * first offending row and column.
 */
export function validateDataset(ds: Dataset, what = "dataset", classes?: number): void {
  if (!Number.isInteger(ds.rows) || ds.rows <= 0 || !Number.isInteger(ds.cols) || ds.cols <= 0)
    throw new MlError(
      "ML_BAD_DATASET",
      `${what}: rows (${ds.rows}) and cols (${ds.cols}) must be positive integers`,
    );
  if (ds.x.length !== ds.rows * ds.cols)
    throw new MlError(
      "ML_BAD_DATASET",
      `${what}: x has ${ds.x.length} values, expected rows*cols = ${ds.rows * ds.cols}`,
    );
  if (ds.y.length !== ds.rows)
    throw new MlError(
      "ML_BAD_DATASET",
      `${what}: y has ${ds.y.length} values, expected ${ds.rows} (one per row)`,
    );
  if (ds.featureNames !== undefined && ds.featureNames.length !== ds.cols)
    throw new MlError(
      "ML_BAD_DATASET",
      `${what}: ${ds.featureNames.length} feature names for ${ds.cols} columns`,
    );
  for (let i = 0; i < ds.x.length; i++) {
    if (!Number.isFinite(ds.x[i])) {
      const r = Math.floor(i / ds.cols);
      const c = i % ds.cols;
      const n = ds.featureNames?.[c] ? ` ("${ds.featureNames[c]}")` : "";
      throw new MlError("ML_BAD_DATASET", `${what}: feature at row ${r}, column ${c}${n} is ${ds.x[i]}`, {
        row: r,
        column: c,
      });
    }
  }
  for (let r = 0; r < ds.rows; r++) {
    const v = ds.y[r];
    if (!Number.isFinite(v))
      throw new MlError("ML_BAD_DATASET", `${what}: target at row ${r} is ${v}`, { row: r });
    if (classes !== undefined && (!Number.isInteger(v) || v < 0 || v >= classes))
      throw new MlError(
        "ML_BAD_DATASET",
        `${what}: label at row ${r} is ${v}; expected an integer class in [0, ${classes})`,
        {
          row: r,
        },
      );
  }
}

/** Number of classes implied by integer labels (max + 1); throws if a label is not a non-negative integer. */
export function inferClassCount(ds: Dataset, what = "dataset"): number {
  let max = 0;
  for (let r = 0; r < ds.rows; r++) {
    const v = ds.y[r];
    if (!Number.isInteger(v) || v < 0)
      throw new MlError(
        "ML_BAD_DATASET",
        `${what}: label at row ${r} is ${v}; expected a non-negative integer class`,
      );
    if (v > max) max = v;
  }
  return max + 1;
}
