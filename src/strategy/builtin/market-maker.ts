/**
 * `market-maker`: a two-sided quoting strategy on L2 data — a template for book strategies.
 *
 * On every book update:
 * - reference price = the size-weighted micro-price of the best levels;
 * - volatility σ = EWMA standard deviation of micro-price changes (half-life `volHalfLife`
 *   updates), in price units;
 * - half-spread = max(`minSpreadTicks` / 2 ticks, `volMultiplier` × σ);
 * - inventory skew: both quotes shift by −`skewTicks` ticks per `size` of inventory, so a long
 *   book quotes lower (sells sooner, buys later);
 * - bid = floor((ref − half + skew) / tick) ticks, ask = ceil((ref + half + skew) / tick) ticks;
 *   no bid at ≥ `maxInventory` sizes long, no ask at ≥ `maxInventory` sizes short;
 * - post-only limit orders; a working quote is replaced only when its price is off by at least
 *   `requoteTicks`, so the strategy does not churn on every update.
 */
import { z } from "zod";
import type { OrderBook } from "../../data/book/order-book.js";
import type { OrderBookDeltas } from "../../model/data.js";
import { OrderSide } from "../../model/enums.js";
import type { InstrumentId } from "../../model/identifiers.js";
import type { Order } from "../../model/orders.js";
import { Price, type Quantity } from "../../model/values.js";
import { Strategy } from "../strategy.js";

export const marketMakerSchema = z.strictObject({
  instrument: z.string(),
  size: z.coerce.string().default("0.001"),
  minSpreadTicks: z.coerce.number().int().min(1).default(2),
  volMultiplier: z.coerce.number().min(0).default(1.5),
  volHalfLife: z.coerce.number().int().min(1).default(200),
  skewTicks: z.coerce.number().min(0).default(1),
  maxInventory: z.coerce.number().min(1).default(5),
  requoteTicks: z.coerce.number().int().min(1).default(2),
});

const POST_ONLY = { postOnly: true } as const;

export class MarketMaker extends Strategy<typeof marketMakerSchema> {
  static override readonly schema = marketMakerSchema;
  private inst!: InstrumentId;
  private tick = 1;
  private sizeRaw = 1;
  private size!: Quantity;
  private pricePrecision = 0;
  private lastRef = Number.NaN;
  private variance = 0;
  private alpha = 0;
  private bid: Order | null = null;
  private ask: Order | null = null;

  protected override onStrategyStart(): void {
    const inst = this.instrument(this.params.instrument);
    this.inst = inst.id;
    this.tick = inst.priceIncrement.raw;
    this.size = inst.makeQuantity(this.params.size);
    this.sizeRaw = this.size.raw;
    this.pricePrecision = inst.pricePrecision;
    this.alpha = 1 - 2 ** (-1 / this.params.volHalfLife);
    this.subscribeBook(this.inst);
  }

  protected override onBook(book: OrderBook, _d: OrderBookDeltas): void {
    if (book.bidLevels === 0 || book.askLevels === 0) return;
    const bb = book.bestBidRaw();
    const ba = book.bestAskRaw();
    const qb = book.bestBidSizeRaw();
    const qa = book.bestAskSizeRaw();
    const ref = (bb * qa + ba * qb) / (qb + qa);
    if (!Number.isNaN(this.lastRef)) {
      const d = ref - this.lastRef;
      this.variance = (1 - this.alpha) * this.variance + this.alpha * d * d;
    }
    this.lastRef = ref;
    const inventory = this.positionRaw(this.inst) / this.sizeRaw;
    const half = Math.max(
      (this.params.minSpreadTicks * this.tick) / 2,
      this.params.volMultiplier * Math.sqrt(this.variance),
    );
    const skew = -inventory * this.params.skewTicks * this.tick;
    const bidRaw = Math.floor((ref - half + skew) / this.tick) * this.tick;
    const askRaw = Math.ceil((ref + half + skew) / this.tick) * this.tick;
    this.bid = this.quote(
      this.bid,
      OrderSide.Buy,
      inventory < this.params.maxInventory ? Math.min(bidRaw, bb) : null,
    );
    this.ask = this.quote(
      this.ask,
      OrderSide.Sell,
      inventory > -this.params.maxInventory ? Math.max(askRaw, ba) : null,
    );
  }

  private quote(current: Order | null, side: OrderSide, priceRaw: number | null): Order | null {
    const working = current?.isOpen();
    if (working && current !== null) {
      const off =
        priceRaw === null ||
        Math.abs((current.price?.raw ?? 0) - priceRaw) >= this.params.requoteTicks * this.tick;
      if (!off) return current;
      this.cancel(current);
    }
    if (priceRaw === null || priceRaw <= 0) return null;
    if (current !== null && !current.isClosed() && !working) return current; // still in flight
    return this.submitLimit(
      this.inst,
      side,
      this.size,
      Price.fromRaw(priceRaw, this.pricePrecision),
      POST_ONLY,
    );
  }
}
