import { describe, expect, it } from "vitest";
import { type NodeFrame, NodeFrameCodec } from "../codec/control.js";
import { sampleTrade } from "../codec/fixtures.js";
import { MessageCodec } from "../codec/index.js";
import { chainDigest } from "./journal.js";
import { FrameInbox } from "./wire.js";

function frame(kind: NodeFrame["kind"], step: number, items: Uint8Array[] = []): NodeFrame {
  return { type: "NodeFrame", eventId: `${kind}:${step}`, key: "ACC-1", kind, step, items };
}

describe("node frames", () => {
  it("round-trip through the wire codec with their nested messages, keyed by their key", () => {
    const codec = new MessageCodec();
    const inner = codec.encode(sampleTrade(1), { eventId: "md:1", topic: "data.replay" });
    const bytes = codec.encode(frame("md", 1, [inner, inner.slice()]), {
      eventId: "md:1",
      topic: "data.node.md",
    });
    const back = new MessageCodec().decode<NodeFrame>(bytes);
    expect(back.header.type).toBe("NodeFrame");
    expect(back.header.partitionKey).toBe("ACC-1");
    expect(back.message.kind).toBe("md");
    expect(back.message.step).toBe(1);
    expect(back.message.items).toHaveLength(2);
    const trade = new MessageCodec().decode(back.message.items[1]).message;
    expect(trade).toEqual(sampleTrade(1));
  });

  it("reject an unknown kind and a truncated item with a codec error", () => {
    const codec = new MessageCodec();
    const bytes = codec.encode(frame("ack", 3, [new Uint8Array([1, 2, 3])]), { eventId: "a", topic: "t" });
    const h = codec.peekHeader(bytes);
    // The kind byte follows eventId ("ack:3") and key ("ACC-1"), each u16 length + bytes.
    const kindAt = h.bodyOffset + 2 + 5 + 2 + 5;
    const badKind = bytes.slice();
    badKind[kindAt] = 9;
    expect(() => new MessageCodec().decode(badKind)).toThrow(/kind 9 is unknown/);
    const truncated = bytes.slice();
    truncated[kindAt + 1 + 8 + 4] = 200; // the item claims 200 bytes
    expect(() => new MessageCodec().decode(truncated)).toThrow(/truncated/);
    expect(NodeFrameCodec.id).toBe(96);
  });
});

describe("frame inbox", () => {
  it("hands out frames by step whichever arrives first, and drops repeats", async () => {
    const inbox = new FrameInbox();
    inbox.put(frame("md", 2));
    const first = inbox.take("md", 1);
    inbox.put(frame("md", 1));
    expect((await first).step).toBe(1);
    expect((await inbox.take("md", 2)).step).toBe(2);
    inbox.put(frame("md", 1)); // redelivered after it was taken
    inbox.put(frame("ack", 1));
    inbox.put(frame("ack", 1)); // a takeover re-sends the last ack
    expect(inbox.duplicates).toBe(2);
    expect((await inbox.take("ack", 1)).kind).toBe("ack");
    // The end of the stream takes the market-data slot of the step it ends at.
    inbox.put(frame("end", 3));
    expect((await inbox.take("md", 3)).kind).toBe("end");
  });

  it("fails waiting and later takes when closed", async () => {
    const inbox = new FrameInbox();
    const waiting = inbox.take("done", 1);
    inbox.close(new Error("stopping"));
    await expect(waiting).rejects.toThrow("stopping");
    await expect(inbox.take("md", 1)).rejects.toThrow("stopping");
  });
});

describe("chained digest", () => {
  it("depends on every item, their order and the step", () => {
    const a = new Uint8Array([1, 2]);
    const b = new Uint8Array([3]);
    const d = chainDigest("genesis", 1, [a, b]);
    expect(chainDigest("genesis", 1, [a, b])).toBe(d);
    expect(chainDigest("genesis", 1, [b, a])).not.toBe(d);
    expect(chainDigest("genesis", 2, [a, b])).not.toBe(d);
    expect(chainDigest("other", 1, [a, b])).not.toBe(d);
    // Item boundaries count: [1,2],[3] is not [1],[2,3].
    expect(chainDigest("genesis", 1, [new Uint8Array([1]), new Uint8Array([2, 3])])).not.toBe(d);
  });
});
