/**
 * The model side of an ML strategy, independent of orders: the live model (hot-swappable, from
 * the registry), **periodic walk-forward retraining** on a worker thread, the new model's
 * **shadow period** beside the live one, and its **promotion** when its shadow metric is not
 * worse. The strategy (`src/strategy/builtin/ml-signal.ts`) calls {@link AdaptiveModel.onBar}
 * once per closed bar with the feature vector its streaming pipeline produced.
 *
 * Retraining never sees the future: the training rows are bars whose label (the forward return
 * over `horizon` bars) is already known at the current bar, i.e. rows `i` with `i + horizon <= t`;
 * the features of row `i` were streamed at bar `i`. The window ends at the current bar.
 *
 * Determinism: with `blocking: true` (the default) the new model is taken at the bar
 * `applyAfterBars` after the trigger, waiting for the worker if it is still training; the model
 * itself is a function of the window and the seed only (the trainers are deterministic), so a
 * backtest gives the same result on any machine. A live node sets `blocking: false`: the
 * candidate is taken at the first bar after the worker has finished and the hot path never
 * waits.
 */

import type { Dataset } from "../dataset.js";
import { MlError } from "../errors.js";
import type { TrainedModel } from "../model-io.js";
import { exportGbdt, exportMlp } from "../onnx/export.js";
import { HotSwapModel } from "../registry/hot-swap.js";
import type { ModelRegistry } from "../registry/registry.js";
import { type ShadowRecord, ShadowRunner } from "../registry/shadow.js";
import type { GbdtParams } from "../train/gbdt.js";
import { startTraining, type TrainingHandle } from "../train/jobs.js";
import type { MlpParams } from "../train/mlp.js";
import { scoreModel } from "../train/report.js";

/** How model outputs become one score: P(up) of a classifier, or a regression's expected return. */
export type SignalKind = "probability" | "expected-return";

export interface RetrainConfig {
  /** Retrain every this many bars (and/or every `everyUs` of bar time). */
  everyBars?: number;
  everyUs?: number;
  /** Training window: the latest this many labelled bars. */
  windowBars: number;
  /** Label horizon: the forward log return over this many bars (its sign for `probability`). */
  horizon: number;
  /** Trainer and its hyper-parameters (the objective follows the signal kind). */
  model:
    | { kind: "gbdt"; params?: Omit<GbdtParams, "objective" | "seed"> }
    | { kind: "mlp"; params?: Omit<MlpParams, "output" | "seed"> };
  /** Seed of every retraining (default 1). */
  seed?: number;
  /** Bars whose outcome must be known for both models before the promotion decision (default 50). */
  shadowBars?: number;
  /** The candidate is promoted when its shadow loss <= live loss + tolerance (default 0). */
  tolerance?: number;
  /** Bars between the trigger and taking the new model (default 1; see the module doc). */
  applyAfterBars?: number;
  /** Wait for the worker at the application bar (deterministic; default true). */
  blocking?: boolean;
  /** Fewest training rows; fewer and the retraining is skipped (default 50). */
  minRows?: number;
}

export interface AdaptiveModelOptions {
  registry: ModelRegistry;
  /** Registry name of the model line; the live model is `name:live`. */
  name: string;
  featureNames: readonly string[];
  /** `featureSetSpecHash` of the feature set: registered with every retrained model and checked on load. */
  featureSpecHash?: string;
  signal: SignalKind;
  /** Output read as P(up) for `probability` with several outputs (default: the last one). */
  upClass?: number;
  retrain?: RetrainConfig;
  /** Every shadow pair (e.g. to the journal). */
  record?: (r: ShadowRecord) => void;
  /** Notices: swaps, promotions, refusals, failures (with the reason). */
  log?: (level: "info" | "warn", msg: string, fields?: Record<string, unknown>) => void;
}

/** One decision about a candidate: promoted, rejected, or failed (training / loading). */
export interface ModelDecision {
  timeUs: number;
  candidate: string | undefined;
  outcome: "promoted" | "rejected" | "failed" | "bootstrapped";
  liveLoss?: number;
  candidateLoss?: number;
  scored?: number;
  reason?: string;
}

interface Pending {
  index: number;
  close: number;
  live: number;
  candidate: number;
}

/** A ring of the latest bars: time, close, features and readiness. */
class History {
  readonly times: Float64Array;
  readonly closes: Float64Array;
  readonly x: Float64Array;
  readonly ready: Uint8Array;
  count = 0;
  constructor(
    readonly capacity: number,
    readonly cols: number,
  ) {
    this.times = new Float64Array(capacity);
    this.closes = new Float64Array(capacity);
    this.x = new Float64Array(capacity * cols);
    this.ready = new Uint8Array(capacity);
  }
  push(time: number, close: number, f: ArrayLike<number>, ready: boolean): void {
    const s = this.count % this.capacity;
    this.times[s] = time;
    this.closes[s] = close;
    for (let c = 0; c < this.cols; c++) this.x[s * this.cols + c] = f[c];
    this.ready[s] = ready ? 1 : 0;
    this.count++;
  }
  /** Slot of absolute bar index `i` (must be within the last `capacity` bars). */
  slot(i: number): number {
    return i % this.capacity;
  }
}

export class AdaptiveModel {
  readonly live: HotSwapModel;
  private candidate: HotSwapModel | undefined;
  private shadow: ShadowRunner | undefined;
  private job:
    | { handle: TrainingHandle; applyAt: number; startUs: number; endUs: number; ds: Dataset }
    | undefined;
  private readonly history: History | undefined;
  private readonly pending: Pending[] = [];
  private liveLoss = 0;
  private candLoss = 0;
  private scored = 0;
  private index = -1;
  private lastTrainIndex = Number.NEGATIVE_INFINITY;
  private nextTrainUs = Number.NaN;
  private out = new Float64Array(0);
  readonly decisions: ModelDecision[] = [];
  /** Why the last prediction or model operation failed (cleared by the next success). */
  lastError: string | undefined;
  readonly counts = { predictions: 0, skippedNotReady: 0, failed: 0, retrains: 0 };

  constructor(private readonly opts: AdaptiveModelOptions) {
    this.live = new HotSwapModel(opts.registry, opts.featureNames, opts.featureSpecHash);
    const r = opts.retrain;
    if (r) {
      const int = (v: number | undefined, what: string, min: number) => {
        if (v !== undefined && (!Number.isInteger(v) || v < min))
          throw new MlError("ML_BAD_PARAMS", `retrain.${what} must be an integer >= ${min}, got ${v}`);
      };
      int(r.everyBars, "everyBars", 1);
      int(r.everyUs, "everyUs", 1);
      int(r.windowBars, "windowBars", 2);
      int(r.horizon, "horizon", 1);
      int(r.shadowBars, "shadowBars", 1);
      int(r.applyAfterBars, "applyAfterBars", 0);
      int(r.minRows, "minRows", 2);
      if (r.everyBars === undefined && r.everyUs === undefined)
        throw new MlError("ML_BAD_PARAMS", "retrain needs everyBars or everyUs");
      if (r.tolerance !== undefined && !(r.tolerance >= 0))
        throw new MlError("ML_BAD_PARAMS", `retrain.tolerance must be >= 0, got ${r.tolerance}`);
      this.history = new History(r.windowBars + r.horizon + 1, opts.featureNames.length);
    }
  }

  private note(level: "info" | "warn", msg: string, fields?: Record<string, unknown>): void {
    if (level === "warn") this.lastError = msg;
    this.opts.log?.(level, msg, fields);
  }

  /** Loads the live model (`ref`, default `name:live`); on failure says why and keeps none/the last. */
  load(ref?: string): boolean {
    const r = ref === undefined ? this.live.followLive(this.opts.name) : this.live.swapTo(ref);
    if (!r.ok) this.note("warn", `model ${ref ?? `${this.opts.name}:live`} not loaded: ${r.reason}`);
    else this.note("info", `trading on model ${r.current}`);
    return r.ok;
  }

  /** Re-reads the registry's live pointer (an operator's promotion) and hot-swaps to it. */
  followLive(): boolean {
    const before = this.live.current;
    const r = this.live.followLive(this.opts.name);
    if (!r.ok) this.note("warn", `staying on ${before ?? "no model"}: ${r.reason}`);
    else if (r.current !== before) this.note("info", `hot-swapped ${before ?? "none"} → ${r.current}`);
    return r.ok;
  }

  /** The `name:version` the live predictions come from, and the one in shadow. */
  get current(): string | undefined {
    return this.live.current;
  }
  get inShadow(): string | undefined {
    return this.shadow ? this.candidate?.current : undefined;
  }

  /** P(up) or expected return from a model's outputs. */
  score(out: ArrayLike<number>): number {
    if (this.opts.signal === "expected-return" || out.length === 1) return out[0];
    return out[this.opts.upClass ?? out.length - 1];
  }

  /**
   * One closed bar: records it, scores earlier shadow predictions whose outcome is now known,
   * runs the retraining schedule, and returns the live model's score for this bar — undefined
   * when there is no model, the vector is not ready, or the prediction failed (`lastError` says
   * why; the node keeps running).
   */
  onBar(timeUs: number, close: number, features: Float64Array, ready: boolean): number | undefined {
    this.index++;
    const t = this.index;
    this.history?.push(timeUs, close, features, ready);
    if (this.opts.retrain) {
      this.scorePending(t, close);
      this.maybeDecide(timeUs);
      this.maybeCollect(t, timeUs);
      this.maybeTrain(t, timeUs);
    }
    if (!ready) {
      this.counts.skippedNotReady++;
      return undefined;
    }
    if (this.live.current === undefined) return undefined;
    try {
      let s: number;
      if (this.shadow) {
        const live = this.shadow.predict(timeUs, features);
        s = this.score(live);
        const cand = this.shadow.lastCandidate;
        if (cand) this.pending.push({ index: t, close, live: s, candidate: this.score(cand) });
      } else {
        if (this.out.length !== this.live.outputs) this.out = new Float64Array(this.live.outputs);
        s = this.score(this.live.predict(features, this.out));
      }
      this.counts.predictions++;
      return s;
    } catch (e) {
      this.counts.failed++;
      this.note("warn", `no prediction at ${timeUs}: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Loss of one prediction against the realised forward log return r. */
  private loss(pred: number, r: number): number {
    if (this.opts.signal === "probability") return (pred - (r > 0 ? 1 : 0)) ** 2; // Brier
    return (pred - r) ** 2;
  }

  private scorePending(t: number, close: number): void {
    const h = this.opts.retrain!.horizon;
    while (this.pending.length > 0 && this.pending[0].index + h <= t) {
      const p = this.pending.shift()!;
      if (p.index + h < t) continue; // outcome bar passed without a score (cannot happen bar by bar)
      const r = Math.log(close / p.close);
      this.liveLoss += this.loss(p.live, r);
      this.candLoss += this.loss(p.candidate, r);
      this.scored++;
    }
  }

  private maybeDecide(timeUs: number): void {
    const cfg = this.opts.retrain!;
    if (!this.shadow || this.scored < (cfg.shadowBars ?? 50)) return;
    const liveLoss = this.liveLoss / this.scored;
    const candLoss = this.candLoss / this.scored;
    const cand = this.candidate!.current!;
    const base = { timeUs, candidate: cand, liveLoss, candidateLoss: candLoss, scored: this.scored };
    const stats = this.shadow.stats();
    this.endShadow();
    if (candLoss <= liveLoss + (cfg.tolerance ?? 0)) {
      const before = this.live.current;
      // Hot swap first (a failure leaves the node on its model), then move the registry's pointer.
      const r = this.live.swapTo(cand);
      if (!r.ok) {
        this.decisions.push({ ...base, outcome: "failed", reason: r.reason });
        this.note("warn", `promotion of ${cand} failed, staying on ${before}: ${r.reason}`);
        return;
      }
      this.decisions.push({ ...base, outcome: "promoted" });
      this.note("info", `promoted ${cand} over ${before}: shadow loss ${candLoss} <= ${liveLoss}`, {
        ...base,
        agreement: stats.agreement,
      });
      try {
        this.opts.registry.setLive(cand);
      } catch (e) {
        this.note(
          "warn",
          `trading on ${cand}, but the registry's live pointer was not moved: ${(e as Error).message}`,
        );
      }
    } else {
      this.decisions.push({ ...base, outcome: "rejected" });
      this.note(
        "info",
        `kept ${this.live.current}: candidate ${cand} shadow loss ${candLoss} > ${liveLoss}`,
        base,
      );
    }
  }

  private endShadow(): void {
    this.shadow = undefined;
    this.candidate = undefined;
    this.pending.length = 0;
    this.liveLoss = 0;
    this.candLoss = 0;
    this.scored = 0;
  }

  /** Builds the training set from the history: rows whose label is known at bar t. */
  private dataset(t: number): { ds: Dataset; startUs: number } | undefined {
    const cfg = this.opts.retrain!;
    const hist = this.history!;
    const cols = hist.cols;
    const first = Math.max(0, t - cfg.horizon - cfg.windowBars + 1);
    const last = t - cfg.horizon; // label of row i ends at i + horizon <= t: known now
    const xs: number[] = [];
    const ys: number[] = [];
    let startUs = Number.NaN;
    for (let i = first; i <= last; i++) {
      const s = hist.slot(i);
      if (!hist.ready[s]) continue;
      const r = Math.log(hist.closes[hist.slot(i + cfg.horizon)] / hist.closes[s]);
      if (!Number.isFinite(r)) continue;
      if (Number.isNaN(startUs)) startUs = hist.times[s];
      for (let c = 0; c < cols; c++) xs.push(hist.x[s * cols + c]);
      ys.push(this.opts.signal === "probability" ? (r > 0 ? 1 : 0) : r);
    }
    if (ys.length < (cfg.minRows ?? 50)) return undefined;
    if (this.opts.signal === "probability" && (ys.every((y) => y === 1) || ys.every((y) => y === 0)))
      return undefined;
    return {
      ds: {
        x: Float32Array.from(xs),
        y: Float64Array.from(ys),
        rows: ys.length,
        cols,
        featureNames: [...this.opts.featureNames],
      },
      startUs,
    };
  }

  private maybeTrain(t: number, timeUs: number): void {
    const cfg = this.opts.retrain!;
    if (Number.isNaN(this.nextTrainUs) && cfg.everyUs !== undefined) this.nextTrainUs = timeUs + cfg.everyUs;
    const dueBars = cfg.everyBars !== undefined && t - this.lastTrainIndex >= cfg.everyBars;
    const dueTime = cfg.everyUs !== undefined && timeUs >= this.nextTrainUs;
    if (!dueBars && !dueTime) return;
    if (this.job || this.shadow) return; // one candidate at a time; the schedule resumes after it
    const d = this.dataset(t);
    if (!d) return;
    this.lastTrainIndex = t;
    if (cfg.everyUs !== undefined) this.nextTrainUs = timeUs + cfg.everyUs;
    const seed = cfg.seed ?? 1;
    const m = cfg.model;
    let handle: TrainingHandle;
    try {
      handle =
        m.kind === "gbdt"
          ? startTraining({
              kind: "gbdt",
              train: d.ds,
              params: {
                ...m.params,
                objective: this.opts.signal === "probability" ? "binary" : "regression",
                seed,
              },
            })
          : startTraining({
              kind: "mlp",
              train: d.ds,
              params: {
                hidden: [16],
                // Returns are ~1e-3: train on the standardised target (folded back into the model).
                standardizeTarget: this.opts.signal === "expected-return",
                ...m.params,
                output: this.opts.signal === "probability" ? "sigmoid" : "linear",
                seed,
              },
            });
    } catch (e) {
      this.decisions.push({ timeUs, candidate: undefined, outcome: "failed", reason: (e as Error).message });
      this.note(
        "warn",
        `retraining could not start, staying on ${this.live.current ?? "no model"}: ${(e as Error).message}`,
      );
      return;
    }
    this.counts.retrains++;
    this.job = {
      handle,
      applyAt: t + (cfg.applyAfterBars ?? 1),
      startUs: d.startUs,
      endUs: timeUs,
      ds: d.ds,
    };
  }

  private maybeCollect(t: number, timeUs: number): void {
    const job = this.job;
    if (!job || t < job.applyAt) return;
    const cfg = this.opts.retrain!;
    let model: TrainedModel | undefined;
    try {
      model = cfg.blocking === false ? job.handle.poll() : job.handle.waitSync();
    } catch (e) {
      this.job = undefined;
      this.decisions.push({ timeUs, candidate: undefined, outcome: "failed", reason: (e as Error).message });
      this.note(
        "warn",
        `retraining failed, staying on ${this.live.current ?? "no model"}: ${(e as Error).message}`,
      );
      return;
    }
    if (model === undefined) return; // non-blocking and still training
    this.job = undefined;
    this.adopt(model, job.ds, job.startUs, job.endUs, timeUs);
  }

  /** Registers a freshly trained model and puts it in shadow (or live, if there is none). */
  private adopt(model: TrainedModel, ds: Dataset, startUs: number, endUs: number, timeUs: number): void {
    const reg = this.opts.registry;
    try {
      const onnx = model.kind === "gbdt" ? exportGbdt(model) : exportMlp(model);
      const score = scoreModel(model, ds);
      const parent = this.live.current;
      const rec = reg.register(
        this.opts.name,
        onnx,
        {
          featureSet: [...this.opts.featureNames],
          featureSpecHash: this.opts.featureSpecHash,
          // The window ends at the bar whose close made the last label known.
          trainWindow: { startUs, endUs: endUs + 1 },
          metrics: { [`train_${score.metric}`]: score.value, rows: ds.rows },
          gateMetric: { name: `train_${score.metric}`, higherIsBetter: true },
          parent,
          createdUs: timeUs,
          notes: `walk-forward retrain at ${endUs}`,
        },
        model,
      );
      const ref = `${rec.name}:${rec.version}`;
      if (parent === undefined) {
        reg.setLive(ref);
        const r = this.live.followLive(this.opts.name);
        if (!r.ok) throw new MlError("ML_REGISTRY", r.reason ?? "load failed");
        this.decisions.push({ timeUs, candidate: ref, outcome: "bootstrapped" });
        this.note("info", `first model ${ref} is live (no model to shadow against)`);
        return;
      }
      const cand = new HotSwapModel(reg, this.opts.featureNames, this.opts.featureSpecHash);
      const r = cand.swapTo(ref);
      if (!r.ok) throw new MlError("ML_REGISTRY", r.reason ?? "load failed");
      this.candidate = cand;
      this.shadow = new ShadowRunner(this.live, cand, this.opts.record);
      this.note("info", `candidate ${ref} in shadow beside ${parent}`);
    } catch (e) {
      this.decisions.push({ timeUs, candidate: undefined, outcome: "failed", reason: (e as Error).message });
      this.note(
        "warn",
        `new model not adopted, staying on ${this.live.current ?? "no model"}: ${(e as Error).message}`,
      );
    }
  }

  /** Stops a running training job (strategy stop). */
  dispose(): void {
    this.job?.handle.cancel();
    this.job = undefined;
  }
}
