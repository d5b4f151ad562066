/**
 * A netting position in one instrument for one strategy and account, built from fills.
 *
 * Exactness: the open quantity's cost is an integer (BigInt) at price precision + size
 * precision + 12 extra digits. A reducing fill realises (fill price − average entry) ×
 * quantity × multiplier: the cost share it removes is rounded 12 digits below the fill's own
 * scale, and the PnL is rounded once (half-even) into the settlement currency's precision.
 * Closing the whole position removes the remaining cost exactly, so a round trip in one
 * close is exact. A fill that crosses zero closes
 * the position and opens a new one with the remainder (commission split pro rata).
 * Inverse contracts are not supported yet (their PnL is in the base currency); applying a fill
 * of one throws.
 */
import type { Currency } from "../model/currency.js";
import { OrderSide, PositionSide } from "../model/enums.js";
import { BotV6Error } from "../model/errors.js";
import type { OrderFilled } from "../model/events.js";
import { divRoundBig, formatRaw, pow10n, RoundingMode } from "../model/fixed.js";
import type { AccountId, PositionId, StrategyId } from "../model/identifiers.js";
import type { Instrument } from "../model/instruments.js";
import type { UnixMicros } from "../model/time.js";
import { Money, type Price, Quantity } from "../model/values.js";

export class PositionError extends BotV6Error {}

/**
 * Extra decimal places the cost basis is kept at, beyond price + size precision, so the cost
 * share removed by a partial reduce (cost × q / open, an exact rational) is rounded far below
 * any currency's precision.
 */
const COST_EXTRA_DIGITS = 12;
const COST_EXTRA = 10n ** BigInt(COST_EXTRA_DIGITS);

/** What a fill did to a position. */
export type PositionChange = "opened" | "increased" | "reduced" | "closed";

export class Position {
  readonly id: PositionId;
  readonly instrument: Instrument;
  readonly strategyId: StrategyId;
  readonly accountId: AccountId;
  readonly settlement: Currency;
  /** Signed open quantity, raw at the instrument's size precision (+ long, − short). */
  signedQtyRaw = 0;
  /** Cost of the open quantity: Σ price_raw × qty_raw × 10^12 (scale pp + qp + 12), always ≥ 0. */
  private cost = 0n;
  /** Realised price PnL in the settlement currency (raw), before fees. */
  realizedRaw = 0;
  /** Commissions paid per currency (raw at each currency's precision). */
  readonly fees = new Map<string, { currency: Currency; raw: number }>();
  /** Quantity bought / sold over the position's life (raw). */
  boughtRaw = 0;
  soldRaw = 0;
  fills = 0;
  openedAt: UnixMicros;
  closedAt: UnixMicros | null = null;
  lastFillEventId = "";
  /** Exact Σ price_raw × qty_raw of the opening fills (scale pp + qp) and their quantity. */
  entryNotional = 0n;
  entryQtyRaw = 0;
  /** Exact Σ price_raw × qty_raw of the reducing fills and their quantity. */
  exitNotional = 0n;
  exitQtyRaw = 0;
  /** Side of the first fill: true when the position was opened long. */
  entrySideBuy = true;

  constructor(
    id: PositionId,
    instrument: Instrument,
    strategyId: StrategyId,
    accountId: AccountId,
    openedAt: UnixMicros,
  ) {
    if ("isInverse" in instrument && (instrument as { isInverse: boolean }).isInverse) {
      throw new PositionError(
        "POSITION_INVERSE_UNSUPPORTED",
        `${instrument.id}: inverse contracts are not supported yet`,
        {
          instrument: instrument.id.value,
        },
      );
    }
    this.id = id;
    this.instrument = instrument;
    this.strategyId = strategyId;
    this.accountId = accountId;
    this.settlement = instrument.settlementCurrency;
    this.openedAt = openedAt;
  }

  get side(): PositionSide {
    return this.signedQtyRaw > 0
      ? PositionSide.Long
      : this.signedQtyRaw < 0
        ? PositionSide.Short
        : PositionSide.Flat;
  }

  get isOpen(): boolean {
    return this.signedQtyRaw !== 0;
  }

  get quantity(): Quantity {
    return Quantity.fromRaw(Math.abs(this.signedQtyRaw), this.instrument.sizePrecision);
  }

  /** Signed quantity as an exact decimal string. */
  get signedQty(): string {
    return formatRaw(this.signedQtyRaw, this.instrument.sizePrecision);
  }

  /** Average entry price of the open quantity (float; the exact value is cost / quantity). */
  get avgPxOpen(): number {
    const q = Math.abs(this.signedQtyRaw);
    if (q === 0) return 0;
    return Number(this.cost / 1000n) / 1e9 / q / 10 ** this.instrument.pricePrecision;
  }

  get avgPxClose(): number {
    return this.exitQtyRaw === 0
      ? 0
      : Number(this.exitNotional) / this.exitQtyRaw / 10 ** this.instrument.pricePrecision;
  }

  get realizedPnl(): Money {
    return Money.fromRaw(this.realizedRaw, this.settlement);
  }

  /** Fees paid in the settlement currency (raw). */
  get feesInSettlementRaw(): number {
    return this.fees.get(this.settlement.code)?.raw ?? 0;
  }

  /**
   * Applies a fill for this position's instrument. `quantityRaw` overrides the fill's quantity
   * (used when a crossing fill is split); `commissionRaw` likewise for the commission.
   */
  apply(
    fill: OrderFilled,
    quantityRaw = fill.lastQty.raw,
    commissionRaw = fill.commission.raw,
  ): PositionChange {
    if (fill.instrumentId.value !== this.instrument.id.value) {
      throw new PositionError(
        "POSITION_WRONG_INSTRUMENT",
        `fill for ${fill.instrumentId} applied to position ${this.id}`,
        {},
      );
    }
    if (
      fill.lastQty.precision !== this.instrument.sizePrecision ||
      fill.lastPx.precision !== this.instrument.pricePrecision
    ) {
      throw new PositionError(
        "POSITION_PRECISION_MISMATCH",
        `fill ${fill.tradeId}: quantity/price precision (${fill.lastQty.precision}/${fill.lastPx.precision}) differs from ${this.instrument.id} (${this.instrument.sizePrecision}/${this.instrument.pricePrecision})`,
        {},
      );
    }
    const signed = fill.orderSide === OrderSide.Buy ? quantityRaw : -quantityRaw;
    const open = this.signedQtyRaw;
    if (open !== 0 && Math.sign(signed) !== Math.sign(open) && Math.abs(signed) > Math.abs(open)) {
      throw new PositionError(
        "POSITION_CROSSING_FILL",
        `fill ${fill.tradeId} crosses zero; split it first`,
        {},
      );
    }
    this.addFee(fill.commission.currency, commissionRaw);
    this.fills++;
    this.lastFillEventId = fill.eventId;
    if (fill.orderSide === OrderSide.Buy) this.boughtRaw += quantityRaw;
    else this.soldRaw += quantityRaw;
    const px = BigInt(fill.lastPx.raw);
    const q = BigInt(quantityRaw);
    if (open === 0 || Math.sign(signed) === Math.sign(open)) {
      if (open === 0) this.entrySideBuy = signed > 0;
      this.entryNotional += px * q;
      this.entryQtyRaw += quantityRaw;
      this.cost += px * q * COST_EXTRA;
      this.signedQtyRaw = open + signed;
      return open === 0 ? "opened" : "increased";
    }
    // Reducing: remove the pro-rata share of cost and realise the difference.
    const openAbs = BigInt(Math.abs(open));
    const share = q === openAbs ? this.cost : divRoundBig(this.cost * q, openAbs, RoundingMode.HalfEven);
    const direction = open > 0 ? 1n : -1n;
    const pnlScaled = (px * q * COST_EXTRA - share) * direction * BigInt(this.instrument.multiplier);
    const shift =
      this.instrument.pricePrecision +
      this.instrument.sizePrecision +
      COST_EXTRA_DIGITS -
      this.settlement.precision;
    const pnl =
      shift >= 0 ? divRoundBig(pnlScaled, pow10n(shift), RoundingMode.HalfEven) : pnlScaled * pow10n(-shift);
    this.realizedRaw += Number(pnl);
    this.cost -= share;
    this.signedQtyRaw = open + signed;
    this.exitNotional += px * q;
    this.exitQtyRaw += quantityRaw;
    if (this.signedQtyRaw === 0) {
      this.cost = 0n;
      this.closedAt = fill.tsEvent;
      return "closed";
    }
    return "reduced";
  }

  /** Unrealised PnL at `mark` (exact, rounded half-even into the settlement currency). */
  unrealizedRaw(mark: Price): number {
    if (this.signedQtyRaw === 0) return 0;
    if (mark.precision !== this.instrument.pricePrecision) {
      mark = mark.withPrecision(this.instrument.pricePrecision, RoundingMode.HalfEven);
    }
    const q = BigInt(Math.abs(this.signedQtyRaw));
    const direction = this.signedQtyRaw > 0 ? 1n : -1n;
    const scaled =
      (BigInt(mark.raw) * q * COST_EXTRA - this.cost) * direction * BigInt(this.instrument.multiplier);
    const shift =
      this.instrument.pricePrecision +
      this.instrument.sizePrecision +
      COST_EXTRA_DIGITS -
      this.settlement.precision;
    return Number(
      shift >= 0 ? divRoundBig(scaled, pow10n(shift), RoundingMode.HalfEven) : scaled * pow10n(-shift),
    );
  }

  /**
   * Unrealised PnL as a float in raw settlement units (unrounded, no allocation): a screen for
   * margin checks, never money. Off from {@link unrealizedRaw} by less than one raw unit plus
   * ~1e-15 of the notional.
   */
  unrealizedApprox(mark: Price): number {
    if (this.signedQtyRaw === 0) return 0;
    const pp = this.instrument.pricePrecision;
    const m = mark.precision === pp ? mark.raw : mark.raw * 10 ** (pp - mark.precision);
    const q = Math.abs(this.signedQtyRaw);
    const shift = pp + this.instrument.sizePrecision + COST_EXTRA_DIGITS - this.settlement.precision;
    const diff = m * q * 10 ** COST_EXTRA_DIGITS - Number(this.cost);
    return ((this.signedQtyRaw > 0 ? diff : -diff) * this.instrument.multiplier) / 10 ** shift;
  }

  /** |notional| at `mark` as a float in raw settlement units (a screen, see {@link unrealizedApprox}). */
  notionalApprox(mark: Price): number {
    const pp = this.instrument.pricePrecision;
    const m = mark.precision === pp ? mark.raw : mark.raw * 10 ** (pp - mark.precision);
    const shift = pp + this.instrument.sizePrecision - this.settlement.precision;
    return (Math.abs(m * this.signedQtyRaw) * this.instrument.multiplier) / 10 ** shift;
  }

  unrealizedPnl(mark: Price): Money {
    return Money.fromRaw(this.unrealizedRaw(mark), this.settlement);
  }

  /** Signed notional at `mark` in the settlement currency (raw). */
  notionalRaw(mark: Price): number {
    const m =
      mark.precision === this.instrument.pricePrecision
        ? mark
        : mark.withPrecision(this.instrument.pricePrecision, RoundingMode.HalfEven);
    const q = Quantity.fromRaw(Math.abs(this.signedQtyRaw), this.instrument.sizePrecision);
    const n = m.notional(q, this.settlement, this.instrument.multiplier).raw;
    return this.signedQtyRaw < 0 ? -n : n;
  }

  private addFee(currency: Currency, raw: number): void {
    const f = this.fees.get(currency.code);
    if (f === undefined) this.fees.set(currency.code, { currency, raw });
    else f.raw += raw;
  }
}
