/**
 * Rebuilds execution state from the journal: orders (from the journaled specifications, then
 * every applied event in sequence), positions (from the fills, in sequence) and the last
 * account state per account. Because the journal holds exactly the events that were applied,
 * replaying them reproduces the state exactly; an event the state machine refuses on replay
 * means the journal and the code disagree, and the rebuild fails naming the record (fail closed).
 */
import { OrderCache } from "../execution/cache.js";
import type { SubmitOrder, SubmitOrderList } from "../model/commands.js";
import { BotV6Error } from "../model/errors.js";
import type { AccountState, OrderEvent } from "../model/events.js";
import type { InstrumentId } from "../model/identifiers.js";
import type { Instrument } from "../model/instruments.js";
import { createOrder, type OrderSpec } from "../model/orders.js";
import { decodeRecord, type JournalRecord } from "./journal.js";
import { RecordKind } from "./recorder.js";

export class RebuildError extends BotV6Error {}

export interface RebuiltState {
  readonly cache: OrderCache;
  readonly accounts: Map<string, AccountState>;
  readonly lastSeq: number;
  readonly records: number;
}

const ORDER_EVENTS = new Set([
  "OrderDenied",
  "OrderSubmitted",
  "OrderAccepted",
  "OrderRejected",
  "OrderTriggered",
  "OrderPendingUpdate",
  "OrderPendingCancel",
  "OrderUpdated",
  "OrderModifyRejected",
  "OrderCancelRejected",
  "OrderCanceled",
  "OrderExpired",
  "OrderFilled",
]);

export function rebuildState(
  records: readonly JournalRecord[],
  instruments: ReadonlyMap<InstrumentId, Instrument> = new Map(),
): RebuiltState {
  const cache = new OrderCache();
  const accounts = new Map<string, AccountState>();
  let lastSeq = 0;
  for (const r of records) {
    lastSeq = r.seq;
    const fail = (why: string) =>
      new RebuildError("JOURNAL_REBUILD_FAILED", `journal record ${r.seq} (${r.kind}): ${why}`, {
        seq: r.seq,
        kind: r.kind,
      });
    if (r.kind === RecordKind.Command) {
      const cmd = decodeRecord<{ type: string }>(r);
      const specs =
        cmd.type === "SubmitOrder"
          ? [(cmd as unknown as SubmitOrder & { order: OrderSpec }).order]
          : cmd.type === "SubmitOrderList"
            ? (cmd as unknown as SubmitOrderList & { orders: OrderSpec[] }).orders
            : [];
      for (const spec of specs) {
        if (cache.has(spec.clientOrderId)) throw fail(`order ${spec.clientOrderId} created twice`);
        try {
          cache.add(createOrder(spec));
        } catch (e) {
          throw fail((e as Error).message);
        }
      }
    } else if (ORDER_EVENTS.has(r.kind)) {
      const e = decodeRecord<OrderEvent>(r);
      const order = cache.get(e.clientOrderId);
      if (order === undefined) throw fail(`event for unknown order ${e.clientOrderId}`);
      try {
        order.apply(e);
      } catch (err) {
        throw fail((err as Error).message);
      }
      cache.refresh(order);
      if (e.type === "OrderFilled") {
        const inst = instruments.get(order.instrumentId);
        cache
          .positionFor(
            order.instrumentId,
            order.strategyId,
            e.accountId,
            inst?.pricePrecision ?? e.lastPx.precision,
            inst?.sizePrecision ?? e.lastQty.precision,
            inst?.multiplier ?? 1,
          )
          .applyFill(e);
      }
    } else if (r.kind === "AccountState") {
      const s = decodeRecord<AccountState>(r);
      accounts.set(s.accountId.value, s);
    }
    // OrderInitialized, risk events and other commands carry nothing to rebuild.
  }
  return { cache, accounts, lastSeq, records: records.length };
}
