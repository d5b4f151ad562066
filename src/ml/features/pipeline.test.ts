import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { MessageBus } from "../../core/bus.js";
import { Rng } from "../../core/rng.js";
import { Topics } from "../../core/topics.js";
import { BookSync } from "../../data/book/sync.js";
import { readMarketData } from "../../data/files/index.js";
import { OrderBookDeltas, TradeTick } from "../../model/data.js";
import { InstrumentId } from "../../model/identifiers.js";
import { OrderFlowImbalance } from "../../orderflow/book.js";
import { aggressorOf } from "../../orderflow/common.js";
import { OnnxModel } from "../inference/session.js";
import { tripleBarrierLabels } from "../labels/labels.js";
import { checkLookahead, purgedKFold } from "../labels/validation.js";
import { exportGbdt } from "../onnx/export.js";
import { predictGbdt, trainGbdt } from "../train/gbdt.js";
import {
  type BarInput,
  computeFeatures,
  computeFeaturesFromEvents,
  type FeatureEvent,
  FeaturePipeline,
  type FeatureSetSpec,
  featureSetSpecHash,
} from "./pipeline.js";

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

// ---------------------------------------------------------------------------------------------
// Order-flow features on real trades and L2 data (Binance USD-M BTCUSDT, 2024-08-08).

const USDM_FILE = fileURLToPath(
  new URL("../../../../shared/data/orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz", import.meta.url),
);
const BAR_US = 5_000_000;

type Replayed = TradeTick | OrderBookDeltas | { bar: BarInput };

/** The session's trades and book deltas in file (time) order, with 5-second bars built from the trades inserted where they close. */
async function realSession(): Promise<Replayed[]> {
  const out: Replayed[] = [];
  let open = -1;
  let bar: BarInput | undefined;
  for await (const rec of readMarketData([USDM_FILE])) {
    const d = rec.data;
    if (!(d instanceof TradeTick) && !(d instanceof OrderBookDeltas)) continue;
    const ts = d.tsEvent;
    // A bar [open, open + 5 s) closes before the first event at or after its close time.
    if (bar !== undefined && ts >= open + BAR_US) {
      out.push({ bar });
      bar = undefined;
    }
    if (d instanceof TradeTick) {
      const px = d.price.toNumber();
      const start = ts - (ts % BAR_US);
      if (bar === undefined) {
        open = start;
        bar = { time: start, closeTime: start + BAR_US, open: px, high: px, low: px, close: px, volume: 0 };
      }
      bar.high = Math.max(bar.high, px);
      bar.low = Math.min(bar.low, px);
      bar.close = px;
      bar.volume += d.size.toNumber();
    }
    out.push(d);
  }
  if (bar !== undefined) out.push({ bar });
  return out;
}

const ofSpec: FeatureSetSpec = {
  name: "orderflow-demo",
  features: [
    { kind: "return", name: "ret_1", bars: 1 },
    { kind: "orderflow", name: "cvd", metric: "cvd" },
    { kind: "orderflow", name: "delta", metric: "bar_delta" },
    { kind: "orderflow", name: "ofi", metric: "ofi" },
    { kind: "orderflow", name: "obi_10", metric: "book_imbalance", levels: 10 },
    { kind: "orderflow", name: "vpin", metric: "vpin", bucketVolume: 20_000, window: 10 },
    { kind: "orderflow", name: "kyle", metric: "kyle_lambda", intervalUs: 1_000_000, window: 20 },
    { kind: "orderflow", name: "intensity", metric: "trade_intensity", halfLifeUs: 2_000_000 },
    { kind: "orderflow", name: "vol_intensity", metric: "volume_intensity", halfLifeUs: 2_000_000 },
    { kind: "orderflow", name: "micro_bps", metric: "microprice_offset_bps" },
    { kind: "orderflow", name: "spread_bps", metric: "spread_bps" },
    { kind: "rolling", name: "ofi_mean_3", of: "ofi", window: 3, stat: "mean" },
    { kind: "lag", name: "delta_lag1", of: "delta", bars: 1 },
  ],
};

describe("order-flow features (real Binance USD-M trades and L2 book)", () => {
  const ID = InstrumentId.parse("BTCUSDT-PERP.BINANCE");
  let session: Replayed[];
  beforeAll(async () => {
    session = await realSession();
  });

  /** The offline input: the same session as FeatureEvents, rebuilding the book as it goes. */
  function* offlineEvents(limitBars = Number.POSITIVE_INFINITY): Generator<FeatureEvent> {
    const sync = new BookSync(ID, "binance-usdm");
    let bars = 0;
    for (const e of session) {
      if (e instanceof TradeTick)
        yield {
          kind: "trade",
          ts: e.tsEvent,
          priceRaw: e.price.raw,
          sizeRaw: e.size.raw,
          side: aggressorOf(e.aggressorSide),
        };
      else if (e instanceof OrderBookDeltas) {
        sync.apply(e);
        if (sync.isValid) yield { kind: "book", ts: e.tsEvent, book: sync.book };
      } else {
        if (bars++ >= limitBars) return;
        yield { kind: "bar", bar: e.bar };
      }
    }
  }

  it("offline order-flow features are bit-identical to those streamed event by event over the bus", () => {
    const offline = computeFeaturesFromEvents(ofSpec, offlineEvents());
    const bus = new MessageBus();
    const live = new FeaturePipeline(ofSpec);
    expect(live.needsTrades && live.needsBook).toBe(true);
    const cols = live.names.length;
    const streamed: number[] = [];
    const row = new Float64Array(cols);
    const sync = new BookSync(ID, "binance-usdm");
    bus.subscribe<TradeTick>(Topics.trades(ID), (t) =>
      live.onTrade(t.tsEvent, t.price.raw, t.size.raw, aggressorOf(t.aggressorSide)),
    );
    bus.subscribe<OrderBookDeltas>(Topics.bookDeltas(ID), (d) => {
      sync.apply(d);
      if (sync.isValid) live.onBook(d.tsEvent, sync.book);
    });
    bus.subscribe<BarInput>("data.bars.BTCUSDT-5s", (bar) => {
      live.update(bar);
      live.read(row);
      streamed.push(...row);
    });
    const trades = bus.topic<TradeTick>(Topics.trades(ID));
    const books = bus.topic<OrderBookDeltas>(Topics.bookDeltas(ID));
    const barTopic = bus.topic<BarInput>("data.bars.BTCUSDT-5s");
    for (const e of session) {
      if (e instanceof TradeTick) trades.publish(e);
      else if (e instanceof OrderBookDeltas) books.publish(e);
      else barTopic.publish({ ...e.bar });
    }
    expect(streamed.length).toBe(offline.x.length);
    expect(offline.ready.length).toBeGreaterThan(60);
    for (let i = 0; i < streamed.length; i++) expect(Object.is(streamed[i], offline.x[i])).toBe(true);
    // Warmed up: every order-flow column is a finite number on the last bars.
    const last = offline.ready.length - 1;
    expect(offline.ready[last]).toBe(1);
    for (let c = 0; c < cols; c++) expect(Number.isFinite(offline.x[last * cols + c])).toBe(true);
  });

  it("order-flow features reconcile with the trades and book: per-bar delta, CVD, OFI", () => {
    const { x, names } = computeFeaturesFromEvents(ofSpec, offlineEvents());
    const cols = names.length;
    const col = (n: string) => names.indexOf(n);
    const bars = session.filter((e): e is { bar: BarInput } => "bar" in e).map((e) => e.bar);
    // Per-bar delta by direct group-by of the trades.
    const want = new Map<number, number>();
    let total = 0;
    for (const e of session)
      if (e instanceof TradeTick) {
        const s = aggressorOf(e.aggressorSide) * e.size.raw;
        const k = e.tsEvent - (e.tsEvent % BAR_US);
        want.set(k, (want.get(k) ?? 0) + s);
        total += s;
      }
    let sumDelta = 0;
    bars.forEach((b, r) => {
      expect(x[r * cols + col("delta")]).toBe(want.get(b.time) ?? 0);
      sumDelta += x[r * cols + col("delta")];
    });
    expect(x[(bars.length - 1) * cols + col("cvd")]).toBe(total);
    expect(sumDelta).toBe(total);
    // OFI per bar sums to the OFI of the whole session over the same book updates.
    const whole = new OrderFlowImbalance();
    const sync = new BookSync(ID, "binance-usdm");
    let lastBarEnd = 0;
    for (const e of session) {
      if (e instanceof OrderBookDeltas) {
        sync.apply(e);
        if (sync.isValid) whole.updateFromBook(sync.book);
      } else if ("bar" in e) lastBarEnd = whole.value;
    }
    let sumOfi = 0;
    for (let r = 0; r < bars.length; r++) {
      const v = x[r * cols + col("ofi")];
      if (Number.isFinite(v)) sumOfi += v;
    }
    expect(sumOfi).toBe(lastBarEnd);
    expect(Math.abs(lastBarEnd)).toBeGreaterThan(0);
  });

  it("is causal: features on a prefix of the session equal the full run's first rows", () => {
    const full = computeFeaturesFromEvents(ofSpec, offlineEvents());
    const cols = full.names.length;
    for (const k of [5, 23, 50]) {
      const part = computeFeaturesFromEvents(ofSpec, offlineEvents(k));
      expect(part.ready.length).toBe(k);
      for (let i = 0; i < k * cols; i++) expect(Object.is(part.x[i], full.x[i])).toBe(true);
    }
  });

  it("the feature-set hash changes with the definition, not with key order", () => {
    const h = featureSetSpecHash(ofSpec);
    const reordered: FeatureSetSpec = JSON.parse(JSON.stringify(ofSpec));
    reordered.features[5] = {
      window: 10,
      bucketVolume: 20_000,
      metric: "vpin",
      name: "vpin",
      kind: "orderflow",
    };
    expect(featureSetSpecHash(reordered)).toBe(h);
    const changed: FeatureSetSpec = JSON.parse(JSON.stringify(ofSpec));
    (changed.features[5] as { bucketVolume: number }).bucketVolume = 10_000;
    expect(featureSetSpecHash(changed)).not.toBe(h);
    const renamed: FeatureSetSpec = JSON.parse(JSON.stringify(ofSpec));
    (renamed.features[4] as { levels: number }).levels = 5;
    expect(featureSetSpecHash(renamed)).not.toBe(h);
  });

  it("rejects bad order-flow specs and out-of-order events, naming the feature", () => {
    const one = (f: Record<string, unknown>) =>
      new FeaturePipeline({ name: "x", features: [f as FeatureSetSpec["features"][number]] });
    expect(() => one({ kind: "orderflow", name: "a", metric: "nope" })).toThrow(
      /features\[0\] \(a\): metric must be one of/,
    );
    expect(() => one({ kind: "orderflow", name: "v", metric: "vpin" })).toThrow(
      /features\[0\] \(v\): vpin needs bucketVolume/,
    );
    expect(() => one({ kind: "orderflow", name: "v", metric: "vpin", bucketVolume: 0 })).toThrow(
      /features\[0\] \(v\): vpin: bucketVolume must be a positive integer/,
    );
    expect(() => one({ kind: "orderflow", name: "o", metric: "ofi", levels: 3 })).toThrow(
      /levels is not a parameter of ofi/,
    );
    const p = one({ kind: "orderflow", name: "c", metric: "cvd" });
    p.onTrade(2_000, 100, 5, 1);
    expect(() => p.onTrade(1_000, 100, 5, 1)).toThrow(/trade at 1000 µs is before the previous trade/);
    expect(() => p.onTrade(3_000, 100, -5, 1)).toThrow(/cvd: size -5/);
  });
});
