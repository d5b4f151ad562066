import { describe, expect, it } from "vitest";
import { MessageBus } from "../../core/bus.js";
import { Rng } from "../../core/rng.js";
import { OnnxModel } from "../inference/session.js";
import { tripleBarrierLabels } from "../labels/labels.js";
import { checkLookahead, purgedKFold } from "../labels/validation.js";
import { exportGbdt } from "../onnx/export.js";
import { predictGbdt, trainGbdt } from "../train/gbdt.js";
import { type BarInput, computeFeatures, FeaturePipeline, type FeatureSetSpec } from "./pipeline.js";

function syntheticBars(n: number, seed: number): BarInput[] {
  const rng = new Rng(seed);
  const bars: BarInput[] = [];
  let px = 100;
  for (let i = 0; i < n; i++) {
    const open = px;
    px *= Math.exp(0.004 * rng.nextNormal());
    const high = Math.max(open, px) * (1 + 0.001 * rng.nextFloat());
    const low = Math.min(open, px) * (1 - 0.001 * rng.nextFloat());
    bars.push({
      time: 1_700_000_000_000_000 + i * 60_000_000,
      open,
      high,
      low,
      close: px,
      volume: 1 + 10 * rng.nextFloat(),
    });
  }
  return bars;
}

const spec: FeatureSetSpec = {
  name: "demo",
  features: [
    { kind: "return", name: "ret_1", bars: 1 },
    { kind: "return", name: "ret_5", bars: 5 },
    { kind: "indicator", name: "rsi_14", indicator: "rsi", params: { period: 14 } },
    { kind: "indicator", name: "bb_upper", indicator: "bbands", output: "upper" },
    { kind: "indicator", name: "atr_14", indicator: "atr" },
    { kind: "indicator", name: "sma_vol_10", indicator: "sma", params: { period: 10 }, source: "volume" },
    { kind: "lag", name: "ret_1_lag1", of: "ret_1", bars: 1 },
    { kind: "rolling", name: "ret_1_std20", of: "ret_1", window: 20, stat: "std" },
    { kind: "rolling", name: "close_z20", of: "close", window: 20, stat: "zscore" },
    { kind: "time", name: "hour_sin", part: "hour_sin" },
    { kind: "time", name: "weekday_cos", part: "weekday_cos" },
  ],
};
const bars = syntheticBars(600, 3);

describe("feature pipeline", () => {
  it("offline features are bit-identical to features streamed event by event over the bus", () => {
    const offline = computeFeatures(spec, bars);
    const bus = new MessageBus();
    const live = new FeaturePipeline(spec);
    const cols = live.names.length;
    const streamed = new Float64Array(bars.length * cols);
    const row = new Float64Array(cols);
    let r = 0;
    bus.subscribe<BarInput>("data.bars.DEMO", (bar) => {
      live.update(bar);
      live.read(row);
      streamed.set(row, r * cols);
      r++;
    });
    const topic = bus.topic<BarInput>("data.bars.DEMO");
    for (const b of bars) topic.publish({ ...b });
    expect(r).toBe(bars.length);
    for (let i = 0; i < streamed.length; i++) expect(Object.is(streamed[i], offline.x[i])).toBe(true);
    // warm-up: the 20-bar rolling std of a 1-bar return is ready from row 20 on, bbands(20) from row 19
    expect(offline.ready[19]).toBe(0);
    expect(offline.ready[20]).toBe(1);
    expect(offline.names).toEqual(spec.features.map((f) => f.name));
  });

  it("is causal: the leakage check passes on the pipeline", () => {
    const cols = spec.features.length;
    const r = checkLookahead(bars.length, cols, (end) => computeFeatures(spec, bars.slice(0, end)).x, {
      names: spec.features.map((f) => f.name),
    });
    expect(r.ok).toBe(true);
  });

  it("rejects bad specs naming the feature", () => {
    expect(
      () =>
        new FeaturePipeline({ name: "x", features: [{ kind: "indicator", name: "a", indicator: "nope" }] }),
    ).toThrow(/features\[0\] \(a\): .*nope/);
    expect(
      () => new FeaturePipeline({ name: "x", features: [{ kind: "lag", name: "a", of: "b", bars: 1 }] }),
    ).toThrow(/refers to "b", which is not defined before it/);
    expect(
      () =>
        new FeaturePipeline({
          name: "x",
          features: [
            { kind: "return", name: "a", bars: 1 },
            { kind: "return", name: "a", bars: 2 },
          ],
        }),
    ).toThrow(/duplicate name/);
    expect(
      () =>
        new FeaturePipeline({
          name: "x",
          features: [{ kind: "indicator", name: "a", indicator: "rsi", params: { period: -1 } }],
        }),
    ).toThrow(/features\[0\]/);
  });

  it("round trip: features → triple-barrier labels → purged CV → GBDT → ONNX reproduces predictions", async () => {
    const { x, ready, names } = computeFeatures(spec, bars);
    const close = bars.map((b) => b.close);
    const lab = tripleBarrierLabels(close, {
      profitTake: 1,
      stopLoss: 1,
      maxHolding: 10,
      volatility: 0.01,
      verticalLabel: "sign",
    });
    const rows: number[] = [];
    for (let t = 0; t < bars.length; t++) if (ready[t] && lab.barrier[t] !== 2) rows.push(t);
    const cols = names.length;
    const X = new Float32Array(rows.length * cols);
    const y = new Float64Array(rows.length);
    const labelEnd = new Int32Array(rows.length);
    rows.forEach((t, i) => {
      X.set(x.subarray(t * cols, (t + 1) * cols), i * cols);
      y[i] = lab.label[t] > 0 ? 1 : 0;
      labelEnd[i] =
        rows.findIndex((u) => u >= lab.end[t]) === -1
          ? rows.length - 1
          : rows.findIndex((u) => u >= lab.end[t]);
    });
    const folds = purgedKFold(rows.length, { k: 4, labelEnd, embargo: 5 });
    const f = folds[3];
    const pick = (idx: Int32Array) => {
      const xs = new Float32Array(idx.length * cols);
      const ys = new Float64Array(idx.length);
      idx.forEach((r, i) => {
        xs.set(X.subarray(r * cols, (r + 1) * cols), i * cols);
        ys[i] = y[r];
      });
      return { x: xs, y: ys, rows: idx.length, cols, featureNames: names };
    };
    const train = pick(f.train);
    const test = pick(f.test);
    const model = trainGbdt(train, { objective: "binary", rounds: 20, maxDepth: 3 });
    const onnx = await OnnxModel.load(exportGbdt(model), { featureNames: names });
    const got = await onnx.predictBatch(test.x, test.rows, "probabilities");
    const want = predictGbdt(model, test.x, test.rows);
    let max = 0;
    for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i] - want[i]));
    expect(max).toBeLessThan(1e-6);
    await onnx.close();
  });
});
