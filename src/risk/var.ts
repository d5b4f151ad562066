/**
 * Value at risk and expected shortfall over a rolling window of per-period PnL (or returns).
 *
 * - **Historical**: VaR is the loss at the `confidence` quantile of the window's observed
 *   outcomes; ES is the mean loss of the outcomes at or beyond it.
 * - **Parametric** (normal): VaR = −(μ + σ·z₁₋c); ES = −μ + σ·φ(z)/(1 − c).
 *
 * Losses are reported as positive numbers in the unit of the samples (account-currency money
 * or a return fraction). Floats are right here: these are statistics, not balances.
 */
import { BotV6Error } from "../model/errors.js";

export class VarError extends BotV6Error {}

export interface RiskMeasure {
  readonly var: number;
  readonly expectedShortfall: number;
  readonly samples: number;
}

/** A fixed-capacity ring of samples (no allocation per add). */
export class RollingWindow {
  private readonly buf: Float64Array;
  private count = 0;
  private head = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 2)
      throw new VarError("VAR_INVALID", `window capacity ${capacity} must be an integer >= 2`);
    this.buf = new Float64Array(capacity);
  }

  add(x: number): void {
    if (!Number.isFinite(x))
      throw new VarError("VAR_INVALID", `sample ${x} is not finite`, { value: String(x) });
    this.buf[this.head] = x;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  get size(): number {
    return this.count;
  }

  values(): Float64Array {
    const out = new Float64Array(this.count);
    const start = this.count < this.capacity ? 0 : this.head;
    for (let i = 0; i < this.count; i++) out[i] = this.buf[(start + i) % this.capacity];
    return out;
  }
}

function checkConfidence(c: number): void {
  if (!(c > 0.5 && c < 1)) throw new VarError("VAR_INVALID", `confidence ${c} must be in (0.5, 1)`);
}

/** Historical VaR and ES at `confidence` (e.g. 0.99) from outcome samples (gains positive). */
export function historicalVar(samples: ArrayLike<number>, confidence: number): RiskMeasure {
  checkConfidence(confidence);
  const n = samples.length;
  if (n < 2) throw new VarError("VAR_INSUFFICIENT_DATA", `need at least 2 samples, have ${n}`);
  const sorted = Float64Array.from(samples).sort();
  // Index of the (1 − c) quantile, lower side (conservative).
  const k = Math.max(0, Math.ceil(n * (1 - confidence) - 1e-9) - 1);
  const v = -sorted[k];
  let sum = 0;
  for (let i = 0; i <= k; i++) sum += sorted[i];
  return { var: v, expectedShortfall: -sum / (k + 1), samples: n };
}

/** Parametric (normal) VaR and ES at `confidence`. */
export function parametricVar(samples: ArrayLike<number>, confidence: number): RiskMeasure {
  checkConfidence(confidence);
  const n = samples.length;
  if (n < 2) throw new VarError("VAR_INSUFFICIENT_DATA", `need at least 2 samples, have ${n}`);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += samples[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (samples[i] - mean) ** 2;
  const sd = Math.sqrt(v / (n - 1));
  const z = inverseNormal(1 - confidence);
  const pdf = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  return { var: -(mean + sd * z), expectedShortfall: -mean + (sd * pdf) / (1 - confidence), samples: n };
}

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function inverseNormal(p: number): number {
  if (!(p > 0 && p < 1)) throw new VarError("VAR_INVALID", `probability ${p} must be in (0, 1)`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return (
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/**
 * Per-account rolling VaR: feed it the account's equity at regular intervals (e.g. daily from
 * the risk engine's equity); it keeps the window of per-period PnL.
 */
export class AccountVar {
  private readonly window: RollingWindow;
  private last: number | null = null;

  constructor(windowSize: number) {
    this.window = new RollingWindow(windowSize);
  }

  /** Adds an equity observation (account-currency units, e.g. `Money.toNumber()`). */
  addEquity(equity: number): void {
    if (!Number.isFinite(equity)) throw new VarError("VAR_INVALID", `equity ${equity} is not finite`);
    if (this.last !== null) this.window.add(equity - this.last);
    this.last = equity;
  }

  historical(confidence: number): RiskMeasure {
    return historicalVar(this.window.values(), confidence);
  }

  parametric(confidence: number): RiskMeasure {
    return parametricVar(this.window.values(), confidence);
  }
}
