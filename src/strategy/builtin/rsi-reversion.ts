/**
 * `rsi-reversion`: long-only mean reversion on Wilder's RSI of bar closes. When flat and
 * RSI < `lower`, buy `size`; when long and RSI > `upper`, close the position.
 */
import { z } from "zod";
import type { BoundIndicator } from "../../indicators/registry.js";
import type { Bar, BarType } from "../../model/data.js";
import { Strategy } from "../strategy.js";

export const rsiReversionSchema = z
  .strictObject({
    period: z.coerce.number().int().min(2).default(14),
    lower: z.coerce.number().min(0).max(100).default(30),
    upper: z.coerce.number().min(0).max(100).default(70),
    size: z.coerce.string().default("1"),
    barType: z.string().optional(),
  })
  .refine((p) => p.lower < p.upper, { message: "lower must be below upper", path: ["lower"] });

export class RsiReversion extends Strategy<typeof rsiReversionSchema> {
  static override readonly schema = rsiReversionSchema;
  private rsi!: BoundIndicator;

  constructor(
    id: string,
    params: unknown,
    private readonly barType: BarType,
  ) {
    super(id, params);
  }

  protected override onStrategyStart(): void {
    this.rsi = this.indicator(this.barType, "rsi", { period: this.params.period });
    this.subscribeBars(this.barType);
  }

  protected override onBar(_bar: Bar): void {
    if (!this.rsi.isReady) return;
    const r = this.rsi.output(0);
    const id = this.barType.instrumentId;
    const pos = this.positionRaw(id);
    if (pos === 0 && r < this.params.lower) this.buy(id, this.params.size);
    else if (pos > 0 && r > this.params.upper) this.closePosition(id);
  }
}
