import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { makeNode } from "../execution/venue-double.test.js";
import { currency } from "../model/currency.js";
import { AccountType, ContingencyType, OrderSide, OrderType } from "../model/enums.js";
import type { AccountState, OrderFilled } from "../model/events.js";
import { type AccountId, ClientOrderId } from "../model/identifiers.js";
import { Money } from "../model/values.js";
import { RiskEngine } from "../risk/engine.js";
import { commandSnapshot, decodePayload, encodeJson, encodePayload, JSON_TYPE_ID } from "./codec.js";
import {
  decodeRecord,
  type Journal,
  JournalCorruptError,
  JournalError,
  JournalFormatError,
  type JournalRecord,
  packRecords,
  recordChecksum,
  unpackRow,
  verifyRecords,
} from "./journal.js";
import { PostgresJournal } from "./postgres.js";
import { rebuildState } from "./rebuild.js";
import { attachJournal } from "./recorder.js";
import { SqliteJournal } from "./sqlite.js";

const PG_URL = process.env.BOTV6_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";
const RUN_ID = `${process.pid}_${Date.now()}`;

async function pgReachable(): Promise<string | null> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query("SELECT 1");
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await c.end().catch(() => {});
  }
}

const pgProblem = await pgReachable();
if (pgProblem !== null) {
  if (process.env.CI === "true") {
    throw new Error(`PostgreSQL at ${PG_URL} is required under CI=true but unreachable: ${pgProblem}`);
  }
  console.warn(
    `[journal tests] SKIPPING PostgreSQL runs: ${PG_URL} unreachable (${pgProblem}); set BOTV6_TEST_PG or start PostgreSQL`,
  );
}

const tmp = mkdtempSync(join(tmpdir(), "botv6-journal-"));
const schemas: string[] = [];
let counter = 0;

interface Store {
  name: string;
  /** Opens a fresh (or, with the same key, the same) journal. */
  open(key: string): Promise<Journal>;
  /** Tampers with the stored payload of one record. */
  corrupt(key: string, seq: number): Promise<void>;
  /** Deletes one record. */
  remove(key: string, seq: number): Promise<void>;
  /** Inserts an empty storage row at `seq` directly (to make a batch collide). */
  insertRaw(key: string, seq: number): Promise<void>;
  /** Deletes the storage row starting at `seq`. */
  deleteRow(key: string, seq: number): Promise<void>;
  /** argv for the SIGKILL child. */
  childArgs(key: string): string[];
}

/** Applies `edit` to record `seq` inside a packed row (null deletes it); other records stay as stored. */
function editRecord(
  data: Uint8Array,
  first: number,
  last: number,
  seq: number,
  edit: (r: JournalRecord) => JournalRecord | null,
): Buffer {
  const records = unpackRow({ firstSeq: first, lastSeq: last, data });
  const i = records.findIndex((r) => r.seq === seq);
  if (i < 0) throw new Error(`record ${seq} not in row`);
  const next = edit(records[i]);
  if (next === null) records.splice(i, 1);
  else records[i] = next;
  return Buffer.from(packRecords(records, records.length)[0].data);
}

/** Flips the last payload byte, keeping the stored checksum. */
const flipByte = (r: JournalRecord): JournalRecord => {
  const payload = r.payload.slice();
  payload[payload.length - 1] ^= 0x01;
  return { ...r, payload };
};

function sqliteEdit(key: string, seq: number, edit: (r: JournalRecord) => JournalRecord | null): void {
  const db = new Database(join(tmp, `${key}.db`));
  const row = db
    .prepare("SELECT first_seq, last_seq, data FROM journal WHERE first_seq <= ? AND last_seq >= ?")
    .get(seq, seq) as { first_seq: number; last_seq: number; data: Buffer };
  db.prepare("UPDATE journal SET data = ? WHERE first_seq = ?").run(
    editRecord(row.data, row.first_seq, row.last_seq, seq, edit),
    row.first_seq,
  );
  db.close();
}

const sqliteStore: Store = {
  name: "sqlite",
  open: async (key) => new SqliteJournal(join(tmp, `${key}.db`), { flushIntervalMs: 0 }),
  corrupt: async (key, seq) => sqliteEdit(key, seq, flipByte),
  remove: async (key, seq) => sqliteEdit(key, seq, () => null),
  insertRaw: async (key, seq) => {
    const j = new SqliteJournal(join(tmp, `${key}.db`), { flushIntervalMs: 0 });
    await j.close();
    const db = new Database(join(tmp, `${key}.db`));
    db.prepare("INSERT INTO journal VALUES (?, ?, x'')").run(seq, seq);
    db.close();
  },
  deleteRow: async (key, seq) => {
    const db = new Database(join(tmp, `${key}.db`));
    db.prepare("DELETE FROM journal WHERE first_seq = ?").run(seq);
    db.close();
  },
  childArgs: (key) => ["sqlite", join(tmp, `${key}.db`)],
};

function schemaFor(key: string): string {
  const s = `jt_${RUN_ID}_${key}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  if (!schemas.includes(s)) schemas.push(s);
  return s;
}

async function pgExec(sql: string, params: unknown[] = []): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sql, params);
  } finally {
    await c.end();
  }
}

async function pgEdit(
  key: string,
  seq: number,
  edit: (r: JournalRecord) => JournalRecord | null,
): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    const t = `"${schemaFor(key)}".journal`;
    const r = await c.query<{ f: string; l: string; data: Buffer }>(
      `SELECT first_seq::text AS f, last_seq::text AS l, data FROM ${t} WHERE first_seq <= $1 AND last_seq >= $1`,
      [seq],
    );
    const row = r.rows[0];
    await c.query(`UPDATE ${t} SET data = $1 WHERE first_seq = $2`, [
      editRecord(row.data, Number(row.f), Number(row.l), seq, edit),
      row.f,
    ]);
  } finally {
    await c.end();
  }
}

const pgStore: Store = {
  name: "postgres",
  open: (key) => PostgresJournal.open({ connection: PG_URL, schema: schemaFor(key), flushIntervalMs: 0 }),
  corrupt: (key, seq) => pgEdit(key, seq, flipByte),
  remove: (key, seq) => pgEdit(key, seq, () => null),
  insertRaw: async (key, seq) => {
    const j = await pgStore.open(key);
    await j.close();
    await pgExec(`INSERT INTO "${schemaFor(key)}".journal VALUES ($1, $1, '\\x')`, [seq]);
  },
  deleteRow: (key, seq) => pgExec(`DELETE FROM "${schemaFor(key)}".journal WHERE first_seq = $1`, [seq]),
  childArgs: (key) => ["postgres", PG_URL, schemaFor(key)],
};

afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  if (pgProblem === null) for (const s of schemas) await PostgresJournal.drop(PG_URL, s);
});

/** A reported cash-account state with one USDT balance, all free. */
function usdtAccountState(accountId: AccountId, amount: string): AccountState {
  const usdt = currency("USDT");
  return {
    type: "AccountState",
    eventId: "A-1",
    tsEvent: 5,
    tsInit: 5,
    accountId,
    accountType: AccountType.Cash,
    baseCurrency: null,
    balances: [
      { total: Money.parse(amount, usdt), locked: Money.zero(usdt), free: Money.parse(amount, usdt) },
    ],
    margins: [],
    reported: true,
  };
}

describe("codec", () => {
  it("round-trips events exactly: prices, quantities, money and ids with their precision", () => {
    const n = makeNode();
    n.submit(n.order());
    n.venue.fill("O-1", n.px("99.50"), "0.250");
    const fill = n.events.find((e) => e.type === "OrderFilled") as OrderFilled;
    const bytes = encodePayload(fill);
    expect(bytes[0] | (bytes[1] << 8)).toBe(45); // positional OrderFilled, not JSON
    const back = decodePayload<OrderFilled>(bytes);
    expect(back).toEqual(fill);
    expect(back.lastPx.toString()).toBe("99.50");
    expect(back.lastPx.precision).toBe(2);
    expect(back.lastQty.toString()).toBe("0.250");
    expect(back.commission.toString()).toBe(fill.commission.toString());
    expect(back.instrumentId).toBe(fill.instrumentId); // interned
    expect(encodePayload(back)).toEqual(bytes);
    expect(bytes.length).toBeLessThan(encodeJson(fill).length / 2);
  });

  it("every order event, command, account state and risk event of a session is positional and exact", () => {
    const n = makeNode({ native: [OrderType.Market, OrderType.Limit, OrderType.StopMarket] });
    const seen: unknown[] = [];
    n.engine.onCommand((c) => seen.push(commandSnapshot(c)));
    n.engine.onEventApplied((e) => seen.push(e));
    const a = n.order({ quantity: n.qty("2"), tags: ["t1"] });
    n.submit(a);
    n.venue.fill("O-1", n.px("99.00"), "0.5");
    n.modify("O-1", n.qty("3"), n.px("99.50"));
    n.cancel("O-1");
    const stop = n.order({
      side: OrderSide.Sell,
      type: OrderType.StopMarket,
      price: null,
      triggerPrice: n.px("95.00"),
      reduceOnly: true,
    });
    n.submit(stop);
    seen.push(usdtAccountState(n.venue.accountId, "10.5"));
    seen.push({
      type: "RiskTripped",
      eventId: "R-1",
      cause: "DAILY_LOSS_LIMIT",
      scope: "account",
      target: "SIM-001",
      value: "101.5",
      limit: "100",
      detail: "d",
      canceledOrders: 2,
      flattenOrders: 0,
      tsEvent: 7,
    });
    seen.push({
      type: "TradingStateChanged",
      eventId: "R-2",
      scope: "global",
      target: null,
      from: "ACTIVE",
      to: "HALTED",
      reason: "r",
      tsEvent: 8,
    });
    seen.push({ type: "RiskCommandRefused", eventId: "R-3", code: "X", reason: "y", tsEvent: 9 });
    const types = new Set<string>();
    for (const p of seen) {
      const bytes = encodePayload(p);
      const id = bytes[0] | (bytes[1] << 8);
      expect(id, (p as { type: string }).type).not.toBe(JSON_TYPE_ID);
      expect(decodePayload(bytes)).toEqual(p);
      types.add((p as { type: string }).type);
    }
    expect([...types].sort()).toEqual(
      [
        "AccountState",
        "CancelOrder",
        "ModifyOrder",
        "OrderAccepted",
        "OrderCanceled",
        "OrderFilled",
        "OrderInitialized",
        "OrderPendingCancel",
        "OrderPendingUpdate",
        "OrderSubmitted",
        "OrderUpdated",
        "RiskCommandRefused",
        "RiskTripped",
        "SubmitOrder",
        "TradingStateChanged",
      ].sort(),
    );
  });

  it("anything without an exact positional form is kept as JSON, unchanged", () => {
    const n = makeNode();
    n.submit(n.order());
    const accepted = n.events.find((e) => e.type === "OrderAccepted")!;
    const tagged = { ...accepted, reconciliation: true }; // a field the positional body lacks
    const fractional = { ...accepted, tsEvent: 1.5 }; // positional bodies hold integer µs
    for (const p of [tagged, fractional, { type: "Custom", x: 1 }, { a: [1, "b"] }, null, 42]) {
      const bytes = encodePayload(p);
      expect(bytes[0] | (bytes[1] << 8)).toBe(JSON_TYPE_ID);
      expect(decodePayload(bytes)).toEqual(p);
    }
    // The plain event still goes positional after the tagged one.
    expect(encodePayload(accepted)[0]).not.toBe(JSON_TYPE_ID);
    expect(() => encodePayload(undefined)).toThrow(/has no journal form/);
  });

  it("a malformed payload is a clear error", () => {
    const n = makeNode();
    n.submit(n.order());
    const bytes = encodePayload(n.events.find((e) => e.type === "OrderAccepted"));
    expect(() => decodePayload(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
    expect(() => decodePayload(Uint8Array.from([...bytes, 0]))).toThrow(/1 unexpected bytes/);
    expect(() => decodePayload(Uint8Array.from([0x99, 0x01]))).toThrow(/unknown payload type id 409/);
    const json = (t: string) => {
      const b = Buffer.from(t);
      return Uint8Array.from([0, 0, b.length, 0, 0, 0, ...b]);
    };
    expect(() => decodePayload(json("{not json"))).toThrow(/cannot decode journal payload/);
    expect(() => decodePayload(json('{"commission":"12"}'))).toThrow(/has no currency/);
  });
});

describe("rows and records", () => {
  const rec = (seq: number, payload: unknown = {}): JournalRecord => {
    const bytes = encodePayload(payload);
    return { seq, ts: seq, kind: "K", payload: bytes, checksum: recordChecksum(seq, seq, "K", bytes) };
  };
  it("packs records into rows and unpacks them; a record running past its row is torn", () => {
    const recs = [rec(1), rec(2, { a: "t\tx\n" }), rec(3)];
    const rows = packRecords(recs, 2);
    expect(rows.map((r) => [r.firstSeq, r.lastSeq])).toEqual([
      [1, 2],
      [3, 3],
    ]);
    const plain = (rs: JournalRecord[]) => rs.map((r) => ({ ...r, payload: [...r.payload] }));
    expect(plain(rows.flatMap((r) => unpackRow(r)))).toEqual(plain(recs));
    expect(plain(unpackRow(rows[0], 2))).toEqual(plain([recs[1]]));
    const torn = { ...rows[0], data: rows[0].data.subarray(0, rows[0].data.length - 10) };
    expect(() => unpackRow(torn)).toThrow(/record 1 is incomplete/);
  });

  it("refuses rows of another format version, naming it", () => {
    const [row] = packRecords([rec(1)]);
    const v3 = Uint8Array.from(row.data);
    v3[2] = 3;
    expect(() => unpackRow({ ...row, data: v3 })).toThrow(JournalFormatError);
    expect(() => unpackRow({ ...row, data: v3 })).toThrow(
      /format version 3; this build reads format version 2/,
    );
    expect(() => unpackRow({ ...row, data: "1\t1\tK\t0\t{}\n" as never })).toThrow(/format version 1/);
    expect(() => unpackRow({ ...row, data: Uint8Array.from([1, 2, 3, 4, 5]) })).toThrow(
      /no journal row header/,
    );
    const codec = Uint8Array.from(row.data);
    codec[4] = 99;
    expect(() => unpackRow({ ...row, data: codec })).toThrow(
      /journal row 1\.\.1 \(journal format 2\) uses wire codec body layout 1\.99; this build has 1\.0/,
    );
  });

  it("accepts contiguous, intact records and names the first bad one", () => {
    expect(() => verifyRecords([rec(1), rec(2), rec(3)])).not.toThrow();
    expect(() => verifyRecords([rec(1), rec(3)])).toThrow(/record 2 is missing/);
    expect(() => verifyRecords([rec(1), { ...rec(2), payload: encodePayload({ b: 1 }) }])).toThrow(
      /record 2 \(K\) fails its checksum/,
    );
  });
});

describe("old journals", () => {
  it("SQLite: a format-1 journal (JSON text rows) is refused at open naming the version", async () => {
    const path = join(tmp, "v1.db");
    const db = new Database(path);
    db.exec(
      "CREATE TABLE journal (first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, data TEXT NOT NULL)",
    );
    db.prepare("INSERT INTO journal VALUES (1, 1, ?)").run('1\t10\tA\t123\t{"a":1}\n');
    db.close();
    expect(() => new SqliteJournal(path, { flushIntervalMs: 0 })).toThrow(
      /journal format version 1 \(JSON text rows, from row 1\); this build reads format version 2/,
    );
  });

  it.skipIf(pgProblem !== null)(
    "PostgreSQL: a format-1 table is refused; an empty one is converted",
    async () => {
      const s1 = schemaFor("v1_full");
      const s2 = schemaFor("v1_empty");
      for (const s of [s1, s2]) {
        await pgExec(`CREATE SCHEMA IF NOT EXISTS "${s}"`);
        await pgExec(
          `CREATE TABLE "${s}".journal (first_seq BIGINT PRIMARY KEY, last_seq BIGINT NOT NULL, data TEXT NOT NULL)`,
        );
      }
      await pgExec(`INSERT INTO "${s1}".journal VALUES (1, 1, '1\t10\tA\t1\t{}')`);
      await expect(
        PostgresJournal.open({ connection: PG_URL, schema: s1, flushIntervalMs: 0 }),
      ).rejects.toThrow(
        /holds journal format version 1 \(JSON text rows\); this build reads format version 2/,
      );
      const j = await PostgresJournal.open({ connection: PG_URL, schema: s2, flushIntervalMs: 0 });
      j.append("A", 1, { a: 1 });
      await j.flush();
      expect((await j.read()).map((r) => decodeRecord(r))).toEqual([{ a: 1 }]);
      await j.close();
    },
  );
});

for (const store of [sqliteStore, pgStore]) {
  const skip = store === pgStore && pgProblem !== null;
  describe.skipIf(skip)(`journal on ${store.name}`, () => {
    const key = () => `${store.name}_${++counter}`;

    it("appends, flushes in one batch, reads back verified, resumes the sequence on reopen", async () => {
      const k = key();
      const j = await store.open(k);
      expect(j.append("A", 10, { a: 1 })).toBe(1);
      expect(j.append("B", 20, { b: "x" })).toBe(2);
      expect(j.pending).toBe(2);
      expect(j.durableSeq).toBe(0);
      expect(await j.flush()).toBe(2);
      expect(j.pending).toBe(0);
      await j.close();
      const again = await store.open(k);
      expect(again.durableSeq).toBe(2);
      expect(again.append("C", 30, null)).toBe(3);
      await again.flush();
      const all = await again.read();
      expect(all.map((r) => [r.seq, r.ts, r.kind, decodeRecord(r)])).toEqual([
        [1, 10, "A", { a: 1 }],
        [2, 20, "B", { b: "x" }],
        [3, 30, "C", null],
      ]);
      expect((await again.read(2)).map((r) => r.seq)).toEqual([2, 3]);
      await again.close();
      expect(() => again.append("D", 1, {})).toThrow(JournalError);
    });

    if (store === sqliteStore) {
      it("uses WAL mode by default", async () => {
        const j = (await store.open(key())) as SqliteJournal;
        expect(j.journalMode()).toBe("wal");
        await j.close();
      });
    }

    it("detects a corrupted record and a missing record on read (fail closed)", async () => {
      const k = key();
      const j = await store.open(k);
      for (let i = 0; i < 5; i++) j.append("E", i, { i });
      await j.close();
      await store.corrupt(k, 3);
      const r = await store.open(k);
      await expect(r.read()).rejects.toThrow(JournalCorruptError);
      await expect(r.read()).rejects.toThrow(/record 3 \(E\) fails its checksum/);
      await r.close();
      const k2 = key();
      const j2 = await store.open(k2);
      for (let i = 0; i < 5; i++) j2.append("E", i, { i });
      await j2.close();
      await store.remove(k2, 2);
      const r2 = await store.open(k2);
      await expect(r2.read()).rejects.toThrow(/record 2 is missing/);
      await r2.close();
    });

    it("a batch is all or nothing; after a failed write the journal refuses appends", async () => {
      const k = key();
      const j = await store.open(k);
      await store.insertRaw(k, 1); // another writer took seq 1: the batch 1..300 will collide
      for (let i = 0; i < 300; i++) j.append("E", i, { i });
      await expect(j.flush()).rejects.toThrow(/journal write of records 1.. failed/);
      expect(j.durableSeq).toBe(0);
      expect(() => j.append("E", 9, {})).toThrow(/JOURNAL_WRITE_FAILED|failed/);
      await store.deleteRow(k, 1);
      const again = await store.open(k);
      expect(again.durableSeq).toBe(0); // the batch's second row (257..300) was rolled back too
      expect(await again.read()).toEqual([]);
      await again.close();
    });

    it("records a trading session and rebuilds orders, positions and accounts exactly", async () => {
      const k = key();
      const journal = await store.open(k);
      const n = makeNode({ native: [OrderType.Market, OrderType.Limit, OrderType.StopMarket] });
      const risk = new RiskEngine(n.engine, {
        accounts: [
          {
            accountId: n.venue.accountId,
            venue: "SIM",
            type: AccountType.Cash,
            currency: currency("USDT"),
            startingEquity: "100000",
          },
        ],
      });
      n.kernel.add(risk);
      attachJournal(journal, {
        execution: n.engine,
        risk,
        bus: n.kernel.bus,
        now: () => n.clock.timestampUs(),
      });
      risk.setFreeBalance("SIM", Money.parse("100000", currency("USDT")));
      risk.setFreeBalance("SIM", Money.parse("100", currency("BTC")));
      risk.setReferencePrice(n.inst.id, n.px("100.00"));
      n.kernel.bus.publish("events.account.SIM-001", usdtAccountState(n.venue.accountId, "100000"));
      // A session: fills, partials, a modify, a cancel, a denial, a bracket.
      const a = n.order({ quantity: n.qty("2") });
      n.submit(a);
      n.venue.fill("O-1", n.px("99.00"), "0.5");
      n.modify("O-1", n.qty("3"), n.px("99.50"));
      n.venue.fill("O-1", n.px("99.50"));
      const b = n.order({ side: OrderSide.Sell, price: n.px("105.00") });
      n.submit(b);
      n.cancel(b.clientOrderId.value);
      n.submit(n.order({ quantity: n.qty("5000") })); // denied: insufficient balance
      const entry = n.order({
        clientOrderId: new ClientOrderId("E"),
        type: OrderType.Market,
        price: null,
        contingencyType: ContingencyType.OTO,
      });
      const tp = n.order({
        clientOrderId: new ClientOrderId("TP"),
        side: OrderSide.Sell,
        price: n.px("104.00"),
        parentOrderId: entry.clientOrderId,
        contingencyType: ContingencyType.OUO,
        linkedOrderIds: [new ClientOrderId("SL")],
        reduceOnly: true,
      });
      const sl = n.order({
        clientOrderId: new ClientOrderId("SL"),
        side: OrderSide.Sell,
        type: OrderType.StopMarket,
        price: null,
        triggerPrice: n.px("95.00"),
        parentOrderId: entry.clientOrderId,
        contingencyType: ContingencyType.OUO,
        linkedOrderIds: [new ClientOrderId("TP")],
        reduceOnly: true,
      });
      n.engine.execute({
        type: "SubmitOrderList",
        commandId: "L",
        strategyId: n.strategy,
        instrumentId: n.inst.id,
        tsInit: 0,
        orders: [entry, tp, sl],
      });
      n.venue.fill("E", n.px("100.00"), "0.6");
      n.venue.fill("E", n.px("100.10"));
      n.venue.fill("TP", n.px("104.00"), "0.3");
      n.venue.fill("TP", n.px("104.00"));
      n.submit(n.order({ clientOrderId: new ClientOrderId("KEEP"), price: n.px("90.00") })); // still open at the end
      await journal.flush();
      const records = await journal.read();
      const rebuilt = rebuildState(records, n.engine.instruments);
      const live = n.engine.cache;
      const view = (o: import("../model/orders.js").Order) => ({
        id: o.clientOrderId.value,
        status: o.status,
        quantity: o.quantity.toString(),
        price: o.price?.toString() ?? null,
        trigger: o.triggerPrice?.toString() ?? null,
        filled: o.filledQty.toString(),
        avgPx: o.avgPx,
        venueOrderId: o.venueOrderId?.value ?? null,
        trades: [...o.tradeIds],
        events: o.events.map((e) => e.eventId),
      });
      expect(rebuilt.cache.orders().map(view)).toEqual(live.orders().map(view));
      expect(rebuilt.cache.openOrders().map(view)).toEqual(
        live
          .openOrders()
          .filter((o) => !live.isHeld(o))
          .map(view),
      );
      const pv = (p: import("../execution/cache.js").Position) => [
        p.instrumentId.value,
        p.strategyId.value,
        p.signedQtyRaw,
        p.openCostRaw,
        p.realizedRaw,
        [...p.commissions],
      ];
      expect(rebuilt.cache.allPositions().map(pv)).toEqual(live.allPositions().map(pv));
      expect(rebuilt.accounts.get("SIM-001")?.balances[0].free.toString()).toBe("100000.00000000 USDT");
      expect(records.some((r) => r.kind === "Command")).toBe(true);
      expect(records.some((r) => r.kind === "OrderDenied")).toBe(true);
      await journal.close();

      // Restart: a new engine starts from the rebuilt cache; used ids stay used, open orders
      // can be managed, and the journal continues its sequence.
      const reopened = await store.open(k);
      const records2 = await reopened.read();
      const state = rebuildState(records2, n.engine.instruments);
      const m = makeNode({
        native: [OrderType.Market, OrderType.Limit, OrderType.StopMarket],
        cache: state.cache,
      });
      attachJournal(reopened, { execution: m.engine, now: () => m.clock.timestampUs() });
      const dup = m.order({ clientOrderId: new ClientOrderId("O-1"), quantity: m.qty("7") });
      expect(m.submit(dup).code).toBe("CLIENT_ORDER_ID_DUPLICATE");
      const open = m.engine.cache.openOrders().filter((o) => o.status !== "INITIALIZED");
      expect(open.length).toBeGreaterThan(0);
      m.venue.orders.set(open[0].clientOrderId.value, {
        request: { clientOrderId: open[0].clientOrderId } as never,
        venueOrderId: open[0].venueOrderId!,
        status: "ACCEPTED" as never,
        quantity: open[0].quantity,
        price: open[0].price,
        triggerPrice: open[0].triggerPrice,
        filledRaw: open[0].filledQty.raw,
      });
      expect(m.cancel(open[0].clientOrderId.value).ok).toBe(true);
      expect(open[0].status).toBe("CANCELED");
      await reopened.flush();
      const after = await reopened.read();
      expect(after.length).toBeGreaterThan(records2.length);
      expect(after[records2.length].seq).toBe(records2.length + 1);
      expect(() => rebuildState(after, n.engine.instruments)).not.toThrow();
      await reopened.close();
    });

    it("SIGKILL at random moments, repeatedly: no torn records, nothing acknowledged lost", async () => {
      const k = key();
      const rounds = 6;
      let lastAck = 0;
      let rng = 12345;
      const rand = () => {
        rng = (rng * 1103515245 + 12345) % 2147483648;
        return rng / 2147483648;
      };
      for (let round = 0; round < rounds; round++) {
        const acked = await new Promise<number>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            ["--import", "tsx", "test/fixtures/journal-child.ts", ...store.childArgs(k)],
            {
              cwd: process.cwd(),
              stdio: ["ignore", "pipe", "pipe"],
            },
          );
          let acks = 0;
          let buf = "";
          let err = "";
          let killTimer: NodeJS.Timeout | null = null;
          child.stdout.on("data", (d: Buffer) => {
            buf += d.toString();
            let nl = buf.indexOf("\n");
            while (nl >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (line.startsWith("ack ")) {
                acks = Number(line.slice(4));
                // Kill at a random moment once it is writing steadily.
                if (killTimer === null)
                  killTimer = setTimeout(() => child.kill("SIGKILL"), 20 + Math.floor(rand() * 400));
              }
              nl = buf.indexOf("\n");
            }
          });
          child.stderr.on("data", (d: Buffer) => {
            err += d.toString();
          });
          child.on("exit", (code, signal) => {
            if (signal === "SIGKILL") resolve(acks);
            else reject(new Error(`child exited ${code} ${signal}: ${err}`));
          });
        });
        expect(acked).toBeGreaterThanOrEqual(lastAck);
        const j = await store.open(k);
        const records = await j.read(); // throws on a gap or a torn/garbled record
        await j.close();
        expect(records.length).toBeGreaterThanOrEqual(acked);
        for (const r of records) {
          const p = decodeRecord<{ seq: number }>(r);
          expect(p.seq).toBe(r.seq);
          expect(r.ts).toBe(r.seq * 10);
        }
        lastAck = records.length;
      }
      expect(lastAck).toBeGreaterThan(0);
    }, 180_000);
  });
}
