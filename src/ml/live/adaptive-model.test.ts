/**
 * Periodic walk-forward retraining, shadow mode and promotion on real candles (Nautilus BTC-PERP
 * 1-minute), with the feature vectors the streaming pipeline produces.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMarketData } from "../../data/files/index.js";
import type { Bar } from "../../model/data.js";
import {
  type BarInput,
  computeFeatures,
  type FeatureSetSpec,
  featureSetSpecHash,
} from "../features/pipeline.js";
import { exportGbdt } from "../onnx/export.js";
import { ModelRegistry } from "../registry/registry.js";
import type { ShadowRecord } from "../registry/shadow.js";
import { trainGbdt } from "../train/gbdt.js";
import { AdaptiveModel, type RetrainConfig } from "./adaptive-model.js";

const CANDLES = fileURLToPath(
  new URL("../../../../shared/data/ohlcv/nautilus_BTC-PERP_1m_2021-12-31_2022-02-01.csv", import.meta.url),
);
const SPEC: FeatureSetSpec = {
  name: "wf",
  features: [
    { kind: "return", name: "ret_1", bars: 1 },
    { kind: "return", name: "ret_5", bars: 5 },
    { kind: "indicator", name: "rsi_14", indicator: "rsi", params: { period: 14 } },
    { kind: "rolling", name: "vol_20", of: "ret_1", window: 20, stat: "std" },
    { kind: "rolling", name: "close_z30", of: "close", window: 30, stat: "zscore" },
    { kind: "lag", name: "ret_1_lag1", of: "ret_1", bars: 1 },
  ],
};
const N = 2400;
const RETRAIN: RetrainConfig = {
  everyBars: 300,
  windowBars: 400,
  horizon: 5,
  model: { kind: "gbdt", params: { rounds: 15, maxDepth: 3 } },
  seed: 11,
  shadowBars: 120,
  tolerance: 0,
  applyAfterBars: 1,
  blocking: true,
};

let dir: string;
let bars: BarInput[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "adaptive-"));
  bars = [];
  for await (const rec of readMarketData([CANDLES])) {
    const b = rec.data as Bar;
    bars.push({
      time: b.tsOpen,
      closeTime: b.tsEvent,
      open: b.open.toNumber(),
      high: b.high.toNumber(),
      low: b.low.toNumber(),
      close: b.close.toNumber(),
      volume: b.volume.toNumber(),
    });
    if (bars.length >= N) break;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  model: AdaptiveModel;
  registry: ModelRegistry;
  scores: (number | undefined)[];
  currents: (string | undefined)[];
  shadows: ShadowRecord[];
  shadowScores: number[];
}

/** Streams `input` bar by bar (features from the streaming pipeline) through a fresh AdaptiveModel. */
function run(name: string, input: BarInput[], retrain: RetrainConfig = RETRAIN): Run {
  const registry = new ModelRegistry(join(dir, name));
  const shadows: ShadowRecord[] = [];
  const model = new AdaptiveModel({
    registry,
    name: "wf",
    featureNames: SPEC.features.map((f) => f.name),
    featureSpecHash: featureSetSpecHash(SPEC),
    signal: "probability",
    retrain,
    record: (r) => shadows.push(r),
  });
  expect(model.load()).toBe(false); // nothing registered yet: no model, no predictions
  const { x, ready } = computeFeatures(SPEC, input);
  const cols = SPEC.features.length;
  const scores: (number | undefined)[] = [];
  const currents: (string | undefined)[] = [];
  const shadowScores: number[] = [];
  for (let t = 0; t < input.length; t++) {
    const before = shadows.length;
    const s = model.onBar(
      input[t].closeTime!,
      input[t].close,
      x.slice(t * cols, (t + 1) * cols),
      ready[t] === 1,
    );
    scores.push(s);
    currents.push(model.current);
    if (shadows.length > before) shadowScores.push(s!);
  }
  return { model, registry, scores, currents, shadows, shadowScores };
}

/** The model an offline, in-process training on bars[0..t] only would give (same rows, labels, seed). */
function offlineOnnxSha(input: BarInput[], t: number): string {
  const prefix = input.slice(0, t + 1);
  const { x, ready } = computeFeatures(SPEC, prefix);
  const cols = SPEC.features.length;
  const h = RETRAIN.horizon;
  const X: number[] = [];
  const y: number[] = [];
  for (let i = Math.max(0, t - h - RETRAIN.windowBars + 1); i <= t - h; i++) {
    if (!ready[i]) continue;
    for (let c = 0; c < cols; c++) X.push(x[i * cols + c]);
    y.push(Math.log(prefix[i + h].close / prefix[i].close) > 0 ? 1 : 0);
  }
  const m = trainGbdt(
    {
      x: Float32Array.from(X),
      y: Float64Array.from(y),
      rows: y.length,
      cols,
      featureNames: SPEC.features.map((f) => f.name),
    },
    { rounds: 15, maxDepth: 3, objective: "binary", seed: RETRAIN.seed },
  );
  return createHash("sha256").update(exportGbdt(m)).digest("hex");
}

describe("AdaptiveModel: periodic retraining, shadow mode, promotion", () => {
  let a: Run;
  beforeAll(() => {
    a = run("a", bars);
  });

  it("bootstraps a first model, then retrains on schedule; every new model goes through shadow first", () => {
    const d = a.model.decisions;
    expect(d[0].outcome).toBe("bootstrapped");
    const later = d.slice(1);
    expect(later.length).toBeGreaterThanOrEqual(2);
    for (const x of later) {
      expect(["promoted", "rejected"]).toContain(x.outcome);
      expect(x.scored).toBe(RETRAIN.shadowBars);
      // The rule: promoted exactly when the candidate's shadow loss is not worse.
      expect(x.outcome === "promoted").toBe(x.candidateLoss! <= x.liveLoss! + RETRAIN.tolerance!);
    }
    const versions = a.registry.list("wf");
    expect(versions.length).toBe(d.length);
    // Each retrained model records its parent (the live model when it was trained) and its window.
    for (const v of versions.slice(1)) expect(v.parent).toMatch(/^wf:\d+$/);
    for (const v of versions) {
      expect(v.featureSpecHash).toBe(featureSetSpecHash(SPEC));
      expect(v.trainWindow!.endUs).toBeGreaterThan(v.trainWindow!.startUs);
    }
  });

  it("shadow mode: both predictions recorded, only the live one is returned (and traded)", () => {
    expect(a.shadows.length).toBeGreaterThanOrEqual(2 * RETRAIN.shadowBars!);
    a.shadows.forEach((r, i) => {
      expect(r.candidate).toBeDefined();
      expect(a.shadowScores[i]).toBe(r.live[1]); // P(up) of the live model, never the candidate's
    });
    // The candidate really is another model: its predictions differ somewhere.
    expect(a.shadows.some((r) => r.candidate![1] !== r.live[1])).toBe(true);
  });

  it("hot swap: a promotion changes the model in use between two bars, without a restart", () => {
    const promoted = a.model.decisions.filter((d) => d.outcome === "promoted");
    const changes = new Set(a.currents.filter((c) => c !== undefined));
    expect(changes.size).toBe(1 + promoted.length);
    for (const p of promoted) expect(a.currents).toContain(p.candidate);
    expect(a.model.current).toBe(a.registry.get("wf:live").name + ":" + a.registry.get("wf:live").version);
  });

  it("never leaks the future: the model trained at bar t is the one an offline training on bars[0..t] gives", () => {
    const v = a.registry.list("wf");
    // The first model: trained at the first trigger bar with enough rows; its window ends there.
    for (const rec of v.slice(0, 2)) {
      const t = bars.findIndex((b) => b.closeTime === rec.trainWindow!.endUs - 1);
      expect(t).toBeGreaterThan(0);
      expect(rec.sha256).toBe(offlineOnnxSha(bars, t));
    }
    // Changing every bar after the second training's bar changes nothing up to it.
    const t2 = bars.findIndex((b) => b.closeTime === v[1].trainWindow!.endUs - 1);
    const altered = bars.map((b, i) => (i <= t2 ? b : { ...b, close: b.close * (1 + 0.01 * Math.sin(i)) }));
    const b = run("b", altered);
    const vb = b.registry.list("wf");
    expect(vb[0].sha256).toBe(v[0].sha256);
    expect(vb[1].sha256).toBe(v[1].sha256);
    b.registry.close();
  });

  it("is deterministic: the same bars and seed give the same models, decisions and predictions", () => {
    const c = run("c", bars);
    expect(c.registry.list("wf").map((r) => r.sha256)).toEqual(a.registry.list("wf").map((r) => r.sha256));
    expect(c.model.decisions).toEqual(a.model.decisions);
    expect(c.scores).toEqual(a.scores);
    c.registry.close();
  });

  it("a failed retraining is reported and the live model keeps predicting", () => {
    const r = run("bad", bars.slice(0, 1200), {
      ...RETRAIN,
      model: { kind: "gbdt", params: { rounds: 15, maxDepth: 0 } },
    });
    expect(r.model.decisions.length).toBeGreaterThan(0);
    for (const d of r.model.decisions) expect(d.outcome).toBe("failed");
    expect(r.model.lastError).toMatch(/retraining failed, staying on no model: .*maxDepth/);
    r.registry.close();
    // With a live model, a candidate that cannot be adopted (here: the registry became
    // unavailable) leaves the live model in place, and predictions go on.
    const registry = new ModelRegistry(join(dir, "live-then-fail"));
    const m = new AdaptiveModel({
      registry,
      name: "wf",
      featureNames: SPEC.features.map((f) => f.name),
      signal: "probability",
      retrain: RETRAIN,
    });
    const { x, ready } = computeFeatures(SPEC, bars.slice(0, 1500));
    const cols = SPEC.features.length;
    let after = 0;
    for (let t = 0; t < 1500; t++) {
      const s = m.onBar(bars[t].closeTime!, bars[t].close, x.slice(t * cols, (t + 1) * cols), ready[t] === 1);
      if (m.current === "wf:1" && after === 0) registry.close();
      if (m.decisions.length > 1) {
        expect(s).toBeDefined();
        after++;
      }
    }
    expect(m.decisions[1].outcome).toBe("failed");
    expect(m.decisions[1].reason).toMatch(/database connection is not open/);
    expect(m.lastError).toMatch(/new model not adopted, staying on wf:1/);
    expect(m.current).toBe("wf:1");
    expect(after).toBeGreaterThan(10);
  });

  it("non-blocking mode (live): the candidate is taken when the worker is done, the hot path never waits", async () => {
    const registry = new ModelRegistry(join(dir, "nb"));
    const m = new AdaptiveModel({
      registry,
      name: "wf",
      featureNames: SPEC.features.map((f) => f.name),
      signal: "probability",
      retrain: { ...RETRAIN, blocking: false, everyBars: 100_000 },
    });
    const { x, ready } = computeFeatures(SPEC, bars.slice(0, 900));
    const cols = SPEC.features.length;
    let t = 0;
    for (; t < 900 && m.current === undefined; t++) {
      m.onBar(bars[t].closeTime!, bars[t].close, x.slice(t * cols, (t + 1) * cols), ready[t] === 1);
      if (m.counts.retrains > 0) await new Promise((r) => setTimeout(r, 5)); // the event loop runs meanwhile
    }
    expect(m.current).toBe("wf:1");
    expect(m.decisions[0].outcome).toBe("bootstrapped");
    registry.close();
  });

  it("retrains on bar time too (everyUs, e.g. every 5 hours of 1-minute bars)", () => {
    const r = run("time", bars.slice(0, 700), {
      ...RETRAIN,
      everyBars: undefined,
      everyUs: 5 * 3_600_000_000,
    });
    const v = r.registry.list("wf");
    expect(v.length).toBe(2); // 700 one-minute bars: at 5 h and at 10 h
    const due = bars[0].closeTime! + 5 * 3_600_000_000;
    const t = bars.findIndex((b) => b.closeTime! >= due);
    expect(v[0].trainWindow!.endUs - 1).toBe(bars[t].closeTime);
    // Taken (bootstrapped) applyAfterBars = 1 bar later.
    expect(r.currents[t]).toBeUndefined();
    expect(r.currents[t + 1]).toBe("wf:1");
    const due2 = bars[t].closeTime! + 5 * 3_600_000_000;
    expect(v[1].trainWindow!.endUs - 1).toBe(bars.find((b) => b.closeTime! >= due2)!.closeTime);
    r.registry.close();
  });

  it("expected-return signal with an MLP: regression labels (the forward log return), squared-error shadow metric", () => {
    const registry = new ModelRegistry(join(dir, "er"));
    const m = new AdaptiveModel({
      registry,
      name: "er",
      featureNames: SPEC.features.map((f) => f.name),
      signal: "expected-return",
      retrain: {
        ...RETRAIN,
        model: { kind: "mlp", params: { hidden: [8], epochs: 10, learningRate: 0.003 } },
        shadowBars: 60,
      },
    });
    const { x, ready } = computeFeatures(SPEC, bars.slice(0, 1300));
    const cols = SPEC.features.length;
    const scores: number[] = [];
    for (let t = 0; t < 1300; t++) {
      const s = m.onBar(bars[t].closeTime!, bars[t].close, x.slice(t * cols, (t + 1) * cols), ready[t] === 1);
      if (s !== undefined) scores.push(s);
    }
    const v = registry.list("er");
    expect(v[0].kind).toBe("mlp");
    // In return units: the in-sample RMSE is of the order of 5-minute returns, not of the init scale.
    expect(v[0].metrics.train_neg_rmse).toBeLessThan(0);
    expect(v[0].metrics.train_neg_rmse).toBeGreaterThan(-0.01);
    expect(m.decisions[0].outcome).toBe("bootstrapped");
    expect(m.decisions.length).toBeGreaterThanOrEqual(2);
    for (const d of m.decisions.slice(1)) expect(d.liveLoss).toBeGreaterThan(0);
    // Expected returns of one-minute bars: small numbers of both signs, not probabilities.
    expect(scores.length).toBeGreaterThan(900);
    expect(scores.some((s) => s < 0) && scores.some((s) => s > 0)).toBe(true);
    expect(Math.max(...scores.map(Math.abs))).toBeLessThan(0.05);
    registry.close();
  });

  it("rejects bad retraining configs", () => {
    const registry = new ModelRegistry(join(dir, "cfg"));
    const make = (r: Partial<RetrainConfig>) =>
      new AdaptiveModel({
        registry,
        name: "wf",
        featureNames: ["a"],
        signal: "probability",
        retrain: { ...RETRAIN, ...r },
      });
    expect(() => make({ everyBars: undefined, everyUs: undefined })).toThrow(/everyBars or everyUs/);
    expect(() => make({ horizon: 0 })).toThrow(/retrain.horizon must be an integer >= 1/);
    expect(() => make({ tolerance: -1 })).toThrow(/tolerance must be >= 0/);
    registry.close();
  });
});
