/**
 * Scoring helpers shared by the CLI and reports: one validation metric per model (accuracy for
 * classifiers, negative RMSE for regression — higher is better for both), dataset slicing by row
 * indices (for walk-forward / purged folds).
 */
import type { Dataset } from "../dataset.js";
import { validationScore } from "../inference/variants.js";
import type { TrainedModel } from "../model-io.js";
import { predictGbdt } from "./gbdt.js";
import { predictMlp } from "./mlp.js";

export interface Score {
  metric: "accuracy" | "neg_rmse";
  value: number;
}

export function scoreModel(m: TrainedModel, ds: Dataset): Score {
  if (m.kind === "gbdt") {
    const p = predictGbdt(m, ds.x, ds.rows);
    if (m.objective === "regression")
      return { metric: "neg_rmse", value: validationScore(p, ds.y, 1, "linear") };
    return { metric: "accuracy", value: validationScore(p, ds.y, m.classes, "softmax") };
  }
  const p = predictMlp(m, ds.x, ds.rows);
  return {
    metric: m.output === "linear" ? "neg_rmse" : "accuracy",
    value: validationScore(p, ds.y, m.nOutputs, m.output),
  };
}

/** The rows `idx` of `ds` as a new data set (features and targets copied, names kept). */
export function takeRows(ds: Dataset, idx: ArrayLike<number>): Dataset {
  const x = new Float32Array(idx.length * ds.cols);
  const y = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    x.set(ds.x.subarray(r * ds.cols, (r + 1) * ds.cols), i * ds.cols);
    y[i] = ds.y[r];
  }
  return { x, y, rows: idx.length, cols: ds.cols, featureNames: ds.featureNames };
}
