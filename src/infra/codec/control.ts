/**
 * Control frames of the multi-process topology (`botv6 node`, see `src/infra/node`): a
 * {@link NodeFrame} carries one step of the lockstep replay protocol — a market-data event with
 * its global sequence number, or the ordered list of order events / commands one node produced
 * in one step — as already encoded wire messages. Carrying them inside one frame keeps their
 * order and their step together even when the engine spreads partitions.
 */
import type { ByteReader, ByteWriter } from "./bytes.js";
import { CodecError } from "./errors.js";
import type { BodyCodec } from "./market.js";

export const NODE_FRAME_KINDS = ["md", "ack", "done", "end"] as const;
export type NodeFrameKind = (typeof NODE_FRAME_KINDS)[number];

export interface NodeFrame {
  readonly type: "NodeFrame";
  /** De-duplication key, e.g. `ack:ACCOUNT:17`. */
  readonly eventId: string;
  /** Partition key: the instrument for market data, the account for acks and commands. */
  readonly key: string;
  /** md: one market-data event; ack: events of a step; done: commands of a step; end: last step. */
  readonly kind: NodeFrameKind;
  /** Step (= market-data sequence number, from 1) the frame belongs to. */
  readonly step: number;
  /** Encoded wire messages (complete codec messages with their own headers), in order. */
  readonly items: readonly Uint8Array[];
}

export function isNodeFrame(m: unknown): m is NodeFrame {
  return typeof m === "object" && m !== null && (m as { type?: unknown }).type === "NodeFrame";
}

export const NodeFrameCodec: BodyCodec<NodeFrame> = {
  id: 96,
  name: "NodeFrame",
  encode(w: ByteWriter, f: NodeFrame) {
    w.str(f.eventId, "eventId");
    w.str(f.key, "key");
    w.u8(NODE_FRAME_KINDS.indexOf(f.kind));
    w.f64(f.step);
    w.u32(f.items.length);
    for (const item of f.items) {
      w.u32(item.length);
      w.ensure(item.length);
      w.buf.set(item, w.pos);
      w.pos += item.length;
    }
  },
  decode(r: ByteReader) {
    const eventId = r.str("eventId");
    const key = r.str("key");
    const k = r.u8("kind");
    const kind = NODE_FRAME_KINDS[k];
    if (kind === undefined) {
      throw new CodecError("CODEC_INVALID_VALUE", `NodeFrame ${eventId}: kind ${k} is unknown`, {
        field: "kind",
      });
    }
    const step = r.int("step");
    const n = r.u32("items.length");
    const items: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const len = r.u32("item.length");
      r.need(len, "item");
      // A copy: the frame outlives the receive buffer it came in.
      items.push(r.buf.slice(r.pos, r.pos + len));
      r.pos += len;
    }
    return { type: "NodeFrame", eventId, key, kind, step, items };
  },
};
