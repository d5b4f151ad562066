/**
 * The event log: every message published on the bus (optionally filtered by pattern),
 * serialized canonically with its topic and the clock time. Same data + same config + same
 * seed must give a bit-identical log; its SHA-256 digest is the fingerprint of a run.
 */
import { createHash, type Hash } from "node:crypto";
import { patternToRegex } from "./bus.js";
import { Component } from "./component.js";

/** JSON with stable output for our value types (they define toJSON) and Maps/Sets/BigInts. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Map)
      return Object.fromEntries([...v.entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)));
    if (v instanceof Set) return [...v];
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    return v;
  });
}

export class EventLog extends Component {
  private hash: Hash = createHash("sha256");
  private count = 0;
  private readonly keep: boolean;
  readonly lines: string[] = [];
  private readonly handler = (topicName: string) => (message: unknown) => this.record(topicName, message);
  private readonly handlers = new Map<string, (m: unknown) => void>();

  /**
   * @param pattern which topics to record (default all).
   * @param keep keep the serialized lines in memory (tests, small runs) besides hashing them.
   */
  constructor(
    id = "EventLog",
    private readonly pattern = "*",
    keep = false,
  ) {
    super(id);
    this.keep = keep;
  }

  protected override onInitialize(): void {
    // A wildcard subscription gets the message but not the topic name, so subscribe per topic:
    // existing topics now, future ones through a wildcard that registers them on first sight.
    const bus = this.context.bus;
    const attach = (name: string) => {
      if (this.handlers.has(name)) return;
      const h = this.handler(name);
      this.handlers.set(name, h);
      bus.subscribe(name, h, Number.MAX_SAFE_INTEGER);
    };
    for (const name of bus.topicNames()) if (matches(this.pattern, name)) attach(name);
    bus.onTopicCreated((name) => {
      if (matches(this.pattern, name)) attach(name);
    });
  }

  private record(topic: string, message: unknown): void {
    const line = `${this.context.clock.timestampUs()} ${topic} ${canonicalJson(message)}\n`;
    this.hash.update(line);
    this.count++;
    if (this.keep) this.lines.push(line);
  }

  get size(): number {
    return this.count;
  }

  /** Hex SHA-256 of all recorded lines so far. */
  digest(): string {
    return this.hash.copy().digest("hex");
  }
}

function matches(pattern: string, name: string): boolean {
  return pattern === "*" || patternToRegex(pattern).test(name);
}
