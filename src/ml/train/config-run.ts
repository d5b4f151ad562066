/**
 * `botv6 train --config FILE`: one YAML/JSON file names the bars, the feature set, the labels,
 * the model and the validation scheme; the run computes features with the streaming pipeline,
 * checks them for look-ahead, labels the bars, trains one model per fold (walk-forward or purged
 * k-fold) on a worker thread, reports per-fold metrics and feature importance, and trains the
 * final model on every labelled row.
 *
 * ```yaml
 * bars: bars.csv                 # time (µs or ISO-8601), open, high, low, close, volume
 * features: { name: demo, features: [ { kind: return, name: ret_1, bars: 1 }, ... ] }
 * labels: { kind: triple-barrier, profitTake: 1, stopLoss: 1, maxHolding: 10, volWindow: 20 }
 *         # or { kind: forward-return, horizon: 5, classify: true }
 * model: { kind: gbdt, objective: binary, params: { rounds: 100 } }
 * validation: { walkForward: { trainSize: 500, testSize: 100, expanding: true } }
 *         # or { purgedKFold: { k: 5, embargo: 10 } }
 * out: model.json                # relative to the config file
 * ```
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { Dataset } from "../dataset.js";
import { MlError } from "../errors.js";
import { type BarInput, computeFeatures, type FeatureSetSpec } from "../features/pipeline.js";
import { forwardReturns, tripleBarrierLabels } from "../labels/labels.js";
import { checkLookahead, type Fold, purgedKFold, walkForward } from "../labels/validation.js";
import type { TrainedModel } from "../model-io.js";
import type { GbdtParams } from "./gbdt.js";
import { type TrainProgress, trainInWorker } from "./jobs.js";
import type { MlpParams } from "./mlp.js";
import { type Score, scoreModel, takeRows } from "./report.js";

export interface TrainConfig {
  bars: string;
  features: FeatureSetSpec;
  labels:
    | { kind: "triple-barrier"; profitTake: number; stopLoss: number; maxHolding: number; volWindow?: number }
    | { kind: "forward-return"; horizon: number; classify?: boolean };
  model: { kind: "gbdt" | "mlp"; objective: string; params?: Record<string, unknown> };
  validation: {
    walkForward?: { trainSize: number; testSize: number; step?: number; gap?: number; expanding?: boolean };
    purgedKFold?: { k: number; embargo?: number };
  };
  out?: string;
  seed?: number;
}

function bad(file: string, field: string, why: string): never {
  throw new MlError("ML_BAD_PARAMS", `${file}: ${field} ${why}`, { file, field });
}

export function loadTrainConfig(file: string): { config: TrainConfig; baseDir: string } {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (e) {
    throw new MlError(
      "ML_BAD_PARAMS",
      `${file}: cannot read config (${(e as Error).message.split("\n")[0]})`,
      { file },
    );
  }
  if (raw === null || typeof raw !== "object") bad(file, "(root)", "must be a mapping");
  const c = raw as Record<string, unknown>;
  if (typeof c.bars !== "string") bad(file, "bars", "must be a file name");
  const f = c.features as Record<string, unknown> | undefined;
  if (!f || typeof f.name !== "string" || !Array.isArray(f.features))
    bad(file, "features", "must have a name and a features list");
  const l = c.labels as Record<string, unknown> | undefined;
  if (!l || (l.kind !== "triple-barrier" && l.kind !== "forward-return"))
    bad(file, "labels.kind", "must be triple-barrier or forward-return");
  const m = c.model as Record<string, unknown> | undefined;
  if (!m || (m.kind !== "gbdt" && m.kind !== "mlp")) bad(file, "model.kind", "must be gbdt or mlp");
  if (typeof m!.objective !== "string") bad(file, "model.objective", "must be a string");
  const v = c.validation as Record<string, unknown> | undefined;
  if (!v || (v.walkForward === undefined) === (v.purgedKFold === undefined))
    bad(file, "validation", "must have exactly one of walkForward or purgedKFold");
  return { config: c as unknown as TrainConfig, baseDir: dirname(resolve(file)) };
}

/** Reads `time,open,high,low,close,volume` bars (time in µs or ISO-8601), naming file:line on errors. */
export function readBarsCsv(file: string): BarInput[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new MlError("ML_BAD_DATASET", `${file}: cannot read (${(e as Error).message})`, { file });
  }
  const lines = text.split(/\r?\n/).filter((x) => x.trim() !== "");
  const header = (lines[0] ?? "").split(",").map((h) => h.trim());
  const cols = ["time", "open", "high", "low", "close", "volume"].map((k) => {
    const i = header.indexOf(k);
    if (i < 0)
      throw new MlError("ML_BAD_DATASET", `${file}:1: no "${k}" column (columns: ${header.join(", ")})`, {
        file,
      });
    return i;
  });
  const bars: BarInput[] = [];
  for (let r = 1; r < lines.length; r++) {
    const cells = lines[r].split(",");
    const t = cells[cols[0]]?.trim() ?? "";
    const time = /^\d+$/.test(t) ? Number(t) : Date.parse(t) * 1000;
    if (!Number.isSafeInteger(time))
      throw new MlError("ML_BAD_DATASET", `${file}:${r + 1}: time "${t}" is not µs or ISO-8601`, { file });
    const num = (k: number, name: string) => {
      const v = Number(cells[cols[k]]);
      if (!Number.isFinite(v))
        throw new MlError("ML_BAD_DATASET", `${file}:${r + 1}: ${name} "${cells[cols[k]]}" is not a number`, {
          file,
        });
      return v;
    };
    const bar = {
      time,
      open: num(1, "open"),
      high: num(2, "high"),
      low: num(3, "low"),
      close: num(4, "close"),
      volume: num(5, "volume"),
    };
    if (bars.length > 0 && bar.time <= bars[bars.length - 1].time)
      throw new MlError(
        "ML_BAD_DATASET",
        `${file}:${r + 1}: time ${bar.time} is not after the previous bar's`,
        { file },
      );
    bars.push(bar);
  }
  if (bars.length === 0) throw new MlError("ML_BAD_DATASET", `${file}: no bars`, { file });
  return bars;
}

export interface FoldReport {
  fold: number;
  trainRows: number;
  testFirst: number;
  testLast: number;
  score: Score;
}

export interface TrainRunReport {
  rows: number;
  features: string[];
  leakage: { ok: boolean; leaks: string[] };
  folds: FoldReport[];
  meanScore: number;
  importance: { name: string; gain: number }[];
  model: TrainedModel;
}

/** Runs a training config end to end (see the module doc). */
export async function runTrainConfig(
  config: TrainConfig,
  baseDir: string,
  onProgress?: (label: string, p: TrainProgress) => void,
): Promise<TrainRunReport> {
  const bars = readBarsCsv(resolve(baseDir, config.bars));
  const { x, ready, names } = computeFeatures(config.features, bars);
  const cols = names.length;
  const cuts = [0.25, 0.5, 0.75].map((q) => Math.max(1, Math.floor(q * bars.length)));
  const leak = checkLookahead(
    bars.length,
    cols,
    (end) => computeFeatures(config.features, bars.slice(0, end)).x,
    { cuts, names },
  );
  if (!leak.ok)
    // Fail closed: a feature that reads the future makes every metric below a lie.
    throw new MlError(
      "ML_BAD_DATASET",
      `look-ahead detected in feature(s) ${leak.leaks.map((l) => `${l.name ?? l.column} (first at bar ${l.row})`).join(", ")}; refusing to train`,
      { leaks: leak.leaks },
    );

  const close = bars.map((b) => b.close);
  const n = bars.length;
  const label = new Float64Array(n).fill(Number.NaN);
  const end = new Int32Array(n).fill(-1);
  const L = config.labels;
  if (L.kind === "forward-return") {
    const fr = forwardReturns(close, L.horizon);
    for (let t = 0; t < n; t++)
      if (Number.isFinite(fr[t])) {
        label[t] = L.classify ? (fr[t] > 0 ? 1 : 0) : fr[t];
        end[t] = t + L.horizon;
      }
  } else {
    // Volatility: causal rolling std of 1-bar log returns (known at bar t).
    const w = L.volWindow ?? 20;
    const vol = new Float64Array(n).fill(Number.NaN);
    for (let t = w; t < n; t++) {
      let s = 0;
      let ss = 0;
      for (let k = t - w + 1; k <= t; k++) {
        const r = Math.log(close[k] / close[k - 1]);
        s += r;
        ss += r * r;
      }
      const m = s / w;
      vol[t] = Math.sqrt(Math.max(ss / w - m * m, 0));
    }
    const safe = Float64Array.from(vol, (v) => (v > 0 ? v : 1));
    const tb = tripleBarrierLabels(close, {
      profitTake: L.profitTake,
      stopLoss: L.stopLoss,
      maxHolding: L.maxHolding,
      volatility: safe,
    });
    for (let t = 0; t < n; t++)
      if (vol[t] > 0 && tb.barrier[t] !== 2) {
        label[t] = tb.label[t] > 0 ? 1 : 0;
        end[t] = tb.end[t];
      }
  }
  const rows: number[] = [];
  for (let t = 0; t < n; t++) if (ready[t] && Number.isFinite(label[t])) rows.push(t);
  if (rows.length < 10)
    throw new MlError("ML_BAD_DATASET", `only ${rows.length} bars have both features and labels`);
  const X = new Float32Array(rows.length * cols);
  const Y = new Float64Array(rows.length);
  const labelEnd = new Int32Array(rows.length);
  let j = 0;
  rows.forEach((t, i) => {
    X.set(x.subarray(t * cols, (t + 1) * cols), i * cols);
    Y[i] = label[t];
    while (j < rows.length - 1 && rows[j] < end[t]) j++;
    labelEnd[i] = Math.max(i, j);
  });
  const all: Dataset = { x: X, y: Y, rows: rows.length, cols, featureNames: names };

  const V = config.validation;
  const folds: Fold[] = V.walkForward
    ? walkForward(all.rows, V.walkForward)
    : purgedKFold(all.rows, { k: V.purgedKFold!.k, labelEnd, embargo: V.purgedKFold!.embargo });
  const seed = config.seed ?? 1;
  const train = (ds: Dataset, lbl: string) => {
    const progress = onProgress ? (p: TrainProgress) => onProgress(lbl, p) : undefined;
    return config.model.kind === "gbdt"
      ? trainInWorker(
          {
            kind: "gbdt",
            train: ds,
            params: {
              ...(config.model.params as Partial<GbdtParams>),
              objective: config.model.objective as GbdtParams["objective"],
              seed,
            },
          },
          { onProgress: progress },
        )
      : trainInWorker(
          {
            kind: "mlp",
            train: ds,
            params: {
              hidden: [32],
              ...(config.model.params as Partial<MlpParams>),
              output: config.model.objective as MlpParams["output"],
              seed,
            },
          },
          { onProgress: progress },
        );
  };
  const reports: FoldReport[] = [];
  const importance = new Float64Array(cols);
  for (const [i, f] of folds.entries()) {
    const m = await train(takeRows(all, f.train), `fold ${i + 1}/${folds.length}`);
    const score = scoreModel(m, takeRows(all, f.test));
    reports.push({
      fold: i + 1,
      trainRows: f.train.length,
      testFirst: f.test[0],
      testLast: f.test[f.test.length - 1],
      score,
    });
    if (m.kind === "gbdt") for (let k = 0; k < cols; k++) importance[k] += m.importance[k] / folds.length;
  }
  const model = await train(all, "final");
  return {
    rows: all.rows,
    features: names,
    leakage: { ok: leak.ok, leaks: leak.leaks.map((l) => l.name ?? `column ${l.column}`) },
    folds: reports,
    meanScore: reports.reduce((a, r) => a + r.score.value, 0) / reports.length,
    importance: Array.from(importance, (gain, k) => ({ name: names[k], gain })).sort(
      (a, b) => b.gain - a.gain,
    ),
    model,
  };
}
