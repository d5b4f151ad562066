/**
 * `ema-cross`: long-only exponential moving-average crossover on bar closes. Same cross rule
 * as `sma-cross` (a cross is judged against the latest earlier bar where the averages differed)
 * with EMAs from the indicator registry (seeded with the SMA of the first `period` closes).
 */
import { z } from "zod";
import type { BoundIndicator } from "../../indicators/registry.js";
import type { Bar, BarType } from "../../model/data.js";
import { Strategy } from "../strategy.js";

export const emaCrossSchema = z
  .strictObject({
    fast: z.coerce.number().int().min(1).default(12),
    slow: z.coerce.number().int().min(2).default(26),
    size: z.coerce.string().default("1"),
    barType: z.string().optional(),
  })
  .refine((p) => p.fast < p.slow, { message: "fast must be smaller than slow", path: ["fast"] });

export class EmaCross extends Strategy<typeof emaCrossSchema> {
  static override readonly schema = emaCrossSchema;
  private fast!: BoundIndicator;
  private slow!: BoundIndicator;
  private lastSign = 0;

  constructor(
    id: string,
    params: unknown,
    private readonly barType: BarType,
  ) {
    super(id, params);
  }

  protected override onStrategyStart(): void {
    this.fast = this.indicator(this.barType, "ema", { period: this.params.fast });
    this.slow = this.indicator(this.barType, "ema", { period: this.params.slow });
    this.subscribeBars(this.barType);
  }

  protected override onBar(_bar: Bar): void {
    if (!this.fast.isReady || !this.slow.isReady) return;
    const d = this.fast.output(0) - this.slow.output(0);
    const sign = d > 0 ? 1 : d < 0 ? -1 : 0;
    if (sign === 0) return;
    const id = this.barType.instrumentId;
    if (sign > 0 && this.lastSign < 0 && this.positionRaw(id) === 0) this.buy(id, this.params.size);
    else if (sign < 0 && this.lastSign > 0) this.closePosition(id);
    this.lastSign = sign;
  }
}
