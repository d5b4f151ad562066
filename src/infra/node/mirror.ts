/**
 * The strategy node's engine: the configured strategies on a *mirror* of the execution node's
 * state (data engine, order cache, portfolio; its own simulated venue never sees an order).
 * Commands the strategies make are collected for the execution node; the mirror learns what
 * became of them only from the execution node's order events, which {@link StrategyMirror.apply}
 * applies in order (fills update the mirror's portfolio, so `positionRaw`, `orders` etc. answer
 * as in one process).
 *
 * In stream mode the execution node also echoes every order submission it handled (the command
 * as it was sent) ahead of the order's events, so a replacement strategy node that replays the
 * events channel from its start can rebuild orders it never created (see stream.ts).
 */
import type { BacktestEngine } from "../../backtest/engine.js";
import { configuredStrategies, createConfiguredEngine } from "../../backtest/from-config.js";
import type { BacktestFileConfig } from "../../core/config.js";
import { CommandCodes, type CommandResult, fail, ok } from "../../execution/errors.js";
import type { TradingCommand } from "../../model/commands.js";
import type { OrderEvent } from "../../model/events.js";
import type { Order } from "../../model/orders.js";
import type { Strategy } from "../../strategy/strategy.js";
import type { NodeWire } from "./wire.js";

/** The orders a submit command carries (none for cancels and modifies). */
export function ordersOf(cmd: TradingCommand): readonly Order[] {
  return cmd.type === "SubmitOrder" ? [cmd.order] : cmd.type === "SubmitOrderList" ? cmd.orders : [];
}

export class StrategyMirror {
  readonly engine: BacktestEngine;
  readonly strategies: Strategy[];
  /** Encoded commands not yet sent, in the order the strategies made them. */
  private outbox: Uint8Array[] = [];
  /** Commands the strategies made (sent or in the outbox). */
  commands = 0;
  /** Order events of orders this node neither sent nor saw echoed (ignored). */
  unknownOrders = 0;
  /** Echoed submissions of orders the mirror did not know (rebuilt from the events channel). */
  rebuiltOrders = 0;

  constructor(
    bt: BacktestFileConfig,
    seed: number,
    private readonly wire: NodeWire,
  ) {
    this.engine = createConfiguredEngine(bt, seed);
    const execute = (cmd: TradingCommand): CommandResult => {
      const orders = ordersOf(cmd);
      for (const order of orders) {
        if (this.engine.exec.cache.has(order.clientOrderId)) {
          return fail(
            CommandCodes.CLIENT_ORDER_ID_DUPLICATE,
            `order ${order.clientOrderId} was already sent`,
          );
        }
      }
      // The mirror knows the order at once (strategies may look it up); its state changes only
      // with the execution node's events.
      for (const order of orders) this.engine.exec.cache.add(order);
      this.outbox.push(this.wire.item(cmd, cmd.commandId, `commands.${cmd.strategyId.value}`));
      this.commands++;
      return ok();
    };
    this.strategies = configuredStrategies(bt);
    for (const s of this.strategies) {
      // The engine's own trading context, except that commands go to the execution node.
      const attach = s.attach.bind(s);
      s.attach = (ctx) => attach({ ...ctx, execute });
      this.engine.addStrategy(s);
    }
  }

  /** The commands made since the last call, in order. */
  takeOutbox(): Uint8Array[] {
    const items = this.outbox;
    this.outbox = [];
    return items;
  }

  /** Applies the execution node's items, in order: echoed submissions, then order events. */
  apply(items: readonly Uint8Array[]): void {
    const cache = this.engine.exec.cache;
    for (const item of items) {
      const { message, topic } = this.wire.open<TradingCommand | OrderEvent>(item);
      if (topic.startsWith("commands.")) {
        // An order this node did not make (a previous incarnation did): known from now on.
        for (const order of ordersOf(message as TradingCommand)) {
          if (cache.has(order.clientOrderId)) continue;
          cache.add(order);
          this.rebuiltOrders++;
        }
        continue;
      }
      // Position events are derived again from the fills by the mirror's portfolio.
      if (!topic.startsWith("events.order.")) continue;
      const e = message as OrderEvent;
      const order = cache.get(e.clientOrderId);
      if (order === undefined) {
        this.unknownOrders++;
        continue;
      }
      if (e.type === "OrderInitialized") this.engine.kernel.bus.publish(topic, e);
      else this.engine.exec.apply(order, e);
    }
  }

  /**
   * Moves every strategy's client order ids past those of the orders the mirror knows, so a
   * replacement node never reuses an id its predecessor sent. Strategies number their orders
   * `<strategy id>-<n>` (Strategy.nextOrderId); returns how many ids were skipped.
   */
  resumeOrderIds(): number {
    let skipped = 0;
    for (const s of this.strategies) {
      const prefix = `${s.id}-`;
      let last = 0;
      for (const o of this.engine.exec.cache.orders()) {
        const id = o.clientOrderId.value;
        if (!id.startsWith(prefix)) continue;
        const n = Number(id.slice(prefix.length));
        if (Number.isSafeInteger(n) && n > last) last = n;
      }
      s.resumeOrderIdsAfter(last);
      skipped += last;
    }
    return skipped;
  }
}
