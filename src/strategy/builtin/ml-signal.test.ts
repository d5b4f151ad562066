/**
 * The `ml-signal` strategy in the backtest engine on real candles (Nautilus BTC-PERP 1-minute,
 * 2022-01), with models trained in the test on the first part of the data.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BacktestConfig, BacktestEngine } from "../../backtest/engine.js";
import { readMarketData } from "../../data/files/index.js";
import {
  type BarInput,
  computeFeatures,
  computeFeaturesFromEvents,
  type FeatureEvent,
  type FeatureSetSpec,
  featureSetSpecHash,
} from "../../ml/features/pipeline.js";
import { forwardReturns } from "../../ml/labels/labels.js";
import { exportGbdt } from "../../ml/onnx/export.js";
import { ModelRegistry } from "../../ml/registry/registry.js";
import { startV2Server } from "../../ml/serving/server.js";
import { GbdtEvaluator, type GbdtModel, trainGbdt } from "../../ml/train/gbdt.js";
import { currency } from "../../model/currency.js";
import {
  AggregationSource,
  type Bar,
  BarAggregation,
  BarSpecification,
  BarType,
  type TradeTick,
} from "../../model/data.js";
import { AccountType, OrderSide, OrderStatus, PriceType } from "../../model/enums.js";
import { AccountId, InstrumentId } from "../../model/identifiers.js";
import { btcUsdtPerp } from "../../model/testing.js";
import { aggressorOf } from "../../orderflow/common.js";
import { builtinStrategy } from "./index.js";
import { MlSignal } from "./ml-signal.js";

const CANDLES = fileURLToPath(
  new URL("../../../../shared/data/ohlcv/nautilus_BTC-PERP_1m_2021-12-31_2022-02-01.csv", import.meta.url),
);
const ID = InstrumentId.parse("BTC-PERP.UNKNOWN");
const PERP = btcUsdtPerp(ID, { priceIncrement: "0.01", marginInit: "0.1", marginMaint: "0.05" });

const SPEC: FeatureSetSpec = {
  name: "btc-1m",
  features: [
    { kind: "return", name: "ret_1", bars: 1 },
    { kind: "return", name: "ret_5", bars: 5 },
    { kind: "return", name: "ret_15", bars: 15 },
    { kind: "indicator", name: "rsi_14", indicator: "rsi", params: { period: 14 } },
    { kind: "rolling", name: "vol_20", of: "ret_1", window: 20, stat: "std" },
    { kind: "rolling", name: "close_z30", of: "close", window: 30, stat: "zscore" },
    { kind: "rolling", name: "volume_z30", of: "volume", window: 30, stat: "zscore" },
    { kind: "lag", name: "ret_1_lag1", of: "ret_1", bars: 1 },
    { kind: "time", name: "hour_sin", part: "hour_sin" },
    { kind: "time", name: "hour_cos", part: "hour_cos" },
  ],
};
const TRAIN_BARS = 2000;
const TRADE_BARS = 1500;
const HORIZON = 5;

function toInput(b: Bar): BarInput {
  return {
    time: b.tsOpen,
    closeTime: b.tsEvent,
    open: b.open.toNumber(),
    high: b.high.toNumber(),
    low: b.low.toNumber(),
    close: b.close.toNumber(),
    volume: b.volume.toNumber(),
  };
}

/** Trains a binary GBDT on "close up after HORIZON bars" over the given bars (offline path). */
function trainOn(bars: BarInput[], seed = 1): GbdtModel {
  const { x, ready, names } = computeFeatures(SPEC, bars);
  const fr = forwardReturns(
    bars.map((b) => b.close),
    HORIZON,
  );
  const cols = names.length;
  const rows: number[] = [];
  for (let t = 0; t < bars.length; t++) if (ready[t] && Number.isFinite(fr[t])) rows.push(t);
  const X = new Float32Array(rows.length * cols);
  const y = new Float64Array(rows.length);
  rows.forEach((t, i) => {
    X.set(x.subarray(t * cols, (t + 1) * cols), i * cols);
    y[i] = fr[t] > 0 ? 1 : 0;
  });
  return trainGbdt(
    { x: X, y, rows: rows.length, cols, featureNames: names },
    { objective: "binary", rounds: 30, maxDepth: 3, learningRate: 0.1, seed },
  );
}

function engine(extra: Partial<BacktestConfig> = {}) {
  return new BacktestEngine({
    venues: [
      {
        name: "UNKNOWN",
        accountType: "margin",
        startingBalances: ["100000 USDT"],
        fillModel: "bars",
        leverage: 5,
      },
    ],
    instruments: [PERP],
    seed: 7,
    ...extra,
  });
}

describe("ml-signal strategy on real candles", () => {
  let all: Bar[];
  let dir: string;
  let registryDir: string;
  let model: GbdtModel;

  beforeAll(async () => {
    all = [];
    for await (const rec of readMarketData([CANDLES])) {
      all.push(rec.data as Bar);
      if (all.length >= TRAIN_BARS + TRADE_BARS) break;
    }
    dir = mkdtempSync(join(tmpdir(), "ml-signal-"));
    registryDir = join(dir, "registry");
    model = trainOn(all.slice(0, TRAIN_BARS).map(toInput));
    const reg = new ModelRegistry(registryDir);
    const rec = reg.register(
      "btc",
      exportGbdt(model),
      {
        featureSet: SPEC.features.map((f) => f.name),
        featureSpecHash: featureSetSpecHash(SPEC),
        metrics: { accuracy: 0.5 },
        trainWindow: { startUs: all[0].tsOpen, endUs: all[TRAIN_BARS - 1].tsEvent },
      },
      model,
    );
    reg.setLive(`${rec.name}:${rec.version}`);
    reg.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const params = (extra: Record<string, unknown> = {}) => ({
    features: SPEC,
    registry: registryDir,
    model: "btc",
    longAbove: 0.53,
    exitLongBelow: 0.5,
    shortBelow: 0.47,
    exitShortAbove: 0.5,
    allowShort: true,
    sizing: { kind: "fixed", size: "0.010" },
    ...extra,
  });

  it("streams the same features as the offline pipeline, predicts with the registry model and trades on the thresholds", async () => {
    const trade = all.slice(TRAIN_BARS);
    const e = engine();
    const s = new MlSignal("ML-1", params(), trade[0].barType, true);
    e.addStrategy(s);
    const r = await e.run(trade);
    // Features: bit-identical to the offline computation over the same bars.
    const offline = computeFeatures(SPEC, trade.map(toInput));
    expect(s.featureLog.length).toBe(offline.x.length);
    for (let i = 0; i < offline.x.length; i++) expect(Object.is(s.featureLog[i], offline.x[i])).toBe(true);
    // Predictions: the model's P(up) on the offline vectors, for every ready bar.
    const ev = new GbdtEvaluator(model);
    const out = new Float64Array(2);
    const cols = offline.names.length;
    let scored = 0;
    s.records.forEach((rec, t) => {
      expect(rec.ready).toBe(offline.ready[t] === 1);
      if (!rec.ready) {
        expect(rec.score).toBeUndefined();
        return;
      }
      ev.predict(offline.x.subarray(t * cols, (t + 1) * cols), out);
      expect(rec.score).toBe(out[1]);
      expect(rec.model).toBe("btc:1");
      scored++;
    });
    expect(scored).toBeGreaterThan(TRADE_BARS - 40);
    // Orders: every entry was decided on a bar whose score crossed a threshold while flat.
    const byTime = new Map(s.records.map((x) => [x.timeUs, x.score]));
    expect(r.orders.length).toBeGreaterThan(4);
    let entries = 0;
    let pos = 0;
    for (const o of r.orders) {
      const sc = byTime.get(o.tsInit);
      expect(sc).toBeDefined();
      if (pos === 0) {
        if (o.side === OrderSide.Buy) expect(sc!).toBeGreaterThanOrEqual(0.53);
        else expect(sc!).toBeLessThanOrEqual(0.47);
        pos = o.side === OrderSide.Buy ? 1 : -1;
        entries++;
      } else {
        if (pos > 0) expect(sc!).toBeLessThan(0.5);
        else expect(sc!).toBeGreaterThan(0.5);
        pos = 0;
      }
    }
    expect(entries).toBeGreaterThan(2);
    expect(r.fills.length).toBe(r.orders.length);
  });

  it("sizes by fraction of equity and goes through the risk engine (orders over the notional limit are denied)", async () => {
    const trade = all.slice(TRAIN_BARS, TRAIN_BARS + 400);
    const e = engine({
      risk: {
        accounts: [
          {
            accountId: new AccountId("UNKNOWN-001"),
            venue: "UNKNOWN",
            type: AccountType.Margin,
            currency: currency("USDT"),
            startingEquity: "100000",
            maxOrderNotional: "1000",
          },
        ],
      },
    });
    // 5 % of 100,000 USDT ≈ 5,000 USDT per order > the 1,000 USDT limit.
    const s = new MlSignal(
      "ML-2",
      params({ sizing: { kind: "fraction", fraction: "0.05" } }),
      trade[0].barType,
    );
    e.addStrategy(s);
    const r = await e.run(trade);
    // Every entry was denied; a denial ends the order, so the strategy tried again on later bars.
    expect(r.orders.length).toBeGreaterThan(1);
    expect(r.orders.every((o) => o.status === OrderStatus.Denied)).toBe(true);
    expect(r.fills.length).toBe(0);
    const first = r.orders[0];
    // qty = floor(5000 / close, 0.001): fixed-fractional sizing from src/risk/sizing.ts
    expect(first.quantity.toNumber()).toBeGreaterThan(0.09);
    expect(first.quantity.toNumber()).toBeLessThan(0.15);
  });

  it("is registered as a built-in, and rejects bad parameters naming them", () => {
    const b = builtinStrategy("ml-signal");
    expect(b.data).toBe("bars");
    const bt = all[0].barType;
    expect(b.create("X", params(), bt)).toBeInstanceOf(MlSignal);
    expect(() => new MlSignal("X", params({ features: { name: "f", features: [] } }), bt)).toThrow(
      /parameter "features": feature set f: no features/,
    );
    expect(() => new MlSignal("X", params({ longAbove: 0.4, shortBelow: 0.6 }), bt)).toThrow(/shortBelow/);
    expect(
      () => new MlSignal("X", params({ sizing: { kind: "kelly" }, signal: "expected-return" }), bt),
    ).toThrow(/kelly sizing needs signal probability/);
    expect(
      () => new MlSignal("X", params({ retrain: { windowBars: 100, model: { kind: "gbdt" } } }), bt),
    ).toThrow(/everyBars or everyUs/);
  });

  it("a model whose inputs do not match is refused: the strategy keeps its last good model and says why", async () => {
    // Register a model on another definition of the same feature names as btc:2 and make it live.
    const other: FeatureSetSpec = JSON.parse(JSON.stringify(SPEC));
    (other.features[3] as unknown as { params: { period: number } }).params.period = 21;
    const reg = new ModelRegistry(registryDir);
    const bad = reg.register(
      "btc",
      exportGbdt(model),
      {
        featureSet: SPEC.features.map((f) => f.name),
        featureSpecHash: featureSetSpecHash(other),
        metrics: { accuracy: 0.5 },
        parent: "btc:1",
      },
      model,
    );
    const trade = all.slice(TRAIN_BARS, TRAIN_BARS + 300);
    const e = engine();
    // Start on btc:1 explicitly, then re-read the live pointer every 50 bars.
    const s = new MlSignal(
      "ML-3",
      params({ modelRef: "btc:1", followLiveEveryBars: 50 }),
      trade[0].barType,
      true,
    );
    e.addStrategy(s);
    reg.setLive(`btc:${bad.version}`);
    await e.run(trade);
    reg.setLive("btc:1");
    reg.close();
    expect(s.adaptive.current).toBe("btc:1");
    expect(s.adaptive.lastError).toMatch(
      /staying on btc:1: btc:2 was trained on another definition of these features/,
    );
    expect(s.records.filter((x) => x.score !== undefined).length).toBeGreaterThan(250); // never stopped predicting
    // Without any loadable model the strategy does not trade and says why.
    const e2 = engine();
    const s2 = new MlSignal("ML-4", params({ model: "nope" }), trade[0].barType);
    e2.addStrategy(s2);
    const r2 = await e2.run(trade);
    expect(r2.orders.length).toBe(0);
    expect(s2.adaptive.lastError).toMatch(/model nope:live not loaded: nope has no live version/);
  });

  it("retrains walk-forward inside a backtest: shadow, promotion, hot swap mid-run, deterministic with a seed", async () => {
    const trade = all.slice(0, 2400);
    const once = async (tag: string) => {
      const e = engine();
      const s = new MlSignal(
        `ML-R-${tag}`,
        params({
          registry: join(dir, `retrain-${tag}`),
          model: "btc-wf",
          retrain: {
            everyBars: 300,
            windowBars: 400,
            horizon: 5,
            model: { kind: "gbdt", params: { rounds: 15, maxDepth: 3 } },
            seed: 5,
            shadowBars: 100,
          },
        }),
        trade[0].barType,
        true,
      );
      e.addStrategy(s);
      const r = await e.run(trade);
      return { s, r };
    };
    const a = await once("a");
    const b = await once("b");
    const models = [...new Set(a.s.records.map((x) => x.model).filter((m) => m !== undefined))];
    const d = a.s.adaptive.decisions;
    expect(d[0].outcome).toBe("bootstrapped");
    expect(d.length).toBeGreaterThanOrEqual(3);
    expect(models.length).toBe(1 + d.filter((x) => x.outcome === "promoted").length);
    // Candidates ran in shadow (recorded beside the live model) before any decision.
    const shadowBars = a.s.records.filter((x) => x.shadow !== undefined);
    expect(shadowBars.length).toBeGreaterThan(100);
    for (const x of shadowBars) if (x.score !== undefined) expect(x.shadowScore).toBeDefined();
    expect(shadowBars.some((x) => x.shadowScore !== x.score)).toBe(true); // both recorded, only `score` traded
    // No trading before the first model existed; trading after it.
    const firstModelAt = a.s.records.find((x) => x.model !== undefined)!.timeUs;
    expect(a.r.orders.length).toBeGreaterThan(0);
    for (const o of a.r.orders) expect(o.tsInit).toBeGreaterThanOrEqual(firstModelAt);
    // Same data, same seed: same decisions, scores and orders.
    expect(b.s.adaptive.decisions).toEqual(d);
    expect(b.s.records.map((x) => x.score)).toEqual(a.s.records.map((x) => x.score));
    expect(b.r.orders.map((o) => [o.tsInit, o.side, o.quantity.toString()])).toEqual(
      a.r.orders.map((o) => [o.tsInit, o.side, o.quantity.toString()]),
    );
  });

  it("v2 inference: predictions come from a KServe v2 endpoint over HTTP; a dead endpoint falls back to the embedded model and says why", async () => {
    const trade = all.slice(TRAIN_BARS, TRAIN_BARS + 60);
    const server = await startV2Server({
      port: 0,
      host: "127.0.0.1",
      models: [{ name: "btc", source: exportGbdt(model) }],
      logger: false,
    });
    /**
     * Replays the bars as live data arrives: after each bar, the next one comes once the answer
     * for it has landed (bounded wait; no timing threshold is asserted).
     */
    let current: MlSignal | undefined;
    async function* paced() {
      for (const b of trade) {
        yield b;
        for (let i = 0; i < 2500; i++) {
          const last = current?.records.at(-1);
          if (last === undefined || !last.ready || last.remoteScore !== undefined) break;
          await new Promise((r) => setTimeout(r, 2));
        }
      }
    }
    try {
      const e = engine();
      const inference = { kind: "v2", url: server.url, model: "btc", timeoutMs: 2000 };
      const s = new MlSignal(
        "ML-V2",
        params({ inference, longAbove: 0.5, exitLongBelow: 0.5 }),
        trade[0].barType,
        true,
      );
      current = s;
      e.addStrategy(s);
      const r = await e.run(paced());
      const st = s.remoteStats!;
      expect(st.remote).toBeGreaterThan(30);
      expect(st.local).toBe(0);
      expect(r.orders.length).toBeGreaterThan(0);
      // Each order was decided from the remote answer for its bar, within float32 of the embedded score.
      const byTime = new Map(s.records.map((x) => [x.timeUs, x.remoteScore]));
      for (const o of r.orders) expect(byTime.get(o.tsInit)).toBeDefined();
      let compared = 0;
      for (const x of s.records)
        if (x.remoteScore !== undefined && x.score !== undefined) {
          expect(Math.abs(x.remoteScore - x.score)).toBeLessThan(1e-6);
          compared++;
        }
      expect(compared).toBe(s.records.filter((x) => x.score !== undefined).length);
      expect(compared).toBeGreaterThan(30);
    } finally {
      await server.close();
    }
    // A port nothing listens on: the embedded model answers, the reason is kept.
    const e2 = engine();
    const dead = { kind: "v2", url: "http://127.0.0.1:9", model: "btc", timeoutMs: 200 };
    const s2 = new MlSignal("ML-V2-DEAD", params({ inference: dead }), trade[0].barType, true);
    current = s2;
    e2.addStrategy(s2);
    await e2.run(paced());
    const st2 = s2.remoteStats!;
    expect(st2.local).toBeGreaterThan(30);
    expect(st2.lastFallbackReason).toMatch(/ECONNREFUSED|connect/);
  });

  it("order-flow features in a backtest on real trades: bars built from the trades, the same values as offline", async () => {
    const TRADES = fileURLToPath(
      new URL("../../../../shared/data/trades/binance-usdm_BTCUSDT_trades_2024-08-08.csv", import.meta.url),
    );
    const BN = InstrumentId.parse("BTCUSDT-PERP.BINANCE");
    const perp = btcUsdtPerp(BN, { marginInit: "0.1", marginMaint: "0.05" });
    const trades: TradeTick[] = [];
    for await (const rec of readMarketData([TRADES], { instrument: BN.value }))
      trades.push(rec.data as TradeTick);
    const spec: FeatureSetSpec = {
      name: "of-bt",
      features: [
        { kind: "orderflow", name: "cvd", metric: "cvd" },
        { kind: "orderflow", name: "delta", metric: "bar_delta" },
        { kind: "orderflow", name: "vpin", metric: "vpin", bucketVolume: 20_000, window: 5 },
        { kind: "orderflow", name: "kyle", metric: "kyle_lambda", intervalUs: 1_000_000, window: 10 },
        { kind: "orderflow", name: "intensity", metric: "trade_intensity", halfLifeUs: 2_000_000 },
        { kind: "rolling", name: "delta_mean_3", of: "delta", window: 3, stat: "mean" },
      ],
    };
    const bt = new BarType(
      BN,
      new BarSpecification(5, BarAggregation.Second, PriceType.Last),
      AggregationSource.Internal,
    );
    // A first pass collects the bars the engine builds; the model is trained on their offline features.
    const run = async (regDir: string) => {
      const e = new BacktestEngine({
        venues: [
          {
            name: "BINANCE",
            accountType: "margin",
            startingBalances: ["100000 USDT"],
            fillModel: "trades",
            leverage: 5,
          },
        ],
        instruments: [perp],
      });
      const s = new MlSignal(
        "ML-OF",
        params({ features: spec, registry: regDir, model: "of", sizing: { kind: "fixed", size: "0.001" } }),
        bt,
        true,
      );
      e.addStrategy(s);
      await e.run(trades);
      return s;
    };
    const first = await run(join(dir, "of-none"));
    expect(first.adaptive.current).toBeUndefined(); // no model registered there: no predictions, no orders
    const closes = first.records.map((r) => r.timeUs);
    expect(closes.length).toBeGreaterThan(60);
    // Offline: the trades with a bar event before the first trade at or after each bar's close.
    // Only order-flow features: the bar events carry their times (prices are not read).
    const barAt = (k: number): FeatureEvent => ({
      kind: "bar",
      bar: {
        time: closes[k] - 5_000_000,
        closeTime: closes[k],
        open: 0,
        high: 0,
        low: 0,
        close: 0,
        volume: 0,
      },
    });
    function* events(): Generator<FeatureEvent> {
      let k = 0;
      for (const t of trades) {
        while (k < closes.length && t.tsEvent >= closes[k]) yield barAt(k++);
        yield {
          kind: "trade",
          ts: t.tsEvent,
          priceRaw: t.price.raw,
          sizeRaw: t.size.raw,
          side: aggressorOf(t.aggressorSide),
        };
      }
      while (k < closes.length) yield barAt(k++);
    }
    const offline = computeFeaturesFromEvents(spec, events());
    expect(first.featureLog.length).toBe(offline.x.length);
    for (let i = 0; i < offline.x.length; i++)
      expect(Object.is(first.featureLog[i], offline.x[i])).toBe(true);
    // Train on those offline rows (label: next bar's delta sign, enough for a model), register, trade.
    const cols = spec.features.length;
    const rows: number[] = [];
    for (let t = 0; t + 1 < offline.ready.length; t++) if (offline.ready[t]) rows.push(t);
    const X = new Float32Array(rows.length * cols);
    const y = new Float64Array(rows.length);
    rows.forEach((t, i) => {
      X.set(offline.x.subarray(t * cols, (t + 1) * cols), i * cols);
      y[i] = offline.x[(t + 1) * cols + 1] > 0 ? 1 : 0;
    });
    const m = trainGbdt(
      { x: X, y, rows: rows.length, cols, featureNames: offline.names },
      { objective: "binary", rounds: 5, maxDepth: 2, minSamplesLeaf: 3 },
    );
    const regDir = join(dir, "of-reg");
    const reg = new ModelRegistry(regDir);
    reg.register(
      "of",
      exportGbdt(m),
      { featureSet: offline.names, featureSpecHash: featureSetSpecHash(spec), metrics: {} },
      m,
    );
    reg.setLive("of:1");
    reg.close();
    const second = await run(regDir);
    expect(second.adaptive.current).toBe("of:1");
    const ev = new GbdtEvaluator(m);
    const out = new Float64Array(2);
    let n = 0;
    second.records.forEach((r, t) => {
      if (!r.ready) return;
      ev.predict(offline.x.subarray(t * cols, (t + 1) * cols), out);
      expect(r.score).toBe(out[1]);
      n++;
    });
    expect(n).toBeGreaterThan(40);
  });
});
