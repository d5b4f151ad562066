/**
 * Aggressor-side classification for trades that carry no venue flag.
 *
 * - **Tick rule**: a trade above the previous trade price is a buy, below a sell; at the same
 *   price it inherits the previous classification (zero-tick rule).
 * - **Quote rule**: above the prevailing mid is a buy, below a sell; at the mid unknown.
 * - **Lee–Ready** (Lee & Ready 1991, "Inferring Trade Direction from Intraday Data"): the quote
 *   rule, falling back to the tick rule for trades exactly at the mid. Quotes should be the ones
 *   prevailing just before the trade (the original paper lagged quotes by 5 s for NYSE
 *   reporting delays; electronic venues need no lag).
 *
 * When the venue reports the aggressor (Binance `m`, Bybit `S`, ...) use it: it is exact.
 */
import type { Aggressor } from "./common.js";

export class TickRule {
  private lastPrice = Number.NaN;
  private lastSide: Aggressor = 0;

  /** Classifies a trade at `priceRaw`. The first trade is unknown (0). */
  classify(priceRaw: number): Aggressor {
    let side: Aggressor;
    if (Number.isNaN(this.lastPrice)) side = 0;
    else if (priceRaw > this.lastPrice) side = 1;
    else if (priceRaw < this.lastPrice) side = -1;
    else side = this.lastSide;
    this.lastPrice = priceRaw;
    this.lastSide = side;
    return side;
  }

  reset(): void {
    this.lastPrice = Number.NaN;
    this.lastSide = 0;
  }
}

/** Quote rule against a bid/ask (raw prices); 0 at the mid or with no quote. */
export function quoteRule(priceRaw: number, bidRaw: number, askRaw: number): Aggressor {
  if (!(bidRaw > 0) || !(askRaw > 0)) return 0;
  const twice = 2 * priceRaw;
  const mid2 = bidRaw + askRaw;
  return twice > mid2 ? 1 : twice < mid2 ? -1 : 0;
}

/** Lee–Ready: the quote rule, with the tick rule for trades at the mid (or without a quote). */
export class LeeReady {
  private readonly tick = new TickRule();

  classify(priceRaw: number, bidRaw: number, askRaw: number): Aggressor {
    const byTick = this.tick.classify(priceRaw);
    const byQuote = quoteRule(priceRaw, bidRaw, askRaw);
    return byQuote !== 0 ? byQuote : byTick;
  }

  reset(): void {
    this.tick.reset();
  }
}
