/**
 * Contingent orders: OTO (one triggers other), OCO (one cancels other) and OUO (one updates
 * other), and brackets (an OTO entry whose children are an OCO/OUO pair of exits).
 *
 * Rules, applied synchronously after each order event:
 *
 * - **OTO**: children (orders whose `parentOrderId` is the parent) are held locally until the
 *   parent fills. On the parent's first fill they are released with quantity = parent's filled
 *   quantity; later parent fills resize them (locally while held, by a venue modify once
 *   working). A parent closed without any fill cancels its children.
 * - **OCO**: the first fill (even partial) of one order cancels its linked siblings.
 * - **OUO**: a fill of one reduces each sibling so the group's remaining exposure stays equal:
 *   sibling quantity = sibling filled + (group base − fills of the whole group); at zero
 *   exposure the siblings are canceled. The base is the parent's filled quantity for bracket
 *   children, otherwise the largest original quantity in the group.
 * - **OCO and OUO**: one order canceled, expired, rejected or denied (not by this manager)
 *   cancels its siblings.
 */
import { ContingencyType } from "../model/enums.js";
import type { OrderEvent } from "../model/events.js";
import type { Order } from "../model/orders.js";
import { Quantity } from "../model/values.js";
import type { ExecutionEngine } from "./engine.js";

export class ContingencyManager {
  private readonly engine: ExecutionEngine;
  /** Orders this manager canceled (their cancel must not cascade back). */
  private readonly cascading = new Set<string>();
  /** Base quantity of OUO groups without a parent (largest original quantity), by order id. */
  private readonly base = new Map<string, number>();
  /** OTO children already released to routing. */
  private readonly released = new Set<string>();
  /** Children by parent order id, in creation order (only orders that have a parent). */
  private readonly kids = new Map<string, Order[]>();

  constructor(engine: ExecutionEngine) {
    this.engine = engine;
    engine.onEvent((e, o) => this.onEvent(e, o));
  }

  /**
   * After starting from a rebuilt cache: relearns group bases and which OTO children were
   * already released (their parent has fills). Call before {@link ExecutionEngine.restoreHeld}.
   */
  restore(): void {
    const cache = this.engine.cache;
    for (const o of cache.orders()) {
      if (o.parentOrderId !== null) this.addChild(o);
      if (o.linkedOrderIds.length > 0) {
        let b = o.quantity.raw;
        for (const l of o.linkedOrderIds) b = Math.max(b, cache.get(l)?.quantity.raw ?? 0);
        this.base.set(o.clientOrderId.value, b);
      }
      if (o.parentOrderId !== null && (cache.get(o.parentOrderId)?.filledQty.raw ?? 0) > 0) {
        this.released.add(o.clientOrderId.value);
      }
    }
  }

  private onEvent(event: OrderEvent, order: Order): void {
    const cache = this.engine.cache;
    if (event.type === "OrderInitialized") {
      if (order.parentOrderId !== null) this.addChild(order);
      if (order.linkedOrderIds.length > 0 && !this.base.has(order.clientOrderId.value)) {
        let b = order.quantity.raw;
        for (const l of order.linkedOrderIds) b = Math.max(b, cache.get(l)?.quantity.raw ?? 0);
        this.base.set(order.clientOrderId.value, b);
      }
      return;
    }
    if (order.contingencyType === ContingencyType.OTO && (event.type === "OrderFilled" || order.isClosed())) {
      this.onParent(order);
    }
    if (order.linkedOrderIds.length === 0) return;
    if (event.type === "OrderFilled") {
      if (order.contingencyType === ContingencyType.OCO) this.cancelSiblings(order);
      else if (order.contingencyType === ContingencyType.OUO) this.rebalance(order);
      return;
    }
    if (
      event.type === "OrderCanceled" ||
      event.type === "OrderExpired" ||
      event.type === "OrderRejected" ||
      event.type === "OrderDenied"
    ) {
      if (this.cascading.delete(order.clientOrderId.value)) return;
      if (order.contingencyType === ContingencyType.OCO || order.contingencyType === ContingencyType.OUO) {
        this.cancelSiblings(order);
      }
    }
    if (
      order.contingencyType === ContingencyType.OUO &&
      (event.type === "OrderUpdated" || event.type === "OrderModifyRejected")
    ) {
      this.rebalance(order);
    }
  }

  private addChild(child: Order): void {
    const parentId = (child.parentOrderId as NonNullable<Order["parentOrderId"]>).value;
    const list = this.kids.get(parentId);
    if (list === undefined) this.kids.set(parentId, [child]);
    else if (!list.includes(child)) list.push(child);
  }

  private children(parent: Order): Order[] {
    return this.kids.get(parent.clientOrderId.value) ?? [];
  }

  private onParent(parent: Order): void {
    const kids = this.children(parent);
    if (parent.filledQty.raw === 0) {
      if (parent.isClosed()) for (const k of kids) this.cancel(k);
      return;
    }
    const target = parent.filledQty.withPrecision(parent.quantity.precision);
    for (const k of kids) {
      if (k.isClosed()) continue;
      if (!this.released.has(k.clientOrderId.value)) {
        this.released.add(k.clientOrderId.value);
        // Not yet released: size it to what the parent filled, then release.
        if (k.quantity.raw !== target.raw) {
          this.engine.apply(k, this.engine.updatedEvent(k, null, target, null, null));
        }
        this.engine.releaseHeld(k);
      } else if (k.contingencyType !== ContingencyType.OUO || k.linkedOrderIds.length === 0) {
        this.resize(k, target.raw - 0);
      }
    }
    // OUO exits size from the group's exposure (parent filled minus exits' fills).
    const ouo = kids.find((k) => k.contingencyType === ContingencyType.OUO && !k.isClosed());
    if (ouo !== undefined) this.rebalance(ouo);
  }

  private cancelSiblings(order: Order): void {
    for (const l of order.linkedOrderIds) {
      const s = this.engine.cache.get(l);
      if (s !== undefined) this.cancel(s);
    }
  }

  private cancel(o: Order): void {
    if (o.isClosed()) return;
    this.cascading.add(o.clientOrderId.value);
    const r = this.engine.cancelOrder(o);
    if (!r.ok || o.isClosed()) this.cascading.delete(o.clientOrderId.value);
  }

  /** Resizes every open member of an OUO group to the group's remaining exposure. */
  private rebalance(order: Order): void {
    const cache = this.engine.cache;
    const group: Order[] = [order];
    for (const l of order.linkedOrderIds) {
      const s = cache.get(l);
      if (s !== undefined) group.push(s);
    }
    let baseRaw: number;
    const parent = order.parentOrderId === null ? undefined : cache.get(order.parentOrderId);
    if (parent !== undefined) baseRaw = parent.filledQty.raw;
    else baseRaw = this.base.get(order.clientOrderId.value) ?? order.quantity.raw;
    if (parent !== undefined && baseRaw === 0) return; // children not yet active
    let groupFilled = 0;
    for (const g of group) groupFilled += g.filledQty.raw;
    const exposure = Math.max(0, baseRaw - groupFilled);
    for (const g of group) {
      if (g.isClosed() || (parent !== undefined && !this.released.has(g.clientOrderId.value))) continue;
      if (exposure === 0) {
        if (g.leavesQty.raw > 0) this.cancel(g);
      } else {
        this.resize(g, g.filledQty.raw + exposure);
      }
    }
  }

  private resize(o: Order, qtyRaw: number): void {
    if (o.isClosed() || qtyRaw === o.quantity.raw || qtyRaw <= o.filledQty.raw) return;
    const q = Quantity.fromRaw(qtyRaw, o.quantity.precision);
    // A refusal (e.g. a modify already in flight) is retried on the order's next event.
    this.engine.modifyOrder(o, q, null, null);
  }
}
