/**
 * Errors of the ML engine. Each carries a stable `code` (see {@link BotV6Error}) so the CLI, the
 * v2 server and tests can tell a bad feature vector from a corrupt model file without parsing text.
 */
import { BotV6Error } from "../model/errors.js";

/**
 * Codes used:
 * - `ML_BAD_DATASET`   training/validation data malformed (shape, NaN, label out of range)
 * - `ML_BAD_PARAMS`    hyper-parameters out of range
 * - `ML_NAN_FEATURE`   a feature vector given to a model contains NaN/Infinity
 * - `ML_SHAPE`         a feature vector/batch has the wrong length
 * - `ML_MODEL_FORMAT`  a model file (JSON or ONNX) that cannot be parsed
 * - `ML_MODEL_MISMATCH` a model whose inputs/outputs do not match what the caller expects
 * - `ML_WORKER`        a training worker failed
 * - `ML_REGISTRY`      registry errors (unknown model, refused quantisation, ...)
 * - `ML_SERVING`       v2 client/server errors
 */
export class MlError extends BotV6Error {}

/** Throws `ML_NAN_FEATURE` naming the first non-finite entry of `row` (index and, if known, name). */
export function assertFiniteFeatures(
  row: ArrayLike<number>,
  names?: readonly string[],
  rowIndex?: number,
): void {
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (!Number.isFinite(v)) {
      const name = names?.[i] !== undefined ? ` "${names[i]}"` : "";
      const where = rowIndex !== undefined ? `row ${rowIndex}, ` : "";
      throw new MlError(
        "ML_NAN_FEATURE",
        `feature ${where}column ${i}${name} is ${v}; models need finite inputs`,
        {
          row: rowIndex,
          column: i,
          name: names?.[i],
          value: v,
        },
      );
    }
  }
}
