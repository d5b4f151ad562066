/**
 * The portfolio: accounts, netting positions per (instrument, strategy), marks, equity,
 * exposure and the equity curve. It applies fills and returns the position events they cause;
 * the engine publishes them. Money stays exact: valuation uses exact products with half-even
 * rounding into the reporting currency's precision.
 */

import type { IdGenerator } from "../core/rng.js";
import type { Currency } from "../model/currency.js";
import { OrderSide, PositionSide } from "../model/enums.js";
import type { OrderFilled, PositionEvent } from "../model/events.js";
import { divRoundBig, parseDecimal, pow10n, RoundingMode } from "../model/fixed.js";
import { type AccountId, PositionId, type StrategyId } from "../model/identifiers.js";
import type { Instrument } from "../model/instruments.js";
import { InstrumentKind } from "../model/instruments.js";
import type { UnixMicros } from "../model/time.js";
import { Money, type Price } from "../model/values.js";
import { type Account, AccountError, CashAccount, MarginAccount } from "./account.js";
import { Position, type PositionChange } from "./position.js";

export interface EquityPoint {
  ts: UnixMicros;
  /** Raw at the reporting currency's precision. */
  equityRaw: number;
}

/** Exact conversion rates between currencies (decimal strings), e.g. EUR/USD = "1.0842". */
export class ExchangeRates {
  private readonly rates = new Map<string, { raw: number; scale: number }>();

  set(from: Currency, to: Currency, rate: string): void {
    const d = parseDecimal(rate);
    if (d.raw <= 0)
      throw new AccountError("RATE_INVALID", `rate ${from}/${to} = ${rate} must be positive`, {});
    this.rates.set(`${from.code}/${to.code}`, d);
  }

  get(from: string, to: string): { raw: number; scale: number } | undefined {
    return this.rates.get(`${from}/${to}`);
  }
}

export class Portfolio {
  private readonly accounts = new Map<string, Account>();
  private readonly instruments = new Map<string, Instrument>();
  private readonly positions = new Map<string, Position>();
  private readonly closed: Position[] = [];
  private readonly marks = new Map<string, Price>();
  private readonly positionCounts = new Map<string, number>();
  readonly rates = new ExchangeRates();
  readonly equityCurve: EquityPoint[] = [];

  constructor(
    private readonly ids: IdGenerator,
    /** Currency equity and exposure are reported in. */
    readonly reportingCurrency: Currency,
  ) {}

  addAccount(account: Account): void {
    this.accounts.set(account.id.value, account);
  }

  account(id: AccountId): Account {
    const a = this.accounts.get(id.value);
    if (a === undefined)
      throw new AccountError("ACCOUNT_UNKNOWN", `unknown account ${id}`, { account: id.value });
    return a;
  }

  addInstrument(instrument: Instrument): void {
    this.instruments.set(instrument.id.value, instrument);
  }

  instrument(id: string): Instrument {
    const i = this.instruments.get(id);
    if (i === undefined)
      throw new AccountError("INSTRUMENT_UNKNOWN", `unknown instrument ${id}`, { instrument: id });
    return i;
  }

  /** Latest mark (last trade / mid / mark price) of an instrument. */
  updateMark(instrumentId: string, price: Price): void {
    this.marks.set(instrumentId, price);
  }

  mark(instrumentId: string): Price | undefined {
    return this.marks.get(instrumentId);
  }

  position(instrumentId: string, strategyId: StrategyId): Position | undefined {
    return this.positions.get(`${instrumentId}|${strategyId.value}`);
  }

  /** Whether any position is open (no allocation). */
  hasOpenPositions(): boolean {
    for (const p of this.positions.values()) if (p.isOpen) return true;
    return false;
  }

  openPositions(): Position[] {
    return [...this.positions.values()].filter((p) => p.isOpen);
  }

  /** Every position ever held: those replaced by a later one first, then the current ones. */
  allPositions(): Position[] {
    return [...this.closed, ...this.positions.values()];
  }

  /** Applies a fill to the account and the netting position; returns the position events. */
  onFill(fill: OrderFilled): PositionEvent[] {
    const instrument = this.instrument(fill.instrumentId.value);
    const account = this.account(fill.accountId);
    if (
      instrument.kind === InstrumentKind.Spot &&
      !(account instanceof CashAccount) &&
      !(account instanceof MarginAccount)
    ) {
      throw new AccountError("ACCOUNT_TYPE", `${account.id} cannot hold ${instrument.id}`, {});
    }
    if (instrument.kind !== InstrumentKind.Spot && !(account instanceof MarginAccount)) {
      throw new AccountError(
        "ACCOUNT_TYPE",
        `${instrument.id} needs a margin account; ${account.id} is a cash account`,
        {
          account: account.id.value,
          instrument: instrument.id.value,
        },
      );
    }
    this.updateMark(instrument.id.value, fill.lastPx);
    const events: PositionEvent[] = [];
    const key = `${instrument.id.value}|${fill.strategyId.value}`;
    let pos = this.positions.get(key);
    const qty = fill.lastQty.raw;
    const signed = fill.orderSide === OrderSide.Buy ? qty : -qty;
    const parts: [number, number][] = [];
    if (
      pos?.isOpen &&
      Math.sign(signed) !== Math.sign(pos.signedQtyRaw) &&
      qty > Math.abs(pos.signedQtyRaw)
    ) {
      // Crossing zero: close the open quantity, open the rest; commission split pro rata.
      const closeQty = Math.abs(pos.signedQtyRaw);
      const closeFee = Number(
        divRoundBig(BigInt(fill.commission.raw) * BigInt(closeQty), BigInt(qty), RoundingMode.HalfEven),
      );
      parts.push([closeQty, closeFee], [qty - closeQty, fill.commission.raw - closeFee]);
    } else {
      parts.push([qty, fill.commission.raw]);
    }
    for (const [partQty, partFee] of parts) {
      if (pos === undefined || !pos.isOpen) {
        if (pos !== undefined) this.closed.push(pos);
        pos = new Position(
          this.newPositionId(key, instrument, fill.strategyId),
          instrument,
          fill.strategyId,
          fill.accountId,
          fill.tsEvent,
        );
        this.positions.set(key, pos);
      }
      const realizedBefore = pos.realizedRaw;
      const change = pos.apply(fill, partQty, partFee);
      if (account instanceof MarginAccount) {
        account.adjust(pos.settlement, pos.realizedRaw - realizedBefore);
        account.adjust(fill.commission.currency, -partFee);
      } else if (account instanceof CashAccount) {
        account.applySpotFill(
          instrument,
          fill.orderSide,
          fill.lastPx,
          partQty,
          Money.fromRaw(partFee, fill.commission.currency),
        );
      }
      events.push(this.positionEvent(pos, change, fill));
    }
    return events;
  }

  private newPositionId(key: string, instrument: Instrument, strategyId: StrategyId): PositionId {
    const n = (this.positionCounts.get(key) ?? 0) + 1;
    this.positionCounts.set(key, n);
    return new PositionId(`P-${instrument.id.value}-${strategyId.value}-${n}`);
  }

  private positionEvent(pos: Position, change: PositionChange, fill: OrderFilled): PositionEvent {
    const mark = this.marks.get(pos.instrument.id.value) ?? fill.lastPx;
    const base = {
      eventId: this.ids.next("PE"),
      tsEvent: fill.tsEvent,
      tsInit: fill.tsInit,
      positionId: pos.id,
      strategyId: pos.strategyId,
      instrumentId: pos.instrument.id,
      accountId: pos.accountId,
      side: pos.side,
      signedQty: pos.signedQty,
      quantity: pos.quantity,
      avgPxOpen: pos.avgPxOpen,
      realizedPnl: pos.realizedPnl,
      unrealizedPnl: pos.unrealizedPnl(mark),
      lastFillEventId: fill.eventId,
    };
    if (change === "opened") return { type: "PositionOpened", ...base };
    if (change === "closed") {
      return {
        type: "PositionClosed",
        ...base,
        side: PositionSide.Flat,
        avgPxClose: pos.avgPxClose,
        durationMicros: fill.tsEvent - pos.openedAt,
      };
    }
    return { type: "PositionChanged", ...base };
  }

  /** Converts a raw amount between currencies: exact rates, then marks of pairs, one hop at most. */
  convertRaw(raw: number, from: Currency, to: Currency): number {
    if (from.code === to.code) return raw;
    const direct = this.rateBetween(from, to);
    if (direct !== null) return direct(raw);
    for (const mid of this.knownCurrencies()) {
      const a = this.rateBetween(from, mid);
      const b = this.rateBetween(mid, to);
      if (a !== null && b !== null) return b(a(raw));
    }
    throw new AccountError("RATE_MISSING", `no rate to convert ${from} to ${to}`, {
      from: from.code,
      to: to.code,
    });
  }

  private knownCurrencies(): Currency[] {
    const out = new Map<string, Currency>();
    for (const i of this.instruments.values()) {
      out.set(i.baseCurrency.code, i.baseCurrency);
      out.set(i.quoteCurrency.code, i.quoteCurrency);
    }
    return [...out.values()].sort((a, b) => (a.code < b.code ? -1 : 1));
  }

  private rateBetween(from: Currency, to: Currency): ((raw: number) => number) | null {
    const shiftTo = (scaledRaw: bigint, scale: number) => {
      const s = scale + from.precision - to.precision;
      return Number(
        s >= 0 ? divRoundBig(scaledRaw, pow10n(s), RoundingMode.HalfEven) : scaledRaw * pow10n(-s),
      );
    };
    const r = this.rates.get(from.code, to.code);
    if (r !== undefined) return (raw) => shiftTo(BigInt(raw) * BigInt(r.raw), r.scale);
    const inv = this.rates.get(to.code, from.code);
    if (inv !== undefined) {
      return (raw) => {
        // raw / rate: scale up first to keep precision, then round once.
        const num = BigInt(raw) * pow10n(inv.scale + to.precision);
        return Number(divRoundBig(num, BigInt(inv.raw) * pow10n(from.precision), RoundingMode.HalfEven));
      };
    }
    for (const i of this.instruments.values()) {
      const m = this.marks.get(i.id.value);
      if (m === undefined || i.kind !== InstrumentKind.Spot) continue;
      if (i.baseCurrency.code === from.code && i.quoteCurrency.code === to.code) {
        return (raw) => shiftTo(BigInt(raw) * BigInt(m.raw), m.precision);
      }
      if (i.baseCurrency.code === to.code && i.quoteCurrency.code === from.code) {
        return (raw) => {
          const num = BigInt(raw) * pow10n(m.precision + to.precision);
          return Number(divRoundBig(num, BigInt(m.raw) * pow10n(from.precision), RoundingMode.HalfEven));
        };
      }
    }
    return null;
  }

  /** Unrealised PnL of an account's open positions, in each position's settlement currency (raw). */
  private unrealizedByCurrency(accountId: string): Map<string, { currency: Currency; raw: number }> {
    const out = new Map<string, { currency: Currency; raw: number }>();
    for (const p of this.positions.values()) {
      if (!p.isOpen || p.accountId.value !== accountId || p.instrument.kind === InstrumentKind.Spot) continue;
      const mark = this.marks.get(p.instrument.id.value);
      if (mark === undefined) continue;
      const e = out.get(p.settlement.code) ?? { currency: p.settlement, raw: 0 };
      e.raw += p.unrealizedRaw(mark);
      out.set(p.settlement.code, e);
    }
    return out;
  }

  /**
   * Equity of one account in `currency` (default the reporting currency): every balance
   * converted (spot holdings valued at the marks), plus unrealised PnL of derivative positions.
   */
  equity(accountId: AccountId, currency: Currency = this.reportingCurrency): Money {
    return Money.fromRaw(this.equityRaw(accountId, currency), currency);
  }

  /** {@link equity} as a raw amount. */
  private equityRaw(accountId: AccountId, currency: Currency): number {
    const account = this.account(accountId);
    let total = 0;
    for (const c of account.currencies()) total += this.convertRaw(account.balanceRaw(c.code), c, currency);
    // Unrealised PnL summed per settlement currency, then converted (a position settled in
    // `currency` itself needs no conversion: summed directly, the same exact result).
    let other = false;
    for (const p of this.positions.values()) {
      if (!p.isOpen || p.accountId.value !== accountId.value || p.instrument.kind === InstrumentKind.Spot)
        continue;
      if (p.settlement.code !== currency.code) {
        other = true;
        continue;
      }
      const mark = this.marks.get(p.instrument.id.value);
      if (mark !== undefined) total += p.unrealizedRaw(mark);
    }
    if (other)
      for (const u of this.unrealizedByCurrency(accountId.value).values())
        if (u.currency.code !== currency.code) total += this.convertRaw(u.raw, u.currency, currency);
    return total;
  }

  /** Equity of every account, in `currency`. */
  totalEquity(currency: Currency = this.reportingCurrency): Money {
    let total = 0;
    for (const a of this.accounts.values()) total += this.equity(a.id, currency).raw;
    return Money.fromRaw(total, currency);
  }

  /** Gross (Σ|notional|) and net (Σ notional) exposure of open positions, in `currency` (raw). */
  exposure(currency: Currency = this.reportingCurrency): { grossRaw: number; netRaw: number } {
    let gross = 0;
    let net = 0;
    for (const p of this.openPositions()) {
      const mark = this.marks.get(p.instrument.id.value);
      if (mark === undefined) continue;
      const n = this.convertRaw(p.notionalRaw(mark), p.settlement, currency);
      gross += Math.abs(n);
      net += n;
    }
    return { grossRaw: gross, netRaw: net };
  }

  /** Appends the current total equity to the equity curve. */
  snapshot(ts: UnixMicros): EquityPoint {
    const point = { ts, equityRaw: this.totalEquity().raw };
    const last = this.equityCurve[this.equityCurve.length - 1];
    if (last !== undefined && last.ts === ts) this.equityCurve[this.equityCurve.length - 1] = point;
    else this.equityCurve.push(point);
    return point;
  }

  /**
   * Margin positions whose account equity is at or below its maintenance margin: they must be
   * liquidated. Returns them with the account's equity and maintenance (raw, settlement).
   */
  liquidations(): { position: Position; equityRaw: number; maintenanceRaw: number }[] {
    const out: { position: Position; equityRaw: number; maintenanceRaw: number }[] = [];
    const open = this.scratchOpen;
    for (const account of this.accounts.values()) {
      if (!(account instanceof MarginAccount)) continue;
      open.length = 0;
      for (const p of this.positions.values()) {
        if (!p.isOpen || p.accountId.value !== account.id.value || p.instrument.kind === InstrumentKind.Spot)
          continue;
        open.push(p);
      }
      if (open.length === 0) continue;
      const settlement = open[0].settlement;
      if (this.clearlyAboveMaintenance(account, open)) continue;
      const equity = this.equityRaw(account.id, settlement);
      let maint = 0;
      for (const p of open) {
        const mark = this.marks.get(p.instrument.id.value);
        if (mark !== undefined)
          maint += this.convertRaw(account.maintenanceMarginRaw(p, mark), p.settlement, settlement);
      }
      if (equity <= maint)
        for (const p of open) out.push({ position: p, equityRaw: equity, maintenanceRaw: maint });
    }
    open.length = 0;
    return out;
  }

  /**
   * A float screen before the exact check (which needs BigInt arithmetic): true only when the
   * account holds one currency, every open position settles in it, and equity exceeds the
   * maintenance margin by far more than the screen's possible error (one raw unit per rounded
   * term plus 1e-9 of the amounts; doubles are good to ~1e-15). Otherwise the exact check runs.
   */
  /** Reused by {@link liquidations} (checked after every mark change in backtests). */
  private readonly scratchOpen: Position[] = [];

  private clearlyAboveMaintenance(account: MarginAccount, open: Position[]): boolean {
    if (account.currencyCount !== 1) return false;
    const code = open[0].settlement.code;
    let equity = account.balanceRaw(code);
    let maint = 0;
    let scale = Math.abs(equity);
    for (const p of open) {
      if (p.settlement.code !== code) return false;
      const mark = this.marks.get(p.instrument.id.value);
      if (mark === undefined) continue;
      const rate = Number((p.instrument as { marginMaint?: string }).marginMaint ?? "0");
      const notional = p.notionalApprox(mark);
      const u = p.unrealizedApprox(mark);
      equity += u;
      maint += notional * Math.abs(rate);
      scale += notional + Math.abs(u);
    }
    return equity - maint > 1e-9 * scale + 3 * open.length + 2;
  }

  /** Liquidation price of a margin position (cross margin, other positions at their marks). */
  liquidationPrice(position: Position): number | null {
    const account = this.account(position.accountId);
    if (!(account instanceof MarginAccount)) return null;
    let other = account.balanceRaw(position.settlement.code);
    for (const p of this.openPositions()) {
      if (
        p === position ||
        p.accountId.value !== account.id.value ||
        p.instrument.kind === InstrumentKind.Spot
      )
        continue;
      const mark = this.marks.get(p.instrument.id.value);
      if (mark === undefined) continue;
      other += p.unrealizedRaw(mark) - account.maintenanceMarginRaw(p, mark);
    }
    return account.liquidationPrice(position, other);
  }
}
