/**
 * The node's connection to the deployment: a bus bridge on a private *wire bus* (so nothing of
 * the node's own kernel bus leaks out or in unasked) and an inbox that holds the lockstep
 * frames until the node asks for them by step.
 *
 * Frames are idempotent: each (kind, step) is taken once; a second delivery (at-least-once
 * engines, a takeover that re-sends the last acknowledgement) is dropped.
 */
import type { Logger } from "pino";
import { MessageBus } from "../../core/bus.js";
import { BotV6Error } from "../../model/errors.js";
import type { BusBridge } from "../bridge/bridge.js";
import type { BridgeConfigInput } from "../bridge/config.js";
import { createBusBridge } from "../bridge/factory.js";
import { isNodeFrame, type NodeFrame, type NodeFrameKind } from "../codec/control.js";
import { MessageCodec, type WireMessage } from "../codec/index.js";

export class NodeError extends BotV6Error {}

/** Bus topics of the frames (the standard channels carry them: md, ev, cmd). */
export const FrameTopics = {
  md: "data.node.md",
  ack: (account: string) => `events.node.${account}`,
  done: (account: string) => `commands.node.${account}`,
} as const;

/** Inbox slot of a frame: the end-of-stream frame takes the slot of the step it ends at. */
function slotOf(kind: NodeFrameKind, step: number): string {
  return `${kind === "end" ? "md" : kind}:${step}`;
}

export class FrameInbox {
  private readonly frames = new Map<string, NodeFrame>();
  private readonly waiters = new Map<
    string,
    { resolve: (f: NodeFrame) => void; reject: (e: Error) => void }
  >();
  /** Highest step taken per slot kind: later deliveries of earlier steps are duplicates. */
  private readonly taken = new Map<string, number>();
  private closedWith: Error | null = null;
  duplicates = 0;

  put(f: NodeFrame): void {
    const slot = slotOf(f.kind, f.step);
    const kind = f.kind === "end" ? "md" : f.kind;
    if (f.step <= (this.taken.get(kind) ?? 0) || this.frames.has(slot)) {
      this.duplicates++;
      return;
    }
    const w = this.waiters.get(slot);
    if (w !== undefined) {
      this.waiters.delete(slot);
      this.taken.set(kind, f.step);
      w.resolve(f);
    } else {
      this.frames.set(slot, f);
    }
  }

  /** The frame of `kind` (md also yields the end frame) at `step`, when it arrives. */
  take(kind: "md" | "ack" | "done", step: number): Promise<NodeFrame> {
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    const slot = slotOf(kind, step);
    const f = this.frames.get(slot);
    if (f !== undefined) {
      this.frames.delete(slot);
      this.taken.set(kind, step);
      return Promise.resolve(f);
    }
    return new Promise((resolve, reject) => this.waiters.set(slot, { resolve, reject }));
  }

  /** Fails every waiting and later take (shutdown). */
  close(e: Error): void {
    this.closedWith = e;
    for (const w of this.waiters.values()) w.reject(e);
    this.waiters.clear();
  }
}

/** The bridge, the wire bus and the frame inbox of one node. */
export class NodeWire {
  readonly bus = new MessageBus();
  readonly inbox = new FrameInbox();
  readonly bridge: BusBridge;
  private readonly codec = new MessageCodec();

  /**
   * `sink`: where received frames go (stream mode routes them itself); default the step inbox.
   */
  constructor(config: BridgeConfigInput, logger?: Logger, sink?: (f: NodeFrame) => void) {
    this.bridge = createBusBridge(config, this.bus, { logger });
    const deliver = sink ?? ((f: NodeFrame) => this.inbox.put(f));
    const put = (m: unknown) => {
      if (isNodeFrame(m)) deliver(m);
    };
    this.bus.subscribe("data.node.*", put);
    this.bus.subscribe("events.node.*", put);
    this.bus.subscribe("commands.node.*", put);
  }

  start(): Promise<void> {
    return this.bridge.start();
  }

  /** Encodes one message as a frame item (its own header keeps its id and topic). */
  item(message: WireMessage, eventId: string, topic: string): Uint8Array {
    return this.codec.encode(message, { eventId, topic });
  }

  /** Decodes a frame item. */
  open<T extends WireMessage>(item: Uint8Array): { message: T; topic: string; eventId: string } {
    const message = this.codec.decodeMessage<T>(item);
    return { message, topic: this.codec.header.topic, eventId: this.codec.header.eventId };
  }

  /** Sends a frame, waiting while the outbound buffer is full. */
  async send(topic: string, frame: NodeFrame): Promise<void> {
    if (!this.bridge.writable) await this.bridge.whenWritable();
    this.bridge.publish(topic, frame);
  }

  async stop(drainMs = 5000): Promise<number> {
    this.inbox.close(new NodeError("NODE_STOPPED", "the node is stopping"));
    return this.bridge.stop(drainMs);
  }
}
