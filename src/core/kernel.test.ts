import { describe, expect, it } from "vitest";
import { TradeTick } from "../model/data.js";
import { AggressorSide } from "../model/enums.js";
import { InstrumentId } from "../model/identifiers.js";
import { Price, Quantity } from "../model/values.js";
import { TestClock } from "./clock.js";
import { Component, ComponentState, ComponentStateError } from "./component.js";
import { EventLog } from "./eventlog.js";
import { Kernel, KernelError, type TimedMessage } from "./kernel.js";
import { Rng } from "./rng.js";
import { Topics } from "./topics.js";

class Probe extends Component {
  readonly calls: string[] = [];
  protected override onInitialize() {
    this.calls.push("initialize");
  }
  protected override onStart() {
    this.calls.push("start");
  }
  protected override onStop() {
    this.calls.push("stop");
  }
  protected override onDispose() {
    this.calls.push("dispose");
  }
}

/** A component that reacts to trades with randomness and timers: a determinism workout. */
class Reactor extends Component {
  private count = 0;
  private notional = 0;
  protected override onStart(): void {
    const { bus, clock, ids, rng } = this.context;
    const signals = bus.topic<{ id: string; side: string; px: string; noise: number }>(
      "events.signal.reactor",
    );
    const beats = bus.topic<{ id: string; trades: number; notional: number }>("events.heartbeat.reactor");
    bus.subscribe<TradeTick>("data.trades.*", (t) => {
      this.count++;
      this.notional += t.price.toNumber() * t.size.toNumber();
      if (rng.nextFloat() < 0.05) {
        signals.publish({
          id: ids.next("SIG"),
          side: t.aggressorSide,
          px: t.price.toString(),
          noise: rng.nextNormal(),
        });
      }
    });
    clock.setTimer(
      "heartbeat",
      1_000_000,
      () => beats.publish({ id: ids.next("HB"), trades: this.count, notional: this.notional }),
      clock.timestampUs() + 1_000_000,
    );
  }
  protected override onStop(): void {
    this.context.clock.cancelTimer("heartbeat");
  }
}

function syntheticTrades(kernel: Kernel, seed: number, n: number, t0: number): TimedMessage[] {
  const rng = new Rng(seed);
  const ids = [InstrumentId.parse("BTCUSDT.BINANCE"), InstrumentId.parse("ETHUSDT.BINANCE")];
  const topics = ids.map((id) => kernel.bus.topic<TradeTick>(Topics.trades(id)));
  const px = [6_000_000, 300_000];
  const out: TimedMessage[] = [];
  let t = t0;
  for (let i = 0; i < n; i++) {
    const k = rng.nextInt(2);
    t += 1 + rng.nextInt(20_000);
    px[k] += rng.nextInt(21) - 10;
    const tick = new TradeTick(
      ids[k],
      Price.fromRaw(px[k], 2),
      Quantity.fromRaw(1 + rng.nextInt(5000), 3),
      rng.nextFloat() < 0.5 ? AggressorSide.Buyer : AggressorSide.Seller,
      String(i),
      t,
      t,
    );
    out.push({ ts: t, topic: topics[k] as TimedMessage["topic"], message: tick });
  }
  return out;
}

function runBacktest(seed: number): { digest: string; lines: string[] } {
  const t0 = 1_723_161_255_000_000;
  const kernel = new Kernel({ traderId: "T1", mode: "backtest", seed, clock: new TestClock(t0) });
  const log = kernel.add(new EventLog("EventLog", "*", true));
  kernel.add(new Reactor("Reactor"));
  kernel.start();
  kernel.replay(syntheticTrades(kernel, seed, 5_000, t0));
  kernel.advanceTo(kernel.clock.timestampUs() + 2_000_000);
  kernel.stop();
  kernel.dispose();
  return { digest: log.digest(), lines: log.lines };
}

describe("component lifecycle", () => {
  it("follows the transition table and rejects invalid transitions without changing state", () => {
    const kernel = new Kernel({ traderId: "T", mode: "backtest", seed: 1 });
    const p = new Probe("P");
    expect(() => p.start()).toThrow(ComponentStateError);
    expect(() => p.start()).toThrow(/cannot start in state PRE_INITIALIZED/);
    kernel.add(p);
    expect(p.state).toBe(ComponentState.Ready);
    expect(() => p.stop()).toThrow(/cannot stop in state READY/);
    kernel.start();
    expect(p.state).toBe(ComponentState.Running);
    kernel.stop();
    expect(p.state).toBe(ComponentState.Stopped);
    kernel.start();
    kernel.stop();
    kernel.dispose();
    expect(p.state).toBe(ComponentState.Disposed);
    expect(() => p.start()).toThrow(/cannot start in state DISPOSED/);
    expect(p.calls).toEqual(["initialize", "start", "stop", "start", "stop", "dispose"]);
  });

  it("a faulted component can only be disposed", () => {
    const kernel = new Kernel({ traderId: "T", mode: "backtest", seed: 1 });
    const p = kernel.add(new Probe("P"));
    kernel.start();
    p.fault("feed lost");
    expect(p.state).toBe(ComponentState.Faulted);
    expect(() => p.start()).toThrow(/cannot start in state FAULTED/);
    p.dispose();
  });

  it("the kernel starts components in order, stops them in reverse, and announces each", () => {
    const kernel = new Kernel({ traderId: "T", mode: "backtest", seed: 1 });
    const order: string[] = [];
    kernel.bus.subscribe<{ component: string; state: string }>(Topics.system("lifecycle"), (e) =>
      order.push(`${e.component}:${e.state}`),
    );
    kernel.add(new Probe("A"));
    kernel.add(new Probe("B"));
    expect(() => kernel.add(new Probe("A"))).toThrow(KernelError);
    kernel.start();
    const late = kernel.add(new Probe("C"));
    expect(late.state).toBe(ComponentState.Running);
    kernel.stop();
    expect(order).toEqual(["A:RUNNING", "B:RUNNING", "C:RUNNING", "C:STOPPED", "B:STOPPED", "A:STOPPED"]);
    expect(kernel.componentIds).toEqual(["A", "B", "C"]);
  });

  it("live and paper kernels use the wall clock; replay needs the test clock", () => {
    const kernel = new Kernel({ traderId: "T", mode: "paper", seed: 1 });
    kernel.start();
    expect(Math.abs(kernel.clock.timestampUs() / 1000 - Date.now())).toBeLessThan(5000);
    expect(() => kernel.replay([])).toThrow(/needs the test clock/);
    kernel.stop();
    kernel.dispose();
  });

  it("replay refuses out-of-order messages and delivers nothing after them", () => {
    const kernel = new Kernel({ traderId: "T", mode: "backtest", seed: 1 });
    const topic = kernel.bus.topic<number>("x");
    const got: number[] = [];
    kernel.bus.subscribe<number>("x", (m) => got.push(m));
    expect(() => kernel.replay([])).toThrow(/must be running/);
    kernel.start();
    const msgs = [10, 20, 15, 30].map((ts) => ({ ts, topic: topic as TimedMessage["topic"], message: ts }));
    expect(() => kernel.replay(msgs)).toThrow(/message 2 on x at 15 is before the clock \(20\)/);
    expect(got).toEqual([10, 20]);
  });
});

describe("determinism", () => {
  it("same data + same seed ⇒ bit-identical event log; another seed ⇒ a different one", () => {
    const a = runBacktest(7);
    const b = runBacktest(7);
    const c = runBacktest(8);
    expect(a.lines.length).toBeGreaterThan(5_000);
    expect(a.lines.some((l) => l.includes("events.signal.reactor"))).toBe(true);
    expect(a.lines.some((l) => l.includes("events.heartbeat.reactor"))).toBe(true);
    expect(a.lines).toEqual(b.lines);
    expect(a.digest).toBe(b.digest);
    expect(c.digest).not.toBe(a.digest);
  });
});

describe("Rng", () => {
  it("is reproducible and roughly uniform / normal", () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const xs = Array.from({ length: 20_000 }, () => a.nextFloat());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.nextFloat()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    const ns = Array.from({ length: 20_000 }, () => a.nextNormal());
    const m = ns.reduce((s, x) => s + x, 0) / ns.length;
    const v = ns.reduce((s, x) => s + (x - m) ** 2, 0) / ns.length;
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(v - 1)).toBeLessThan(0.05);
    expect(() => a.nextInt(0)).toThrow(RangeError);
  });
});
