/**
 * `obi-momentum`: order-book-imbalance momentum on L2 data. The imbalance of the top `levels`
 * levels, (Σbid − Σask)/(Σbid + Σask), above `threshold` opens a long of `size` (market);
 * below −`threshold` it closes the long (and, with `allowShort`, opens a short; above the
 * threshold a short is closed). After each entry or exit the strategy waits `cooldownUs`.
 */
import { z } from "zod";
import type { OrderBook } from "../../data/book/order-book.js";
import type { OrderBookDeltas } from "../../model/data.js";
import { OrderSide } from "../../model/enums.js";
import type { InstrumentId } from "../../model/identifiers.js";
import { BookImbalance } from "../../orderflow/book.js";
import { Strategy } from "../strategy.js";

export const obiMomentumSchema = z.strictObject({
  instrument: z.string(),
  size: z.coerce.string().default("0.001"),
  levels: z.coerce.number().int().min(1).default(5),
  threshold: z.coerce.number().gt(0).lt(1).default(0.6),
  cooldownUs: z.coerce.number().int().min(0).default(5_000_000),
  allowShort: z.coerce.boolean().default(false),
});

export class ObiMomentum extends Strategy<typeof obiMomentumSchema> {
  static override readonly schema = obiMomentumSchema;
  private inst!: InstrumentId;
  private obi!: BookImbalance;
  private readyAt = 0;
  private pending = false;

  protected override onStrategyStart(): void {
    this.inst = this.instrument(this.params.instrument).id;
    this.obi = new BookImbalance(this.params.levels);
    this.subscribeBook(this.inst);
  }

  protected override onOrderEvent(): void {
    this.pending = false;
  }

  protected override onBook(book: OrderBook, _d: OrderBookDeltas): void {
    const imb = this.obi.update(book);
    const now = this.now();
    if (now < this.readyAt || this.pending) return;
    const pos = this.positionRaw(this.inst);
    const t = this.params.threshold;
    let act: (() => unknown) | null = null;
    if (imb > t) {
      if (pos < 0) act = () => this.closePosition(this.inst);
      else if (pos === 0) act = () => this.market(this.inst, OrderSide.Buy, this.params.size);
    } else if (imb < -t) {
      if (pos > 0) act = () => this.closePosition(this.inst);
      else if (pos === 0 && this.params.allowShort)
        act = () => this.market(this.inst, OrderSide.Sell, this.params.size);
    }
    if (act === null) return;
    // Mark the order in flight *before* submitting: a denial or an immediate fill arrives as an
    // order event inside the submit call, and must be able to clear the flag.
    this.pending = true;
    if (act() === null) this.pending = false;
    else this.readyAt = now + this.params.cooldownUs;
  }
}
