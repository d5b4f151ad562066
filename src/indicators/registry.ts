/**
 * Indicator registry: one {@link IndicatorSpec} per indicator, describing its parameters
 * (defaults and validation), the input columns it consumes, the output columns it produces and
 * a factory. The CLI (`botv6 indicator NAME --param k=v`), the strategy layer and the ML
 * feature builder create indicators through this table instead of importing classes.
 *
 * Names are lowercase (`"rsi"`, `"bbands"`); parameter names are the option names of the
 * corresponding class (`period`, `fast`, `kSmoothing`, ...); output names are snake_case.
 */
import { AccumulationDistribution, ChaikinMoneyFlow, ChaikinOscillator } from "./ad.js";
import { ADX, ADX_CONVENTIONS } from "./adx.js";
import { Aroon } from "./aroon.js";
import { ATR, FIRST_BAR_TR, NATR, TrueRange } from "./atr.js";
import { BollingerBands } from "./bollinger.js";
import { CCI, CCI_DEVIATIONS } from "./cci.js";
import { Choppiness } from "./chop.js";
import { DEMA, TEMA } from "./dema.js";
import { DonchianChannels } from "./donchian.js";
import { EaseOfMovement } from "./eom.js";
import { IndicatorError } from "./errors.js";
import { ForceIndex } from "./force.js";
import { HMA } from "./hma.js";
import { HurstExponent } from "./hurst.js";
import { Ichimoku } from "./ichimoku.js";
import { KAMA } from "./kama.js";
import { KeltnerChannels } from "./keltner.js";
import { EMA, EMA_SEEDS, MA_TYPES, RMA, SMA, WMA } from "./ma.js";
import { MACD, MACD_SEEDS, PPO, PVO } from "./macd.js";
import { MFI } from "./mfi.js";
import { OBV, OBV_INITIALS } from "./obv.js";
import { ParabolicSAR, PSAR_CONVENTIONS } from "./psar.js";
import { Momentum, ROC, ROC_MODES } from "./roc.js";
import { RSI, RSI_SMOOTHINGS } from "./rsi.js";
import { LinRegSlope, StdDev, Variance, ZScore } from "./stats.js";
import { SchaffTrendCycle } from "./stc.js";
import { Stochastic, StochasticRSI, WilliamsR } from "./stochastic.js";
import { SUPERTREND_CONVENTIONS, SuperTrend } from "./supertrend.js";
import { TSI } from "./tsi.js";
import { ULCER_DRAWDOWNS, UlcerIndex } from "./ulcer.js";
import { UltimateOscillator } from "./ultimate.js";
import {
  CloseToCloseVolatility,
  GarmanKlassVolatility,
  ParkinsonVolatility,
  YangZhangVolatility,
} from "./volatility.js";
import { Vortex } from "./vortex.js";
import { VolumePriceTrend } from "./vpt.js";
import { AnchoredVWAP, DAY_US, SessionVWAP, VWAP_SOURCES } from "./vwap.js";
import { VWMA } from "./vwma.js";

/** A column of bar data an indicator consumes. `time` is integer µs since the epoch. */
export type InputColumn = "time" | "open" | "high" | "low" | "close" | "volume";

/** A parameter value after resolution. */
export type ParamValue = number | string | boolean;

export type ParamType = "integer" | "number" | "boolean" | "enum";

export interface ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  readonly default: ParamValue;
  readonly description: string;
  /** Inclusive lower bound (numbers). */
  readonly min?: number;
  /** Inclusive upper bound (numbers). */
  readonly max?: number;
  /** When true, `min` itself is not allowed. */
  readonly exclusiveMin?: boolean;
  /** Allowed values of an `enum` parameter. */
  readonly choices?: readonly string[];
}

export type IndicatorCategory = "trend" | "momentum" | "volatility" | "volume" | "statistics";

/** A streaming indicator created from the registry, driven row by row. */
export interface BoundIndicator {
  readonly spec: IndicatorSpec;
  /** Resolved parameters (defaults filled in). */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Bars consumed before all outputs are defined (see each class's TSDoc). */
  readonly warmup: number;
  /** True once all outputs are defined. */
  readonly isReady: boolean;
  /** Feeds one bar; `row[i]` is the value of column `spec.inputs[i]`. */
  update(row: ArrayLike<number>): void;
  /** Current value of output `index` (in `spec.outputs` order); NaN while undefined. */
  output(index: number): number;
  /** Writes all current outputs to `out` starting at `offset`. */
  read(out: { [i: number]: number }, offset?: number): void;
  reset(): void;
}

export interface IndicatorSpec {
  /** Registry name, lowercase, e.g. `"rsi"`. */
  readonly name: string;
  /** Human-readable name. */
  readonly title: string;
  readonly category: IndicatorCategory;
  /** Input columns in the order `BoundIndicator.update` expects them. */
  readonly inputs: readonly InputColumn[];
  /**
   * True when the indicator works on any single price series (its `close` input may be fed
   * with another column or a derived series).
   */
  readonly anySeries: boolean;
  readonly params: readonly ParamSpec[];
  /** Output column names, snake_case. */
  readonly outputs: readonly string[];
  /** The references the implementation is tested against (see docs/indicators.md). */
  readonly references: readonly string[];
  /**
   * Validates and completes parameters: unknown names and wrong types throw
   * `INVALID_PARAMETER`; strings (from a command line) are converted to the declared type.
   */
  resolveParams(params?: Readonly<Record<string, ParamValue>>): Record<string, ParamValue>;
  /** Creates a streaming instance (parameters resolved as by {@link resolveParams}). */
  create(params?: Readonly<Record<string, ParamValue>>): BoundIndicator;
}

// ---------------------------------------------------------------------------------------------
// Parameter helpers

const int = (name: string, dflt: number, min: number, description: string, max?: number): ParamSpec => ({
  name,
  type: "integer",
  default: dflt,
  min,
  ...(max === undefined ? {} : { max }),
  description,
});
const num = (
  name: string,
  dflt: number,
  description: string,
  bounds: { min?: number; max?: number; exclusiveMin?: boolean } = {},
): ParamSpec => ({ name, type: "number", default: dflt, ...bounds, description });
const bool = (name: string, dflt: boolean, description: string): ParamSpec => ({
  name,
  type: "boolean",
  default: dflt,
  description,
});
const choice = (name: string, dflt: string, choices: readonly string[], description: string): ParamSpec => ({
  name,
  type: "enum",
  default: dflt,
  choices,
  description,
});

function invalid(indicator: string, name: string, value: unknown, why: string): never {
  throw new IndicatorError(
    "INVALID_PARAMETER",
    indicator,
    name,
    value,
    `parameter "${name}" ${why}, got ${JSON.stringify(value)}`,
  );
}

function resolveParam(indicator: string, spec: ParamSpec, raw: ParamValue): ParamValue {
  let v: ParamValue = raw;
  if (typeof v === "string" && spec.type !== "enum") {
    const s = v.trim();
    if (spec.type === "boolean") {
      if (s === "true") v = true;
      else if (s === "false") v = false;
      else invalid(indicator, spec.name, raw, "must be true or false");
    } else {
      if (s === "" || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
        invalid(indicator, spec.name, raw, `must be ${spec.type === "integer" ? "an integer" : "a number"}`);
      }
      v = Number(s);
    }
  }
  switch (spec.type) {
    case "integer":
      if (typeof v !== "number" || !Number.isInteger(v))
        invalid(indicator, spec.name, raw, "must be an integer");
      break;
    case "number":
      if (typeof v !== "number" || !Number.isFinite(v))
        invalid(indicator, spec.name, raw, "must be a finite number");
      break;
    case "boolean":
      if (typeof v !== "boolean") invalid(indicator, spec.name, raw, "must be a boolean");
      break;
    case "enum":
      if (typeof v !== "string" || !spec.choices?.includes(v)) {
        invalid(
          indicator,
          spec.name,
          raw,
          `must be one of ${(spec.choices ?? []).map((c) => `"${c}"`).join(", ")}`,
        );
      }
      break;
  }
  if (typeof v === "number") {
    const lo = spec.min ?? Number.NEGATIVE_INFINITY;
    const hi = spec.max ?? Number.POSITIVE_INFINITY;
    if (v < lo || v > hi || (spec.exclusiveMin === true && v === lo)) {
      invalid(indicator, spec.name, raw, `must be in ${spec.exclusiveMin ? "(" : "["}${lo}, ${hi}]`);
    }
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Spec construction

interface Streaming {
  readonly isReady: boolean;
  readonly warmup: number;
  reset(): void;
}

interface Definition<T extends Streaming> {
  name: string;
  title: string;
  category: IndicatorCategory;
  inputs: readonly InputColumn[];
  anySeries?: boolean;
  params: readonly ParamSpec[];
  outputs: readonly (readonly [string, (ind: T) => number])[];
  references: readonly string[];
  // biome-ignore lint/suspicious/noExplicitAny: option objects are checked by the class constructors
  make: (params: any) => T;
  step: (ind: T, row: ArrayLike<number>) => void;
}

class Bound<T extends Streaming> implements BoundIndicator {
  readonly spec: IndicatorSpec;
  readonly params: Readonly<Record<string, ParamValue>>;
  private readonly ind: T;
  private readonly def: Definition<T>;

  constructor(spec: IndicatorSpec, def: Definition<T>, params: Record<string, ParamValue>) {
    this.spec = spec;
    this.def = def;
    this.params = Object.freeze(params);
    this.ind = def.make(params);
  }

  get warmup(): number {
    return this.ind.warmup;
  }

  get isReady(): boolean {
    return this.ind.isReady;
  }

  update(row: ArrayLike<number>): void {
    this.def.step(this.ind, row);
  }

  output(index: number): number {
    const o = this.def.outputs[index];
    return o === undefined ? Number.NaN : o[1](this.ind);
  }

  read(out: { [i: number]: number }, offset = 0): void {
    const outs = this.def.outputs;
    for (let i = 0; i < outs.length; i++) out[offset + i] = outs[i][1](this.ind);
  }

  reset(): void {
    this.ind.reset();
  }
}

function define<T extends Streaming>(def: Definition<T>): IndicatorSpec {
  const spec: IndicatorSpec = {
    name: def.name,
    title: def.title,
    category: def.category,
    inputs: Object.freeze([...def.inputs]),
    anySeries: def.anySeries ?? false,
    params: Object.freeze(def.params.map((p) => Object.freeze({ ...p }))),
    outputs: Object.freeze(def.outputs.map((o) => o[0])),
    references: Object.freeze([...def.references]),
    resolveParams(params = {}) {
      const out: Record<string, ParamValue> = {};
      for (const key of Object.keys(params)) {
        if (!def.params.some((p) => p.name === key)) {
          const known = def.params.map((p) => p.name).join(", ") || "none";
          throw new IndicatorError(
            "INVALID_PARAMETER",
            def.name,
            key,
            params[key],
            `unknown parameter "${key}" (parameters: ${known})`,
          );
        }
      }
      for (const p of def.params) {
        const raw = params[p.name];
        out[p.name] = raw === undefined ? p.default : resolveParam(def.name, p, raw);
      }
      return out;
    },
    create(params = {}) {
      return new Bound(spec, def, spec.resolveParams(params));
    },
  };
  return Object.freeze(spec);
}

// Shared parameter sets.
const period = (dflt: number, min = 1) => int("period", dflt, min, "Look-back window in bars");
const emaSeed = choice(
  "seed",
  "sma",
  EMA_SEEDS,
  "EMA seeding: SMA of the first N values, or the first value",
);
const macdParams = [
  int("fast", 12, 1, "Fast EMA period (< slow)"),
  int("slow", 26, 1, "Slow EMA period"),
  int("signal", 9, 1, "Signal EMA period"),
  choice(
    "seed",
    "sma",
    MACD_SEEDS,
    "EMA seeding: sma (own SMA), talib (aligned to the slow EMA), first (Tulip)",
  ),
  bool("fixedAlphas", false, "Appel's constants 0.15/0.075 for 12/26 (TA-Lib MACDFIX, Tulip)"),
];
const firstBar = (name = "firstBar") =>
  choice(
    name,
    "skip",
    FIRST_BAR_TR,
    "First bar's true range: skip it (TA-Lib) or use high − low (talipp/Tulip)",
  );
const atrSmoothing = (name = "smoothing") => choice(name, "rma", MA_TYPES, "Averaging of the true range");
const sample = bool("sample", false, "Divide by N − 1 (sample) instead of N (population)");
const ppy = num("periodsPerYear", 1, "Annualisation: result × √periodsPerYear", {
  min: 0,
  exclusiveMin: true,
});

const C = (row: ArrayLike<number>) => row[0];

const SPECS: readonly IndicatorSpec[] = [
  // ---- moving averages / trend
  define({
    name: "sma",
    title: "Simple Moving Average",
    category: "trend",
    inputs: ["close"],
    anySeries: true,
    params: [period(20)],
    outputs: [["sma", (i: SMA) => i.value]],
    references: ["talipp", "tulip:sma", "talib:SMA"],
    make: (p) => new SMA(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "ema",
    title: "Exponential Moving Average",
    category: "trend",
    inputs: ["close"],
    anySeries: true,
    params: [period(20), emaSeed],
    outputs: [["ema", (i: EMA) => i.value]],
    references: ["talipp", "tulip:ema", "talib:EMA"],
    make: (p) => new EMA(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "wma",
    title: "Weighted Moving Average",
    category: "trend",
    inputs: ["close"],
    anySeries: true,
    params: [period(20)],
    outputs: [["wma", (i: WMA) => i.value]],
    references: ["tulip:wma", "talib:WMA"],
    make: (p) => new WMA(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "rma",
    title: "Wilder's Moving Average (RMA/SMMA)",
    category: "trend",
    inputs: ["close"],
    anySeries: true,
    params: [period(14)],
    outputs: [["rma", (i: RMA) => i.value]],
    references: ["tulip:wilders"],
    make: (p) => new RMA(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "dema",
    title: "Double Exponential Moving Average",
    category: "trend",
    inputs: ["close"],
    anySeries: true,
    params: [period(20), emaSeed],
    outputs: [["dema", (i: DEMA) => i.value]],
    references: ["tulip:dema", "talib:DEMA"],
    make: (p) => new DEMA(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "tema",
    title: "Triple Exponential Moving Average",
    category: "trend",
    inputs: ["close"],
    anySeries: true,
    params: [period(20), emaSeed],
    outputs: [["tema", (i: TEMA) => i.value]],
    references: ["tulip:tema", "talib:TEMA"],
    make: (p) => new TEMA(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "kama",
    title: "Kaufman Adaptive Moving Average",
    category: "trend",
    inputs: ["close"],
    anySeries: true,
    params: [
      period(10),
      int("fast", 2, 1, "Fast smoothing period"),
      int("slow", 30, 1, "Slow smoothing period"),
    ],
    outputs: [
      ["kama", (i: KAMA) => i.value],
      ["efficiency", (i: KAMA) => i.efficiency],
    ],
    references: ["talib:KAMA"],
    make: (p) => new KAMA(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "hma",
    title: "Hull Moving Average",
    category: "trend",
    inputs: ["close"],
    anySeries: true,
    params: [period(9, 2)],
    outputs: [["hma", (i: HMA) => i.value]],
    references: ["trading-signals:HMA", "naive"],
    make: (p) => new HMA(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "vwma",
    title: "Volume-Weighted Moving Average",
    category: "trend",
    inputs: ["close", "volume"],
    params: [period(20)],
    outputs: [["vwma", (i: VWMA) => i.value]],
    references: ["trading-signals:VWMA", "naive"],
    make: (p) => new VWMA(p),
    step: (i, r) => i.update(r[0], r[1]),
  }),
  // ---- momentum
  define({
    name: "rsi",
    title: "Relative Strength Index",
    category: "momentum",
    inputs: ["close"],
    anySeries: true,
    params: [
      period(14),
      choice("smoothing", "wilder", RSI_SMOOTHINGS, "Averaging of gains and losses"),
      num("flatValue", 50, "Value when there was no movement in the window", { min: 0, max: 100 }),
    ],
    outputs: [["rsi", (i: RSI) => i.value]],
    references: ["talipp", "tulip:rsi", "talib:RSI"],
    make: (p) => new RSI(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "macd",
    title: "Moving Average Convergence/Divergence",
    category: "momentum",
    inputs: ["close"],
    anySeries: true,
    params: macdParams,
    outputs: [
      ["macd", (i: MACD) => i.macd],
      ["signal", (i: MACD) => i.signal],
      ["histogram", (i: MACD) => i.histogram],
    ],
    references: ["talipp", "tulip:macd", "talib:MACD"],
    make: (p) => new MACD(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "ppo",
    title: "Percentage Price Oscillator",
    category: "momentum",
    inputs: ["close"],
    anySeries: true,
    params: macdParams,
    outputs: [
      ["ppo", (i: PPO) => i.ppo],
      ["signal", (i: PPO) => i.signal],
      ["histogram", (i: PPO) => i.histogram],
    ],
    references: ["talib:PPO(EMA)"],
    make: (p) => new PPO(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "pvo",
    title: "Percentage Volume Oscillator",
    category: "volume",
    inputs: ["volume"],
    params: macdParams,
    outputs: [
      ["pvo", (i: PVO) => i.pvo],
      ["signal", (i: PVO) => i.signal],
      ["histogram", (i: PVO) => i.histogram],
    ],
    references: ["talib:PPO(EMA) on volume"],
    make: (p) => new PVO(p),
    step: (i, r) => i.update(r[0]),
  }),
  define({
    name: "stoch",
    title: "Stochastic Oscillator",
    category: "momentum",
    inputs: ["high", "low", "close"],
    params: [
      int("kPeriod", 14, 1, "High/low look-back"),
      int("kSmoothing", 3, 1, "Smoothing of raw %K (1 = fast stochastic)"),
      int("dPeriod", 3, 1, "Period of %D"),
      choice("kMaType", "sma", MA_TYPES, "Averaging of %K"),
      choice("dMaType", "sma", MA_TYPES, "Averaging of %D"),
      num("flatValue", 50, "Raw %K when high = low over the window", { min: 0, max: 100 }),
    ],
    outputs: [
      ["k", (i: Stochastic) => i.k],
      ["d", (i: Stochastic) => i.d],
    ],
    references: ["talipp", "tulip:stoch", "talib:STOCH", "talib:STOCHF"],
    make: (p) => new Stochastic(p),
    step: (i, r) => i.update(r[0], r[1], r[2]),
  }),
  define({
    name: "stochrsi",
    title: "Stochastic RSI",
    category: "momentum",
    inputs: ["close"],
    anySeries: true,
    params: [
      int("rsiPeriod", 14, 1, "RSI period"),
      int("stochPeriod", 14, 1, "RSI range look-back"),
      int("kSmoothing", 3, 1, "Smoothing of raw %K (1 = unsmoothed, TA-Lib)"),
      int("dPeriod", 3, 1, "Period of %D"),
      choice("maType", "sma", MA_TYPES, "Averaging of %K and %D"),
      num("flatValue", 50, "Raw %K when the RSI range is zero", { min: 0, max: 100 }),
    ],
    outputs: [
      ["k", (i: StochasticRSI) => i.k],
      ["d", (i: StochasticRSI) => i.d],
    ],
    references: ["talipp", "talib:STOCHRSI"],
    make: (p) => new StochasticRSI(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "willr",
    title: "Williams %R",
    category: "momentum",
    inputs: ["high", "low", "close"],
    params: [
      period(14),
      num("flatValue", -50, "Value when high = low over the window", { min: -100, max: 0 }),
    ],
    outputs: [["willr", (i: WilliamsR) => i.value]],
    references: ["talipp", "tulip:willr", "talib:WILLR"],
    make: (p) => new WilliamsR(p),
    step: (i, r) => i.update(r[0], r[1], r[2]),
  }),
  define({
    name: "cci",
    title: "Commodity Channel Index",
    category: "momentum",
    inputs: ["high", "low", "close"],
    params: [
      period(20),
      num("constant", 0.015, "Lambert's scaling constant", { min: 0, exclusiveMin: true }),
      choice("deviation", "mean", CCI_DEVIATIONS, "Mean absolute deviation (standard) or standard deviation"),
    ],
    outputs: [["cci", (i: CCI) => i.value]],
    references: ["talipp", "tulip:cci", "talib:CCI"],
    make: (p) => new CCI(p),
    step: (i, r) => i.update(r[0], r[1], r[2]),
  }),
  define({
    name: "roc",
    title: "Rate of Change",
    category: "momentum",
    inputs: ["close"],
    anySeries: true,
    params: [period(10), choice("mode", "percent", ROC_MODES, "percent, fraction, ratio or ratio100")],
    outputs: [["roc", (i: ROC) => i.value]],
    references: ["tulip:rocr", "talib:ROC", "talib:ROCP", "talib:ROCR", "talib:ROCR100"],
    make: (p) => new ROC(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "mom",
    title: "Momentum",
    category: "momentum",
    inputs: ["close"],
    anySeries: true,
    params: [period(10)],
    outputs: [["mom", (i: Momentum) => i.value]],
    references: ["talib:MOM"],
    make: (p) => new Momentum(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "tsi",
    title: "True Strength Index",
    category: "momentum",
    inputs: ["close"],
    anySeries: true,
    params: [
      int("long", 25, 1, "First smoothing period"),
      int("short", 13, 1, "Second smoothing period"),
      int("signal", 13, 1, "Signal EMA period"),
      emaSeed,
    ],
    outputs: [
      ["tsi", (i: TSI) => i.tsi],
      ["signal", (i: TSI) => i.signal],
    ],
    references: ["naive"],
    make: (p) => new TSI(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "ultosc",
    title: "Ultimate Oscillator",
    category: "momentum",
    inputs: ["high", "low", "close"],
    params: [
      int("short", 7, 1, "Short period (weight 4)"),
      int("medium", 14, 1, "Medium period (weight 2)"),
      int("long", 28, 1, "Long period (weight 1)"),
    ],
    outputs: [["ultosc", (i: UltimateOscillator) => i.value]],
    references: ["tulip:ultosc", "talib:ULTOSC"],
    make: (p) => new UltimateOscillator(p),
    step: (i, r) => i.update(r[0], r[1], r[2]),
  }),
  define({
    name: "stc",
    title: "Schaff Trend Cycle",
    category: "momentum",
    inputs: ["close"],
    anySeries: true,
    params: [
      int("fast", 23, 1, "Fast EMA period"),
      int("slow", 50, 1, "Slow EMA period"),
      int("cycle", 10, 1, "Stochastic look-back"),
      num("factor", 0.5, "Smoothing factor", { min: 0, max: 1, exclusiveMin: true }),
      emaSeed,
    ],
    outputs: [["stc", (i: SchaffTrendCycle) => i.value]],
    references: ["naive"],
    make: (p) => new SchaffTrendCycle(p),
    step: (i, r) => i.update(C(r)),
  }),
  // ---- volatility
  define({
    name: "tr",
    title: "True Range",
    category: "volatility",
    inputs: ["high", "low", "close"],
    params: [firstBar()],
    outputs: [["tr", (i: TrueRange) => i.value]],
    references: ["tulip:tr", "talib:TRANGE"],
    make: (p) => new TrueRange(p),
    step: (i, r) => i.update(r[0], r[1], r[2]),
  }),
  define({
    name: "atr",
    title: "Average True Range",
    category: "volatility",
    inputs: ["high", "low", "close"],
    params: [period(14), firstBar(), atrSmoothing()],
    outputs: [["atr", (i: ATR) => i.value]],
    references: ["talipp", "tulip:atr", "talib:ATR"],
    make: (p) => new ATR(p),
    step: (i, r) => i.update(r[0], r[1], r[2]),
  }),
  define({
    name: "natr",
    title: "Normalized Average True Range",
    category: "volatility",
    inputs: ["high", "low", "close"],
    params: [period(14), firstBar(), atrSmoothing()],
    outputs: [["natr", (i: NATR) => i.value]],
    references: ["talib:NATR"],
    make: (p) => new NATR(p),
    step: (i, r) => i.update(r[0], r[1], r[2]),
  }),
  define({
    name: "bbands",
    title: "Bollinger Bands",
    category: "volatility",
    inputs: ["close"],
    anySeries: true,
    params: [period(20), num("multiplier", 2, "Band width in standard deviations", { min: 0 }), sample],
    outputs: [
      ["upper", (i: BollingerBands) => i.upper],
      ["middle", (i: BollingerBands) => i.middle],
      ["lower", (i: BollingerBands) => i.lower],
      ["bandwidth", (i: BollingerBands) => i.bandwidth],
      ["percent_b", (i: BollingerBands) => i.percentB],
    ],
    references: ["talipp", "tulip:bbands", "talib:BBANDS"],
    make: (p) => new BollingerBands(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "keltner",
    title: "Keltner Channels",
    category: "volatility",
    inputs: ["high", "low", "close"],
    params: [
      period(20),
      int("atrPeriod", 10, 1, "ATR period"),
      num("multiplier", 2, "Band width in ATRs", { min: 0 }),
      emaSeed,
      firstBar("atrFirstBar"),
      atrSmoothing("atrSmoothing"),
    ],
    outputs: [
      ["upper", (i: KeltnerChannels) => i.upper],
      ["middle", (i: KeltnerChannels) => i.middle],
      ["lower", (i: KeltnerChannels) => i.lower],
    ],
    references: ["talipp"],
    make: (p) => new KeltnerChannels(p),
    step: (i, r) => i.update(r[0], r[1], r[2]),
  }),
  define({
    name: "donchian",
    title: "Donchian Channels",
    category: "volatility",
    inputs: ["high", "low"],
    params: [period(20)],
    outputs: [
      ["upper", (i: DonchianChannels) => i.upper],
      ["middle", (i: DonchianChannels) => i.middle],
      ["lower", (i: DonchianChannels) => i.lower],
    ],
    references: ["talipp", "talib:MAX/MIN/MIDPRICE"],
    make: (p) => new DonchianChannels(p),
    step: (i, r) => i.update(r[0], r[1]),
  }),
  define({
    name: "ulcer",
    title: "Ulcer Index",
    category: "volatility",
    inputs: ["close"],
    anySeries: true,
    params: [
      period(14),
      choice("drawdown", "rolling", ULCER_DRAWDOWNS, "Drawdown reference: rolling max or in-window max"),
    ],
    outputs: [["ulcer", (i: UlcerIndex) => i.value]],
    references: ["naive", "trading-signals:UlcerIndex (window)"],
    make: (p) => new UlcerIndex(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "chop",
    title: "Choppiness Index",
    category: "volatility",
    inputs: ["high", "low", "close"],
    params: [period(14, 2), firstBar()],
    outputs: [["chop", (i: Choppiness) => i.value]],
    references: ["talipp"],
    make: (p) => new Choppiness(p),
    step: (i, r) => i.update(r[0], r[1], r[2]),
  }),
  define({
    name: "rv_cc",
    title: "Realised Volatility (close-to-close)",
    category: "volatility",
    inputs: ["close"],
    anySeries: true,
    params: [period(20, 2), ppy, bool("demean", true, "Subtract the mean return (sample variance)")],
    outputs: [["rv_cc", (i: CloseToCloseVolatility) => i.value]],
    references: ["naive"],
    make: (p) => new CloseToCloseVolatility(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "rv_parkinson",
    title: "Realised Volatility (Parkinson)",
    category: "volatility",
    inputs: ["high", "low"],
    params: [period(20, 2), ppy],
    outputs: [["rv_parkinson", (i: ParkinsonVolatility) => i.value]],
    references: ["naive"],
    make: (p) => new ParkinsonVolatility(p),
    step: (i, r) => i.update(r[0], r[1]),
  }),
  define({
    name: "rv_garman_klass",
    title: "Realised Volatility (Garman–Klass)",
    category: "volatility",
    inputs: ["open", "high", "low", "close"],
    params: [period(20, 2), ppy],
    outputs: [["rv_garman_klass", (i: GarmanKlassVolatility) => i.value]],
    references: ["naive"],
    make: (p) => new GarmanKlassVolatility(p),
    step: (i, r) => i.update(r[0], r[1], r[2], r[3]),
  }),
  define({
    name: "rv_yang_zhang",
    title: "Realised Volatility (Yang–Zhang)",
    category: "volatility",
    inputs: ["open", "high", "low", "close"],
    params: [period(20, 2), ppy],
    outputs: [["rv_yang_zhang", (i: YangZhangVolatility) => i.value]],
    references: ["naive"],
    make: (p) => new YangZhangVolatility(p),
    step: (i, r) => i.update(r[0], r[1], r[2], r[3]),
  }),
  // ---- trend (directional)
  define({
    name: "adx",
    title: "Average Directional Index (+DI, −DI, DX)",
    category: "trend",
    inputs: ["high", "low", "close"],
    params: [
      period(14),
      choice("convention", "talib", ADX_CONVENTIONS, "Seeding convention: talib, tulip, talipp"),
    ],
    outputs: [
      ["adx", (i: ADX) => i.adx],
      ["plus_di", (i: ADX) => i.plusDI],
      ["minus_di", (i: ADX) => i.minusDI],
      ["dx", (i: ADX) => i.dx],
    ],
    references: ["talipp", "tulip:adx/di/dx", "talib:ADX/PLUS_DI/MINUS_DI/DX"],
    make: (p) => new ADX(p),
    step: (i, r) => i.update(r[0], r[1], r[2]),
  }),
  define({
    name: "aroon",
    title: "Aroon",
    category: "trend",
    inputs: ["high", "low"],
    params: [period(14)],
    outputs: [
      ["up", (i: Aroon) => i.up],
      ["down", (i: Aroon) => i.down],
      ["oscillator", (i: Aroon) => i.oscillator],
    ],
    references: ["tulip:aroon", "talib:AROON", "talib:AROONOSC"],
    make: (p) => new Aroon(p),
    step: (i, r) => i.update(r[0], r[1]),
  }),
  define({
    name: "psar",
    title: "Parabolic SAR",
    category: "trend",
    inputs: ["high", "low"],
    params: [
      num("acceleration", 0.02, "Initial acceleration factor", { min: 0, max: 1, exclusiveMin: true }),
      num("increment", 0.02, "Acceleration increment", { min: 0, max: 1, exclusiveMin: true }),
      num("maximum", 0.2, "Maximum acceleration factor", { min: 0, max: 1, exclusiveMin: true }),
      choice("convention", "talib", PSAR_CONVENTIONS, "Initial trend and tie handling: talib or tulip"),
    ],
    outputs: [
      ["sar", (i: ParabolicSAR) => i.sar],
      ["direction", (i: ParabolicSAR) => i.direction],
    ],
    references: ["quantedge/talipp reference", "tulip:psar", "talib:SAR", "talib:SAREXT"],
    make: (p) => new ParabolicSAR(p),
    step: (i, r) => i.update(r[0], r[1]),
  }),
  define({
    name: "supertrend",
    title: "SuperTrend",
    category: "trend",
    inputs: ["high", "low", "close"],
    params: [
      period(10),
      num("multiplier", 3, "Band width in ATRs", { min: 0, exclusiveMin: true }),
      choice("convention", "tradingview", SUPERTREND_CONVENTIONS, "Start-up convention"),
      firstBar("atrFirstBar"),
      atrSmoothing("atrSmoothing"),
    ],
    outputs: [
      ["supertrend", (i: SuperTrend) => i.value],
      ["direction", (i: SuperTrend) => i.direction],
      ["upper", (i: SuperTrend) => i.upper],
      ["lower", (i: SuperTrend) => i.lower],
    ],
    references: ["talipp"],
    make: (p) => new SuperTrend(p),
    step: (i, r) => i.update(r[0], r[1], r[2]),
  }),
  define({
    name: "ichimoku",
    title: "Ichimoku Kinko Hyo",
    category: "trend",
    inputs: ["high", "low"],
    params: [
      int("tenkan", 9, 1, "Conversion line period"),
      int("kijun", 26, 1, "Base line period"),
      int("senkouB", 52, 1, "Leading span B period"),
      int("displacement", 26, 1, "Forward displacement of the leading spans"),
      int("senkouBShift", 0, 0, "Displacement of span B; 0 = displacement (talipp uses displacement + 1)"),
    ],
    outputs: [
      ["tenkan", (i: Ichimoku) => i.tenkan],
      ["kijun", (i: Ichimoku) => i.kijun],
      ["senkou_a", (i: Ichimoku) => i.senkouA],
      ["senkou_b", (i: Ichimoku) => i.senkouB],
      ["senkou_a_ahead", (i: Ichimoku) => i.senkouAAhead],
      ["senkou_b_ahead", (i: Ichimoku) => i.senkouBAhead],
    ],
    references: ["talipp"],
    make: (p) => new Ichimoku(p),
    step: (i, r) => i.update(r[0], r[1]),
  }),
  define({
    name: "vortex",
    title: "Vortex Indicator",
    category: "trend",
    inputs: ["high", "low", "close"],
    params: [period(14)],
    outputs: [
      ["plus", (i: Vortex) => i.plus],
      ["minus", (i: Vortex) => i.minus],
    ],
    references: ["trading-signals:VI", "naive"],
    make: (p) => new Vortex(p),
    step: (i, r) => i.update(r[0], r[1], r[2]),
  }),
  // ---- volume
  define({
    name: "obv",
    title: "On-Balance Volume",
    category: "volume",
    inputs: ["close", "volume"],
    params: [choice("initial", "volume", OBV_INITIALS, "First value: the first bar's volume or 0")],
    outputs: [["obv", (i: OBV) => i.value]],
    references: ["talipp", "tulip:obv", "talib:OBV"],
    make: (p) => new OBV(p),
    step: (i, r) => i.update(r[0], r[1]),
  }),
  define({
    name: "mfi",
    title: "Money Flow Index",
    category: "volume",
    inputs: ["high", "low", "close", "volume"],
    params: [
      period(14),
      num("flatValue", 50, "Value when the window has no money flow", { min: 0, max: 100 }),
    ],
    outputs: [["mfi", (i: MFI) => i.value]],
    references: ["tulip:mfi", "talib:MFI"],
    make: (p) => new MFI(p),
    step: (i, r) => i.update(r[0], r[1], r[2], r[3]),
  }),
  define({
    name: "ad",
    title: "Accumulation/Distribution Line",
    category: "volume",
    inputs: ["high", "low", "close", "volume"],
    params: [],
    outputs: [["ad", (i: AccumulationDistribution) => i.value]],
    references: ["tulip:ad", "talib:AD"],
    make: () => new AccumulationDistribution(),
    step: (i, r) => i.update(r[0], r[1], r[2], r[3]),
  }),
  define({
    name: "adosc",
    title: "Chaikin Oscillator",
    category: "volume",
    inputs: ["high", "low", "close", "volume"],
    params: [int("fast", 3, 1, "Fast EMA period"), int("slow", 10, 1, "Slow EMA period")],
    outputs: [["adosc", (i: ChaikinOscillator) => i.value]],
    references: ["tulip:adosc", "talib:ADOSC"],
    make: (p) => new ChaikinOscillator(p),
    step: (i, r) => i.update(r[0], r[1], r[2], r[3]),
  }),
  define({
    name: "cmf",
    title: "Chaikin Money Flow",
    category: "volume",
    inputs: ["high", "low", "close", "volume"],
    params: [period(20)],
    outputs: [["cmf", (i: ChaikinMoneyFlow) => i.value]],
    references: ["naive"],
    make: (p) => new ChaikinMoneyFlow(p),
    step: (i, r) => i.update(r[0], r[1], r[2], r[3]),
  }),
  define({
    name: "force",
    title: "Force Index",
    category: "volume",
    inputs: ["close", "volume"],
    params: [period(13), emaSeed],
    outputs: [["force", (i: ForceIndex) => i.value]],
    references: ["naive"],
    make: (p) => new ForceIndex(p),
    step: (i, r) => i.update(r[0], r[1]),
  }),
  define({
    name: "eom",
    title: "Ease of Movement",
    category: "volume",
    inputs: ["high", "low", "volume"],
    params: [
      period(14),
      num("divisor", 10_000, "Volume scale of the box ratio", { min: 0, exclusiveMin: true }),
    ],
    outputs: [["eom", (i: EaseOfMovement) => i.value]],
    references: ["tulip:emv"],
    make: (p) => new EaseOfMovement(p),
    step: (i, r) => i.update(r[0], r[1], r[2]),
  }),
  define({
    name: "vpt",
    title: "Volume-Price Trend",
    category: "volume",
    inputs: ["close", "volume"],
    params: [],
    outputs: [["vpt", (i: VolumePriceTrend) => i.value]],
    references: ["naive"],
    make: () => new VolumePriceTrend(),
    step: (i, r) => i.update(r[0], r[1]),
  }),
  define({
    name: "vwap",
    title: "VWAP (session)",
    category: "volume",
    inputs: ["time", "high", "low", "close", "volume"],
    params: [
      int("sessionLength", DAY_US, 1, "Session length in µs (default one day)", 2 ** 52),
      int("sessionOffset", 0, -(2 ** 52), "Offset of session boundaries from the epoch in µs", 2 ** 52),
      choice("source", "hlc3", VWAP_SOURCES, "Price of each bar"),
    ],
    outputs: [
      ["vwap", (i: SessionVWAP) => i.value],
      ["deviation", (i: SessionVWAP) => i.deviation],
    ],
    references: ["talipp (pandas_ta vwap anchor D)"],
    make: (p) => new SessionVWAP(p),
    step: (i, r) => i.update(r[0], r[1], r[2], r[3], r[4]),
  }),
  define({
    name: "avwap",
    title: "Anchored VWAP",
    category: "volume",
    inputs: ["time", "high", "low", "close", "volume"],
    params: [
      int("anchor", 0, -(2 ** 53) + 1, "Anchor time in µs since the epoch", 2 ** 53 - 1),
      choice("source", "hlc3", VWAP_SOURCES, "Price of each bar"),
    ],
    outputs: [
      ["vwap", (i: AnchoredVWAP) => i.value],
      ["deviation", (i: AnchoredVWAP) => i.deviation],
    ],
    references: ["naive"],
    make: (p) => new AnchoredVWAP(p),
    step: (i, r) => i.update(r[0], r[1], r[2], r[3], r[4]),
  }),
  // ---- statistics
  define({
    name: "stddev",
    title: "Rolling Standard Deviation",
    category: "statistics",
    inputs: ["close"],
    anySeries: true,
    params: [period(20), sample],
    outputs: [["stddev", (i: StdDev) => i.value]],
    references: ["tulip:stddev", "talib:STDDEV"],
    make: (p) => new StdDev(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "var",
    title: "Rolling Variance",
    category: "statistics",
    inputs: ["close"],
    anySeries: true,
    params: [period(20), sample],
    outputs: [["var", (i: Variance) => i.value]],
    references: ["talib:VAR"],
    make: (p) => new Variance(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "zscore",
    title: "Rolling Z-Score",
    category: "statistics",
    inputs: ["close"],
    anySeries: true,
    params: [period(20), sample],
    outputs: [["zscore", (i: ZScore) => i.value]],
    references: ["naive"],
    make: (p) => new ZScore(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "linreg_slope",
    title: "Linear Regression Slope",
    category: "statistics",
    inputs: ["close"],
    anySeries: true,
    params: [period(14, 2)],
    outputs: [
      ["slope", (i: LinRegSlope) => i.slope],
      ["intercept", (i: LinRegSlope) => i.intercept],
      ["endpoint", (i: LinRegSlope) => i.endpoint],
    ],
    references: ["talib:LINEARREG_SLOPE", "talib:LINEARREG", "talib:LINEARREG_INTERCEPT"],
    make: (p) => new LinRegSlope(p),
    step: (i, r) => i.update(C(r)),
  }),
  define({
    name: "hurst",
    title: "Hurst Exponent (lagged-difference estimator)",
    category: "statistics",
    inputs: ["close"],
    anySeries: true,
    params: [
      period(100, 4),
      int("minLag", 2, 1, "Smallest lag"),
      int("maxLag", 20, 2, "Largest lag (period − maxLag >= 2)"),
      bool("log", true, "Use log prices"),
    ],
    outputs: [["hurst", (i: HurstExponent) => i.value]],
    references: ["naive"],
    make: (p) => new HurstExponent(p),
    step: (i, r) => i.update(C(r)),
  }),
];

const BY_NAME: ReadonlyMap<string, IndicatorSpec> = new Map(SPECS.map((s) => [s.name, s]));

/** All registered indicators, in a stable order. */
export function listIndicators(): readonly IndicatorSpec[] {
  return SPECS;
}

/** Looks up an indicator by registry name; throws `UNKNOWN_INDICATOR` if there is none. */
export function getIndicator(name: string): IndicatorSpec {
  const spec = BY_NAME.get(name.toLowerCase());
  if (spec === undefined) {
    throw new IndicatorError(
      "UNKNOWN_INDICATOR",
      name,
      "name",
      name,
      `unknown indicator (known: ${SPECS.map((s) => s.name).join(", ")})`,
    );
  }
  return spec;
}

/**
 * Parses `k=v` strings (as given to `--param`) into a raw parameter record for
 * {@link IndicatorSpec.resolveParams}. Throws `INVALID_PARAMETER` for malformed or repeated
 * entries.
 */
export function parseParamArgs(indicator: string, args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      throw new IndicatorError("INVALID_PARAMETER", indicator, arg, arg, `expected key=value, got "${arg}"`);
    }
    const key = arg.slice(0, eq).trim();
    if (Object.hasOwn(out, key)) {
      throw new IndicatorError("INVALID_PARAMETER", indicator, key, arg, `parameter "${key}" given twice`);
    }
    out[key] = arg.slice(eq + 1);
  }
  return out;
}

/** Input columns for {@link computeBatch}; only the columns the indicator needs are required. */
export type BatchColumns = Partial<Record<InputColumn, ArrayLike<number>>>;

/**
 * Runs a registered indicator over whole columns and returns one Float64Array per output
 * (NaN where not yet defined). Uses the same streaming implementation, so results are
 * identical to feeding the bars one by one.
 */
export function computeBatch(
  name: string,
  columns: BatchColumns,
  params?: Readonly<Record<string, ParamValue>>,
): Record<string, Float64Array> {
  const spec = getIndicator(name);
  const cols: ArrayLike<number>[] = [];
  let n = -1;
  for (const c of spec.inputs) {
    const col = columns[c];
    if (col === undefined) {
      throw new IndicatorError("INVALID_COLUMNS", spec.name, c, undefined, `input column "${c}" is missing`);
    }
    if (n >= 0 && col.length !== n) {
      throw new IndicatorError(
        "INVALID_COLUMNS",
        spec.name,
        c,
        col.length,
        `input column "${c}" has ${col.length} rows but "${spec.inputs[0]}" has ${n}`,
      );
    }
    n = col.length;
    cols.push(col);
  }
  const rows = Math.max(n, 0);
  const ind = spec.create(params);
  const outs = spec.outputs.map(() => new Float64Array(rows));
  const row = new Float64Array(cols.length);
  const cur = new Float64Array(outs.length);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols.length; j++) row[j] = cols[j][i];
    ind.update(row);
    ind.read(cur);
    for (let k = 0; k < outs.length; k++) outs[k][i] = cur[k];
  }
  const result: Record<string, Float64Array> = {};
  spec.outputs.forEach((o, k) => {
    result[o] = outs[k];
  });
  return result;
}
