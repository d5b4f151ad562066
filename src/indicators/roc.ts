/**
 * Rate of change and momentum over `period` bars.
 *
 * ROC `mode`: `"percent"` (default) 100·(x − x_{t−N})/x_{t−N} (TA-Lib `ROC`);
 * `"fraction"` (x − x_{t−N})/x_{t−N} (TA-Lib `ROCP`); `"ratio"` x/x_{t−N} (TA-Lib `ROCR`,
 * Tulip `rocr`); `"ratio100"` 100·x/x_{t−N} (TA-Lib `ROCR100`). A zero base price gives 0
 * (TA-Lib). Momentum = x − x_{t−N} (TA-Lib `MOM`). Warm-up: `period` bars.
 */
import { RingBuffer } from "./ring.js";
import { badInput, enumParam, intParam } from "./validate.js";

export type RocMode = "percent" | "fraction" | "ratio" | "ratio100";
export const ROC_MODES: readonly RocMode[] = ["percent", "fraction", "ratio", "ratio100"];

export interface ROCOptions {
  /** Look-back N, integer >= 1. Default 10. */
  period: number;
  /** Output scale, see module doc. Default `"percent"`. */
  mode: RocMode;
}

export class ROC {
  readonly period: number;
  readonly mode: RocMode;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly ring: RingBuffer;
  private readonly kind: number;

  constructor(options: Partial<ROCOptions> = {}) {
    this.period = intParam("roc", "period", options.period ?? 10, 1);
    this.mode = enumParam("roc", "mode", options.mode ?? "percent", ROC_MODES);
    this.kind = ROC_MODES.indexOf(this.mode);
    this.ring = new RingBuffer(this.period);
    this.warmup = this.period;
  }

  get isReady(): boolean {
    return !Number.isNaN(this.value);
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("roc", "close", x);
    const base = this.ring.push(x);
    if (Number.isNaN(base)) return Number.NaN;
    if (base === 0) this.value = 0;
    else if (this.kind === 0) this.value = ((x - base) / base) * 100;
    else if (this.kind === 1) this.value = (x - base) / base;
    else if (this.kind === 2) this.value = x / base;
    else this.value = (x / base) * 100;
    return this.value;
  }

  reset(): void {
    this.ring.reset();
    this.value = Number.NaN;
  }
}

/** Batch ROC; NaN where not yet defined. */
export function roc(close: ArrayLike<number>, options?: Partial<ROCOptions>): Float64Array {
  const ind = new ROC(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}

export interface MomentumOptions {
  /** Look-back N, integer >= 1. Default 10. */
  period: number;
}

/** Momentum x − x_{t−N}. Warm-up: `period` bars. */
export class Momentum {
  readonly period: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly ring: RingBuffer;

  constructor(options: Partial<MomentumOptions> = {}) {
    this.period = intParam("mom", "period", options.period ?? 10, 1);
    this.ring = new RingBuffer(this.period);
    this.warmup = this.period;
  }

  get isReady(): boolean {
    return !Number.isNaN(this.value);
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("mom", "close", x);
    const base = this.ring.push(x);
    if (Number.isNaN(base)) return Number.NaN;
    this.value = x - base;
    return this.value;
  }

  reset(): void {
    this.ring.reset();
    this.value = Number.NaN;
  }
}

/** Batch momentum; NaN where not yet defined. */
export function momentum(close: ArrayLike<number>, options?: Partial<MomentumOptions>): Float64Array {
  const ind = new Momentum(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}
