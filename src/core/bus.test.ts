import { describe, expect, it } from "vitest";
import { BusError, MessageBus } from "./bus.js";

describe("MessageBus", () => {
  it("delivers synchronously, in priority then subscription order", () => {
    const bus = new MessageBus();
    const seen: string[] = [];
    bus.subscribe("t", (m: number) => seen.push(`a${m}`));
    bus.subscribe("t", (m: number) => seen.push(`b${m}`), 10);
    bus.subscribe("t", (m: number) => seen.push(`c${m}`));
    bus.publish("t", 1);
    expect(seen).toEqual(["b1", "a1", "c1"]);
  });

  it("topic handles publish without lookup and count messages", () => {
    const bus = new MessageBus();
    const t = bus.topic<number>("data.trades.X.Y");
    let sum = 0;
    bus.subscribe<number>("data.trades.X.Y", (m) => {
      sum += m;
    });
    for (let i = 1; i <= 10; i++) t.publish(i);
    expect(sum).toBe(55);
    expect(t.published).toBe(10);
    expect(bus.topic("data.trades.X.Y")).toBe(t);
  });

  it("resolves wildcards at subscribe time and on topic creation, not per message", () => {
    const bus = new MessageBus();
    const early = bus.topic<string>("data.trades.A.V");
    const got: string[] = [];
    bus.subscribe<string>("data.trades.*", (m) => got.push(m));
    bus.subscribe<string>("data.?uotes.*", (m) => got.push(`q:${m}`));
    expect(early.handlers).toHaveLength(1);
    const late = bus.topic<string>("data.trades.B.V");
    expect(late.handlers).toHaveLength(1);
    early.publish("a");
    late.publish("b");
    bus.publish("data.quotes.A.V", "c");
    bus.publish("data.book.deltas.A.V", "ignored");
    expect(got).toEqual(["a", "b", "q:c"]);
  });

  it("subscribing the same handler twice delivers once; unsubscribe removes it", () => {
    const bus = new MessageBus();
    let n = 0;
    const h = () => {
      n++;
    };
    bus.subscribe("t", h);
    bus.subscribe("t", h);
    bus.publish("t", 0);
    expect(n).toBe(1);
    expect(bus.unsubscribe("t", h)).toBe(true);
    bus.publish("t", 0);
    expect(n).toBe(1);
    bus.subscribe("x.*", h);
    bus.publish("x.1", 0);
    expect(bus.unsubscribe("x.*", h)).toBe(true);
    bus.publish("x.1", 0);
    bus.publish("x.2", 0);
    expect(n).toBe(2);
  });

  it("subscription changes during a publish apply from the next message", () => {
    const bus = new MessageBus();
    const seen: string[] = [];
    const second = (m: number) => seen.push(`second${m}`);
    bus.subscribe("t", (m: number) => {
      seen.push(`first${m}`);
      bus.subscribe("t", second);
    });
    bus.publish("t", 1);
    bus.publish("t", 2);
    expect(seen).toEqual(["first1", "first2", "second2"]);
  });

  it("a throwing handler stops the publish and the error reaches the publisher", () => {
    const bus = new MessageBus();
    const seen: number[] = [];
    bus.subscribe("t", () => {
      throw new Error("boom");
    });
    bus.subscribe("t", (m: number) => seen.push(m));
    expect(() => bus.publish("t", 1)).toThrow("boom");
    expect(seen).toEqual([]);
  });

  it("request/response endpoints", () => {
    const bus = new MessageBus();
    bus.register<{ a: number; b: number }, number>("calc.add", (r) => r.a + r.b);
    expect(bus.request<{ a: number; b: number }, number>("calc.add", { a: 2, b: 3 })).toBe(5);
    expect(() => bus.register("calc.add", () => 0)).toThrow(BusError);
    expect(() => bus.request("nope", {})).toThrow(/no handler registered for endpoint "nope"/);
    expect(bus.deregister("calc.add")).toBe(true);
    expect(bus.hasEndpoint("calc.add")).toBe(false);
  });

  it("rejects invalid topic names", () => {
    const bus = new MessageBus();
    expect(() => bus.topic("")).toThrow(/non-empty/);
    expect(() => bus.topic("a.*")).toThrow(BusError);
  });
});
