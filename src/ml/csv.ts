/**
 * Reads a training/validation data set from CSV: a header row of column names, one row per
 * sample, numbers only. The label column (default `label`) becomes `y`; the other columns (or the
 * ones named) are the features, in order. Every problem names the file, line and column.
 */
import { readFileSync } from "node:fs";
import type { Dataset } from "./dataset.js";
import { MlError } from "./errors.js";

export function readCsvDataset(file: string, opts: { label?: string; features?: string[] } = {}): Dataset {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new MlError("ML_BAD_DATASET", `${file}: cannot read (${(e as Error).message})`, { file });
  }
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  if (lines.length < 2)
    throw new MlError("ML_BAD_DATASET", `${file}: needs a header line and at least one data line`, { file });
  const header = lines[0].split(",").map((h) => h.trim());
  const labelName = opts.label ?? "label";
  const labelCol = header.indexOf(labelName);
  if (labelCol < 0)
    throw new MlError(
      "ML_BAD_DATASET",
      `${file}:1: no label column "${labelName}" (columns: ${header.join(", ")})`,
      { file },
    );
  const featureNames = opts.features ?? header.filter((_, i) => i !== labelCol);
  const cols = featureNames.map((f) => {
    const i = header.indexOf(f);
    if (i < 0) throw new MlError("ML_BAD_DATASET", `${file}:1: no feature column "${f}"`, { file });
    return i;
  });
  const rows = lines.length - 1;
  const x = new Float32Array(rows * cols.length);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(",");
    if (cells.length !== header.length)
      throw new MlError(
        "ML_BAD_DATASET",
        `${file}:${r + 2}: ${cells.length} fields, the header has ${header.length}`,
        { file, line: r + 2 },
      );
    const num = (i: number) => {
      const s = cells[i].trim();
      const v = s === "" ? Number.NaN : Number(s);
      if (!Number.isFinite(v))
        throw new MlError(
          "ML_BAD_DATASET",
          `${file}:${r + 2}: column "${header[i]}" is ${JSON.stringify(s)}, not a finite number`,
          {
            file,
            line: r + 2,
            column: header[i],
          },
        );
      return v;
    };
    for (let c = 0; c < cols.length; c++) x[r * cols.length + c] = num(cols[c]);
    y[r] = num(labelCol);
  }
  return { x, y, rows, cols: cols.length, featureNames };
}

/** Writes a data set as CSV (features then `label`). */
export function datasetToCsv(ds: Dataset): string {
  const names = ds.featureNames ?? Array.from({ length: ds.cols }, (_, i) => `f${i}`);
  const out = [`${names.join(",")},label`];
  for (let r = 0; r < ds.rows; r++)
    out.push(`${Array.from(ds.x.subarray(r * ds.cols, (r + 1) * ds.cols)).join(",")},${ds.y[r]}`);
  return `${out.join("\n")}\n`;
}
