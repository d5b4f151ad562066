/**
 * Message-bus publish-to-handler cost. Targets (issue 2): <= 30 ns per delivery with one
 * subscriber and >= 20 M deliveries/s. Node's EventEmitter is measured beside it for scale.
 */
import { EventEmitter } from "node:events";
import { MessageBus } from "../src/core/bus.js";
import { type BenchContext, type BenchRecord, machineInfo, measure } from "./harness.js";

interface Msg {
  seq: number;
  px: number;
}

export async function run(ctx: BenchContext): Promise<void> {
  ctx.emit({ case: "machine", ...machineInfo() });
  const N = 20_000_000;
  const msg: Msg = { seq: 0, px: 100 };

  for (const subscribers of [1, 4, 16]) {
    const bus = new MessageBus();
    const topic = bus.topic<Msg>("data.trades.BTCUSDT.BINANCE");
    let sink = 0;
    for (let s = 0; s < subscribers; s++) {
      bus.subscribe<Msg>("data.trades.BTCUSDT.BINANCE", (m) => {
        sink += m.px;
      });
    }
    const r = measure((n) => {
      for (let i = 0; i < n; i++) {
        msg.seq = i;
        topic.publish(msg);
      }
      return sink;
    }, N / subscribers);
    const perDelivery = r.bestNsPerOp / subscribers;
    const record: BenchRecord = {
      case: `bus.topic.publish.${subscribers}-subscriber${subscribers > 1 ? "s" : ""}`,
      nsPerPublish: r.bestNsPerOp,
      nsPerDelivery: Math.round(perDelivery * 1000) / 1000,
      medianNsPerPublish: r.medianNsPerOp,
      deliveriesPerSec: Math.round(1e9 / perDelivery),
    };
    if (subscribers === 1) {
      record.target = "<= 30 ns/delivery and >= 20 M deliveries/s";
      record.met = perDelivery <= 30 && 1e9 / perDelivery >= 20e6;
    }
    ctx.emit(record);
  }

  {
    const bus = new MessageBus();
    let sink = 0;
    bus.subscribe<Msg>("data.trades.*", (m) => {
      sink += m.px;
    });
    const r = measure((n) => {
      for (let i = 0; i < n; i++) bus.publish("data.trades.BTCUSDT.BINANCE", msg);
      return sink;
    }, N / 2);
    ctx.emit({
      case: "bus.publish-by-name.wildcard-subscriber",
      nsPerDelivery: r.bestNsPerOp,
      deliveriesPerSec: r.opsPerSec,
    });
  }

  {
    const ee = new EventEmitter();
    let sink = 0;
    ee.on("data.trades.BTCUSDT.BINANCE", (m: Msg) => {
      sink += m.px;
    });
    const r = measure((n) => {
      for (let i = 0; i < n; i++) ee.emit("data.trades.BTCUSDT.BINANCE", msg);
      return sink;
    }, N / 4);
    ctx.emit({
      case: "peer.node-EventEmitter.emit.1-listener",
      nsPerDelivery: r.bestNsPerOp,
      deliveriesPerSec: r.opsPerSec,
    });
  }

  {
    const bus = new MessageBus();
    bus.register<number, number>("exec.command", (x) => x + 1);
    const r = measure((n) => {
      let acc = 0;
      for (let i = 0; i < n; i++) acc = bus.request<number, number>("exec.command", acc);
      return acc;
    }, N / 4);
    ctx.emit({ case: "bus.request-response", nsPerRequest: r.bestNsPerOp, requestsPerSec: r.opsPerSec });
  }
}
