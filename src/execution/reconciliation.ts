/**
 * Reconciliation: compare the local view (orders, fills, positions) with a venue's reports and
 * fix forward what can be explained, with events tagged as reconciliation (event ids
 * `RECON-...`); everything else is a mismatch and the result is `ok: false` — fail closed: the
 * caller must not start strategies (and may halt trading), and the report says what differs.
 *
 * Explained (fixed forward):
 * - a local open order the venue filled (partly or fully) while we were not listening:
 *   the missing fills from `fetchMyTrades`;
 * - a local open order the venue canceled / expired / rejected: the terminal event;
 * - a local open order without acknowledgement that the venue has: the acceptance.
 *
 * - a balance (venue total vs the local account's total, per currency) that differs by exactly
 *   the sum of the venue's ledger entries (deposits, withdrawals, transfers, adjustments) not
 *   yet applied locally: the entries are applied to the local account and a `RECON-` tagged
 *   `AccountState` is published on `events.account.<id>`.
 *
 * Unexplained (mismatches):
 * - `UNKNOWN_VENUE_ORDER`: an open order on the venue that we never sent;
 * - `ORDER_MISSING_AT_VENUE`: a local open order the venue does not know;
 * - `POSITION_MISMATCH`: after the fixes, the venue's position differs from ours
 *   (e.g. changed by hand);
 * - `FILL_MISMATCH`: the venue reports more filled than its trades explain, or a recent venue
 *   trade of an order we closed is not among its fills (a lost fill report; a terminal order
 *   takes no fill, so this is reported, not applied);
 * - `BALANCE_MISMATCH`: after the fixes, a balance differs and the unapplied ledger entries do
 *   not add up to the difference (e.g. changed by hand, or the venue has no ledger); nothing
 *   of that currency is applied.
 */

import type { Currency } from "../model/currency.js";
import { OrderStatus } from "../model/enums.js";
import { BotV6Error } from "../model/errors.js";
import type { AccountState } from "../model/events.js";
import { formatRaw, parseDecimal, rescale } from "../model/fixed.js";
import type { AccountId, InstrumentId } from "../model/identifiers.js";
import type { Order } from "../model/orders.js";
import type { UnixMicros } from "../model/time.js";
import type { Money } from "../model/values.js";
import type {
  BalanceReport,
  ExecutionClient,
  LedgerEntry,
  OrderStatusReport,
  TradeReport,
} from "./client.js";
import type { ExecutionEngine } from "./engine.js";

export interface ReconciliationMismatch {
  readonly code:
    | "UNKNOWN_VENUE_ORDER"
    | "ORDER_MISSING_AT_VENUE"
    | "POSITION_MISMATCH"
    | "FILL_MISMATCH"
    | "BALANCE_MISMATCH";
  readonly clientOrderId: string | null;
  readonly instrumentId: string;
  readonly local: string;
  readonly venue: string;
  readonly detail: string;
}

export interface ReconciliationReport {
  /** True when local and venue agree after the explained fixes. */
  readonly ok: boolean;
  readonly venue: string;
  /** One line per fix applied (the events carry `RECON-` ids). */
  readonly fixes: string[];
  readonly mismatches: ReconciliationMismatch[];
}

/** The local side of the balance comparison (a portfolio account satisfies it). */
export interface LocalAccount {
  readonly id: AccountId;
  /** Total balance of a currency (raw at the currency's precision). */
  balanceRaw(code: string): number;
  /** Currencies with a local balance. */
  currencies(): Currency[];
  /** Changes a balance by a signed raw amount (applying an explained ledger entry). */
  adjust(currency: Currency, deltaRaw: number): void;
  /** The account's state (published after a fix, with a `RECON-` event id). */
  state(eventId: string, ts: UnixMicros): AccountState;
}

export interface ReconcileOptions {
  /** Compare the venue's balances with this account (the portfolio's account for the venue). */
  readonly account?: LocalAccount;
  /**
   * Ids of ledger entries already applied locally; reconciliation adds those it applies. Keep
   * the same set across rounds (and persist it with the account) so nothing applies twice.
   */
  readonly appliedLedger?: Set<string>;
  /** Ledger entries are fetched from this time on (µs; default 0). */
  readonly ledgerSince?: UnixMicros;
}

/** Reconciles one venue. Asynchronous (venue queries); fixes are applied synchronously after them. */
export async function reconcile(
  engine: ExecutionEngine,
  client: ExecutionClient,
  options: ReconcileOptions = {},
): Promise<ReconciliationReport> {
  const fixes: string[] = [];
  const mismatches: ReconciliationMismatch[] = [];
  const venueOpen = await client.fetchOpenOrders();
  const openById = new Map(venueOpen.map((r) => [r.clientOrderId.value, r]));
  const local = engine.cache.openOrders({ venue: client.venue }).filter((o) => !engine.cache.isHeld(o));
  // Gather everything first (I/O), then apply in one synchronous block.
  const answers = new Map<Order, { report: OrderStatusReport | null; trades: TradeReport[] }>();
  for (const o of local) {
    const report =
      openById.get(o.clientOrderId.value) ?? (await client.fetchOrder(o.clientOrderId, o.instrumentId));
    const trades =
      report !== null && report.filledQty.raw > o.filledQty.raw
        ? await client.fetchMyTrades(o.instrumentId, o.clientOrderId)
        : [];
    answers.set(o, { report, trades });
  }
  const positions = await client.fetchPositions();
  // Recent fills per instrument of this venue: a trade of an order we already closed that is
  // not among its fills cannot be applied (the order is terminal) — it is reported.
  const recent: TradeReport[] = [];
  for (const id of engine.instruments.keys()) {
    if (id.venue === client.venue) recent.push(...(await client.fetchMyTrades(id)));
  }
  const account = options.account;
  const balance = account === undefined ? null : await client.fetchBalance();
  const ledger =
    account === undefined || client.fetchLedger === undefined
      ? []
      : await client.fetchLedger(options.ledgerSince ?? 0);

  engine.asReconciliation(() => {
    for (const [o, { report, trades }] of answers) {
      const id = o.clientOrderId.value;
      if (report === null) {
        mismatches.push({
          code: "ORDER_MISSING_AT_VENUE",
          clientOrderId: id,
          instrumentId: o.instrumentId.value,
          local: o.status,
          venue: "unknown",
          detail: `local order ${id} is ${o.status} but the venue does not know it`,
        });
        continue;
      }
      if (o.venueOrderId === null && report.status !== OrderStatus.Rejected && o.canApply("OrderAccepted")) {
        engine.onVenueReport({
          kind: "accepted",
          clientOrderId: o.clientOrderId,
          venueOrderId: report.venueOrderId,
          ts: report.tsLast,
        });
        fixes.push(`${id}: accepted (venue order ${report.venueOrderId})`);
      }
      for (const t of trades) {
        if (o.tradeIds.includes(t.tradeId)) continue;
        engine.onVenueReport({
          kind: "filled",
          clientOrderId: o.clientOrderId,
          venueOrderId: t.venueOrderId,
          tradeId: t.tradeId,
          lastQty: t.lastQty,
          lastPx: t.lastPx,
          commission: t.commission,
          liquiditySide: t.liquiditySide,
          ts: t.tsEvent,
        });
        fixes.push(`${id}: fill ${t.tradeId} ${t.lastQty} @ ${t.lastPx}`);
      }
      if (report.filledQty.raw !== o.filledQty.raw) {
        mismatches.push({
          code: "FILL_MISMATCH",
          clientOrderId: id,
          instrumentId: o.instrumentId.value,
          local: o.filledQty.toString(),
          venue: report.filledQty.toString(),
          detail: `filled quantity differs after applying the venue's trades`,
        });
        continue;
      }
      if (o.isClosed()) continue;
      const kind =
        report.status === OrderStatus.Canceled
          ? "canceled"
          : report.status === OrderStatus.Expired
            ? "expired"
            : report.status === OrderStatus.Rejected
              ? "rejected"
              : null;
      if (kind === "rejected") {
        engine.onVenueReport({
          kind,
          clientOrderId: o.clientOrderId,
          reasonCode: "VENUE_REJECTED",
          reason: report.reason ?? "rejected",
          ts: report.tsLast,
        });
        fixes.push(`${id}: rejected at the venue`);
      } else if (kind !== null) {
        engine.onVenueReport({ kind, clientOrderId: o.clientOrderId, ts: report.tsLast });
        fixes.push(`${id}: ${kind} at the venue${report.reason ? ` (${report.reason})` : ""}`);
      }
    }
  });

  for (const t of recent) {
    const o = engine.cache.get(t.clientOrderId);
    if (o === undefined || !o.isClosed() || o.tradeIds.includes(t.tradeId)) continue;
    mismatches.push({
      code: "FILL_MISMATCH",
      clientOrderId: o.clientOrderId.value,
      instrumentId: o.instrumentId.value,
      local: `${o.status} filled ${o.filledQty}`,
      venue: `trade ${t.tradeId} ${t.lastQty} @ ${t.lastPx}`,
      detail: `the venue has trade ${t.tradeId} (${t.lastQty} @ ${t.lastPx}) of ${o.clientOrderId}, which we closed without it`,
    });
  }
  for (const r of venueOpen) {
    if (!engine.cache.has(r.clientOrderId)) {
      mismatches.push({
        code: "UNKNOWN_VENUE_ORDER",
        clientOrderId: r.clientOrderId.value,
        instrumentId: r.instrumentId.value,
        local: "none",
        venue: `${r.status} ${r.quantity} @ ${r.price ?? "market"}`,
        detail: `the venue has open order ${r.clientOrderId} (${r.venueOrderId}) that we never sent`,
      });
    }
  }
  for (const p of positions) {
    const inst = engine.instruments.get(p.instrumentId);
    const d = parseDecimal(p.signedQty);
    const sp = inst?.sizePrecision ?? d.scale;
    const venueRaw = rescale(d.raw, d.scale, sp);
    const localRaw = localNet(engine, p.instrumentId);
    if (venueRaw !== localRaw) {
      mismatches.push({
        code: "POSITION_MISMATCH",
        clientOrderId: null,
        instrumentId: p.instrumentId.value,
        local: formatRaw(localRaw, sp),
        venue: formatRaw(venueRaw, sp),
        detail: `position differs by ${formatRaw(venueRaw - localRaw, sp)} after reconciling orders`,
      });
    }
  }
  if (account !== undefined && balance !== null) {
    reconcileBalances(
      engine,
      account,
      balance,
      ledger,
      options.appliedLedger ?? new Set(),
      fixes,
      mismatches,
    );
  }
  for (const f of fixes) engine.notice("RECONCILIATION_FIX", `${client.venue}: ${f}`, null);
  for (const m of mismatches)
    engine.notice(`RECONCILIATION_${m.code}`, `${client.venue}: ${m.detail}`, m.clientOrderId);
  return { ok: mismatches.length === 0, venue: client.venue, fixes, mismatches };
}

/**
 * Venue totals vs local totals per currency, after the order fixes (so fills applied above are
 * already in the local account when it follows the order events). A difference is explained
 * only when the unapplied ledger entries of that currency sum to it exactly.
 */
function reconcileBalances(
  engine: ExecutionEngine,
  account: LocalAccount,
  balance: BalanceReport,
  ledger: readonly LedgerEntry[],
  applied: Set<string>,
  fixes: string[],
  mismatches: ReconciliationMismatch[],
): void {
  const venue = new Map<string, Money>();
  for (const b of balance.balances) venue.set(b.total.currency.code, b.total);
  const codes = new Map<string, Currency>();
  for (const c of account.currencies()) codes.set(c.code, c);
  for (const m of venue.values()) codes.set(m.currency.code, m.currency);
  let changed = false;
  for (const [code, cur] of [...codes].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const venueRaw = venue.get(code)?.raw ?? 0;
    const localRaw = account.balanceRaw(code);
    const diff = venueRaw - localRaw;
    if (diff === 0) continue;
    const pending = ledger.filter((e) => e.amount.currency.code === code && !applied.has(e.id));
    let sum = 0;
    for (const e of pending) sum += e.amount.raw;
    if (pending.length > 0 && sum === diff) {
      for (const e of pending) {
        account.adjust(cur, e.amount.raw);
        applied.add(e.id);
        fixes.push(`${code}: ${e.kind} ${e.id} ${e.amount.toString()} applied to ${account.id}`);
      }
      changed = true;
      continue;
    }
    const fmt = (raw: number) => formatRaw(raw, cur.precision);
    mismatches.push({
      code: "BALANCE_MISMATCH",
      clientOrderId: null,
      instrumentId: code,
      local: fmt(localRaw),
      venue: fmt(venueRaw),
      detail:
        `${account.id} ${code} balance differs by ${fmt(diff)}; ` +
        (pending.length === 0
          ? "no unapplied ledger entry explains it"
          : `unapplied ledger entries (${pending.map((e) => e.id).join(", ")}) sum to ${fmt(sum)}`),
    });
  }
  if (changed) {
    engine.publishAccountState(account.state(engine.reconciliationEventId(), balance.tsLast));
  }
}

function localNet(engine: ExecutionEngine, instrumentId: InstrumentId): number {
  let n = 0;
  for (const p of engine.cache.allPositions()) if (p.instrumentId === instrumentId) n += p.signedQtyRaw;
  return n;
}

/**
 * Reconciles `client` every `intervalUs` on the kernel clock; each report goes to `onReport`
 * (e.g. halt trading when `ok` is false). Returns a function that stops it.
 */
export function scheduleReconciliation(
  engine: ExecutionEngine,
  client: ExecutionClient,
  clock: {
    setTimer(name: string, intervalUs: number, handler: () => void): void;
    cancelTimer(name: string): boolean;
  },
  intervalUs: number,
  onReport: (report: ReconciliationReport) => void,
  onError: (error: Error) => void = () => {},
  options: ReconcileOptions = {},
): () => void {
  const name = `reconcile:${client.venue}`;
  // One applied-ledger set across rounds, so an entry is never applied twice.
  const opts = { ...options, appliedLedger: options.appliedLedger ?? new Set<string>() };
  let running = false;
  clock.setTimer(name, intervalUs, () => {
    if (running) return; // the previous round is still querying
    running = true;
    reconcile(engine, client, opts)
      .then(onReport, onError)
      .finally(() => {
        running = false;
      });
  });
  return () => {
    clock.cancelTimer(name);
  };
}

/** Reconciliation on start found differences it cannot explain: trading must not start. */
export class ReconciliationFailedError extends BotV6Error {
  constructor(readonly reports: ReconciliationReport[]) {
    const bad = reports.filter((r) => !r.ok);
    super(
      "RECONCILIATION_FAILED",
      `reconciliation failed for ${bad.map((r) => r.venue).join(", ")}; strategies not started:\n${bad
        .map((r) => describeMismatches(r))
        .join("\n")}`,
      { venues: bad.map((r) => r.venue), mismatches: bad.flatMap((r) => r.mismatches) },
    );
  }
}

/** `CODE INSTRUMENT [ORDER]`: what a mismatch is about. */
function mismatchLabel(m: ReconciliationMismatch): string {
  return `${m.code} ${m.instrumentId}${m.clientOrderId === null ? "" : ` ${m.clientOrderId}`}`;
}

/** One line per mismatch: `venue code instrument order: local X, venue Y (detail)`. */
export function describeMismatches(report: ReconciliationReport): string {
  return report.mismatches
    .map(
      (m) =>
        `  ${report.venue} ${mismatchLabel(m)}: local ${m.local}, venue ${m.venue}${m.detail === "" ? "" : ` (${m.detail})`}`,
    )
    .join("\n");
}

/**
 * The start gate of a trading node: reconciles every venue (fixing forward what it can
 * explain) and only then calls `start` (which adds/starts the strategies). On any mismatch it
 * cannot explain it throws {@link ReconciliationFailedError} with every report, and `start` is
 * never called — fail closed. A venue query that fails also keeps the strategies stopped.
 */
export async function startAfterReconciliation(
  engine: ExecutionEngine,
  venues: readonly { client: ExecutionClient; options?: ReconcileOptions }[],
  start: (reports: ReconciliationReport[]) => void,
): Promise<ReconciliationReport[]> {
  const reports: ReconciliationReport[] = [];
  for (const v of venues) reports.push(await reconcile(engine, v.client, v.options));
  if (reports.some((r) => !r.ok)) throw new ReconciliationFailedError(reports);
  start(reports);
  return reports;
}

/**
 * For {@link scheduleReconciliation}'s `onReport`: a periodic round that finds an unexplained
 * difference trips the kill switch (cancel all, HALTED) with the mismatches as the cause; only
 * an authorised resume restarts trading.
 */
export function haltOnMismatch(risk: { halt(reason: string): void }): (report: ReconciliationReport) => void {
  return (report) => {
    if (!report.ok) {
      risk.halt(
        `reconciliation mismatch at ${report.venue}: ${report.mismatches.map(mismatchLabel).join("; ")}`,
      );
    }
  };
}
