/**
 * Declarative feature sets, computed by **one streaming implementation** in backtest, training and
 * live: `FeaturePipeline.update(bar)` advances every feature by one bar; `computeFeatures(bars)`
 * (offline, for training) is nothing but that loop, so offline and streamed features are
 * bit-identical by construction (and tested).
 *
 * Feature kinds: any indicator of the registry (`src/indicators/registry.ts`, by name and params,
 * one of its outputs, optionally fed another column), log returns over n bars, lags of another
 * feature, rolling mean/std/min/max/z-score of a column or feature, and time of day / day of week
 * (sin/cos). Order-flow metrics will join as another kind once `src/orderflow` exists.
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
import { MlError } from "../errors.js";

export interface BarInput {
  /** Bar open time, µs since the epoch. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

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
  | { kind: "time"; name: string; part: "hour_sin" | "hour_cos" | "weekday_sin" | "weekday_cos" };

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

/** The SHA-256 of a feature set's canonical JSON: a model trained on it records this hash. */
export function featureSetSpecHash(spec: FeatureSetSpec): string {
  return createHash("sha256").update(JSON.stringify(spec)).digest("hex");
}

export class FeaturePipeline {
  readonly names: string[];
  private readonly steps: Step[] = [];
  private readonly values: Float64Array;

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
        default:
          fail(i, `unknown kind ${JSON.stringify((f as { kind: unknown }).kind)}`);
      }
      index.set(f.name, i);
    }
    this.names = spec.features.map((f) => f.name);
    this.values = new Float64Array(this.names.length).fill(Number.NaN);
  }

  /** Advances every feature by one bar (the same call offline and live). */
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
