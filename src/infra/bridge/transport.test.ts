import { describe, expect, it } from "vitest";
import { packMessages, unpackMessages } from "./transport.js";

describe("message packs", () => {
  it("round-trips messages of any length, as views of the pack", () => {
    const values = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(7)];
    const pack = packMessages(values);
    expect(pack.length).toBe(3 * 4 + 303);
    const out = unpackMessages(pack);
    expect(out?.map((v) => [...v])).toEqual(values.map((v) => [...v]));
    expect(out?.[2].buffer).toBe(pack.buffer);
  });

  it("rejects a pack whose lengths do not add up (null: the caller dead-letters it whole)", () => {
    const pack = packMessages([new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])]);
    expect(unpackMessages(pack.subarray(0, pack.length - 1))).toBeNull(); // truncated
    expect(unpackMessages(Buffer.concat([pack, Buffer.from([9])]))).toBeNull(); // trailing byte
    const bad = Buffer.from(pack);
    bad.writeUInt32LE(1000, 0); // first length runs past the end
    expect(unpackMessages(bad)).toBeNull();
  });
});
