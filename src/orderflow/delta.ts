/**
 * Cumulative volume delta (CVD): buy (buyer-aggressor) volume minus sell volume, in exact raw
 * size units. `resetEvery` (µs, aligned to UTC) gives session deltas, e.g. daily CVD.
 */
import { type Aggressor, checkTime, checkTrade, OrderFlowError } from "./common.js";

export class CumulativeDelta {
  buyVolume = 0;
  sellVolume = 0;
  /** Volume of trades with no known aggressor (kept apart, never guessed). */
  unknownVolume = 0;
  trades = 0;
  private sessionStart = -1;
  private lastTs = 0;

  /** @param resetEvery session length in µs (0 = never reset). */
  constructor(private readonly resetEvery = 0) {
    if (!Number.isSafeInteger(resetEvery) || resetEvery < 0) {
      throw new OrderFlowError(
        "ORDERFLOW_PARAM_INVALID",
        `cvd: resetEvery must be >= 0 µs, got ${resetEvery}`,
        {
          indicator: "cvd",
          param: "resetEvery",
        },
      );
    }
  }

  get delta(): number {
    return this.buyVolume - this.sellVolume;
  }

  /** Adds one trade. Returns the delta after it. */
  update(sizeRaw: number, side: Aggressor, ts = 0): number {
    if (this.resetEvery > 0) {
      checkTime("cvd", this.lastTs, ts);
      this.lastTs = ts;
      const start = ts - (ts % this.resetEvery);
      if (start !== this.sessionStart) {
        this.sessionStart = start;
        this.buyVolume = 0;
        this.sellVolume = 0;
        this.unknownVolume = 0;
        this.trades = 0;
      }
    }
    if (!Number.isSafeInteger(sizeRaw) || sizeRaw < 0) checkTrade("cvd", 0, sizeRaw);
    if (side === 1) this.buyVolume += sizeRaw;
    else if (side === -1) this.sellVolume += sizeRaw;
    else this.unknownVolume += sizeRaw;
    this.trades++;
    return this.buyVolume - this.sellVolume;
  }
}
