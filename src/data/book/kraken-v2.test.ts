/**
 * Kraken WebSocket v2 book checksums. ../shared/data holds no live v2 book capture (only the
 * nautilus fixtures, whose checksums were edited by hand and match no book), so these tests
 * use the example from Kraken's "Spot WebSocket v2 book checksum" guide (checksum 3310070434)
 * and updates whose checksums are computed here from the documented rule on the wire text.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 as zlibCrc32 } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import type { OrderBookDeltas } from "../../model/data.js";
import { InstrumentId } from "../../model/identifiers.js";
import { ControlMessage, parseVenueMessage } from "../parsers/index.js";
import { krakenV2Checksum, krakenV2Precision } from "./checksum.js";
import { BookSync, type ResyncEvent } from "./sync.js";
import {
  DOC_ASKS,
  DOC_BIDS,
  DOC_CHECKSUM,
  type Level,
  krakenV2BookMessage as message,
} from "./test-support.js";
import { verifyCapture } from "./verify.js";

const FIX = fileURLToPath(
  new URL("../../../../shared/data/exchange_messages/nautilus_adapter_fixtures/kraken/", import.meta.url),
);
const ID = InstrumentId.of("BTC/USD", "KRAKEN");

/** The documented rule on wire text: remove ".", strip leading zeros; asks then bids. */
function docChecksum(asks: Level[], bids: Level[]): number {
  const digits = (s: string) => s.replace(".", "").replace(/^0+/, "");
  const text = [...asks, ...bids].map(([p, q]) => digits(p) + digits(q)).join("");
  return zlibCrc32(text);
}

function deltas(text: string): OrderBookDeltas {
  const r = parseVenueMessage(JSON.parse(text), { tsRecv: null });
  if (r instanceof ControlMessage) throw new Error(r.what);
  return r[0].data as OrderBookDeltas;
}

/** The book after an update, at depth 10, as Kraken documents it (qty 0 removes). */
function applyLevels(book: Level[], changes: Level[], asc: boolean): Level[] {
  const m = new Map(book.map(([p, q]) => [p, q]));
  for (const [p, q] of changes) {
    if (Number(q) === 0) m.delete(p);
    else m.set(p, q);
  }
  return [...m.entries()]
    .sort((a, b) => (asc ? Number(a[0]) - Number(b[0]) : Number(b[0]) - Number(a[0])))
    .slice(0, 10);
}

// An update: one new best ask (pushes the 10th ask out of the depth-10 book), one bid changed,
// one bid removed (the 11th, unseen, bid does not come back: Kraken would send it).
const UPD_ASKS: Level[] = [["45284.9", "0.25000000"]];
const UPD_BIDS: Level[] = [
  ["45283.4", "0.50000000"],
  ["45277.5", "0.00000000"],
];
const ASKS_2 = applyLevels(DOC_ASKS, UPD_ASKS, true);
const BIDS_2 = applyLevels(DOC_BIDS, UPD_BIDS, false);

describe("Kraken v2 book checksum", () => {
  it("reproduces Kraken's documented example (3310070434) at BTC/USD's precisions 1 / 8", () => {
    expect(docChecksum(DOC_ASKS, DOC_BIDS)).toBe(DOC_CHECKSUM);
    const s = new BookSync(ID, "kraken-v2");
    const snap = deltas(message("snapshot", DOC_ASKS, DOC_BIDS, DOC_CHECKSUM));
    // JSON numbers lose the trailing zeros: the decoded book is at 1 / 8 decimals only because
    // some level happens to use them; the checksum needs the pair's precision, not the text's.
    expect(snap.checksum).toBe(DOC_CHECKSUM);
    s.apply(snap);
    expect(s.stats).toMatchObject({ checksumPassed: 1, checksumFailed: 0 });
    expect(s.pairPrecision).toEqual({ price: 1, size: 8 });
    expect(krakenV2Checksum(s.book, 1, 8)).toBe(DOC_CHECKSUM);
  });

  it("finds the precision from the snapshot even when no level shows all the pair's decimals", () => {
    // Every quantity with trailing zeros: decoded as 1.1, 1.2, ... (1 decimal), yet the
    // checksum is at qty precision 8; a book built from the JSON text's decimals would fail.
    const asks: Level[] = DOC_ASKS.map(([p], k) => [p, `${k + 1}.10000000`]);
    const bids: Level[] = DOC_BIDS.map(([p], k) => [p, `${k + 1}.20000000`]);
    const sum = docChecksum(asks, bids);
    const s = new BookSync(ID, "kraken-v2");
    s.apply(deltas(message("snapshot", asks, bids, sum)));
    expect(s.book.sizePrecision).toBe(1);
    expect(s.pairPrecision).toEqual({ price: 1, size: 8 });
    expect(s.stats.checksumPassed).toBe(1);
    expect(krakenV2Checksum(s.book, 1, 1)).not.toBe(sum);
  });

  it("verifies updates (depth truncation, removals) against the documented rule", () => {
    const s = new BookSync(ID, "kraken-v2");
    s.apply(deltas(message("snapshot", DOC_ASKS, DOC_BIDS, DOC_CHECKSUM)));
    s.apply(deltas(message("update", UPD_ASKS, UPD_BIDS, docChecksum(ASKS_2, BIDS_2))));
    expect(s.stats).toMatchObject({ checksumPassed: 2, checksumFailed: 0, applied: 2 });
    expect(s.book.askLevels).toBe(10);
    expect(s.book.bidLevels).toBe(9);
    expect(s.book.bestAsk()?.toString()).toBe("45284.9");
  });

  it("a corrupted level fails the checksum: book invalid, resync event, counted", () => {
    const events: ResyncEvent[] = [];
    const s = new BookSync(ID, "kraken-v2", (e) => events.push(e));
    s.apply(deltas(message("snapshot", DOC_ASKS, DOC_BIDS, DOC_CHECKSUM)));
    // The venue's checksum is for qty 0.50000000; the message we feed says 0.50000001.
    const bad: Level[] = [["45283.4", "0.50000001"], UPD_BIDS[1]];
    s.apply(deltas(message("update", UPD_ASKS, bad, docChecksum(ASKS_2, BIDS_2))));
    expect(s.stats).toMatchObject({ checksumPassed: 1, checksumFailed: 1 });
    expect(s.isValid).toBe(false);
    expect(s.state).toBe("awaiting-snapshot");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: "checksum" });
    expect(events[0].message).toContain("differs from the rebuilt book");
    // Further updates are not applied until a snapshot arrives; the snapshot re-synchronises.
    s.apply(deltas(message("update", UPD_ASKS, UPD_BIDS, docChecksum(ASKS_2, BIDS_2))));
    expect(s.stats.unsynced).toBe(1);
    s.apply(deltas(message("snapshot", DOC_ASKS, DOC_BIDS, DOC_CHECKSUM)));
    expect(s.isValid).toBe(true);
    expect(s.stats.checksumPassed).toBe(2);
  });

  it("a snapshot that matches at no precision fails (and leaves the precision unknown)", () => {
    const events: ResyncEvent[] = [];
    const s = new BookSync(ID, "kraken-v2", (e) => events.push(e));
    s.apply(deltas(message("snapshot", DOC_ASKS, DOC_BIDS, DOC_CHECKSUM + 1)));
    expect(s.stats.checksumFailed).toBe(1);
    expect(s.pairPrecision).toBeNull();
    expect(events[0].message).toContain("at no price/qty precision");
  });

  it("uses the instrument's precisions when given, and rejects a level finer than them", () => {
    const s = new BookSync(ID, "kraken-v2");
    s.pairPrecision = { price: 1, size: 8 };
    s.apply(deltas(message("snapshot", DOC_ASKS, DOC_BIDS, DOC_CHECKSUM)));
    expect(s.stats.checksumPassed).toBe(1);
    const events: ResyncEvent[] = [];
    const w2 = new BookSync(ID, "kraken-v2", (e) => events.push(e));
    w2.pairPrecision = { price: 1, size: 6 }; // 1.54582015 has 8 decimals
    w2.apply(deltas(message("snapshot", DOC_ASKS, DOC_BIDS, DOC_CHECKSUM)));
    expect(w2.stats.checksumFailed).toBe(1);
    expect(events[0].message).toContain("finer than the pair's precision");
    expect(krakenV2Precision(s.book, DOC_CHECKSUM)).toEqual({ price: 1, size: 8 });
  });

  describe("botv6 data verify on a v2 capture", () => {
    const dir = mkdtempSync(join(tmpdir(), "botv6-kraken-v2-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("counts every v2 checksum: all pass on the capture, one fails when a level is corrupted", async () => {
      const lines = [
        '{"channel":"status","type":"update","data":[{"system":"online","version":"2.0.0"}]}',
        message("snapshot", DOC_ASKS, DOC_BIDS, DOC_CHECKSUM),
        message("update", UPD_ASKS, UPD_BIDS, docChecksum(ASKS_2, BIDS_2)),
        message("update", [["45284.9", "0.00000000"]], [], docChecksum(ASKS_2.slice(1), BIDS_2)),
      ];
      const good = join(dir, "kraken-v2-good.jsonl");
      writeFileSync(good, `${lines.join("\n")}\n`);
      const r = await verifyCapture([good]);
      expect(r.instruments).toEqual([
        expect.objectContaining({
          instrument: "BTC/USD.KRAKEN",
          events: 3,
          gaps: 0,
          checksum: { passed: 3, failed: 0 },
          bestBid: "45283.5",
          bestAsk: "45285.2",
        }),
      ]);
      expect(r.failures).toBe(0);

      const corrupted = [...lines];
      corrupted[2] = corrupted[2].replace('"qty":0.50000000', '"qty":0.50000001');
      const bad = join(dir, "kraken-v2-bad.jsonl");
      writeFileSync(bad, `${corrupted.join("\n")}\n`);
      const b = await verifyCapture([bad]);
      expect(b.instruments[0].checksum).toEqual({ passed: 1, failed: 1 });
      expect(b.resyncs).toEqual([expect.objectContaining({ reason: "checksum", line: 3 })]);
      expect(b.details[0]).toMatchObject({ unsynced: 1, state: "awaiting-snapshot" });
      expect(b.failures).toBe(1);
    });

    it("the nautilus v2 fixtures carry hand-edited checksums: verify reports them as failed", async () => {
      const r = await verifyCapture([`${FIX}ws_book_snapshot.json`]);
      expect(r.instruments[0].checksum).toEqual({ passed: 0, failed: 1 });
    });
  });
});

describe("Kraken v2 book parsing", () => {
  it("rejects a checksum that is not an unsigned 32-bit integer", () => {
    for (const bad of ['"3310070434"', "-1", "4294967296", "1.5"]) {
      const text = message("snapshot", DOC_ASKS, DOC_BIDS, 0).replace('"checksum":0', `"checksum":${bad}`);
      expect(() => deltas(text), bad).toThrow(
        /checksum .* is not an unsigned 32-bit integer \(field "checksum"\)/,
      );
    }
    const none = message("snapshot", DOC_ASKS, DOC_BIDS, 0).replace(',"checksum":0', "");
    expect(deltas(none).checksum).toBeNull();
  });

  it("the v2 instrument channel is a control message, not an error", () => {
    const r = parseVenueMessage(
      JSON.parse('{"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[]}}'),
      { tsRecv: null },
    );
    expect(r).toBeInstanceOf(ControlMessage);
  });
});
