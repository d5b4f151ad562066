/**
 * Trade intensity: an exponentially decaying rate of trades (and of volume) per second, with
 * half-life `halfLifeUs`. Between trades the rate decays continuously; `rateAt(ts)` reads it at
 * any time. This is the Hawkes-style "recent activity" measure used to detect bursts.
 */
import { checkPositiveInt, checkTime, checkTrade } from "./common.js";

export class TradeIntensity {
  private readonly decayPerUs: number;
  private tradeLevel = 0;
  private volumeLevel = 0;
  private lastTs = -1;

  constructor(readonly halfLifeUs: number) {
    checkPositiveInt("trade_intensity", "halfLifeUs", halfLifeUs);
    this.decayPerUs = Math.LN2 / halfLifeUs;
  }

  update(ts: number, sizeRaw: number): void {
    checkTime("trade_intensity", Math.max(this.lastTs, 0), ts);
    checkTrade("trade_intensity", 0, sizeRaw);
    if (this.lastTs >= 0) {
      const f = Math.exp(-this.decayPerUs * (ts - this.lastTs));
      this.tradeLevel *= f;
      this.volumeLevel *= f;
    }
    this.tradeLevel += 1;
    this.volumeLevel += sizeRaw;
    this.lastTs = ts;
  }

  /** Trades per second at `ts` (>= the last update). */
  tradesPerSecond(ts: number = this.lastTs): number {
    if (this.lastTs < 0) return 0;
    const f = Math.exp(-this.decayPerUs * Math.max(0, ts - this.lastTs));
    // Level integrates to level/decay over time: rate = level * decay (per µs) * 1e6.
    return this.tradeLevel * f * this.decayPerUs * 1e6;
  }

  /** Raw volume per second at `ts`. */
  volumePerSecond(ts: number = this.lastTs): number {
    if (this.lastTs < 0) return 0;
    const f = Math.exp(-this.decayPerUs * Math.max(0, ts - this.lastTs));
    return this.volumeLevel * f * this.decayPerUs * 1e6;
  }
}
