/**
 * Accounts: a cash account (spot: balances per currency, no borrowing) and a margin account
 * (derivatives: a settlement balance, leverage per instrument, initial and maintenance margin,
 * liquidation). Balances are exact raw integers at each currency's precision.
 */
import type { Currency } from "../model/currency.js";
import { AccountType, OrderSide } from "../model/enums.js";
import { BotV6Error } from "../model/errors.js";
import type { AccountBalance, AccountState, MarginBalance } from "../model/events.js";
import { checkPrecision, mulShift, parseDecimal, RoundingMode, rescale } from "../model/fixed.js";
import type { AccountId } from "../model/identifiers.js";
import type { Instrument } from "../model/instruments.js";
import type { UnixMicros } from "../model/time.js";
import { Money, type Price } from "../model/values.js";
import type { Position } from "./position.js";

export class AccountError extends BotV6Error {}

interface Balance {
  currency: Currency;
  totalRaw: number;
  lockedRaw: number;
}

/** Multiplies a raw amount by an exact decimal rate (string) with half-even rounding. */
export function applyRate(raw: number, rate: string, context: string): number {
  let d = parsedRates.get(rate);
  if (d === undefined) {
    d = parseDecimal(rate);
    if (parsedRates.size >= 256) parsedRates.clear();
    parsedRates.set(rate, d);
  }
  return mulShift(raw, d.raw, d.scale, RoundingMode.HalfEven, context);
}

/** Rates parsed (margin rates are the same few strings on every check); bounded. */
const parsedRates = new Map<string, ReturnType<typeof parseDecimal>>();

export abstract class Account {
  abstract readonly type: AccountType;
  protected readonly balances = new Map<string, Balance>();
  /** Currencies whose balance went below zero (a fill the risk engine should have stopped). */
  readonly overdrawn = new Set<string>();

  constructor(readonly id: AccountId) {}

  /** Sets a starting balance, e.g. `deposit(USDT, "100000")`. */
  deposit(currency: Currency, amount: string): void {
    const raw = Money.parse(amount, currency).raw;
    if (raw < 0)
      throw new AccountError(
        "ACCOUNT_NEGATIVE_DEPOSIT",
        `${this.id}: deposit ${amount} ${currency} is negative`,
        {},
      );
    this.adjust(currency, raw);
  }

  /** Changes a balance by a signed raw amount. */
  adjust(currency: Currency, deltaRaw: number): void {
    let b = this.balances.get(currency.code);
    if (b === undefined) {
      b = { currency, totalRaw: 0, lockedRaw: 0 };
      this.balances.set(currency.code, b);
    }
    const next = b.totalRaw + deltaRaw;
    if (!Number.isSafeInteger(next)) {
      throw new AccountError("ACCOUNT_OVERFLOW", `${this.id}: ${currency} balance out of exact range`, {});
    }
    b.totalRaw = next;
    if (next < 0) this.overdrawn.add(currency.code);
  }

  balance(currency: Currency): Money {
    return Money.fromRaw(this.balances.get(currency.code)?.totalRaw ?? 0, currency);
  }

  balanceRaw(code: string): number {
    return this.balances.get(code)?.totalRaw ?? 0;
  }

  /** Free = total − locked (cash accounts lock for open orders). */
  free(currency: Currency): Money {
    const b = this.balances.get(currency.code);
    return Money.fromRaw(b === undefined ? 0 : b.totalRaw - b.lockedRaw, currency);
  }

  lock(currency: Currency, raw: number): void {
    const b = this.balances.get(currency.code);
    if (b === undefined || b.totalRaw - b.lockedRaw < raw) {
      throw new AccountError(
        "ACCOUNT_INSUFFICIENT_BALANCE",
        `${this.id}: cannot lock ${Money.fromRaw(raw, currency)}`,
        {},
      );
    }
    b.lockedRaw += raw;
  }

  unlock(currency: Currency, raw: number): void {
    const b = this.balances.get(currency.code);
    if (b !== undefined) b.lockedRaw = Math.max(0, b.lockedRaw - raw);
  }

  /** Number of currencies with a balance entry (no allocation). */
  get currencyCount(): number {
    return this.balances.size;
  }

  currencies(): Currency[] {
    return [...this.balances.values()].map((b) => b.currency).sort((a, b) => (a.code < b.code ? -1 : 1));
  }

  protected balanceList(): AccountBalance[] {
    return this.currencies().map((c) => {
      const b = this.balances.get(c.code)!;
      return {
        total: Money.fromRaw(b.totalRaw, c),
        locked: Money.fromRaw(b.lockedRaw, c),
        free: Money.fromRaw(b.totalRaw - b.lockedRaw, c),
      };
    });
  }

  abstract state(eventId: string, ts: UnixMicros): AccountState;
}

/** Spot: buying spends the quote currency and receives the base; no leverage. */
export class CashAccount extends Account {
  readonly type = AccountType.Cash;

  /** Moves base and quote for a spot fill; commission debited in its currency. */
  applySpotFill(instrument: Instrument, side: OrderSide, px: Price, qtyRaw: number, commission: Money): void {
    const base = instrument.baseCurrency;
    checkPrecision(base.precision);
    const baseRaw = rescale(qtyRaw, instrument.sizePrecision, base.precision, RoundingMode.HalfEven);
    const notional = mulShift(
      px.raw * instrument.multiplier,
      qtyRaw,
      px.precision + instrument.sizePrecision - instrument.quoteCurrency.precision,
      RoundingMode.HalfEven,
      "spot fill notional",
    );
    if (side === OrderSide.Buy) {
      this.adjust(instrument.quoteCurrency, -notional);
      this.adjust(base, baseRaw);
    } else {
      this.adjust(instrument.quoteCurrency, notional);
      this.adjust(base, -baseRaw);
    }
    this.adjust(commission.currency, -commission.raw);
  }

  state(eventId: string, ts: UnixMicros): AccountState {
    return {
      type: "AccountState",
      eventId,
      tsEvent: ts,
      tsInit: ts,
      accountId: this.id,
      accountType: AccountType.Cash,
      baseCurrency: null,
      balances: this.balanceList(),
      margins: [],
      reported: false,
    };
  }
}

/** Derivatives: PnL and fees settle into the balance; margin is reserved per position. */
export class MarginAccount extends Account {
  readonly type = AccountType.Margin;
  private readonly leverages = new Map<string, number>();

  setLeverage(instrument: Instrument & { maxLeverage?: number }, leverage: number): void {
    const max = instrument.maxLeverage ?? 1;
    if (!Number.isFinite(leverage) || leverage < 1 || leverage > max) {
      throw new AccountError(
        "ACCOUNT_LEVERAGE_INVALID",
        `${this.id}: leverage ${leverage} for ${instrument.id} must be in 1..${max}`,
        {
          instrument: instrument.id.value,
        },
      );
    }
    this.leverages.set(instrument.id.value, leverage);
  }

  leverage(instrument: Instrument & { maxLeverage?: number }): number {
    return this.leverages.get(instrument.id.value) ?? instrument.maxLeverage ?? 1;
  }

  /** Initial margin of a position at `mark`: |notional| / leverage (raw, settlement currency). */
  initialMarginRaw(position: Position, mark: Price): number {
    return Math.ceil(Math.abs(position.notionalRaw(mark)) / this.leverage(position.instrument));
  }

  /** Maintenance margin: |notional| × maintenance rate (raw). */
  maintenanceMarginRaw(position: Position, mark: Price): number {
    const rate = (position.instrument as { marginMaint?: string }).marginMaint ?? "0";
    return applyRate(Math.abs(position.notionalRaw(mark)), rate, "maintenance margin");
  }

  /**
   * Cross-margin liquidation price of `position`, holding the account's other equity fixed:
   * the mark at which equity equals maintenance margin. `otherEquityRaw` is the balance plus
   * every other position's unrealised PnL minus their maintenance margin. Returns null when the
   * position cannot be liquidated (no position, or equity always covers it).
   */
  liquidationPrice(position: Position, otherEquityRaw: number): number | null {
    const q = position.signedQtyRaw / 10 ** position.instrument.sizePrecision;
    if (q === 0) return null;
    const mult = position.instrument.multiplier;
    const mm = Number((position.instrument as { marginMaint?: string }).marginMaint ?? "0");
    const entry = position.avgPxOpen;
    const equity = otherEquityRaw / 10 ** position.settlement.precision;
    // equity + q·m·(P − entry) = mm·|q|·m·P  →  P = (q·m·entry − equity) / (q·m − mm·|q|·m)
    const den = q * mult - mm * Math.abs(q) * mult;
    if (den === 0) return null;
    const p = (q * mult * entry - equity) / den;
    return p > 0 ? p : null;
  }

  /** Funding payment for a perpetual position: −signed notional(mark) × rate (longs pay a positive rate). */
  applyFunding(position: Position, mark: Price, rate: string): number {
    const payment = -applyRate(position.notionalRaw(mark), rate, "funding");
    this.adjust(position.settlement, payment);
    return payment;
  }

  state(eventId: string, ts: UnixMicros, margins: MarginBalance[] = []): AccountState {
    return {
      type: "AccountState",
      eventId,
      tsEvent: ts,
      tsInit: ts,
      accountId: this.id,
      accountType: AccountType.Margin,
      baseCurrency: null,
      balances: this.balanceList(),
      margins,
      reported: false,
    };
  }
}
