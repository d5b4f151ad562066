/**
 * The trade read path used by replay: numeric columns and dictionary-encoded string columns
 * decoded straight into reused buffers, checked against the values written and against
 * hyparquet's general decoder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import type { TradeTick } from "../../model/data.js";
import { AggressorSide } from "../../model/enums.js";
import { InstrumentId } from "../../model/identifiers.js";
import { DataCatalog, dateOf } from "./catalog.js";
import { decodeDictionaryIndices, FileSlices, scanFile } from "./parquet.js";
import { TRADES } from "./schema.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SIDES = [AggressorSide.Buyer, AggressorSide.Seller, AggressorSide.NoAggressor];

describe("trade read path", () => {
  it("decodes several row groups exactly, reusing one string array across row groups", async () => {
    const root = mkdtempSync(join(tmpdir(), "botv6-trade-read-"));
    dirs.push(root);
    const cat = new DataCatalog(root);
    const id = InstrumentId.of("XYZUSDT", "TEST");
    const rng = new Rng(7);
    const n = 150_000; // three row groups, the last one partial
    const start = Date.UTC(2024, 0, 2) * 1000;
    const ts = new Float64Array(n);
    const price = new Float64Array(n);
    const size = new Float64Array(n);
    const side: string[] = [];
    const tid = new Float64Array(n);
    let p = 123_456;
    for (let i = 0; i < n; i++) {
      ts[i] = start + i * 10;
      p += rng.nextInt(7) - 3;
      price[i] = p;
      size[i] = 1 + rng.nextInt(1_000_000);
      // long runs (RLE) and mixed stretches (bit-packed)
      side.push(i > 70_000 && i < 90_000 ? SIDES[2] : SIDES[rng.nextInt(2)]);
      tid[i] = 10_000_000_000 + i;
    }
    await cat.writeColumns({ instrumentId: id, dataType: "trades", barType: null }, dateOf(start), {
      ts_event: ts,
      ts_init: ts,
      price,
      price_precision: new Int32Array(n).fill(3),
      size,
      size_precision: new Int32Array(n).fill(6),
      aggressor_side: side,
      trade_id: tid,
    });
    const [stream] = await cat.streams();
    const got = (await cat.readAll(stream)) as TradeTick[];
    expect(got).toHaveLength(n);
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const t = got[i];
      const ok =
        t.tsEvent === ts[i] &&
        t.price.raw === price[i] &&
        t.price.precision === 3 &&
        t.size.raw === size[i] &&
        t.size.precision === 6 &&
        t.aggressorSide === side[i] &&
        t.tradeId === String(tid[i]);
      if (!ok) bad++;
    }
    expect(bad).toBe(0);

    // the general decoder agrees on the stored strings
    const path = stream.partitions[0].path;
    const file = new FileSlices(path);
    try {
      const rows = (await parquetReadObjects({ file, columns: ["aggressor_side"] })) as {
        aggressor_side: string;
      }[];
      expect(rows.map((r) => r.aggressor_side)).toEqual(side);
      // whole row groups with reused buffers: the string column is decoded into one kept array
      const scan = await scanFile(file, TRADES.columns);
      const reuse = new Map<string, Float64Array>();
      const [g0, g1] = scan.ranges;
      const a = await scan.read(g0.rowStart, g0.rowEnd, reuse);
      const first = Array.from(a.aggressor_side as ArrayLike<string>);
      const b = await scan.read(g1.rowStart, g1.rowEnd, reuse);
      expect(b.aggressor_side).toBe(a.aggressor_side);
      expect(first).toEqual(side.slice(g0.rowStart, g0.rowEnd));
      expect(Array.from(b.aggressor_side as ArrayLike<string>)).toEqual(side.slice(g1.rowStart, g1.rowEnd));
    } finally {
      file.close();
    }
  });
});

describe("decodeDictionaryIndices", () => {
  const dict = ["A", "B", "C"];
  it("decodes RLE and bit-packed runs", () => {
    // bit width 2; RLE run of 3 x index 2; bit-packed 1 group (8 values): 0,1,2,0,1,2,0,1
    const packed = [0, 1, 2, 0, 1, 2, 0, 1].reduce((acc, v, j) => acc + v * 2 ** (2 * j), 0);
    const b = Uint8Array.from([2, 3 << 1, 2, (1 << 1) | 1, packed & 255, (packed >> 8) & 255]);
    const out: string[] = [];
    expect(decodeDictionaryIndices(b, 11, dict, out, 0)).toBe(true);
    expect(out.join("")).toBe("CCCABCABCAB");
    // fewer values wanted than the padded group holds
    const part: string[] = [];
    expect(decodeDictionaryIndices(b, 5, dict, part, 0)).toBe(true);
    expect(part.join("")).toBe("CCCAB");
  });

  it("rejects indices outside the dictionary and truncated data", () => {
    expect(decodeDictionaryIndices(Uint8Array.from([2, 2 << 1, 3]), 2, dict, [], 0)).toBe(false);
    expect(decodeDictionaryIndices(Uint8Array.from([2, (1 << 1) | 1, 0]), 8, dict, [], 0)).toBe(false);
    expect(decodeDictionaryIndices(Uint8Array.from([2, 4 << 1]), 4, dict, [], 0)).toBe(false);
    expect(decodeDictionaryIndices(Uint8Array.from([2]), 1, dict, [], 0)).toBe(false);
  });
});
