/**
 * `ml-signal`: trades a model's view of the next bars — a template strategy for ML.
 *
 * On every closed bar of `barType`:
 * 1. the declarative feature set (`features`, see docs/ml.md) advances by one bar — the same
 *    streaming `FeaturePipeline` training used; order-flow features are fed every trade and book
 *    update in between (the strategy subscribes to them only when the set needs them);
 * 2. the model predicts — embedded (the registry's live model, pure-TS, synchronous; the
 *    default) or a KServe v2 / Triton endpoint with the embedded model as fallback
 *    (`inference.kind = "v2"`, paper/live: the order is placed when the answer arrives);
 * 3. the prediction becomes one **score**: P(up) for `signal: "probability"` (a classifier's
 *    probability of the last class, or `upClass`), the expected log return for
 *    `signal: "expected-return"`;
 * 4. thresholds turn the score into orders: flat → long when score >= `longAbove`, short when
 *    score <= `shortBelow` (with `allowShort`); long → close when score < `exitLongBelow`;
 *    short → close when score > `exitShortAbove`. Market orders, sized by `sizing`
 *    (`src/risk/sizing.ts`: fixed, fraction of equity, or fractional Kelly from the
 *    probability), through the execution engine and its risk gate; one order in flight at a time.
 *
 * With `retrain`, the model is retrained walk-forward on a worker thread (every N bars or µs,
 * on the latest window ending at the current bar), registered, run in **shadow** beside the
 * live model and promoted — a hot swap, no restart — when its shadow loss is not worse
 * (`src/ml/live/adaptive-model.ts`). When a model cannot be loaded or its inputs do not match,
 * the strategy keeps trading on its last good model and logs why; without any model it does
 * not trade.
 *
 * Nothing here depends on the mode: the same class runs in backtest, paper and live.
 */
import { z } from "zod";
import type { OrderBook } from "../../data/book/order-book.js";
import { FeaturePipeline, type FeatureSetSpec, featureSetSpecHash } from "../../ml/features/pipeline.js";
import { AdaptiveModel, type RetrainConfig } from "../../ml/live/adaptive-model.js";
import { ModelRegistry } from "../../ml/registry/registry.js";
import type { ShadowRecord } from "../../ml/registry/shadow.js";
import { FallbackPredictor, V2Client } from "../../ml/serving/client.js";
import type { Bar, BarType, OrderBookDeltas, TradeTick } from "../../model/data.js";
import { OrderSide } from "../../model/enums.js";
import type { OrderEvent } from "../../model/events.js";
import type { InstrumentId } from "../../model/identifiers.js";
import type { Quantity } from "../../model/values.js";
import { aggressorOf } from "../../orderflow/common.js";
import { fixedFractional, kellySize } from "../../risk/sizing.js";
import { Strategy, StrategyError } from "../strategy.js";

const sizingSchema = z.discriminatedUnion("kind", [
  /** A fixed quantity (decimal string in the instrument's size increment). */
  z.strictObject({ kind: z.literal("fixed"), size: z.coerce.string() }),
  /** Notional = fraction × equity at the bar close. */
  z.strictObject({ kind: z.literal("fraction"), fraction: z.coerce.string() }),
  /** Fractional Kelly from the probability (signal "probability" only). */
  z.strictObject({
    kind: z.literal("kelly"),
    winLossRatio: z.number().gt(0).default(1),
    fractionOfKelly: z.number().gt(0).max(1).default(0.5),
    cap: z.number().gt(0).max(1).default(1),
  }),
]);

const trainerParams = z.record(z.string(), z.unknown()).optional();

const retrainSchema = z
  .strictObject({
    everyBars: z.number().int().min(1).optional(),
    everyUs: z.number().int().min(1).optional(),
    windowBars: z.number().int().min(2),
    horizon: z.number().int().min(1).default(1),
    model: z.discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("gbdt"), params: trainerParams }),
      z.strictObject({ kind: z.literal("mlp"), params: trainerParams }),
    ]),
    seed: z.number().int().default(1),
    shadowBars: z.number().int().min(1).default(50),
    tolerance: z.number().min(0).default(0),
    applyAfterBars: z.number().int().min(0).default(1),
    blocking: z.boolean().default(true),
    minRows: z.number().int().min(2).default(50),
  })
  .refine((r) => r.everyBars !== undefined || r.everyUs !== undefined, {
    message: "give everyBars or everyUs",
    path: ["everyBars"],
  });

export const mlSignalSchema = z
  .strictObject({
    /** The feature set (validated by the pipeline when the strategy starts). */
    features: z.custom<FeatureSetSpec>(
      (v) => typeof v === "object" && v !== null && Array.isArray((v as { features?: unknown }).features),
      { message: "features must be a feature set { name, features: [...] }" },
    ),
    /** Model registry directory and model name; the strategy trades `name:live` (or `modelRef`). */
    registry: z.string().min(1),
    model: z.string().regex(/^[A-Za-z0-9_.-]+$/),
    modelRef: z.string().optional(),
    signal: z.enum(["probability", "expected-return"]).default("probability"),
    upClass: z.number().int().min(0).optional(),
    longAbove: z.number().default(0.55),
    shortBelow: z.number().default(0.45),
    exitLongBelow: z.number().default(0.5),
    exitShortAbove: z.number().default(0.5),
    allowShort: z.boolean().default(false),
    sizing: sizingSchema.default({ kind: "fixed", size: "1" }),
    inference: z
      .discriminatedUnion("kind", [
        z.strictObject({ kind: z.literal("embedded") }),
        z.strictObject({
          kind: z.literal("v2"),
          url: z.string().url(),
          /** Model name on the server. */
          model: z.string().min(1),
          /** Output tensor to read (default: probabilities / variable of a GBDT, output of an MLP). */
          output: z.string().optional(),
          timeoutMs: z.number().int().min(1).default(50),
          cooldownMs: z.number().int().min(0).default(5000),
        }),
      ])
      .default({ kind: "embedded" }),
    retrain: retrainSchema.optional(),
    /** Re-read the registry's live pointer every this many bars (an operator's promotion; 0 = never). */
    followLiveEveryBars: z.number().int().min(0).default(0),
    /** Bar type to trade (set by the runner). */
    barType: z.string().optional(),
  })
  .refine((p) => p.shortBelow <= p.longAbove, {
    message: "shortBelow must not exceed longAbove",
    path: ["shortBelow"],
  })
  .refine((p) => p.sizing.kind !== "kelly" || p.signal === "probability", {
    message: "kelly sizing needs signal probability",
    path: ["sizing"],
  });

/** What the strategy did with one bar (for reports and tests). */
export interface MlBarRecord {
  timeUs: number;
  ready: boolean;
  score: number | undefined;
  model: string | undefined;
  shadow: string | undefined;
  /** While a retrained candidate runs in shadow: its score for this bar (recorded, never traded). */
  shadowScore?: number;
  /** With v2 inference: the score of the endpoint's (or fallback's) answer, when it arrived in time. */
  remoteScore?: number;
}

export class MlSignal extends Strategy<typeof mlSignalSchema> {
  static override readonly schema = mlSignalSchema;
  private readonly pipeline: FeaturePipeline;
  private model!: AdaptiveModel;
  private registry!: ModelRegistry;
  private remote: FallbackPredictor | undefined;
  private row!: Float64Array;
  private pending = false;
  private bars = 0;
  private latestBarUs = -1;
  private lastShadow: ShadowRecord | undefined;
  /** One entry per closed bar (kept only with `keepRecords`). */
  readonly records: MlBarRecord[] = [];
  /** Every feature vector, row-major (kept only with `keepRecords`; tests compare it offline). */
  readonly featureLog: number[] = [];

  constructor(
    id: string,
    params: unknown,
    private readonly barType: BarType,
    private readonly keepRecords = false,
  ) {
    super(id, params);
    try {
      // Validated at creation, like every other parameter: a bad feature set names the feature.
      this.pipeline = new FeaturePipeline(this.params.features);
    } catch (e) {
      throw new StrategyError(
        "STRATEGY_PARAMS_INVALID",
        `strategy ${id}: parameter "features": ${(e as Error).message}`,
        { strategy: id },
      );
    }
  }

  private get instrumentId(): InstrumentId {
    return this.barType.instrumentId;
  }

  /** With `inference.kind = "v2"`: answers by source (remote / local fallback) and the last fallback reason. */
  get remoteStats(): { remote: number; local: number; lastFallbackReason: string | undefined } | undefined {
    const r = this.remote;
    return r ? { ...r.counts, lastFallbackReason: r.lastFallbackReason } : undefined;
  }

  /** The model side: live model, candidate in shadow, decisions, counters, last error. */
  get adaptive(): AdaptiveModel {
    return this.model;
  }

  protected override onStrategyStart(): void {
    const p = this.params;
    this.row = new Float64Array(this.pipeline.names.length);
    this.registry = new ModelRegistry(p.registry);
    const logger = this.context.logger;
    this.model = new AdaptiveModel({
      registry: this.registry,
      name: p.model,
      featureNames: this.pipeline.names,
      featureSpecHash: featureSetSpecHash(p.features),
      signal: p.signal,
      upClass: p.upClass,
      retrain: p.retrain as RetrainConfig | undefined,
      log: (level, msg, fields) => logger[level]({ component: this.id, ...fields }, msg),
      // Both predictions of every shadow bar go to the log (debug) and the bar record.
      record: (r) => {
        this.lastShadow = r;
        logger.debug(
          {
            component: this.id,
            timeUs: r.timeUs,
            live: Array.from(r.live),
            candidate: r.candidate ? Array.from(r.candidate) : null,
          },
          "shadow prediction",
        );
      },
    });
    // No model yet is not fatal: with retraining the first model is trained from the stream.
    this.model.load(p.modelRef);
    if (p.inference.kind === "v2") {
      const inf = p.inference;
      const kind = this.model.live.currentRecord?.kind;
      const output =
        inf.output ?? (kind === "mlp" ? "output" : p.signal === "probability" ? "probabilities" : "variable");
      this.remote = new FallbackPredictor({
        client: new V2Client({ url: inf.url, timeoutMs: inf.timeoutMs }),
        model: inf.model,
        output,
        cooldownMs: inf.cooldownMs,
        now: () => this.now() / 1000,
        local: (f) => {
          const s = this.model.live.predict(f, new Float64Array(this.model.live.outputs));
          return s;
        },
        onFallback: (reason) =>
          logger.warn({ component: this.id }, `v2 endpoint failed, embedded model answers: ${reason}`),
      });
    }
    if (this.pipeline.needsTrades) {
      this.onTradeAnalytic(this.instrumentId, (t: TradeTick) =>
        this.pipeline.onTrade(t.tsEvent, t.price.raw, t.size.raw, aggressorOf(t.aggressorSide)),
      );
      this.subscribeTrades(this.instrumentId);
    }
    if (this.pipeline.needsBook) this.subscribeBook(this.instrumentId);
    this.subscribeBars(this.barType);
  }

  protected override onStrategyStop(): void {
    this.model.dispose();
    this.registry.close();
  }

  protected override onBook(book: OrderBook, deltas: OrderBookDeltas): void {
    this.pipeline.onBook(deltas.tsEvent, book);
  }

  /** The next decision waits until the last order is done (filled, canceled, denied, ...). */
  protected override onOrderEvent(e: OrderEvent): void {
    const o = this.orders.get(e.clientOrderId);
    if (o === undefined || o.isClosed()) this.pending = false;
  }

  protected override onBar(bar: Bar): void {
    const p = this.params;
    this.pipeline.update({
      time: bar.tsOpen,
      closeTime: bar.tsEvent,
      open: bar.open.toNumber(),
      high: bar.high.toNumber(),
      low: bar.low.toNumber(),
      close: bar.close.toNumber(),
      volume: bar.volume.toNumber(),
    });
    const ready = this.pipeline.read(this.row);
    this.bars++;
    this.latestBarUs = bar.tsEvent;
    if (p.followLiveEveryBars > 0 && this.bars % p.followLiveEveryBars === 0) this.model.followLive();
    const score = this.model.onBar(bar.tsEvent, bar.close.toNumber(), this.row, ready);
    if (this.keepRecords) {
      for (let i = 0; i < this.row.length; i++) this.featureLog.push(this.row[i]);
      const sh = this.lastShadow;
      this.records.push({
        timeUs: bar.tsEvent,
        ready,
        score,
        model: this.model.current,
        shadow: this.model.inShadow,
        shadowScore: sh?.timeUs === bar.tsEvent && sh.candidate ? this.model.score(sh.candidate) : undefined,
      });
    }
    if (this.remote && ready && this.model.current !== undefined) {
      const at = bar.tsEvent;
      const px = bar;
      void this.remote.predict(Float32Array.from(this.row)).then(
        (r) => {
          // Act only on the answer for the latest bar; a late answer is dropped (fail closed).
          if (at !== this.latestBarUs || !this.isRunning) return;
          const sc = this.model.score(r.values);
          if (this.keepRecords) this.records[this.records.length - 1].remoteScore = sc;
          this.act(sc, px);
        },
        () => {},
      );
      return;
    }
    if (score !== undefined) this.act(score, bar);
  }

  /** Turns a score into at most one order. */
  private act(score: number, bar: Bar): void {
    if (this.pending) return;
    const p = this.params;
    const pos = this.positionRaw(this.instrumentId);
    let side: OrderSide | null = null;
    if ((pos > 0 && score < p.exitLongBelow) || (pos < 0 && score > p.exitShortAbove)) {
      // Set before submitting: a denial arrives synchronously, inside the call, and clears it.
      this.pending = true;
      if (this.closePosition(this.instrumentId) === null) this.pending = false;
      return;
    }
    if (pos !== 0) return;
    if (score >= p.longAbove) side = OrderSide.Buy;
    else if (p.allowShort && score <= p.shortBelow) side = OrderSide.Sell;
    if (side === null) return;
    const qty = this.size(score, side, bar);
    if (typeof qty !== "string" && qty.raw <= 0) return; // sized to zero (equity, Kelly <= 0)
    this.pending = true;
    this.market(this.instrumentId, side, qty);
  }

  private size(score: number, side: OrderSide, bar: Bar): Quantity | string {
    const s = this.params.sizing;
    if (s.kind === "fixed") return s.size;
    const inst = this.instrument(this.instrumentId);
    const price =
      bar.close.precision === inst.pricePrecision ? bar.close : inst.makePrice(bar.close.toString());
    const equity = this.portfolio.totalEquity();
    if (s.kind === "fraction") return fixedFractional(inst, equity, s.fraction, price);
    const pWin = side === OrderSide.Buy ? score : 1 - score;
    return kellySize(
      inst,
      equity,
      Math.min(1, Math.max(0, pWin)),
      s.winLossRatio,
      price,
      s.fractionOfKelly,
      s.cap,
    );
  }
}
