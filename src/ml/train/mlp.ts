/**
 * A multilayer perceptron trained in-process with Adam on shuffled mini-batches and early
 * stopping on a validation set, deterministic for a seed (initial weights and shuffles come from
 * the seeded {@link Rng}).
 *
 * Training runs in float64; the finished model keeps float32 weights (what ONNX stores), and
 * every prediction in this module uses those float32 weights, so the in-process predictions and
 * the exported ONNX model agree to ~1e-7. Input standardisation (mean/std of the training set) is
 * folded into the first layer's weights when training ends, so the model is just Gemm layers.
 */
import { Rng } from "../../core/rng.js";
import { type Dataset, inferClassCount, validateDataset } from "../dataset.js";
import { MlError } from "../errors.js";

export type Activation = "relu" | "tanh" | "sigmoid";
/** `linear` = regression (MSE), `sigmoid` = binary (logloss, 1 output = P(class 1)), `softmax` = multiclass. */
export type MlpOutput = "linear" | "sigmoid" | "softmax";

export interface MlpParams {
  /** Hidden layer widths, e.g. [64]. An empty list gives a linear/logistic model. */
  hidden: number[];
  activation?: Activation;
  output: MlpOutput;
  /** Classes for softmax (inferred from the labels when omitted). */
  classes?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  /** L2 weight decay added to the gradient. Default 0. */
  l2?: number;
  /** Standardise inputs (folded into layer 1 at the end). Default true. */
  standardize?: boolean;
  /**
   * Linear output: train on the standardised target and fold mean/std into the last layer at the
   * end (so tiny targets such as 1-minute returns train as fast as unit-scale ones; the model
   * still predicts in the target's units). Default false.
   */
  standardizeTarget?: boolean;
  /** Stop when the validation loss has not improved for this many epochs (needs a validation set). */
  earlyStoppingEpochs?: number;
  seed?: number;
}

export interface MlpLayer {
  inputs: number;
  outputs: number;
  /** Row-major [inputs][outputs] (the ONNX Gemm `B` layout). */
  weights: Float32Array;
  bias: Float32Array;
}

export interface MlpModel {
  kind: "mlp";
  layers: MlpLayer[];
  activation: Activation;
  output: MlpOutput;
  nFeatures: number;
  nOutputs: number;
  /** Epoch whose weights were kept (the best under early stopping). */
  bestEpoch: number;
  featureNames?: string[];
}

export interface MlpProgress {
  epoch: number;
  epochs: number;
  trainLoss: number;
  validLoss?: number;
}

export interface MlpTrainOptions {
  valid?: Dataset;
  onProgress?: (p: MlpProgress) => void;
}

function act(a: Activation, z: number): number {
  // biome-ignore lint/complexity/useMathMinMax: a branch is cheaper than Math.max in the inner loop
  if (a === "relu") return z > 0 ? z : 0;
  if (a === "tanh") return Math.tanh(z);
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Derivative expressed through the activation's output `y`. */
function actGrad(a: Activation, y: number): number {
  if (a === "relu") return y > 0 ? 1 : 0;
  if (a === "tanh") return 1 - y * y;
  return y * (1 - y);
}

function applyOutput(kind: MlpOutput, z: Float64Array, n: number): void {
  if (kind === "linear") return;
  if (kind === "sigmoid") {
    for (let i = 0; i < n; i++) z[i] = act("sigmoid", z[i]);
    return;
  }
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (z[i] > m) m = z[i];
  let s = 0;
  for (let i = 0; i < n; i++) {
    z[i] = Math.exp(z[i] - m);
    s += z[i];
  }
  for (let i = 0; i < n; i++) z[i] /= s;
}

/**
 * The synchronous, allocation-free MLP evaluator for the trading hot path: buffers are sized once,
 * `predict(row, out)` runs the float32-weight network in float64 arithmetic.
 */
export class MlpEvaluator {
  readonly outputs: number;
  private readonly acts: Float64Array[];
  /** Per layer: weights transposed to [outputs][inputs] (float32 values held as float64). */
  private readonly wT: Float64Array[];
  private readonly b: Float64Array[];
  private readonly sizes: Int32Array;
  private readonly act: Activation;
  private readonly x0: Float64Array;
  constructor(readonly model: MlpModel) {
    this.outputs = model.nOutputs;
    this.x0 = new Float64Array(model.nFeatures);
    this.acts = model.layers.map((l) => new Float64Array(l.outputs));
    this.wT = model.layers.map((l) => {
      const t = new Float64Array(l.inputs * l.outputs);
      for (let i = 0; i < l.inputs; i++)
        for (let j = 0; j < l.outputs; j++) t[j * l.inputs + i] = l.weights[i * l.outputs + j];
      return t;
    });
    this.b = model.layers.map((l) => Float64Array.from(l.bias));
    this.sizes = Int32Array.from([model.nFeatures, ...model.layers.map((l) => l.outputs)]);
    this.act = model.activation;
  }
  predict(x: ArrayLike<number>, out: Float64Array, offset = 0): Float64Array {
    const L = this.wT.length;
    const last = L - 1;
    // Copy the input once so every inner loop reads a Float64Array (monomorphic, no conversions).
    const x0 = this.x0;
    for (let i = 0; i < x0.length; i++) x0[i] = x[offset + i];
    let input = x0;
    for (let li = 0; li < L; li++) {
      const nin = this.sizes[li];
      const nout = this.sizes[li + 1];
      const w = this.wT[li];
      const bias = this.b[li];
      const z = this.acts[li];
      for (let j = 0; j < nout; j++) {
        // Dot product with a local accumulator: one load per weight, no store per multiply-add.
        // Four partial sums break the add dependency chain (the CPU overlaps them).
        const row = j * nin;
        let s0 = bias[j];
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let i = 0;
        for (; i + 3 < nin; i += 4) {
          s0 += input[i] * w[row + i];
          s1 += input[i + 1] * w[row + i + 1];
          s2 += input[i + 2] * w[row + i + 2];
          s3 += input[i + 3] * w[row + i + 3];
        }
        for (; i < nin; i++) s0 += input[i] * w[row + i];
        const s = s0 + s1 + (s2 + s3);
        z[j] = li < last ? act(this.act, s) : s;
      }
      if (li === last) applyOutput(this.model.output, z, nout);
      input = z;
    }
    out.set(this.acts[last]);
    return out;
  }
}

/** Predicts every row of a row-major matrix; returns `rows * nOutputs` values. */
export function predictMlp(m: MlpModel, x: ArrayLike<number>, rows: number): Float64Array {
  const ev = new MlpEvaluator(m);
  const out = new Float64Array(rows * m.nOutputs);
  const tmp = new Float64Array(m.nOutputs);
  for (let r = 0; r < rows; r++) {
    ev.predict(x, tmp, r * m.nFeatures);
    out.set(tmp, r * m.nOutputs);
  }
  return out;
}

interface Net {
  w: Float64Array[];
  b: Float64Array[];
  sizes: number[];
}

function lossOf(kind: MlpOutput, out: Float64Array, y: number, nOut: number): number {
  if (kind === "linear") return 0.5 * (out[0] - y) ** 2;
  if (kind === "sigmoid") {
    const p = Math.min(Math.max(out[0], 1e-15), 1 - 1e-15);
    return y === 1 ? -Math.log(p) : -Math.log(1 - p);
  }
  void nOut;
  return -Math.log(Math.max(out[y], 1e-15));
}

/**
 * Trains an MLP. Bad parameters or data throw `ML_BAD_PARAMS`/`ML_BAD_DATASET` naming the field.
 * Regression uses a single target (`y`); `sigmoid` needs labels 0/1; `softmax` labels 0..K-1.
 */
export function trainMlp(train: Dataset, params: MlpParams, opts: MlpTrainOptions = {}): MlpModel {
  const bad = (field: string, why: string): never => {
    throw new MlError("ML_BAD_PARAMS", `mlp params: ${field} ${why}`, { field });
  };
  const activation = params.activation ?? "relu";
  const epochs = params.epochs ?? 100;
  const batchSize = params.batchSize ?? 32;
  const lr = params.learningRate ?? 1e-3;
  const beta1 = params.beta1 ?? 0.9;
  const beta2 = params.beta2 ?? 0.999;
  const l2 = params.l2 ?? 0;
  const patience = params.earlyStoppingEpochs ?? 0;
  const seed = params.seed ?? 1;
  if (!["relu", "tanh", "sigmoid"].includes(activation))
    bad("activation", `must be relu | tanh | sigmoid, got ${activation}`);
  if (!["linear", "sigmoid", "softmax"].includes(params.output))
    bad("output", `must be linear | sigmoid | softmax, got ${String(params.output)}`);
  if (!Array.isArray(params.hidden) || params.hidden.some((h) => !Number.isInteger(h) || h < 1))
    bad("hidden", `must be a list of positive integers, got ${JSON.stringify(params.hidden)}`);
  if (!Number.isInteger(epochs) || epochs < 1) bad("epochs", `must be an integer >= 1, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    bad("batchSize", `must be an integer >= 1, got ${batchSize}`);
  if (!(lr > 0)) bad("learningRate", `must be > 0, got ${lr}`);
  if (!(beta1 >= 0 && beta1 < 1)) bad("beta1", `must be in [0, 1), got ${beta1}`);
  if (!(beta2 >= 0 && beta2 < 1)) bad("beta2", `must be in [0, 1), got ${beta2}`);
  if (!(l2 >= 0)) bad("l2", `must be >= 0, got ${l2}`);
  if (!Number.isInteger(patience) || patience < 0)
    bad("earlyStoppingEpochs", `must be an integer >= 0, got ${patience}`);
  if (patience > 0 && !opts.valid) bad("earlyStoppingEpochs", "needs a validation set (opts.valid)");
  if (params.standardizeTarget !== undefined && typeof params.standardizeTarget !== "boolean")
    bad("standardizeTarget", `must be true or false, got ${JSON.stringify(params.standardizeTarget)}`);

  let nOut = 1;
  let classes: number | undefined;
  if (params.output === "sigmoid") classes = 2;
  if (params.output === "softmax") {
    classes = params.classes ?? inferClassCount(train, "train");
    if (!Number.isInteger(classes) || classes < 2) bad("classes", `must be an integer >= 2, got ${classes}`);
    nOut = classes;
  }
  validateDataset(train, "train", classes);
  const valid = opts.valid;
  if (valid) {
    validateDataset(valid, "valid", classes);
    if (valid.cols !== train.cols)
      throw new MlError("ML_BAD_DATASET", `valid: ${valid.cols} features, but train has ${train.cols}`);
  }

  const { rows, cols, x, y } = train;
  // Standardisation statistics.
  const mean = new Float64Array(cols);
  const std = new Float64Array(cols).fill(1);
  if (params.standardize ?? true) {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += x[r * cols + c];
    for (let c = 0; c < cols; c++) mean[c] /= rows;
    const v = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) v[c] += (x[r * cols + c] - mean[c]) ** 2;
    for (let c = 0; c < cols; c++) std[c] = v[c] > 0 ? Math.sqrt(v[c] / rows) : 1;
  }

  // Target standardisation (linear output): y' = (y − yMean) / yStd during training.
  let yMean = 0;
  let yStd = 1;
  if (params.output === "linear" && params.standardizeTarget === true) {
    for (let r = 0; r < rows; r++) yMean += y[r];
    yMean /= rows;
    let v = 0;
    for (let r = 0; r < rows; r++) v += (y[r] - yMean) ** 2;
    yStd = v > 0 ? Math.sqrt(v / rows) : 1;
  }
  const target = (yv: number) => (params.output === "linear" ? (yv - yMean) / yStd : yv);

  const rng = new Rng(seed);
  const sizes = [cols, ...params.hidden, nOut];
  const L = sizes.length - 1;
  const net: Net = { w: [], b: [], sizes };
  for (let l = 0; l < L; l++) {
    const fanIn = sizes[l];
    const scale = activation === "relu" && l < L - 1 ? Math.sqrt(2 / fanIn) : Math.sqrt(1 / fanIn);
    const w = new Float64Array(fanIn * sizes[l + 1]);
    for (let i = 0; i < w.length; i++) w[i] = rng.nextNormal() * scale;
    net.w.push(w);
    net.b.push(new Float64Array(sizes[l + 1]));
  }
  const mW = net.w.map((w) => new Float64Array(w.length));
  const vW = net.w.map((w) => new Float64Array(w.length));
  const mB = net.b.map((b) => new Float64Array(b.length));
  const vB = net.b.map((b) => new Float64Array(b.length));
  const gW = net.w.map((w) => new Float64Array(w.length));
  const gB = net.b.map((b) => new Float64Array(b.length));
  const a = sizes.map((s) => new Float64Array(s)); // a[0] = standardised input
  const delta = sizes.map((s) => new Float64Array(s));

  const forward = (src: Float32Array, r: number): Float64Array => {
    const a0 = a[0];
    for (let c = 0; c < cols; c++) a0[c] = (src[r * cols + c] - mean[c]) / std[c];
    for (let l = 0; l < L; l++) {
      const nin = sizes[l];
      const nout = sizes[l + 1];
      const w = net.w[l];
      const z = a[l + 1];
      const inp = a[l];
      z.set(net.b[l]);
      for (let i = 0; i < nin; i++) {
        const xi = inp[i];
        if (xi === 0) continue;
        const row = i * nout;
        for (let j = 0; j < nout; j++) z[j] += xi * w[row + j];
      }
      if (l < L - 1) for (let j = 0; j < nout; j++) z[j] = act(activation, z[j]);
      else applyOutput(params.output, z, nout);
    }
    return a[L];
  };

  const datasetLoss = (ds: Dataset): number => {
    let s = 0;
    for (let r = 0; r < ds.rows; r++) s += lossOf(params.output, forward(ds.x, r), target(ds.y[r]), nOut);
    return s / ds.rows;
  };

  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  let step = 0;
  let bestLoss = Number.POSITIVE_INFINITY;
  let bestEpoch = 0;
  let best: Net | undefined;
  const snapshot = (): Net => ({ w: net.w.map((w) => w.slice()), b: net.b.map((b) => b.slice()), sizes });

  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let i = rows - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    let trainLossSum = 0;
    for (let start = 0; start < rows; start += batchSize) {
      const end = Math.min(rows, start + batchSize);
      for (let l = 0; l < L; l++) {
        gW[l].fill(0);
        gB[l].fill(0);
      }
      for (let bi = start; bi < end; bi++) {
        const r = order[bi];
        const out = forward(x, r);
        const yr = target(y[r]);
        trainLossSum += lossOf(params.output, out, yr, nOut);
        // Output delta: for MSE/linear, logloss/sigmoid and CE/softmax it is (out - target).
        const dL = delta[L];
        if (params.output === "softmax") for (let j = 0; j < nOut; j++) dL[j] = out[j] - (y[r] === j ? 1 : 0);
        else dL[0] = out[0] - yr;
        for (let l = L - 1; l >= 0; l--) {
          const nin = sizes[l];
          const nout = sizes[l + 1];
          const w = net.w[l];
          const d = delta[l + 1];
          const inp = a[l];
          const gw = gW[l];
          const gb = gB[l];
          for (let j = 0; j < nout; j++) gb[j] += d[j];
          for (let i = 0; i < nin; i++) {
            const xi = inp[i];
            const row = i * nout;
            if (xi !== 0) for (let j = 0; j < nout; j++) gw[row + j] += xi * d[j];
          }
          if (l > 0) {
            const dp = delta[l];
            for (let i = 0; i < nin; i++) {
              let s = 0;
              const row = i * nout;
              for (let j = 0; j < nout; j++) s += w[row + j] * d[j];
              dp[i] = s * actGrad(activation, inp[i]);
            }
          }
        }
      }
      // Adam step on the batch-mean gradient.
      step++;
      const n = end - start;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      for (let l = 0; l < L; l++) {
        adam(net.w[l], gW[l], mW[l], vW[l], n, l2, lr, beta1, beta2, c1, c2);
        adam(net.b[l], gB[l], mB[l], vB[l], n, 0, lr, beta1, beta2, c1, c2);
      }
    }
    const trainLoss = trainLossSum / rows;
    let validLoss: number | undefined;
    if (valid) {
      validLoss = datasetLoss(valid);
      if (validLoss < bestLoss) {
        bestLoss = validLoss;
        bestEpoch = epoch;
        best = snapshot();
      }
    } else bestEpoch = epoch;
    opts.onProgress?.({ epoch, epochs, trainLoss, validLoss });
    if (!Number.isFinite(trainLoss))
      throw new MlError(
        "ML_BAD_PARAMS",
        `mlp training diverged at epoch ${epoch} (loss ${trainLoss}); lower learningRate`,
      );
    if (patience > 0 && epoch - bestEpoch >= patience) break;
  }
  const final = best ?? net;

  // Fold standardisation into layer 1: z = sum_i ((x_i - m_i)/s_i) w_ij + b_j; and the target's
  // into the last layer: out = yStd · z + yMean (exact for a linear output). In float64, then
  // rounded once to the model's float32 weights.
  const layers: MlpLayer[] = [];
  for (let l = 0; l < L; l++) {
    const nin = sizes[l];
    const nout = sizes[l + 1];
    const w = Float64Array.from(final.w[l]);
    const b = Float64Array.from(final.b[l]);
    if (l === 0) {
      for (let j = 0; j < nout; j++) {
        let bj = b[j];
        for (let i = 0; i < nin; i++) bj -= (mean[i] / std[i]) * w[i * nout + j];
        b[j] = bj;
      }
      for (let i = 0; i < nin; i++) for (let j = 0; j < nout; j++) w[i * nout + j] /= std[i];
    }
    if (l === L - 1 && (yMean !== 0 || yStd !== 1)) {
      for (let k = 0; k < w.length; k++) w[k] *= yStd;
      for (let j = 0; j < nout; j++) b[j] = b[j] * yStd + yMean;
    }
    layers.push({ inputs: nin, outputs: nout, weights: Float32Array.from(w), bias: Float32Array.from(b) });
  }
  return {
    kind: "mlp",
    layers,
    activation,
    output: params.output,
    nFeatures: cols,
    nOutputs: nOut,
    bestEpoch,
    featureNames: train.featureNames ? [...train.featureNames] : undefined,
  };
}

function adam(
  p: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  n: number,
  l2: number,
  lr: number,
  b1: number,
  b2: number,
  c1: number,
  c2: number,
): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] / n + l2 * p[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + 1e-8);
  }
}
