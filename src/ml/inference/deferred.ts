/**
 * Two ways to use an onnxruntime model from the synchronous trading path without an `await`
 * in it (docs/ml.md, "Synchronous hot path vs onnxruntime"):
 *
 * - {@link DeferredPredictor} (paper/live): on a bar or timer event the strategy calls
 *   `request(eventTime, features)`; onnxruntime runs off the JS thread; on a later event the
 *   strategy reads `valueFor(eventTime)` synchronously. A prediction that has not arrived, or
 *   belongs to another event, reads as `undefined` — the strategy treats it as "no signal"
 *   (fail closed), never as a stale value. Not for backtests: when a promise settles relative to
 *   replayed events is not deterministic.
 * - {@link PrecomputedPredictions} (backtest): scores every feature row in one batch before the
 *   replay, then serves row `i` synchronously — deterministic and at batch throughput.
 */
import { assertFiniteFeatures, MlError } from "../errors.js";
import type { OnnxModel } from "./session.js";

export class DeferredPredictor {
  private inFlight = false;
  private lastTime = Number.NaN;
  private last: Float32Array | undefined;
  /** Requests skipped because the previous one was still running; failures with their reason. */
  readonly stats = { requested: 0, completed: 0, skipped: 0, failed: 0 };
  lastError: string | undefined;

  constructor(
    private readonly model: OnnxModel,
    private readonly output?: string,
  ) {}

  /** Starts a prediction for the event at `timeUs`; false (and counted) if one is still running. */
  request(timeUs: number, features: ArrayLike<number>): boolean {
    assertFiniteFeatures(features);
    if (this.inFlight) {
      this.stats.skipped++;
      return false;
    }
    this.inFlight = true;
    this.stats.requested++;
    this.model.predict(features).then(
      (r) => {
        const out = this.output ?? this.model.outputs[this.model.outputs.length - 1].name;
        this.last = Float32Array.from(r[out] as Float32Array);
        this.lastTime = timeUs;
        this.inFlight = false;
        this.stats.completed++;
      },
      (e: unknown) => {
        this.inFlight = false;
        this.stats.failed++;
        this.lastError = (e as Error).message;
      },
    );
    return true;
  }

  /** The prediction made for the event at `timeUs`, or undefined if it is not (yet) there. */
  valueFor(timeUs: number): Float32Array | undefined {
    return this.lastTime === timeUs ? this.last : undefined;
  }
}

export class PrecomputedPredictions {
  private constructor(
    private readonly values: Float32Array,
    readonly rows: number,
    readonly width: number,
  ) {}

  /** Scores `rows` feature rows (row-major float32) in batches before a backtest. */
  static async compute(
    model: OnnxModel,
    x: Float32Array,
    rows: number,
    output?: string,
  ): Promise<PrecomputedPredictions> {
    const values = await model.predictBatch(x, rows, output);
    return new PrecomputedPredictions(values, rows, rows > 0 ? values.length / rows : 0);
  }

  /** Row `i`'s outputs (a view, no copy); throws `ML_SHAPE` outside [0, rows). */
  row(i: number): Float32Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.rows)
      throw new MlError("ML_SHAPE", `prediction row ${i} out of range [0, ${this.rows})`);
    return this.values.subarray(i * this.width, (i + 1) * this.width);
  }
}
