/**
 * The message bus: typed topics with synchronous dispatch.
 *
 * - **Topics** are interned {@link Topic} handles with a precomputed subscriber array. Hot-path
 *   publishers hold the handle and call {@link Topic.publish}: one array walk, no lookup, no
 *   allocation. Publishing by name does one `Map` lookup first.
 * - **Wildcards** (`*` = any run of characters, `?` = one character) are resolved when a
 *   subscription or a topic is created, never per message.
 * - **Order** is deterministic: higher `priority` first, then subscription order.
 * - Subscriber arrays are copy-on-write, so a handler may (un)subscribe during a publish; the
 *   change applies from the next message.
 * - **Endpoints** give request/response for commands: `register` once, `send` or `request`.
 *
 * A handler that throws stops the publish and the error propagates to the publisher: the
 * engine fails closed instead of continuing with a half-delivered message.
 */
import { BotV6Error } from "../model/errors.js";

/**
 * A subscriber. Declared with method syntax so `Topic<TradeTick>` is assignable to
 * `Topic<unknown>` (parameter bivariance): heterogeneous topics can travel together, e.g. in
 * the kernel's `TimedMessage` stream.
 */
export type Handler<T> = { bivarianceHack(message: T): void }["bivarianceHack"];

export class BusError extends BotV6Error {}

interface Subscription<T> {
  readonly handler: Handler<T>;
  readonly priority: number;
  readonly seq: number;
}

/** A named topic. Obtain with {@link MessageBus.topic}; publish with {@link Topic.publish}. */
export class Topic<T> {
  readonly name: string;
  /** The handlers in delivery order; replaced (never mutated) when subscriptions change. */
  handlers: Handler<T>[] = [];
  /** Subscriptions behind `handlers`, kept sorted by (priority desc, seq asc). */
  subscriptions: Subscription<T>[] = [];
  /** Messages published on this topic. */
  published = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** Delivers `message` to every subscriber, synchronously, in order. */
  publish(message: T): void {
    this.published++;
    const hs = this.handlers;
    for (let i = 0; i < hs.length; i++) hs[i](message);
  }

  hasSubscribers(): boolean {
    return this.handlers.length > 0;
  }

  add(sub: Subscription<T>): void {
    if (this.subscriptions.some((s) => s.handler === sub.handler)) return;
    const subs = [...this.subscriptions, sub];
    subs.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    this.subscriptions = subs;
    this.handlers = subs.map((s) => s.handler);
  }

  remove(handler: Handler<T>): boolean {
    const subs = this.subscriptions.filter((s) => s.handler !== handler);
    if (subs.length === this.subscriptions.length) return false;
    this.subscriptions = subs;
    this.handlers = subs.map((s) => s.handler);
    return true;
  }
}

interface PatternSubscription {
  readonly pattern: string;
  readonly regex: RegExp;
  readonly sub: Subscription<unknown>;
}

export function isPattern(topic: string): boolean {
  return topic.includes("*") || topic.includes("?");
}

/** Compiles a `*`/`?` wildcard pattern to an anchored regular expression. */
export function patternToRegex(pattern: string): RegExp {
  let re = "^";
  for (const ch of pattern) {
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`${re}$`);
}

export class MessageBus {
  private readonly topics = new Map<string, Topic<unknown>>();
  private readonly patterns: PatternSubscription[] = [];
  private readonly endpoints = new Map<string, (message: unknown) => unknown>();
  private readonly topicListeners: ((name: string) => void)[] = [];
  private seq = 0;

  /** The interned topic for `name` (created on first use, with matching wildcard subscribers). */
  topic<T>(name: string): Topic<T> {
    let t = this.topics.get(name);
    if (t === undefined) {
      if (name.length === 0 || isPattern(name)) {
        throw new BusError(
          "BUS_TOPIC_INVALID",
          `topic name "${name}" must be non-empty and contain no * or ?`,
          {
            topic: name,
          },
        );
      }
      t = new Topic<unknown>(name);
      for (const p of this.patterns) if (p.regex.test(name)) t.add(p.sub);
      this.topics.set(name, t);
      for (const l of this.topicListeners) l(name);
    }
    return t as Topic<T>;
  }

  /**
   * Subscribes `handler` to a topic name or a wildcard pattern. Higher `priority` is called
   * first; equal priorities in subscription order. Subscribing the same handler twice to the
   * same topic has no effect.
   */
  subscribe<T>(topicOrPattern: string, handler: Handler<T>, priority = 0): void {
    const sub: Subscription<unknown> = { handler: handler as Handler<unknown>, priority, seq: this.seq++ };
    if (isPattern(topicOrPattern)) {
      const regex = patternToRegex(topicOrPattern);
      this.patterns.push({ pattern: topicOrPattern, regex, sub });
      for (const [name, t] of this.topics) if (regex.test(name)) t.add(sub);
    } else {
      this.topic<unknown>(topicOrPattern).add(sub);
    }
  }

  /** Removes `handler` from a topic or pattern subscription. Returns whether anything was removed. */
  unsubscribe<T>(topicOrPattern: string, handler: Handler<T>): boolean {
    let removed = false;
    if (isPattern(topicOrPattern)) {
      const idx = this.patterns.findIndex((p) => p.pattern === topicOrPattern && p.sub.handler === handler);
      if (idx >= 0) {
        const [p] = this.patterns.splice(idx, 1);
        for (const [name, t] of this.topics)
          if (p.regex.test(name)) removed = t.remove(p.sub.handler) || removed;
        removed = true;
      }
    } else {
      const t = this.topics.get(topicOrPattern);
      if (t !== undefined) removed = t.remove(handler as Handler<unknown>);
    }
    return removed;
  }

  /** Publishes by name (one map lookup). Hot paths should hold a {@link Topic} instead. */
  publish<T>(topicName: string, message: T): void {
    const t = this.topics.get(topicName) ?? this.topic<unknown>(topicName);
    t.publish(message);
  }

  /** Calls `listener` with the name of every topic created from now on (e.g. to record it). */
  onTopicCreated(listener: (name: string) => void): void {
    this.topicListeners.push(listener);
  }

  /** Topic names currently known, sorted. */
  topicNames(): string[] {
    return [...this.topics.keys()].sort();
  }

  /** Registers the single handler of a request/response endpoint. */
  register<Req, Res>(endpoint: string, handler: (request: Req) => Res): void {
    if (this.endpoints.has(endpoint)) {
      throw new BusError("BUS_ENDPOINT_EXISTS", `endpoint "${endpoint}" already has a handler`, { endpoint });
    }
    this.endpoints.set(endpoint, handler as (message: unknown) => unknown);
  }

  deregister(endpoint: string): boolean {
    return this.endpoints.delete(endpoint);
  }

  /** Sends a command to an endpoint and returns its response, synchronously. */
  request<Req, Res>(endpoint: string, request: Req): Res {
    const h = this.endpoints.get(endpoint);
    if (h === undefined) {
      throw new BusError("BUS_NO_ENDPOINT", `no handler registered for endpoint "${endpoint}"`, { endpoint });
    }
    return h(request) as Res;
  }

  /** Sends a command to an endpoint, ignoring any response. */
  send<Req>(endpoint: string, message: Req): void {
    this.request(endpoint, message);
  }

  hasEndpoint(endpoint: string): boolean {
    return this.endpoints.has(endpoint);
  }
}
