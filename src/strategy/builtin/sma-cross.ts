/**
 * `sma-cross`: long-only moving-average crossover on bar closes — a template strategy.
 *
 * Rules (exactly as documented for the quick backtest):
 * - fast and slow are simple moving averages of the close over `fast` and `slow` bars;
 * - a **cross up** at bar t: fast[t] > slow[t] and, at the latest earlier bar where
 *   fast ≠ slow (both defined), fast < slow; a **cross down** mirrored;
 * - on a cross up, when flat, buy `size` with a market order; on a cross down, close the whole
 *   position with a reduce-only market order.
 * The averages are compared exactly: the rolling sums of the raw fixed-point closes are
 * integers, and fast_sum × slow < slow_sum × fast decides — no floating-point ties.
 */
import { z } from "zod";
import type { Bar, BarType } from "../../model/data.js";
import type { InstrumentId } from "../../model/identifiers.js";
import { Strategy } from "../strategy.js";

export const smaCrossSchema = z
  .strictObject({
    /** Fast SMA period, bars. */
    fast: z.coerce.number().int().min(1).default(10),
    /** Slow SMA period, bars (must exceed fast). */
    slow: z.coerce.number().int().min(2).default(30),
    /** Order size (decimal string in the instrument's size increment). */
    size: z.coerce.string().default("1"),
    /** Bar type to trade (set by the runner). */
    barType: z.string().optional(),
  })
  .refine((p) => p.fast < p.slow, { message: "fast must be smaller than slow", path: ["fast"] });

/** Exact rolling sum of raw integers over a fixed window. */
export class ExactRollingSum {
  private readonly buf: number[];
  private head = 0;
  private n = 0;
  sum = 0n;
  constructor(readonly period: number) {
    this.buf = new Array<number>(period).fill(0);
  }
  update(raw: number): boolean {
    if (this.n === this.period) this.sum -= BigInt(this.buf[this.head]);
    else this.n++;
    this.buf[this.head] = raw;
    this.sum += BigInt(raw);
    this.head = (this.head + 1) % this.period;
    return this.n === this.period;
  }
}

export class SmaCross extends Strategy<typeof smaCrossSchema> {
  static override readonly schema = smaCrossSchema;
  private fastSum!: ExactRollingSum;
  private slowSum!: ExactRollingSum;
  private lastSign = 0;
  private precision = -1;

  constructor(
    id: string,
    params: unknown,
    private readonly barType: BarType,
  ) {
    super(id, params);
  }

  private get instrumentId(): InstrumentId {
    return this.barType.instrumentId;
  }

  protected override onStrategyStart(): void {
    this.fastSum = new ExactRollingSum(this.params.fast);
    this.slowSum = new ExactRollingSum(this.params.slow);
    this.subscribeBars(this.barType);
  }

  protected override onBar(bar: Bar): void {
    if (this.precision < 0) this.precision = bar.close.precision;
    const raw =
      bar.close.precision === this.precision ? bar.close.raw : bar.close.withPrecision(this.precision).raw;
    const fastReady = this.fastSum.update(raw);
    const slowReady = this.slowSum.update(raw);
    if (!fastReady || !slowReady) return;
    // fast - slow has the sign of fastSum·slow − slowSum·fast.
    const d = this.fastSum.sum * BigInt(this.params.slow) - this.slowSum.sum * BigInt(this.params.fast);
    const sign = d > 0n ? 1 : d < 0n ? -1 : 0;
    if (sign === 0) return;
    const crossUp = sign > 0 && this.lastSign < 0;
    const crossDown = sign < 0 && this.lastSign > 0;
    this.lastSign = sign;
    if (crossUp && this.positionRaw(this.instrumentId) === 0) this.buy(this.instrumentId, this.params.size);
    else if (crossDown) this.closePosition(this.instrumentId);
  }
}
