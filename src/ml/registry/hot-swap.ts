/**
 * Hot swap of the model a running node trades on. The hot path calls {@link HotSwapModel.predict}
 * synchronously on the current evaluator; {@link HotSwapModel.swapTo} prepares the next model off
 * the hot path (read, checksum, feature-set check, build the evaluator) and then replaces the
 * reference in one assignment, so no prediction ever sees half a model. If anything is wrong with
 * the candidate, the node keeps trading on its last good model and the result says why.
 */

import { readFileSync } from "node:fs";
import { assertFiniteFeatures, MlError } from "../errors.js";
import { parseModel } from "../model-io.js";
import { GbdtEvaluator } from "../train/gbdt.js";
import { MlpEvaluator } from "../train/mlp.js";
import { featureSetHash, type ModelRecord, type ModelRegistry } from "./registry.js";

interface Evaluator {
  readonly outputs: number;
  predict(x: ArrayLike<number>, out: Float64Array, offset?: number): Float64Array;
}

export interface SwapResult {
  ok: boolean;
  /** The model now in use. */
  current: string | undefined;
  reason?: string;
}

export class HotSwapModel {
  private evaluator: Evaluator | undefined;
  private record: ModelRecord | undefined;
  private readonly hash: string;

  constructor(
    private readonly registry: ModelRegistry,
    readonly featureSet: readonly string[],
    /**
     * The feature set's definition hash (`featureSetSpecHash`): when given, a model registered
     * with another definition hash is refused (same names, other parameters).
     */
    readonly featureSpecHash?: string,
  ) {
    this.hash = featureSetHash(featureSet);
  }

  /** The registry record of the model in use. */
  get currentRecord(): ModelRecord | undefined {
    return this.record;
  }

  /** `name:version` in use, or undefined before the first successful swap. */
  get current(): string | undefined {
    return this.record ? `${this.record.name}:${this.record.version}` : undefined;
  }

  get outputs(): number {
    return this.evaluator?.outputs ?? 0;
  }

  /** Synchronous prediction on the current model; throws `ML_NAN_FEATURE`/`ML_SHAPE` on bad input. */
  predict(features: ArrayLike<number>, out: Float64Array): Float64Array {
    const ev = this.evaluator;
    if (!ev) throw new MlError("ML_REGISTRY", "no model loaded yet (swapTo a registry model first)");
    if (features.length !== this.featureSet.length)
      throw new MlError(
        "ML_SHAPE",
        `feature vector has ${features.length} values, the feature set has ${this.featureSet.length}`,
      );
    assertFiniteFeatures(features, this.featureSet);
    return ev.predict(features, out);
  }

  /** Loads `ref` from the registry and swaps to it; on failure keeps the current model. */
  swapTo(ref: string): SwapResult {
    try {
      const rec = this.registry.get(ref);
      if (rec.featureHash !== this.hash)
        throw new MlError(
          "ML_MODEL_MISMATCH",
          `${rec.name}:${rec.version} was trained on a different feature set (hash ${rec.featureHash.slice(0, 12)}…)`,
        );
      if (
        this.featureSpecHash !== undefined &&
        rec.featureSpecHash !== undefined &&
        rec.featureSpecHash !== this.featureSpecHash
      )
        throw new MlError(
          "ML_MODEL_MISMATCH",
          `${rec.name}:${rec.version} was trained on another definition of these features (spec hash ${rec.featureSpecHash.slice(0, 12)}… vs ${this.featureSpecHash.slice(0, 12)}…)`,
        );
      if (!rec.modelFile)
        throw new MlError(
          "ML_REGISTRY",
          `${rec.name}:${rec.version} has no in-process model file; the synchronous path needs one`,
        );
      this.registry.readOnnx(ref); // checksum of the registered artefact
      const model = parseModel(readFileSync(rec.modelFile, "utf8"), rec.modelFile);
      if (model.nFeatures !== this.featureSet.length)
        throw new MlError(
          "ML_MODEL_MISMATCH",
          `${rec.name}:${rec.version} takes ${model.nFeatures} features, the feature set has ${this.featureSet.length}`,
        );
      const ev: Evaluator = model.kind === "gbdt" ? new GbdtEvaluator(model) : new MlpEvaluator(model);
      this.evaluator = ev;
      this.record = rec;
      return { ok: true, current: this.current };
    } catch (e) {
      return { ok: false, current: this.current, reason: (e as Error).message };
    }
  }

  /** Swaps to the registry's live version of `name` if it differs from the one in use. */
  followLive(name: string): SwapResult {
    let live: ModelRecord;
    try {
      live = this.registry.get(`${name}:live`);
    } catch (e) {
      return { ok: false, current: this.current, reason: (e as Error).message };
    }
    if (this.record && this.record.name === live.name && this.record.version === live.version)
      return { ok: true, current: this.current };
    return this.swapTo(`${live.name}:${live.version}`);
  }
}
