/**
 * Volume profile: volume at price over a session (UTC-aligned, e.g. one day) or over everything
 * since the last reset, with point of control and value area (CBOT two-row method, see
 * {@link valueArea}).
 */
import { type Aggressor, checkTime, checkTrade, OrderFlowError } from "./common.js";
import { VolumeLadder, valueArea } from "./ladder.js";

export interface ProfileSummary {
  poc: number;
  valueAreaLow: number;
  valueAreaHigh: number;
  totalVolume: number;
  levels: number;
}

export class VolumeProfile {
  private readonly ladder: VolumeLadder;
  private sessionStart = -1;
  private lastTs = 0;

  /**
   * @param tick raw price increment
   * @param sessionUs session length in µs (0 = until {@link reset})
   * @param fraction value-area fraction (default 0.7)
   */
  constructor(
    tick: number,
    private readonly sessionUs = 0,
    private readonly fraction = 0.7,
  ) {
    this.ladder = new VolumeLadder("volume_profile", tick, 256);
    if (!Number.isSafeInteger(sessionUs) || sessionUs < 0) {
      throw new OrderFlowError(
        "ORDERFLOW_PARAM_INVALID",
        `volume_profile: sessionUs must be >= 0, got ${sessionUs}`,
        {
          indicator: "volume_profile",
          param: "sessionUs",
        },
      );
    }
    if (!(fraction > 0 && fraction <= 1)) {
      throw new OrderFlowError(
        "ORDERFLOW_PARAM_INVALID",
        `volume_profile: fraction must be in (0, 1], got ${fraction}`,
        {
          indicator: "volume_profile",
          param: "fraction",
        },
      );
    }
  }

  update(ts: number, priceRaw: number, sizeRaw: number, side: Aggressor): void {
    checkTrade("volume_profile", priceRaw, sizeRaw);
    if (this.sessionUs > 0) {
      checkTime("volume_profile", this.lastTs, ts);
      this.lastTs = ts;
      const start = ts - (ts % this.sessionUs);
      if (start !== this.sessionStart) {
        this.ladder.clear();
        this.sessionStart = start;
      }
    }
    this.ladder.add(priceRaw, sizeRaw, side === 0 ? 1 : side);
  }

  reset(): void {
    this.ladder.clear();
  }

  /** Volume (both sides) at a raw price. */
  volumeAt(priceRaw: number): number {
    return this.ladder.buyAt(priceRaw) + this.ladder.sellAt(priceRaw);
  }

  summary(): ProfileSummary | null {
    if (this.ladder.isEmpty) return null;
    const { prices, buy, sell } = this.ladder.levels();
    const vols = prices.map((_, i) => buy[i] + sell[i]);
    const va = valueArea(vols, this.fraction);
    return {
      poc: prices[va.poc],
      valueAreaLow: prices[va.low],
      valueAreaHigh: prices[va.high],
      totalVolume: vols.reduce((a, b) => a + b, 0),
      levels: prices.length,
    };
  }
}
