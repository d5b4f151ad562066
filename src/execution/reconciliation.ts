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
 * Unexplained (mismatches):
 * - `UNKNOWN_VENUE_ORDER`: an open order on the venue that we never sent;
 * - `ORDER_MISSING_AT_VENUE`: a local open order the venue does not know;
 * - `POSITION_MISMATCH`: after the fixes, the venue's position differs from ours
 *   (e.g. changed by hand);
 * - `FILL_MISMATCH`: the venue reports more filled than its trades explain.
 */
import { OrderStatus } from "../model/enums.js";
import { formatRaw, parseDecimal, rescale } from "../model/fixed.js";
import type { InstrumentId } from "../model/identifiers.js";
import type { Order } from "../model/orders.js";
import type { ExecutionClient, OrderStatusReport, TradeReport } from "./client.js";
import type { ExecutionEngine } from "./engine.js";

export interface ReconciliationMismatch {
  readonly code: "UNKNOWN_VENUE_ORDER" | "ORDER_MISSING_AT_VENUE" | "POSITION_MISMATCH" | "FILL_MISMATCH";
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

/** Reconciles one venue. Asynchronous (venue queries); fixes are applied synchronously after them. */
export async function reconcile(
  engine: ExecutionEngine,
  client: ExecutionClient,
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
  for (const f of fixes) engine.notice("RECONCILIATION_FIX", `${client.venue}: ${f}`, null);
  for (const m of mismatches)
    engine.notice(`RECONCILIATION_${m.code}`, `${client.venue}: ${m.detail}`, m.clientOrderId);
  return { ok: mismatches.length === 0, venue: client.venue, fixes, mismatches };
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
): () => void {
  const name = `reconcile:${client.venue}`;
  let running = false;
  clock.setTimer(name, intervalUs, () => {
    if (running) return; // the previous round is still querying
    running = true;
    reconcile(engine, client)
      .then(onReport, onError)
      .finally(() => {
        running = false;
      });
  });
  return () => {
    clock.cancelTimer(name);
  };
}
