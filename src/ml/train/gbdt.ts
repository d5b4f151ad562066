/**
 * Gradient-boosted decision trees, trained in-process and deterministically (histogram splits
 * in the style of LightGBM/XGBoost, second-order gains, L2-regularised leaves).
 *
 * Objectives: `regression` (L2), `binary` (logloss) and `multiclass` (softmax, one tree per
 * class per round). Depth, learning rate, row subsampling, column subsampling and early stopping
 * on a validation set. The same seed, data and parameters always give the same model: the only
 * randomness is the seeded {@link Rng}, and ties between equal gains go to the lowest feature and
 * threshold.
 *
 * A split sends a row left when `fround(x[feature]) <= threshold` — the comparison ONNX-ML's
 * `BRANCH_LEQ` makes on float32 inputs — so the exported model reproduces these predictions.
 */
import { Rng } from "../../core/rng.js";
import { type Dataset, inferClassCount, validateDataset } from "../dataset.js";
import { MlError } from "../errors.js";

export type GbdtObjective = "regression" | "binary" | "multiclass";

export interface GbdtParams {
  objective: GbdtObjective;
  /** Boosting rounds (upper bound when early stopping). Default 100. */
  rounds?: number;
  /** Maximum tree depth (a stump has depth 1). Default 4. */
  maxDepth?: number;
  /** Shrinkage applied to each tree's leaves. Default 0.1. */
  learningRate?: number;
  /** L2 regularisation of leaf weights (lambda). Default 1. */
  lambda?: number;
  /** Minimum rows in a leaf. Default 1. */
  minSamplesLeaf?: number;
  /** Minimum hessian sum in a leaf. Default 1e-3. */
  minChildWeight?: number;
  /** Minimum gain for a split to be made. Default 0. */
  minSplitGain?: number;
  /** Fraction of rows sampled (without replacement) for each round, (0, 1]. Default 1. */
  subsample?: number;
  /** Fraction of features sampled for each tree, (0, 1]. Default 1. */
  colsample?: number;
  /** Histogram bins per feature, 2..256. Default 255. */
  maxBins?: number;
  /** Stop when the validation loss has not improved for this many rounds (needs a validation set). */
  earlyStoppingRounds?: number;
  /** Number of classes (multiclass; inferred from the labels when omitted). */
  classes?: number;
  /** Seed of the RNG used for subsampling. Default 1. */
  seed?: number;
}

/** One tree as flat arrays; node 0 is the root; `feature[i] === -1` marks a leaf. */
export interface GbdtTree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaf value (already multiplied by the learning rate); 0 for branches. */
  value: Float64Array;
  /** Which raw output (class for multiclass, else 0) this tree adds to. */
  output: number;
}

export interface GbdtModel {
  kind: "gbdt";
  objective: GbdtObjective;
  nFeatures: number;
  /** Raw scores per row: 1 for regression/binary, K for multiclass. */
  nRaw: number;
  /** Classes (2 for binary, K for multiclass, 0 for regression). */
  classes: number;
  baseScore: number[];
  trees: GbdtTree[];
  /** Total split gain per feature (feature importance). */
  importance: number[];
  /** Rounds kept: the best validation round under early stopping, otherwise every round trained. */
  bestRound: number;
  featureNames?: string[];
}

export interface GbdtProgress {
  round: number;
  rounds: number;
  trainLoss: number;
  validLoss?: number;
}

export interface GbdtTrainOptions {
  valid?: Dataset;
  onProgress?: (p: GbdtProgress) => void;
  /** Report progress every N rounds (default 10). */
  progressEvery?: number;
}

interface Resolved {
  objective: GbdtObjective;
  rounds: number;
  maxDepth: number;
  learningRate: number;
  lambda: number;
  minSamplesLeaf: number;
  minChildWeight: number;
  minSplitGain: number;
  subsample: number;
  colsample: number;
  maxBins: number;
  earlyStoppingRounds: number;
  seed: number;
}

function resolve(p: GbdtParams): Resolved {
  const r: Resolved = {
    objective: p.objective,
    rounds: p.rounds ?? 100,
    maxDepth: p.maxDepth ?? 4,
    learningRate: p.learningRate ?? 0.1,
    lambda: p.lambda ?? 1,
    minSamplesLeaf: p.minSamplesLeaf ?? 1,
    minChildWeight: p.minChildWeight ?? 1e-3,
    minSplitGain: p.minSplitGain ?? 0,
    subsample: p.subsample ?? 1,
    colsample: p.colsample ?? 1,
    maxBins: p.maxBins ?? 255,
    earlyStoppingRounds: p.earlyStoppingRounds ?? 0,
    seed: p.seed ?? 1,
  };
  const bad = (field: string, why: string) => {
    throw new MlError("ML_BAD_PARAMS", `gbdt params: ${field} ${why}`, { field });
  };
  if (!["regression", "binary", "multiclass"].includes(r.objective))
    bad("objective", `must be regression | binary | multiclass, got ${String(r.objective)}`);
  if (!Number.isInteger(r.rounds) || r.rounds < 1) bad("rounds", `must be an integer >= 1, got ${r.rounds}`);
  if (!Number.isInteger(r.maxDepth) || r.maxDepth < 1 || r.maxDepth > 30)
    bad("maxDepth", `must be an integer in [1, 30], got ${r.maxDepth}`);
  if (!(r.learningRate > 0 && r.learningRate <= 10))
    bad("learningRate", `must be in (0, 10], got ${r.learningRate}`);
  if (!(r.lambda >= 0)) bad("lambda", `must be >= 0, got ${r.lambda}`);
  if (!Number.isInteger(r.minSamplesLeaf) || r.minSamplesLeaf < 1)
    bad("minSamplesLeaf", `must be an integer >= 1, got ${r.minSamplesLeaf}`);
  if (!(r.minChildWeight >= 0)) bad("minChildWeight", `must be >= 0, got ${r.minChildWeight}`);
  if (!(r.minSplitGain >= 0)) bad("minSplitGain", `must be >= 0, got ${r.minSplitGain}`);
  if (!(r.subsample > 0 && r.subsample <= 1)) bad("subsample", `must be in (0, 1], got ${r.subsample}`);
  if (!(r.colsample > 0 && r.colsample <= 1)) bad("colsample", `must be in (0, 1], got ${r.colsample}`);
  if (!Number.isInteger(r.maxBins) || r.maxBins < 2 || r.maxBins > 256)
    bad("maxBins", `must be an integer in [2, 256], got ${r.maxBins}`);
  if (!Number.isInteger(r.earlyStoppingRounds) || r.earlyStoppingRounds < 0)
    bad("earlyStoppingRounds", `must be an integer >= 0, got ${r.earlyStoppingRounds}`);
  if (!Number.isSafeInteger(r.seed)) bad("seed", `must be a safe integer, got ${r.seed}`);
  return r;
}

/** Per-feature bin upper edges (float32 values present in the data, ascending). */
function buildBins(ds: Dataset, maxBins: number): { edges: Float64Array[]; bins: Uint8Array } {
  const { rows, cols, x } = ds;
  const edges: Float64Array[] = [];
  const bins = new Uint8Array(rows * cols);
  const col = new Float64Array(rows);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) col[r] = x[r * cols + c];
    const sorted = Float64Array.from(col).sort();
    const uniq: number[] = [];
    for (let i = 0; i < rows; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) uniq.push(sorted[i]);
    let e: number[];
    if (uniq.length <= maxBins) e = uniq;
    else {
      e = [];
      for (let b = 1; b <= maxBins; b++) {
        const v = sorted[Math.min(rows - 1, Math.ceil((b * rows) / maxBins) - 1)];
        if (e.length === 0 || v > e[e.length - 1]) e.push(v);
      }
      if (e[e.length - 1] !== sorted[rows - 1]) e.push(sorted[rows - 1]);
    }
    const ef = Float64Array.from(e);
    edges.push(ef);
    const base = c * rows;
    for (let r = 0; r < rows; r++) bins[base + r] = lowerBound(ef, col[r]);
  }
  return { edges, bins };
}

/** First index i with edges[i] >= v. */
function lowerBound(edges: Float64Array, v: number): number {
  let lo = 0;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] >= v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

class TreeBuilder {
  feature: number[] = [];
  threshold: number[] = [];
  left: number[] = [];
  right: number[] = [];
  value: number[] = [];
  private histG: Float64Array;
  private histH: Float64Array;
  private histC: Int32Array;
  private scratch: Int32Array;

  constructor(
    private readonly rows: number,
    private readonly bins: Uint8Array,
    private readonly edges: Float64Array[],
    private readonly p: Resolved,
    private readonly importance: Float64Array,
  ) {
    this.histG = new Float64Array(256);
    this.histH = new Float64Array(256);
    this.histC = new Int32Array(256);
    this.scratch = new Int32Array(rows);
  }

  build(idx: Int32Array, g: Float64Array, h: Float64Array, features: number[], out: number): GbdtTree {
    this.feature = [];
    this.threshold = [];
    this.left = [];
    this.right = [];
    this.value = [];
    this.grow(idx, 0, idx.length, 0, g, h, features);
    return {
      feature: Int32Array.from(this.feature),
      threshold: Float64Array.from(this.threshold),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      value: Float64Array.from(this.value),
      output: out,
    };
  }

  private newNode(): number {
    this.feature.push(-1);
    this.threshold.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.value.push(0);
    return this.feature.length - 1;
  }

  private grow(
    idx: Int32Array,
    start: number,
    end: number,
    depth: number,
    g: Float64Array,
    h: Float64Array,
    features: number[],
  ): number {
    const node = this.newNode();
    const p = this.p;
    let G = 0;
    let H = 0;
    for (let i = start; i < end; i++) {
      G += g[idx[i]];
      H += h[idx[i]];
    }
    const n = end - start;
    const parentScore = (G * G) / (H + p.lambda);
    let bestGain = p.minSplitGain;
    let bestFeature = -1;
    let bestBin = -1;
    if (depth < p.maxDepth && n >= 2 * p.minSamplesLeaf) {
      const { histG, histH, histC, bins, rows } = this;
      for (const f of features) {
        const nb = this.edges[f].length;
        if (nb < 2) continue;
        histG.fill(0, 0, nb);
        histH.fill(0, 0, nb);
        histC.fill(0, 0, nb);
        const base = f * rows;
        for (let i = start; i < end; i++) {
          const r = idx[i];
          const b = bins[base + r];
          histG[b] += g[r];
          histH[b] += h[r];
          histC[b]++;
        }
        let GL = 0;
        let HL = 0;
        let CL = 0;
        for (let b = 0; b < nb - 1; b++) {
          GL += histG[b];
          HL += histH[b];
          CL += histC[b];
          const CR = n - CL;
          if (CL < p.minSamplesLeaf) continue;
          if (CR < p.minSamplesLeaf) break;
          const HR = H - HL;
          if (HL < p.minChildWeight || HR < p.minChildWeight) continue;
          const GR = G - GL;
          const gain = (GL * GL) / (HL + p.lambda) + (GR * GR) / (HR + p.lambda) - parentScore;
          if (gain > bestGain + 1e-12 * Math.abs(parentScore)) {
            bestGain = gain;
            bestFeature = f;
            bestBin = b;
          }
        }
      }
    }
    if (bestFeature < 0) {
      this.value[node] = (-G / (H + p.lambda)) * p.learningRate;
      return node;
    }
    // Stable partition of idx[start, end) on bin <= bestBin.
    const base = bestFeature * this.rows;
    let k = 0;
    let mid = start;
    for (let i = start; i < end; i++) {
      const r = idx[i];
      if (this.bins[base + r] <= bestBin) idx[mid++] = r;
      else this.scratch[k++] = r;
    }
    for (let i = 0; i < k; i++) idx[mid + i] = this.scratch[i];
    this.importance[bestFeature] += bestGain;
    this.feature[node] = bestFeature;
    this.threshold[node] = this.edges[bestFeature][bestBin];
    const l = this.grow(idx, start, mid, depth + 1, g, h, features);
    const r = this.grow(idx, mid, end, depth + 1, g, h, features);
    this.left[node] = l;
    this.right[node] = r;
    return node;
  }
}

/** Value of one tree for a row (`x` is read at `offset`); features compared as float32. */
export function evalTree(t: GbdtTree, x: ArrayLike<number>, offset = 0): number {
  let n = 0;
  const { feature, threshold, left, right } = t;
  while (feature[n] >= 0) n = Math.fround(x[offset + feature[n]]) <= threshold[n] ? left[n] : right[n];
  return t.value[n];
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Converts raw scores (nRaw) into outputs (in place into `out`, returns output count). */
function transform(objective: GbdtObjective, raw: Float64Array, out: Float64Array | number[]): number {
  if (objective === "regression") {
    out[0] = raw[0];
    return 1;
  }
  if (objective === "binary") {
    const p = sigmoid(raw[0]);
    out[0] = 1 - p;
    out[1] = p;
    return 2;
  }
  let m = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < raw.length; k++) if (raw[k] > m) m = raw[k];
  let s = 0;
  for (let k = 0; k < raw.length; k++) {
    out[k] = Math.exp(raw[k] - m);
    s += out[k];
  }
  for (let k = 0; k < raw.length; k++) out[k] /= s;
  return raw.length;
}

/** Outputs per row: 1 for regression, 2 (P(class 0), P(class 1)) for binary, K probabilities for multiclass. */
export function gbdtOutputCount(m: GbdtModel): number {
  return m.objective === "regression" ? 1 : m.objective === "binary" ? 2 : m.nRaw;
}

/**
 * A synchronous, allocation-free evaluator for the hot path: `predict(row, out)` fills `out`
 * with the model's outputs (see {@link gbdtOutputCount}).
 */
export class GbdtEvaluator {
  readonly outputs: number;
  private readonly raw: Float64Array;
  constructor(readonly model: GbdtModel) {
    this.outputs = gbdtOutputCount(model);
    this.raw = new Float64Array(model.nRaw);
  }
  /** Raw margins (before sigmoid/softmax). */
  rawScores(x: ArrayLike<number>, offset = 0): Float64Array {
    const raw = this.raw;
    for (let k = 0; k < raw.length; k++) raw[k] = this.model.baseScore[k];
    const trees = this.model.trees;
    for (let t = 0; t < trees.length; t++) raw[trees[t].output] += evalTree(trees[t], x, offset);
    return raw;
  }
  predict(x: ArrayLike<number>, out: Float64Array, offset = 0): Float64Array {
    transform(this.model.objective, this.rawScores(x, offset), out);
    return out;
  }
}

/** Predicts every row of a row-major matrix; returns `rows * outputs` values. */
export function predictGbdt(m: GbdtModel, x: ArrayLike<number>, rows: number): Float64Array {
  const ev = new GbdtEvaluator(m);
  const out = new Float64Array(rows * ev.outputs);
  const tmp = new Float64Array(ev.outputs);
  for (let r = 0; r < rows; r++) {
    ev.predict(x, tmp, r * m.nFeatures);
    out.set(tmp, r * ev.outputs);
  }
  return out;
}

/** Mean loss of raw scores `raw` (rows * nRaw) against `y`. */
function meanLoss(objective: GbdtObjective, raw: Float64Array, y: Float64Array, nRaw: number): number {
  let s = 0;
  const rows = y.length;
  if (objective === "regression") {
    for (let r = 0; r < rows; r++) s += (raw[r] - y[r]) ** 2;
  } else if (objective === "binary") {
    for (let r = 0; r < rows; r++) {
      const p = Math.min(Math.max(sigmoid(raw[r]), 1e-15), 1 - 1e-15);
      s -= y[r] === 1 ? Math.log(p) : Math.log(1 - p);
    }
  } else {
    for (let r = 0; r < rows; r++) {
      let m = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < nRaw; k++) m = Math.max(m, raw[r * nRaw + k]);
      let z = 0;
      for (let k = 0; k < nRaw; k++) z += Math.exp(raw[r * nRaw + k] - m);
      s -= raw[r * nRaw + y[r]] - m - Math.log(z);
    }
  }
  return s / rows;
}

/**
 * Trains a GBDT. Throws `ML_BAD_PARAMS`/`ML_BAD_DATASET` (naming the field/row) on bad input.
 * With `valid` and `earlyStoppingRounds`, training stops once the validation loss has not improved
 * for that many rounds and the model keeps the trees of the best round.
 */
export function trainGbdt(train: Dataset, params: GbdtParams, opts: GbdtTrainOptions = {}): GbdtModel {
  const p = resolve(params);
  let classes = 0;
  if (p.objective === "binary") classes = 2;
  else if (p.objective === "multiclass") {
    classes = params.classes ?? inferClassCount(train, "train");
    if (!Number.isInteger(classes) || classes < 2)
      throw new MlError("ML_BAD_PARAMS", `gbdt params: classes must be an integer >= 2, got ${classes}`);
  }
  validateDataset(train, "train", classes > 0 ? classes : undefined);
  const valid = opts.valid;
  if (valid) {
    validateDataset(valid, "valid", classes > 0 ? classes : undefined);
    if (valid.cols !== train.cols)
      throw new MlError("ML_BAD_DATASET", `valid: ${valid.cols} features, but train has ${train.cols}`);
  }
  if (p.earlyStoppingRounds > 0 && !valid)
    throw new MlError(
      "ML_BAD_PARAMS",
      "gbdt params: earlyStoppingRounds needs a validation set (opts.valid)",
    );

  const { rows, cols, y } = train;
  const nRaw = p.objective === "multiclass" ? classes : 1;
  const rng = new Rng(p.seed);
  const { edges, bins } = buildBins(train, p.maxBins);

  // Base score: the constant that minimises the loss.
  const base: number[] = [];
  if (p.objective === "regression") {
    let s = 0;
    for (let r = 0; r < rows; r++) s += y[r];
    base.push(s / rows);
  } else if (p.objective === "binary") {
    let s = 0;
    for (let r = 0; r < rows; r++) s += y[r];
    const q = Math.min(Math.max(s / rows, 1e-6), 1 - 1e-6);
    base.push(Math.log(q / (1 - q)));
  } else {
    const cnt = new Float64Array(classes);
    for (let r = 0; r < rows; r++) cnt[y[r]]++;
    for (let k = 0; k < classes; k++) base.push(Math.log(Math.max(cnt[k] / rows, 1e-6)));
  }

  const raw = new Float64Array(rows * nRaw);
  for (let r = 0; r < rows; r++) for (let k = 0; k < nRaw; k++) raw[r * nRaw + k] = base[k];
  const vraw = valid ? new Float64Array(valid.rows * nRaw) : undefined;
  if (valid && vraw)
    for (let r = 0; r < valid.rows; r++) for (let k = 0; k < nRaw; k++) vraw[r * nRaw + k] = base[k];

  const g = new Float64Array(rows * nRaw);
  const h = new Float64Array(rows * nRaw);
  const gk = new Float64Array(rows);
  const hk = new Float64Array(rows);
  const importance = new Float64Array(cols);
  const builder = new TreeBuilder(rows, bins, edges, p, importance);
  const trees: GbdtTree[] = [];
  const sampleSize = Math.max(1, Math.floor(rows * p.subsample));
  const perm = new Int32Array(rows);
  const idx = new Int32Array(sampleSize);
  const nFeatTree = Math.max(1, Math.round(cols * p.colsample));
  const featPerm = Array.from({ length: cols }, (_, i) => i);
  let bestLoss = Number.POSITIVE_INFINITY;
  let bestRound = 0;
  let lastRound = 0;
  const every = opts.progressEvery ?? 10;
  const prob = new Float64Array(nRaw);
  // Importance of the kept trees only (early stopping drops the rounds after the best one).
  const bestImportance = new Float64Array(cols);

  for (let round = 1; round <= p.rounds; round++) {
    // Gradients and hessians at the current scores.
    for (let r = 0; r < rows; r++) {
      if (p.objective === "regression") {
        g[r] = raw[r] - y[r];
        h[r] = 1;
      } else if (p.objective === "binary") {
        const q = sigmoid(raw[r]);
        g[r] = q - y[r];
        h[r] = Math.max(q * (1 - q), 1e-16);
      } else {
        let m = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < nRaw; k++) m = Math.max(m, raw[r * nRaw + k]);
        let z = 0;
        for (let k = 0; k < nRaw; k++) {
          prob[k] = Math.exp(raw[r * nRaw + k] - m);
          z += prob[k];
        }
        for (let k = 0; k < nRaw; k++) {
          const q = prob[k] / z;
          g[r * nRaw + k] = q - (y[r] === k ? 1 : 0);
          h[r * nRaw + k] = Math.max(q * (1 - q), 1e-16);
        }
      }
    }
    // Row subsample (without replacement), sorted for a deterministic, cache-friendly order.
    if (sampleSize < rows) {
      for (let i = 0; i < rows; i++) perm[i] = i;
      for (let i = 0; i < sampleSize; i++) {
        const j = i + rng.nextInt(rows - i);
        const t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
      idx.set(perm.subarray(0, sampleSize));
      idx.sort();
    }
    for (let k = 0; k < nRaw; k++) {
      if (sampleSize === rows) for (let i = 0; i < rows; i++) idx[i] = i;
      else if (k > 0) idx.sort(); // the builder permutes idx; restore the sorted order
      let features = featPerm;
      if (nFeatTree < cols) {
        for (let i = 0; i < nFeatTree; i++) {
          const j = i + rng.nextInt(cols - i);
          const t = featPerm[i];
          featPerm[i] = featPerm[j];
          featPerm[j] = t;
        }
        features = featPerm.slice(0, nFeatTree).sort((a, b) => a - b);
      }
      for (let r = 0; r < rows; r++) {
        gk[r] = g[r * nRaw + k];
        hk[r] = h[r * nRaw + k];
      }
      const tree = builder.build(idx, gk, hk, features, k);
      trees.push(tree);
      for (let r = 0; r < rows; r++) raw[r * nRaw + k] += evalTree(tree, train.x, r * cols);
      if (valid && vraw)
        for (let r = 0; r < valid.rows; r++) vraw[r * nRaw + k] += evalTree(tree, valid.x, r * cols);
    }

    let validLoss: number | undefined;
    if (valid && vraw) {
      validLoss = meanLoss(p.objective, vraw, valid.y, nRaw);
      if (validLoss < bestLoss) {
        bestLoss = validLoss;
        bestRound = round;
        bestImportance.set(importance);
      }
    } else bestRound = round;
    const stop = p.earlyStoppingRounds > 0 && round - bestRound >= p.earlyStoppingRounds;
    lastRound = round;
    if (opts.onProgress && (round % every === 0 || round === p.rounds || stop)) {
      opts.onProgress({ round, rounds: p.rounds, trainLoss: meanLoss(p.objective, raw, y, nRaw), validLoss });
    }
    if (stop) break;
  }
  if (valid && bestRound === 0) bestRound = 1;
  // Without early stopping every round is kept, whatever the validation loss did.
  const keepBest = p.earlyStoppingRounds > 0;
  if (!keepBest) bestRound = lastRound;
  return {
    kind: "gbdt",
    objective: p.objective,
    nFeatures: cols,
    nRaw,
    classes,
    baseScore: base,
    trees: trees.slice(0, bestRound * nRaw),
    importance: Array.from(keepBest ? bestImportance : importance),
    bestRound,
    featureNames: train.featureNames ? [...train.featureNames] : undefined,
  };
}
