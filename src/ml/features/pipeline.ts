/**
 * Declarative feature sets, computed by **one streaming implementation** in backtest, training and
 * live: `FeaturePipeline.update(bar)` advances every feature by one bar; `computeFeatures(bars)`
 * (offline, for training) is nothing but that loop, so offline and streamed features are
 * bit-identical by construction (and tested).
 *
 * Feature kinds: any indicator of the registry (`src/indicators/registry.ts`, by name and params,
 * one of its outputs, optionally fed another column), log returns over n bars, lags of another
 * feature, rolling mean/std/min/max/z-score of a column or feature, and time of day / day of week
 * (sin/cos), and **order-flow metrics** of `src/orderflow` (CVD, bar delta, OFI, book imbalance,
 * VPIN, Kyle's lambda, trade/volume intensity, micro-price offset, spread) — the same streaming
 * classes strategies use, fed every trade ({@link FeaturePipeline.onTrade}) and book update
 * ({@link FeaturePipeline.onBook}) between bars and sampled when a bar closes.
 *
 * A feature is `NaN` until it is defined (warm-up); {@link FeaturePipeline.read} says whether the
 * whole vector is ready, so a model never sees an undefined feature.
 */
import { createHash } from "node:crypto";
import {
  type BoundIndicator,
  getIndicator,
  type IndicatorSpec,
  type InputColumn,
  type ParamValue,
} from "../../indicators/registry.js";
import { BookImbalance, microprice, OrderFlowImbalance } from "../../orderflow/book.js";
import type { Aggressor, BookLevels } from "../../orderflow/common.js";
import { CumulativeDelta } from "../../orderflow/delta.js";
import { TradeIntensity } from "../../orderflow/intensity.js";
import { KyleLambda } from "../../orderflow/kyle.js";
import { Vpin } from "../../orderflow/vpin.js";
import { MlError } from "../errors.js";

export interface BarInput {
  /** Bar open time, µs since the epoch. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /**
   * Bar close time, µs (optional; default `time`). Order-flow features that decay with time
   * (trade intensity) are read at this instant.
   */
  closeTime?: number;
}

/** Order-flow metrics a feature set can sample at bar close (see docs/ml.md for units). */
export type OrderFlowMetric =
  | "cvd"
  | "bar_delta"
  | "ofi"
  | "book_imbalance"
  | "vpin"
  | "kyle_lambda"
  | "trade_intensity"
  | "volume_intensity"
  | "microprice_offset_bps"
  | "spread_bps";

export const ORDER_FLOW_METRICS: readonly OrderFlowMetric[] = [
  "cvd",
  "bar_delta",
  "ofi",
  "book_imbalance",
  "vpin",
  "kyle_lambda",
  "trade_intensity",
  "volume_intensity",
  "microprice_offset_bps",
  "spread_bps",
];

type Column = Exclude<InputColumn, "time">;

export type FeatureDef =
  | {
      kind: "indicator";
      name: string;
      /** Indicator registry name, e.g. "rsi", "bbands". */
      indicator: string;
      params?: Record<string, ParamValue>;
      /** Output column (default: the first output). */
      output?: string;
      /** For single-series indicators: the column fed as `close` (default close). */
      source?: Column;
    }
  | { kind: "return"; name: string; bars: number; column?: Column }
  | { kind: "lag"; name: string; of: string; bars: number }
  | {
      kind: "rolling";
      name: string;
      of: string;
      window: number;
      stat: "mean" | "std" | "min" | "max" | "zscore";
    }
  | { kind: "time"; name: string; part: "hour_sin" | "hour_cos" | "weekday_sin" | "weekday_cos" }
  | {
      kind: "orderflow";
      name: string;
      metric: OrderFlowMetric;
      /** book_imbalance: levels per side (default 5). */
      levels?: number;
      /** vpin: bucket volume in raw size units (required). */
      bucketVolume?: number;
      /** vpin: buckets (default 50); kyle_lambda: intervals (default 100). */
      window?: number;
      /** kyle_lambda: regression interval, µs (required). */
      intervalUs?: number;
      /** trade_intensity / volume_intensity: half-life, µs (required). */
      halfLifeUs?: number;
      /** cvd: session length in µs after which it restarts at 0 (default 0 = never). */
      resetEveryUs?: number;
    };

/** One trade as the order-flow features take it: raw fixed-point price and size, signed aggressor. */
export interface TradeInput {
  ts: number;
  priceRaw: number;
  sizeRaw: number;
  side: Aggressor;
}

/** A time-ordered market event for {@link computeFeaturesFromEvents}. */
export type FeatureEvent =
  | { kind: "bar"; bar: BarInput }
  | ({ kind: "trade" } & TradeInput)
  /** `book` is read during the call only (a live book may be passed and mutated afterwards). */
  | { kind: "book"; ts: number; book: BookLevels };

export interface FeatureSetSpec {
  name: string;
  features: FeatureDef[];
}

const COLUMNS: readonly Column[] = ["open", "high", "low", "close", "volume"];

interface Step {
  update(bar: BarInput, values: Float64Array): void;
}

/** Ring of the last n values of a series. */
class Ring {
  private readonly buf: Float64Array;
  private count = 0;
  constructor(readonly size: number) {
    this.buf = new Float64Array(size);
  }
  push(v: number): void {
    this.buf[this.count % this.size] = v;
    this.count++;
  }
  /** Value `back` steps ago (0 = latest); NaN when not available. */
  get(back: number): number {
    if (back >= this.count || back >= this.size) return Number.NaN;
    return this.buf[(this.count - 1 - back) % this.size];
  }
  get full(): boolean {
    return this.count >= this.size;
  }
}

function columnOf(bar: BarInput, c: Column): number {
  return bar[c];
}

/** JSON with object keys sorted at every level: the same definition always gives the same text. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * The SHA-256 of a feature set's canonical JSON (keys sorted): it changes with any part of the
 * definition (a kind, a period, an order-flow parameter, the order of features) and not with
 * the key order of the file it came from. A model trained on the set records this hash.
 */
export function featureSetSpecHash(spec: FeatureSetSpec): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex");
}

type TradeStep = (ts: number, priceRaw: number, sizeRaw: number, side: Aggressor) => void;
type BookStep = (ts: number, book: BookLevels) => void;

export class FeaturePipeline {
  readonly names: string[];
  private readonly steps: Step[] = [];
  private readonly tradeSteps: TradeStep[] = [];
  private readonly bookSteps: BookStep[] = [];
  private readonly values: Float64Array;
  /** True when some feature needs trades ({@link onTrade}) / book updates ({@link onBook}). */
  readonly needsTrades: boolean;
  readonly needsBook: boolean;
  /** Last trade / book time: each stream must be in time order (venues stamp them apart). */
  private readonly lastTs = { trade: Number.NEGATIVE_INFINITY, "book update": Number.NEGATIVE_INFINITY };

  constructor(readonly spec: FeatureSetSpec) {
    const fail = (i: number, why: string): never => {
      throw new MlError(
        "ML_BAD_PARAMS",
        `feature set ${spec.name}: features[${i}] (${spec.features[i]?.name ?? "?"}): ${why}`,
        {
          index: i,
        },
      );
    };
    if (!Array.isArray(spec.features) || spec.features.length === 0)
      throw new MlError("ML_BAD_PARAMS", `feature set ${spec.name}: no features`);
    const index = new Map<string, number>();
    for (let i = 0; i < spec.features.length; i++) {
      const f = spec.features[i];
      if (typeof f.name !== "string" || !/^[A-Za-z0-9_.:-]+$/.test(f.name))
        fail(i, "name must match [A-Za-z0-9_.:-]+");
      if (index.has(f.name)) fail(i, `duplicate name (also features[${index.get(f.name)}])`);
      const ref = (name: string): number => {
        const j = index.get(name);
        if (j === undefined) return fail(i, `refers to "${name}", which is not defined before it`);
        return j;
      };
      const intParam = (v: number, what: string) => {
        if (!Number.isInteger(v) || v < 1) fail(i, `${what} must be an integer >= 1, got ${v}`);
      };
      switch (f.kind) {
        case "indicator": {
          let spec_: IndicatorSpec;
          let ind: BoundIndicator;
          try {
            spec_ = getIndicator(f.indicator);
            ind = spec_.create(f.params);
          } catch (e) {
            fail(i, (e as Error).message);
            break;
          }
          const out = f.output === undefined ? 0 : spec_.outputs.indexOf(f.output);
          if (out < 0)
            fail(
              i,
              `indicator ${f.indicator} has no output "${f.output}" (outputs: ${spec_.outputs.join(", ")})`,
            );
          if (f.source !== undefined && (!spec_.anySeries || !COLUMNS.includes(f.source)))
            fail(i, `source "${f.source}" needs a single-series indicator and one of ${COLUMNS.join(", ")}`);
          const inputs = spec_.inputs.map((c) => (c === "close" && f.source ? f.source : c));
          const row = new Float64Array(inputs.length);
          this.steps.push({
            update: (bar, values) => {
              for (let k = 0; k < inputs.length; k++)
                row[k] = inputs[k] === "time" ? bar.time : columnOf(bar, inputs[k] as Column);
              ind.update(row);
              values[i] = ind.output(out);
            },
          });
          break;
        }
        case "return": {
          intParam(f.bars, "bars");
          const col = f.column ?? "close";
          if (!COLUMNS.includes(col)) fail(i, `column must be one of ${COLUMNS.join(", ")}`);
          const ring = new Ring(f.bars + 1);
          this.steps.push({
            update: (bar, values) => {
              ring.push(columnOf(bar, col));
              const then = ring.get(f.bars);
              values[i] = then > 0 ? Math.log(ring.get(0) / then) : Number.NaN;
            },
          });
          break;
        }
        case "lag": {
          intParam(f.bars, "bars");
          const j = ref(f.of);
          const ring = new Ring(f.bars + 1);
          this.steps.push({
            update: (_bar, values) => {
              ring.push(values[j]);
              values[i] = ring.get(f.bars);
            },
          });
          break;
        }
        case "rolling": {
          intParam(f.window, "window");
          if (!["mean", "std", "min", "max", "zscore"].includes(f.stat))
            fail(i, `stat must be mean | std | min | max | zscore`);
          const col = COLUMNS.includes(f.of as Column) ? (f.of as Column) : undefined;
          const j = col ? -1 : ref(f.of);
          const ring = new Ring(f.window);
          this.steps.push({
            update: (bar, values) => {
              const v = col ? columnOf(bar, col) : values[j];
              ring.push(v);
              if (!ring.full) {
                values[i] = Number.NaN;
                return;
              }
              // Recomputed over the window each bar: exact and order-stable (no drifting running sums).
              let s = 0;
              let mn = Number.POSITIVE_INFINITY;
              let mx = Number.NEGATIVE_INFINITY;
              for (let k = 0; k < f.window; k++) {
                const x = ring.get(k);
                s += x;
                if (x < mn) mn = x;
                if (x > mx) mx = x;
              }
              const mean = s / f.window;
              if (f.stat === "mean") values[i] = mean;
              else if (f.stat === "min") values[i] = mn;
              else if (f.stat === "max") values[i] = mx;
              else {
                let ss = 0;
                for (let k = 0; k < f.window; k++) ss += (ring.get(k) - mean) ** 2;
                const sd = Math.sqrt(ss / f.window);
                values[i] = f.stat === "std" ? sd : sd > 0 ? (v - mean) / sd : 0;
              }
            },
          });
          break;
        }
        case "time": {
          const DAY = 86_400_000_000;
          this.steps.push({
            update: (bar, values) => {
              const dayFrac = (((bar.time % DAY) + DAY) % DAY) / DAY;
              // 1970-01-01 was a Thursday (weekday 3 with Monday = 0).
              const weekday = (Math.floor(bar.time / DAY) + 3) % 7;
              const a = 2 * Math.PI * (f.part.startsWith("hour") ? dayFrac : weekday / 7);
              values[i] = f.part.endsWith("sin") ? Math.sin(a) : Math.cos(a);
            },
          });
          if (!["hour_sin", "hour_cos", "weekday_sin", "weekday_cos"].includes(f.part))
            fail(i, "part must be hour_sin | hour_cos | weekday_sin | weekday_cos");
          break;
        }
        case "orderflow":
          this.addOrderFlow(f, i, fail);
          break;
        default:
          fail(i, `unknown kind ${JSON.stringify((f as { kind: unknown }).kind)}`);
      }
      index.set(f.name, i);
    }
    this.needsTrades = this.tradeSteps.length > 0;
    this.needsBook = this.bookSteps.length > 0;
    this.names = spec.features.map((f) => f.name);
    this.values = new Float64Array(this.names.length).fill(Number.NaN);
  }

  /**
   * One order-flow feature: the `src/orderflow` class strategies use, fed by {@link onTrade} /
   * {@link onBook}, sampled (and, for per-bar sums, restarted) at each bar close.
   */
  private addOrderFlow(
    f: Extract<FeatureDef, { kind: "orderflow" }>,
    i: number,
    fail: (i: number, why: string) => never,
  ): void {
    if (!ORDER_FLOW_METRICS.includes(f.metric))
      fail(i, `metric must be one of ${ORDER_FLOW_METRICS.join(" | ")}, got ${JSON.stringify(f.metric)}`);
    const need = (key: "bucketVolume" | "intervalUs" | "halfLifeUs"): number => {
      const v = f[key];
      if (v === undefined) fail(i, `${f.metric} needs ${key}`);
      return v as number;
    };
    const allowed: Record<OrderFlowMetric, string[]> = {
      cvd: ["resetEveryUs"],
      bar_delta: [],
      ofi: [],
      book_imbalance: ["levels"],
      vpin: ["bucketVolume", "window"],
      kyle_lambda: ["intervalUs", "window"],
      trade_intensity: ["halfLifeUs"],
      volume_intensity: ["halfLifeUs"],
      microprice_offset_bps: [],
      spread_bps: [],
    };
    for (const k of ["levels", "bucketVolume", "window", "intervalUs", "halfLifeUs", "resetEveryUs"] as const)
      if (f[k] !== undefined && !allowed[f.metric].includes(k))
        fail(i, `${k} is not a parameter of ${f.metric}`);
    try {
      switch (f.metric) {
        case "cvd":
        case "bar_delta": {
          const cvd = new CumulativeDelta(f.resetEveryUs ?? 0);
          let atLastBar = 0;
          this.tradeSteps.push((ts, _p, size, side) => {
            cvd.update(size, side, ts);
          });
          this.steps.push({
            update: (_bar, values) => {
              const d = cvd.delta;
              values[i] = f.metric === "cvd" ? d : d - atLastBar;
              atLastBar = d;
            },
          });
          break;
        }
        case "vpin": {
          const v = new Vpin(need("bucketVolume"), f.window ?? 50);
          this.tradeSteps.push((_ts, p, size, side) => {
            v.update(p, size, side);
          });
          this.steps.push({ update: (_b, values) => (values[i] = v.value) });
          break;
        }
        case "kyle_lambda": {
          const k = new KyleLambda(need("intervalUs"), f.window ?? 100);
          this.tradeSteps.push((ts, p, size, side) => {
            k.update(ts, p, size, side);
          });
          this.steps.push({ update: (_b, values) => (values[i] = k.value) });
          break;
        }
        case "trade_intensity":
        case "volume_intensity": {
          const ti = new TradeIntensity(need("halfLifeUs"));
          let seen = false;
          this.tradeSteps.push((ts, _p, size) => {
            ti.update(ts, size);
            seen = true;
          });
          this.steps.push({
            update: (bar, values) => {
              const at = bar.closeTime ?? bar.time;
              values[i] = !seen
                ? Number.NaN
                : f.metric === "trade_intensity"
                  ? ti.tradesPerSecond(at)
                  : ti.volumePerSecond(at);
            },
          });
          break;
        }
        case "ofi": {
          const ofi = new OrderFlowImbalance();
          this.bookSteps.push((_ts, book) => {
            ofi.updateFromBook(book);
          });
          this.steps.push({
            update: (_b, values) => {
              // Undefined until the first two-sided book gave OFI its reference quote.
              values[i] = ofi.updates === 0 && !this.sawTwoSidedBook ? Number.NaN : ofi.value;
              ofi.reset();
            },
          });
          break;
        }
        case "book_imbalance": {
          const bi = new BookImbalance(f.levels ?? 5);
          let v = Number.NaN;
          this.bookSteps.push((_ts, book) => {
            v = bi.update(book);
          });
          this.steps.push({ update: (_b, values) => (values[i] = v) });
          break;
        }
        case "microprice_offset_bps":
        case "spread_bps": {
          let v = Number.NaN;
          const offset = f.metric === "microprice_offset_bps";
          this.bookSteps.push((_ts, book) => {
            if (book.bidLevels === 0 || book.askLevels === 0) {
              v = Number.NaN;
              return;
            }
            const b = book.priceAt(0, 0);
            const a = book.priceAt(1, 0);
            const mid = (b + a) / 2;
            v = offset
              ? (1e4 * (microprice(b, book.sizeAt(0, 0), a, book.sizeAt(1, 0)) - mid)) / mid
              : (1e4 * (a - b)) / mid;
          });
          this.steps.push({ update: (_b, values) => (values[i] = v) });
          break;
        }
      }
    } catch (e) {
      if (e instanceof MlError) throw e;
      fail(i, (e as Error).message);
    }
  }

  private sawTwoSidedBook = false;

  private checkTime(ts: number, what: "trade" | "book update"): void {
    const last = this.lastTs[what];
    if (!Number.isSafeInteger(ts) || ts < last)
      throw new MlError(
        "ML_BAD_DATASET",
        `feature set ${this.spec.name}: ${what} at ${ts} µs is before the previous ${what} (${last} µs) or not an integer`,
        { ts, previous: last },
      );
    this.lastTs[what] = ts;
  }

  /**
   * Feeds one trade (raw fixed-point price and size, signed aggressor) to the order-flow
   * features; call it for every trade between bars, in time order. A no-op when no feature needs
   * trades.
   */
  onTrade(ts: number, priceRaw: number, sizeRaw: number, side: Aggressor): void {
    if (this.tradeSteps.length === 0) return;
    this.checkTime(ts, "trade");
    for (let k = 0; k < this.tradeSteps.length; k++) this.tradeSteps[k](ts, priceRaw, sizeRaw, side);
  }

  /** Feeds the book after one update (read during the call only). A no-op when no feature needs it. */
  onBook(ts: number, book: BookLevels): void {
    if (this.bookSteps.length === 0) return;
    this.checkTime(ts, "book update");
    if (book.bidLevels > 0 && book.askLevels > 0) this.sawTwoSidedBook = true;
    for (let k = 0; k < this.bookSteps.length; k++) this.bookSteps[k](ts, book);
  }

  /** Advances every feature by one bar (the same call offline and live); order flow is sampled here. */
  update(bar: BarInput): void {
    for (let k = 0; k < this.steps.length; k++) this.steps[k].update(bar, this.values);
  }

  /** Copies the current feature vector into `out`; true when every feature is defined. */
  read(out: { [i: number]: number; length: number }, offset = 0): boolean {
    let ready = true;
    for (let k = 0; k < this.values.length; k++) {
      const v = this.values[k];
      out[offset + k] = v;
      if (!Number.isFinite(v)) ready = false;
    }
    return ready;
  }
}

/**
 * Offline features for training: runs a fresh pipeline over `bars` (the same streaming code) and
 * returns the matrix (float64, row-major; NaN during warm-up) and which rows are ready.
 */
export function computeFeatures(
  spec: FeatureSetSpec,
  bars: readonly BarInput[],
): { x: Float64Array; ready: Uint8Array; names: string[] } {
  const p = new FeaturePipeline(spec);
  const cols = p.names.length;
  const x = new Float64Array(bars.length * cols);
  const ready = new Uint8Array(bars.length);
  const row = new Float64Array(cols);
  for (let r = 0; r < bars.length; r++) {
    p.update(bars[r]);
    ready[r] = p.read(row) ? 1 : 0;
    x.set(row, r * cols);
  }
  return { x, ready, names: p.names };
}

/**
 * Offline features over a merged, time-ordered stream of bars, trades and book updates (the
 * order-flow features need the trades and books between bars): one row per bar, computed by the
 * same {@link FeaturePipeline} calls a strategy makes live. `events` may be a generator that
 * rebuilds a book as it goes (a book event is read during the call only).
 */
export function computeFeaturesFromEvents(
  spec: FeatureSetSpec,
  events: Iterable<FeatureEvent>,
): { x: Float64Array; ready: Uint8Array; names: string[]; times: number[] } {
  const p = new FeaturePipeline(spec);
  const cols = p.names.length;
  const rows: Float64Array[] = [];
  const times: number[] = [];
  const ready: number[] = [];
  for (const e of events) {
    if (e.kind === "trade") p.onTrade(e.ts, e.priceRaw, e.sizeRaw, e.side);
    else if (e.kind === "book") p.onBook(e.ts, e.book);
    else {
      p.update(e.bar);
      const row = new Float64Array(cols);
      ready.push(p.read(row) ? 1 : 0);
      rows.push(row);
      times.push(e.bar.time);
    }
  }
  const x = new Float64Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++) x.set(rows[i], i * cols);
  return { x, ready: Uint8Array.from(ready), names: p.names, times };
}
