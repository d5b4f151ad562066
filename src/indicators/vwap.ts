/**
 * Volume-weighted average price, session-reset or anchored.
 *
 * VWAP = Σ price·volume / Σ volume since the start of the session (or the anchor), with
 * price = `source` of each bar: `"hlc3"` (default, (H+L+C)/3), `"hl2"` or `"close"`.
 * `deviation` is the volume-weighted standard deviation of price about the VWAP over the same
 * span (for VWAP bands). While the accumulated volume is 0 the VWAP is the current price and
 * the deviation 0. Warm-up: 0 bars (the anchored VWAP is NaN until its anchor).
 *
 * Time is integer microseconds since the Unix epoch. Timestamps must not decrease (equal
 * timestamps are accepted); a violation throws {@link IndicatorError} `OUT_OF_ORDER_TIME`
 * naming the timestamp.
 */
import { checkColumns, checkHLC, checkTime, checkVolume, enumParam, intParam } from "./validate.js";

export type VwapSource = "hlc3" | "hl2" | "close";
export const VWAP_SOURCES: readonly VwapSource[] = ["hlc3", "hl2", "close"];

/** One UTC day in microseconds. */
export const DAY_US = 86_400_000_000;

function sourcePrice(kind: number, high: number, low: number, close: number): number {
  return kind === 0 ? (high + low + close) / 3 : kind === 1 ? (high + low) / 2 : close;
}

/** Cumulative VWAP accumulator, with sums kept relative to the first price for precision. */
class VwapAccumulator {
  value = Number.NaN;
  deviation = Number.NaN;
  private ref = 0;
  private sv = 0;
  private spv = 0;
  private sp2v = 0;
  private empty = true;

  restart(): void {
    this.empty = true;
    this.sv = 0;
    this.spv = 0;
    this.sp2v = 0;
  }

  add(price: number, volume: number): void {
    if (this.empty) {
      this.empty = false;
      this.ref = price;
    }
    const d = price - this.ref;
    this.sv += volume;
    this.spv += d * volume;
    this.sp2v += d * d * volume;
    if (this.sv === 0) {
      this.value = price;
      this.deviation = 0;
      return;
    }
    const mean = this.spv / this.sv;
    this.value = this.ref + mean;
    const v = this.sp2v / this.sv - mean * mean;
    this.deviation = v > 0 ? Math.sqrt(v) : 0;
  }
}

export interface SessionVWAPOptions {
  /** Session length in µs; the VWAP restarts at every multiple of it. Default one day. */
  sessionLength: number;
  /** Offset of the session boundaries from the epoch in µs, e.g. −5 h for 19:00 UTC. Default 0. */
  sessionOffset: number;
  /** Price of each bar. Default `"hlc3"`. */
  source: VwapSource;
}

/**
 * VWAP that restarts at each session boundary: session = ⌊(time − sessionOffset)/sessionLength⌋
 * (default: each UTC day, as pandas_ta `vwap(anchor="D")`). Defined from the first bar.
 */
export class SessionVWAP {
  readonly sessionLength: number;
  readonly sessionOffset: number;
  readonly source: VwapSource;
  readonly warmup = 0;
  /** Current VWAP; NaN before the first bar. */
  value = Number.NaN;
  /** Volume-weighted standard deviation of price in the session. */
  deviation = Number.NaN;
  /** Start time (µs) of the current session. */
  sessionStart = Number.NaN;
  private readonly acc = new VwapAccumulator();
  private readonly kind: number;
  private lastTime = Number.NEGATIVE_INFINITY;
  private session = Number.NaN;

  constructor(options: Partial<SessionVWAPOptions> = {}) {
    this.sessionLength = intParam("vwap", "sessionLength", options.sessionLength ?? DAY_US, 1, 2 ** 52);
    this.sessionOffset = intParam("vwap", "sessionOffset", options.sessionOffset ?? 0, -(2 ** 52), 2 ** 52);
    this.source = enumParam("vwap", "source", options.source ?? "hlc3", VWAP_SOURCES);
    this.kind = VWAP_SOURCES.indexOf(this.source);
  }

  get isReady(): boolean {
    return !Number.isNaN(this.value);
  }

  update(time: number, high: number, low: number, close: number, volume: number): number {
    checkTime("vwap", time, this.lastTime);
    checkHLC("vwap", high, low, close);
    checkVolume("vwap", volume);
    this.lastTime = time;
    const session = Math.floor((time - this.sessionOffset) / this.sessionLength);
    if (session !== this.session) {
      this.session = session;
      this.sessionStart = session * this.sessionLength + this.sessionOffset;
      this.acc.restart();
    }
    this.acc.add(sourcePrice(this.kind, high, low, close), volume);
    this.value = this.acc.value;
    this.deviation = this.acc.deviation;
    return this.value;
  }

  reset(): void {
    this.acc.restart();
    this.lastTime = Number.NEGATIVE_INFINITY;
    this.session = Number.NaN;
    this.sessionStart = Number.NaN;
    this.value = Number.NaN;
    this.deviation = Number.NaN;
  }
}

export type VWAPSeries = {
  vwap: Float64Array;
  deviation: Float64Array;
};

/** Batch session VWAP. */
export function sessionVwap(
  time: ArrayLike<number>,
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  volume: ArrayLike<number>,
  options?: Partial<SessionVWAPOptions>,
): VWAPSeries {
  const n = checkColumns("vwap", { time, high, low, close, volume });
  const ind = new SessionVWAP(options);
  const out = { vwap: new Float64Array(n), deviation: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.vwap[i] = ind.update(time[i], high[i], low[i], close[i], volume[i]);
    out.deviation[i] = ind.deviation;
  }
  return out;
}

export interface AnchoredVWAPOptions {
  /** Anchor time in µs: accumulation starts at the first bar with time >= anchor. Default 0. */
  anchor: number;
  /** Price of each bar. Default `"hlc3"`. */
  source: VwapSource;
}

/**
 * VWAP accumulated from an anchor time onwards; NaN for bars before the anchor.
 * {@link AnchoredVWAP.setAnchor} moves the anchor (e.g. to a swing low) and restarts.
 */
export class AnchoredVWAP {
  readonly source: VwapSource;
  readonly warmup = 0;
  /** Current anchor (µs). */
  anchor: number;
  /** Current VWAP; NaN before the anchor. */
  value = Number.NaN;
  /** Volume-weighted standard deviation of price since the anchor. */
  deviation = Number.NaN;
  private readonly acc = new VwapAccumulator();
  private readonly kind: number;
  private lastTime = Number.NEGATIVE_INFINITY;

  constructor(options: Partial<AnchoredVWAPOptions> = {}) {
    this.anchor = intParam("avwap", "anchor", options.anchor ?? 0, -(2 ** 53) + 1, 2 ** 53 - 1);
    this.source = enumParam("avwap", "source", options.source ?? "hlc3", VWAP_SOURCES);
    this.kind = VWAP_SOURCES.indexOf(this.source);
  }

  get isReady(): boolean {
    return !Number.isNaN(this.value);
  }

  /** Restarts accumulation at the first bar with time >= `anchor` (µs). */
  setAnchor(anchor: number): void {
    this.anchor = intParam("avwap", "anchor", anchor, -(2 ** 53) + 1, 2 ** 53 - 1);
    this.acc.restart();
    this.value = Number.NaN;
    this.deviation = Number.NaN;
  }

  update(time: number, high: number, low: number, close: number, volume: number): number {
    checkTime("avwap", time, this.lastTime);
    checkHLC("avwap", high, low, close);
    checkVolume("avwap", volume);
    this.lastTime = time;
    if (time < this.anchor) return Number.NaN;
    this.acc.add(sourcePrice(this.kind, high, low, close), volume);
    this.value = this.acc.value;
    this.deviation = this.acc.deviation;
    return this.value;
  }

  reset(): void {
    this.acc.restart();
    this.lastTime = Number.NEGATIVE_INFINITY;
    this.value = Number.NaN;
    this.deviation = Number.NaN;
  }
}

/** Batch anchored VWAP; NaN before the anchor. */
export function anchoredVwap(
  time: ArrayLike<number>,
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  volume: ArrayLike<number>,
  options?: Partial<AnchoredVWAPOptions>,
): VWAPSeries {
  const n = checkColumns("avwap", { time, high, low, close, volume });
  const ind = new AnchoredVWAP(options);
  const out = { vwap: new Float64Array(n), deviation: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.vwap[i] = ind.update(time[i], high[i], low[i], close[i], volume[i]);
    out.deviation[i] = ind.deviation;
  }
  return out;
}
