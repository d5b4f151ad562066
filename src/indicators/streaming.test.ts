/**
 * Streaming vs batch: for every registered indicator, with its default parameters and with
 * every non-default convention (each enum choice, each flipped boolean), the batch function
 * must return exactly (Object.is) what feeding the bars one at a time through the streaming
 * class returns; `reset()` must reproduce the run; and `isReady`/`warmup` must agree with
 * the first bar on which all outputs are defined.
 */
import { describe, expect, it } from "vitest";
import type { IndicatorSpec, ParamValue } from "./index.js";
import * as I from "./index.js";
import { type Candles, readCsvCandles, readJsonCandles } from "./testing/data.js";

type P = Record<string, ParamValue>;
type Out = Record<string, ArrayLike<number>>;

/** Registry name → the public batch function, returning columns named like the registry outputs. */
const batch: Record<string, (c: Candles, p: P) => Out> = {
  sma: (c, p) => ({ sma: I.sma(c.close, p) }),
  ema: (c, p) => ({ ema: I.ema(c.close, p) }),
  wma: (c, p) => ({ wma: I.wma(c.close, p) }),
  rma: (c, p) => ({ rma: I.rma(c.close, p) }),
  dema: (c, p) => ({ dema: I.dema(c.close, p) }),
  tema: (c, p) => ({ tema: I.tema(c.close, p) }),
  kama: (c, p) => {
    const ind = new I.KAMA(p);
    const efficiency = c.close.map((x) => {
      ind.update(x);
      return ind.efficiency;
    });
    return { kama: I.kama(c.close, p), efficiency };
  },
  hma: (c, p) => ({ hma: I.hma(c.close, p) }),
  vwma: (c, p) => ({ vwma: I.vwma(c.close, c.volume, p) }),
  rsi: (c, p) => ({ rsi: I.rsi(c.close, p) }),
  macd: (c, p) => I.macd(c.close, p),
  ppo: (c, p) => I.ppo(c.close, p),
  pvo: (c, p) => I.pvo(c.volume, p),
  stoch: (c, p) => I.stochastic(c.high, c.low, c.close, p),
  stochrsi: (c, p) => I.stochasticRsi(c.close, p),
  willr: (c, p) => ({ willr: I.williamsR(c.high, c.low, c.close, p) }),
  cci: (c, p) => ({ cci: I.cci(c.high, c.low, c.close, p) }),
  roc: (c, p) => ({ roc: I.roc(c.close, p) }),
  mom: (c, p) => ({ mom: I.momentum(c.close, p) }),
  tsi: (c, p) => I.tsi(c.close, p),
  ultosc: (c, p) => ({ ultosc: I.ultimateOscillator(c.high, c.low, c.close, p) }),
  stc: (c, p) => ({ stc: I.schaffTrendCycle(c.close, p) }),
  tr: (c, p) => ({ tr: I.trueRange(c.high, c.low, c.close, p) }),
  atr: (c, p) => ({ atr: I.atr(c.high, c.low, c.close, p) }),
  natr: (c, p) => ({ natr: I.natr(c.high, c.low, c.close, p) }),
  bbands: (c, p) => {
    const r = I.bollingerBands(c.close, p);
    return {
      upper: r.upper,
      middle: r.middle,
      lower: r.lower,
      bandwidth: r.bandwidth,
      percent_b: r.percentB,
    };
  },
  keltner: (c, p) => I.keltnerChannels(c.high, c.low, c.close, p),
  donchian: (c, p) => I.donchianChannels(c.high, c.low, p),
  ulcer: (c, p) => ({ ulcer: I.ulcerIndex(c.close, p) }),
  chop: (c, p) => ({ chop: I.choppiness(c.high, c.low, c.close, p) }),
  rv_cc: (c, p) => ({ rv_cc: I.closeToCloseVolatility(c.close, p) }),
  rv_parkinson: (c, p) => ({ rv_parkinson: I.parkinsonVolatility(c.high, c.low, p) }),
  rv_garman_klass: (c, p) => ({
    rv_garman_klass: I.garmanKlassVolatility(c.open, c.high, c.low, c.close, p),
  }),
  rv_yang_zhang: (c, p) => ({ rv_yang_zhang: I.yangZhangVolatility(c.open, c.high, c.low, c.close, p) }),
  adx: (c, p) => {
    const r = I.adx(c.high, c.low, c.close, p);
    return { adx: r.adx, plus_di: r.plusDI, minus_di: r.minusDI, dx: r.dx };
  },
  aroon: (c, p) => I.aroon(c.high, c.low, p),
  psar: (c, p) => I.parabolicSar(c.high, c.low, p),
  supertrend: (c, p) => {
    const r = I.superTrend(c.high, c.low, c.close, p);
    return { supertrend: r.value, direction: r.direction, upper: r.upper, lower: r.lower };
  },
  ichimoku: (c, p) => {
    const r = I.ichimoku(c.high, c.low, p);
    return {
      tenkan: r.tenkan,
      kijun: r.kijun,
      senkou_a: r.senkouA,
      senkou_b: r.senkouB,
      senkou_a_ahead: r.senkouAAhead,
      senkou_b_ahead: r.senkouBAhead,
    };
  },
  vortex: (c, p) => I.vortex(c.high, c.low, c.close, p),
  obv: (c, p) => ({ obv: I.obv(c.close, c.volume, p) }),
  mfi: (c, p) => ({ mfi: I.mfi(c.high, c.low, c.close, c.volume, p) }),
  ad: (c) => ({ ad: I.accumulationDistribution(c.high, c.low, c.close, c.volume) }),
  adosc: (c, p) => ({ adosc: I.chaikinOscillator(c.high, c.low, c.close, c.volume, p) }),
  cmf: (c, p) => ({ cmf: I.chaikinMoneyFlow(c.high, c.low, c.close, c.volume, p) }),
  force: (c, p) => ({ force: I.forceIndex(c.close, c.volume, p) }),
  eom: (c, p) => ({ eom: I.easeOfMovement(c.high, c.low, c.volume, p) }),
  vpt: (c) => ({ vpt: I.volumePriceTrend(c.close, c.volume) }),
  vwap: (c, p) => I.sessionVwap(c.time, c.high, c.low, c.close, c.volume, p),
  avwap: (c, p) => I.anchoredVwap(c.time, c.high, c.low, c.close, c.volume, p),
  stddev: (c, p) => ({ stddev: I.stdDev(c.close, p) }),
  var: (c, p) => ({ var: I.variance(c.close, p) }),
  zscore: (c, p) => ({ zscore: I.zScore(c.close, p) }),
  linreg_slope: (c, p) => {
    const ind = new I.LinRegSlope(p);
    const n = c.length;
    const intercept = new Float64Array(n);
    const endpoint = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      ind.update(c.close[i]);
      intercept[i] = ind.intercept;
      endpoint[i] = ind.endpoint;
    }
    return { slope: I.linRegSlope(c.close, p), intercept, endpoint };
  },
  hurst: (c, p) => ({ hurst: I.hurstExponent(c.close, p) }),
};

/** Defaults plus one parameter set per non-default enum choice or flipped boolean. */
function variants(spec: IndicatorSpec, c: Candles): P[] {
  const base = spec.resolveParams({});
  const out: P[] = [base];
  for (const p of spec.params) {
    if (p.type === "enum") {
      for (const choice of p.choices ?? []) if (choice !== p.default) out.push({ ...base, [p.name]: choice });
    } else if (p.type === "boolean") {
      // MACD's fixed constants need 12/26, which are the defaults.
      out.push({ ...base, [p.name]: !p.default });
    }
  }
  // Anchored VWAP: an anchor inside the data.
  if (spec.name === "avwap") out.push({ ...base, anchor: c.time[100] + 1 });
  if (spec.name === "vwap")
    out.push({ ...base, sessionLength: 4 * 3_600_000_000, sessionOffset: -1_800_000_000 });
  return out;
}

function columns(c: Candles): Record<string, Float64Array> {
  return { time: c.time, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume };
}

/** Streams the candles through a registry instance; returns each output column. */
function stream(spec: IndicatorSpec, params: P, c: Candles) {
  const ind = spec.create(params);
  const cols = columns(c);
  const inputs = spec.inputs.map((name) => cols[name]);
  const row = new Float64Array(inputs.length);
  const outs = spec.outputs.map(() => new Float64Array(c.length));
  const cur = new Float64Array(outs.length);
  let firstReady = -1;
  for (let i = 0; i < c.length; i++) {
    for (let j = 0; j < inputs.length; j++) row[j] = inputs[j][i];
    ind.update(row);
    ind.read(cur);
    for (let k = 0; k < outs.length; k++) outs[k][i] = cur[k];
    if (firstReady < 0 && ind.isReady) firstReady = i;
  }
  return { ind, outs, firstReady };
}

function identical(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

const datasets: [string, Candles, boolean][] = [
  ["BTC-PERP 1m", readCsvCandles("ohlcv/nautilus_BTC-PERP_1m_2021-12-31_2022-02-01.csv", 3000), true],
  // Zero-volume and flat minutes, tiny prices: exercises the degenerate-window branches.
  [
    "XRP/ETH 1m (1 091 zero-volume bars)",
    readJsonCandles("ohlcv/freqtrade_binance_XRP-ETH_1m_2019-10-11_13.json"),
    false,
  ],
];

describe("registry covers the batch functions", () => {
  it("every registry indicator has a batch function and vice versa", () => {
    expect(Object.keys(batch).sort()).toEqual(
      I.listIndicators()
        .map((s) => s.name)
        .sort(),
    );
  });
});

for (const [label, candles, checkWarmup] of datasets) {
  describe(`streaming == batch on ${label}`, () => {
    for (const spec of I.listIndicators()) {
      it(spec.name, () => {
        for (const params of variants(spec, candles)) {
          const tag = `${spec.name} ${JSON.stringify(params)}`;
          const b = batch[spec.name](candles, params);
          const s = stream(spec, params, candles);
          spec.outputs.forEach((name, k) => {
            expect(b[name], `${tag}: batch output ${name}`).toBeDefined();
            const at = identical(s.outs[k], b[name]);
            expect(at, `${tag}: ${name} differs at bar ${at}: ${s.outs[k][at]} vs ${b[name][at]}`).toBe(-1);
          });
          // Some values must actually be defined.
          expect(
            s.outs.every((o) => o.some((v) => !Number.isNaN(v))),
            `${tag}: outputs defined`,
          ).toBe(true);
          // reset() reproduces the run exactly.
          s.ind.reset();
          expect(s.ind.isReady).toBe(false);
          const again = stream(spec, params, candles);
          again.outs.forEach((o, k) => {
            expect(identical(o, s.outs[k]), `${tag}: rerun ${spec.outputs[k]}`).toBe(-1);
          });
          // An anchored VWAP's warm-up counts from its anchor, not from the first bar.
          if (checkWarmup && !(spec.name === "avwap" && params.anchor !== 0)) {
            // isReady flips exactly at index `warmup`, where every output is defined.
            expect(s.firstReady, `${tag}: first ready bar vs warmup`).toBe(s.ind.warmup);
            const allDefined = s.outs.every((o) => !Number.isNaN(o[s.firstReady]));
            expect(allDefined, `${tag}: outputs defined when ready`).toBe(true);
            if (s.firstReady > 0) {
              const before = s.outs.some((o) => Number.isNaN(o[s.firstReady - 1]));
              expect(before, `${tag}: some output undefined before ready`).toBe(true);
            }
          }
        }
      });
    }
  });
}
