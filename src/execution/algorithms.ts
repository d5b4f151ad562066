/**
 * Execution algorithms: TWAP, VWAP participation and iceberg. Each works a large parent
 * quantity as a series of child orders submitted through the execution engine (so every child
 * passes the pre-trade risk checks), driven by the kernel clock's timers and, for VWAP, by the
 * trade prints on the bus. All of it is synchronous. Any algorithm can be canceled mid-run:
 * its timer stops and its working children are canceled.
 *
 * Lifecycle (explicit table {@link ALGO_TRANSITIONS}):
 * RUNNING → COMPLETED (all filled) | EXHAUSTED (schedule over, not all filled) | CANCELED |
 * FAILED (a child was denied or rejected: the algorithm stops and cancels its other children).
 */
import type { Clock } from "../core/clock.js";
import { OrderSide, OrderType, TimeInForce } from "../model/enums.js";
import { BotV6Error } from "../model/errors.js";
import { ClientOrderId, type InstrumentId, type StrategyId } from "../model/identifiers.js";
import type { OrderEvent, TradeTick } from "../model/index.js";
import { createOrder, type Order } from "../model/orders.js";
import { type Price, Quantity } from "../model/values.js";
import type { ExecutionEngine } from "./engine.js";

export enum AlgoStatus {
  Running = "RUNNING",
  Completed = "COMPLETED",
  Exhausted = "EXHAUSTED",
  Canceled = "CANCELED",
  Failed = "FAILED",
}

export type AlgoAction = "complete" | "exhaust" | "cancel" | "fail";

export const ALGO_TRANSITIONS: ReadonlyMap<AlgoStatus, ReadonlyMap<AlgoAction, AlgoStatus>> = new Map([
  [
    AlgoStatus.Running,
    new Map<AlgoAction, AlgoStatus>([
      ["complete", AlgoStatus.Completed],
      ["exhaust", AlgoStatus.Exhausted],
      ["cancel", AlgoStatus.Canceled],
      ["fail", AlgoStatus.Failed],
    ]),
  ],
  [AlgoStatus.Completed, new Map()],
  [AlgoStatus.Exhausted, new Map()],
  [AlgoStatus.Canceled, new Map()],
  [AlgoStatus.Failed, new Map()],
]);

export class AlgoError extends BotV6Error {}

/** What every algorithm works: a side and a total quantity of one instrument. */
export interface AlgoSpec {
  algoId: string;
  strategyId: StrategyId;
  instrumentId: InstrumentId;
  side: OrderSide;
  quantity: Quantity;
  /** Children are LIMIT orders at this price if given, otherwise MARKET (IOC). */
  limitPrice?: Price | null;
  reduceOnly?: boolean;
}

/** Services an algorithm needs from the node. */
export interface AlgoContext {
  readonly engine: ExecutionEngine;
  readonly clock: Clock;
  subscribe(topic: string, handler: (message: never) => void): void;
  unsubscribe(topic: string, handler: (message: never) => void): void;
}

/** Runs algorithms: routes child order events to their algorithm. */
export class AlgorithmHost {
  private readonly byChild = new Map<string, ExecAlgorithm>();
  private readonly algos = new Map<string, ExecAlgorithm>();

  constructor(readonly ctx: AlgoContext) {
    ctx.engine.onEvent((e, o) => {
      const a = this.byChild.get(o.clientOrderId.value);
      if (a !== undefined) a.onChildEvent(e, o);
    });
  }

  start(algo: ExecAlgorithm): ExecAlgorithm {
    if (this.algos.has(algo.spec.algoId)) {
      throw new AlgoError("ALGO_ID_DUPLICATE", `algorithm id ${algo.spec.algoId} is already used`, {
        algoId: algo.spec.algoId,
      });
    }
    this.algos.set(algo.spec.algoId, algo);
    algo.attach(this.ctx, (child) => this.byChild.set(child.clientOrderId.value, algo));
    return algo;
  }

  get(algoId: string): ExecAlgorithm | undefined {
    return this.algos.get(algoId);
  }

  /** Cancels a running algorithm; false if unknown or already finished. */
  cancel(algoId: string): boolean {
    const a = this.algos.get(algoId);
    if (a === undefined || a.status !== AlgoStatus.Running) return false;
    a.cancel();
    return true;
  }
}

export abstract class ExecAlgorithm {
  readonly spec: AlgoSpec;
  status = AlgoStatus.Running;
  /** Why the algorithm finished, when it did. */
  finishReason = "";
  readonly children: Order[] = [];
  protected ctx!: AlgoContext;
  private register!: (child: Order) => void;
  private seq = 0;
  protected incRaw = 1;
  protected minRaw = 0;

  constructor(spec: AlgoSpec) {
    if (!(spec.quantity instanceof Quantity) || spec.quantity.raw <= 0) {
      throw new AlgoError("ALGO_INVALID", `algorithm ${spec.algoId}: quantity must be positive`, {
        algoId: spec.algoId,
      });
    }
    if (spec.side !== OrderSide.Buy && spec.side !== OrderSide.Sell) {
      throw new AlgoError("ALGO_INVALID", `algorithm ${spec.algoId}: side ${String(spec.side)} is invalid`, {
        algoId: spec.algoId,
      });
    }
    this.spec = spec;
  }

  /** Called by the host. */
  attach(ctx: AlgoContext, register: (child: Order) => void): void {
    this.ctx = ctx;
    this.register = register;
    const inst = ctx.engine.instruments.get(this.spec.instrumentId);
    this.incRaw = inst?.sizeIncrement.raw ?? 1;
    this.minRaw = inst?.minQuantity?.raw ?? 0;
    this.onStart();
  }

  get filledRaw(): number {
    let n = 0;
    for (const c of this.children) n += c.filledQty.raw;
    return n;
  }

  /** Quantity not yet filled and not working in an open child. */
  get unassignedRaw(): number {
    let used = 0;
    for (const c of this.children) used += c.isClosed() ? c.filledQty.raw : c.quantity.raw;
    return this.spec.quantity.raw - used;
  }

  get workingChildren(): Order[] {
    return this.children.filter((c) => !c.isClosed());
  }

  cancel(): void {
    this.finish("cancel", "canceled by request");
  }

  onChildEvent(event: OrderEvent, _order: Order): void {
    if (this.status !== AlgoStatus.Running) return;
    if (event.type === "OrderDenied" || event.type === "OrderRejected") {
      this.finish(
        "fail",
        `child ${event.clientOrderId} ${event.type === "OrderDenied" ? "denied" : "rejected"}: ${event.reasonCode}`,
      );
      return;
    }
    if (this.filledRaw >= this.spec.quantity.raw) {
      this.finish("complete", "fully filled");
      return;
    }
    this.onChildUpdate(event);
  }

  protected onStart(): void {}
  protected onChildUpdate(_event: OrderEvent): void {}
  protected onFinish(): void {}

  /** Rounds down to the size increment. */
  protected roundDown(raw: number): number {
    return raw - (raw % this.incRaw);
  }

  /** Submits a child of `raw` quantity (if >= the instrument minimum); returns it or null. */
  protected sendChild(raw: number, price: Price | null = this.spec.limitPrice ?? null): Order | null {
    if (raw <= 0 || raw < this.minRaw || this.status !== AlgoStatus.Running) return null;
    const s = this.spec;
    const now = this.ctx.clock.timestampUs();
    const order = createOrder({
      strategyId: s.strategyId,
      instrumentId: s.instrumentId,
      clientOrderId: new ClientOrderId(`${s.algoId}-${++this.seq}`),
      side: s.side,
      type: price === null ? OrderType.Market : OrderType.Limit,
      quantity: Quantity.fromRaw(raw, s.quantity.precision),
      price,
      timeInForce: price === null ? TimeInForce.IOC : TimeInForce.GTC,
      reduceOnly: s.reduceOnly ?? false,
      tags: [`algo:${s.algoId}`],
      tsInit: now,
    });
    this.children.push(order);
    this.register(order);
    this.ctx.engine.execute({
      type: "SubmitOrder",
      commandId: `${s.algoId}-cmd-${this.seq}`,
      strategyId: s.strategyId,
      instrumentId: s.instrumentId,
      tsInit: now,
      order,
      positionId: null,
    });
    return order;
  }

  protected finish(action: AlgoAction, reason: string): void {
    const next = ALGO_TRANSITIONS.get(this.status)?.get(action);
    if (next === undefined) return;
    this.status = next;
    this.finishReason = reason;
    this.onFinish();
    if (action !== "complete")
      for (const c of this.children) if (!c.isClosed()) this.ctx.engine.cancelOrder(c);
  }
}

/** TWAP: the quantity in `slices` equal parts, one every `horizonUs / slices`, the first at once. */
export class TwapAlgorithm extends ExecAlgorithm {
  private slicesLeft: number;
  private readonly intervalUs: number;
  private timerName = "";

  constructor(spec: AlgoSpec, horizonUs: number, slices: number) {
    super(spec);
    if (!Number.isSafeInteger(horizonUs) || horizonUs <= 0 || !Number.isSafeInteger(slices) || slices <= 0) {
      throw new AlgoError(
        "ALGO_INVALID",
        `TWAP ${spec.algoId}: horizon and slices must be positive integers`,
        {
          algoId: spec.algoId,
        },
      );
    }
    this.slicesLeft = slices;
    this.intervalUs = Math.max(1, Math.floor(horizonUs / slices));
  }

  protected override onStart(): void {
    this.timerName = `algo:${this.spec.algoId}`;
    this.slice();
    if (this.status === AlgoStatus.Running && this.slicesLeft > 0) {
      this.ctx.clock.setTimer(this.timerName, this.intervalUs, () => this.slice());
    }
  }

  private slice(): void {
    if (this.status !== AlgoStatus.Running) return;
    if (this.slicesLeft <= 0) {
      this.checkDone();
      return;
    }
    const remaining = this.unassignedRaw;
    const qty = this.slicesLeft === 1 ? remaining : this.roundDown(Math.floor(remaining / this.slicesLeft));
    this.slicesLeft--;
    this.sendChild(qty);
    if (this.slicesLeft === 0) {
      this.ctx.clock.cancelTimer(this.timerName);
      this.checkDone();
    }
  }

  protected override onChildUpdate(): void {
    if (this.slicesLeft === 0) this.checkDone();
  }

  private checkDone(): void {
    if (this.status !== AlgoStatus.Running || this.workingChildren.length > 0) return;
    if (this.filledRaw >= this.spec.quantity.raw) this.finish("complete", "fully filled");
    else this.finish("exhaust", `schedule over with ${this.spec.quantity.raw - this.filledRaw} raw unfilled`);
  }

  protected override onFinish(): void {
    this.ctx.clock.cancelTimer(this.timerName);
  }
}

/**
 * VWAP participation: every `intervalUs` it sends `participationBps` / 10 000 of the market
 * volume traded since the last interval (trade prints on the bus), until filled or `endTime`.
 */
export class VwapParticipationAlgorithm extends ExecAlgorithm {
  private volumeRaw = 0;
  private timerName = "";
  private readonly handler = (t: TradeTick) => {
    // Trade sizes are at the instrument's size precision.
    this.volumeRaw += t.size.raw;
  };

  constructor(
    spec: AlgoSpec,
    readonly participationBps: number,
    readonly intervalUs: number,
    readonly endTime: number,
  ) {
    super(spec);
    if (!Number.isSafeInteger(participationBps) || participationBps <= 0 || participationBps > 10_000) {
      throw new AlgoError("ALGO_INVALID", `VWAP ${spec.algoId}: participationBps must be in 1..10000`, {
        algoId: spec.algoId,
      });
    }
    if (!Number.isSafeInteger(intervalUs) || intervalUs <= 0 || !Number.isSafeInteger(endTime)) {
      throw new AlgoError("ALGO_INVALID", `VWAP ${spec.algoId}: interval and end time must be integers`, {
        algoId: spec.algoId,
      });
    }
  }

  protected override onStart(): void {
    this.timerName = `algo:${this.spec.algoId}`;
    this.ctx.subscribe(`data.trades.${this.spec.instrumentId.value}`, this.handler as (m: never) => void);
    this.ctx.clock.setTimer(this.timerName, this.intervalUs, (e) => this.tick(e.tsEvent));
  }

  private tick(now: number): void {
    if (this.status !== AlgoStatus.Running) return;
    const want = this.roundDown(Math.floor((this.volumeRaw * this.participationBps) / 10_000));
    const qty = Math.min(want, this.unassignedRaw);
    if (qty > 0 && this.sendChild(qty) !== null) this.volumeRaw = 0;
    if (now >= this.endTime && this.status === AlgoStatus.Running) {
      this.finish("exhaust", "end time reached");
    }
  }

  protected override onFinish(): void {
    this.ctx.clock.cancelTimer(this.timerName);
    this.ctx.unsubscribe(`data.trades.${this.spec.instrumentId.value}`, this.handler as (m: never) => void);
  }
}

/** Iceberg: one LIMIT child of at most `displayQty` at a time; the next when it has filled. */
export class IcebergAlgorithm extends ExecAlgorithm {
  constructor(
    spec: AlgoSpec,
    readonly displayQty: Quantity,
  ) {
    super(spec);
    if (spec.limitPrice == null) {
      throw new AlgoError("ALGO_INVALID", `iceberg ${spec.algoId}: a limit price is required`, {
        algoId: spec.algoId,
      });
    }
    if (!(displayQty instanceof Quantity) || displayQty.raw <= 0 || displayQty.raw > spec.quantity.raw) {
      throw new AlgoError("ALGO_INVALID", `iceberg ${spec.algoId}: displayQty must be in (0, quantity]`, {
        algoId: spec.algoId,
      });
    }
  }

  protected override onStart(): void {
    this.next();
  }

  protected override onChildUpdate(event: OrderEvent): void {
    if (this.workingChildren.length > 0) return;
    if (event.type === "OrderCanceled" || event.type === "OrderExpired") {
      this.finish(
        "exhaust",
        `child ${event.clientOrderId} ${event.type === "OrderCanceled" ? "canceled" : "expired"} outside the algorithm`,
      );
      return;
    }
    this.next();
  }

  private next(): void {
    this.sendChild(Math.min(this.displayQty.raw, this.unassignedRaw));
  }
}
