import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MessageBus } from "../../core/bus.js";
import { Topics } from "../../core/topics.js";
import type { Bar, OrderBookDepth, QuoteTick } from "../../model/data.js";
import { QuoteTick as Quote } from "../../model/data.js";
import type { AccountState, PositionEvent } from "../../model/events.js";
import { Price } from "../../model/values.js";
import { BTC, sampleMessages } from "../codec/fixtures.js";
import { type ServiceHandle, sleep, startRedis } from "../testing/services.js";
import { describeService } from "../testing/vitest.js";
import { waitFor } from "../testing/wait.js";
import { RedisCache } from "./cache.js";
import { ActiveStandby, DistributedLock, FencedResource } from "./lock.js";
import { SharedRateLimiter } from "./ratelimit.js";

const LEASE_NODE = fileURLToPath(new URL("../testing/lease-node.ts", import.meta.url));
let run = 0;

describeService("redis", "Redis cache, rate limits and the fenced lock", () => {
  let svc: ServiceHandle;
  let a: Redis;
  let b: Redis;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    svc = await startRedis();
    a = new Redis(svc.url);
    b = new Redis(svc.url);
  }, 30_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    a?.disconnect();
    b?.disconnect();
    await svc?.stop();
  });

  it("writes the latest books, quotes, bars, features, positions and balances through, with TTLs", async () => {
    const ns = `c${process.pid}-${Date.now()}-${++run}`;
    const cache = new RedisCache(a, { namespace: ns, ttl: { quoteMs: 5000 }, flushIntervalMs: 10 });
    const bus = new MessageBus();
    cache.attach(bus);
    const all = sampleMessages();
    const q = all.QuoteTick as QuoteTick;
    // Many quotes in one burst: only the latest reaches Redis.
    for (let i = 0; i < 1000; i++) {
      const bid = Price.fromRaw(q.bidPrice.raw + i, q.bidPrice.precision);
      bus.publish(
        Topics.quotes(BTC),
        new Quote(BTC, bid, q.askPrice, q.bidSize, q.askSize, q.tsEvent + i, q.tsInit + i),
      );
    }
    bus.publish(Topics.bookDepth(BTC), all.OrderBookDepth);
    const bar = all.Bar as Bar;
    bus.publish(Topics.bars(bar.barType), bar);
    bus.publish("events.position.EMA", all.PositionChanged);
    bus.publish("events.account.BINANCE-001", all.AccountState);
    cache.putFeatures(BTC, 123, { rsi14: 55.5, ofi: -0.25 });
    await cache.flush();
    const reader = new RedisCache(b, { namespace: ns });
    const latest = await reader.getQuote(BTC);
    expect(latest?.bidPrice.raw).toBe(q.bidPrice.raw + 999);
    expect(await reader.getBook(BTC)).toStrictEqual(all.OrderBookDepth as OrderBookDepth);
    expect(await reader.getBar(bar.barType)).toStrictEqual(bar);
    expect(await reader.getPosition("BTCUSDT.BINANCE-EMA-CROSS-001")).toStrictEqual(
      all.PositionChanged as PositionEvent,
    );
    expect(await reader.getAccount("BINANCE-001")).toStrictEqual(all.AccountState as AccountState);
    expect(await reader.getFeatures(BTC)).toEqual({
      instrumentId: BTC.value,
      tsEvent: 123,
      values: { rsi14: 55.5, ofi: -0.25 },
    });
    const pttl = await b.pttl(cache.key("quote", BTC.value));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5000);
    expect(cache.stats()).toMatchObject({ written: 6, dropped: 0, flushFailures: 0 });
    await cache.close();
  });

  it("shares an atomic rate limit between clients", async () => {
    const key = `venue:orders:${process.pid}-${Date.now()}-${++run}`;
    const la = new SharedRateLimiter(a, 5, 1);
    const lb = new SharedRateLimiter(b, 5, 1);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? la : lb).take(key)));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    const refused = results.filter((r) => !r.allowed);
    expect(refused).toHaveLength(3);
    for (const r of refused) expect(r.retryAfterMs).toBeGreaterThan(0);
    expect(() => new SharedRateLimiter(a, 0, 1)).toThrow(/capacity > 0/);
    await expect(la.take(key, 6)).rejects.toThrow(/cost 6 must be in/);
  });

  it("grants the lock to one owner at a time with strictly increasing fencing tokens", async () => {
    const name = `account-${process.pid}-${Date.now()}-${++run}`;
    const l1 = new DistributedLock(a, name, "node-1", 5000);
    const l2 = new DistributedLock(b, name, "node-2", 5000);
    const first = await l1.tryAcquire();
    expect(first?.token).toBe(1);
    expect(await l2.tryAcquire()).toBeNull();
    expect((await l1.tryAcquire())?.token).toBe(1); // re-entrant for its owner
    expect(await l2.renew()).toBe(false);
    expect(await l2.release()).toBe(false);
    expect(await l1.release()).toBe(true);
    const second = await l2.tryAcquire();
    expect(second?.token).toBe(2);
    // The resource refuses the old holder once the new one has written.
    const journal = new FencedResource(a, name);
    expect(await journal.check(2)).toBe(true);
    expect(await journal.check(1)).toBe(false);
    expect(await journal.check(2)).toBe(true);
  });

  it("fails over to the standby when the active node is killed (SIGKILL), with a higher token", async () => {
    const name = `exec-${process.pid}-${Date.now()}-${++run}`;
    const ttl = 600;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", LEASE_NODE, svc.url, name, "node-A", String(ttl)],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    children.push(child);
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    await waitFor(() => /active (\d+)/.test(out), "node A to become active", 30_000);
    const tokenA = Number(/active (\d+)/.exec(out)?.[1]);
    const events: string[] = [];
    let tokenB = 0;
    const standby = new ActiveStandby(b, name, "node-B", {
      ttlMs: ttl,
      onActive: (t) => {
        tokenB = t;
        events.push("active");
      },
      onStandby: (r) => events.push(`standby: ${r}`),
    });
    standby.start();
    // While A renews, B stays standby (several TTLs).
    await sleep(3 * ttl);
    expect(standby.role).toBe("standby");
    expect(events).toEqual([]);
    child.kill("SIGKILL");
    await waitFor(() => standby.role === "active", "node B to take over", 10_000);
    expect(tokenB).toBeGreaterThan(tokenA);
    expect(await new DistributedLock(a, name, "x", ttl).holder()).toBe("node-B");
    // A graceful stop releases at once.
    await standby.stop();
    expect(events).toEqual(["active", "standby: stopped"]);
    expect(await new DistributedLock(a, name, "x", ttl).holder()).toBeNull();
  });

  it("steps down on its own deadline when Redis becomes unreachable (fail closed)", async () => {
    const name = `exec-${process.pid}-${Date.now()}-${++run}`;
    const c = new Redis(svc.url, {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 50,
    });
    c.on("error", () => {});
    const events: string[] = [];
    const node = new ActiveStandby(c, name, "node-C", {
      ttlMs: 1000,
      onActive: () => events.push("active"),
      onStandby: (r) => events.push(`standby: ${r}`),
    });
    node.start();
    await waitFor(() => node.role === "active", "node C to become active");
    c.disconnect(); // Redis unreachable from this node's point of view
    await waitFor(() => node.role === "standby", "node C to step down", 10_000);
    await waitFor(() => events.length >= 2, "the step-down notice", 10_000);
    expect(events[0]).toBe("active");
    expect(events.at(-1)).toMatch(/^standby: lease (expired|could not be renewed)/);
    await node.stop();
  });
});
