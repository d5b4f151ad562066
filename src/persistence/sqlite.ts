/**
 * SQLite journal (the embedded default) via better-sqlite3, WAL mode. A batch is one
 * transaction of prepared inserts of packed rows (see {@link packRecords}); with `synchronous = NORMAL` (default) a committed batch
 * survives the process being killed at any moment; `FULL` also survives power loss.
 */
import Database from "better-sqlite3";
import {
  BatchingJournal,
  type JournalOptions,
  type JournalRecord,
  type PackedRow,
  packRecords,
  unpackRow,
} from "./journal.js";

export interface SqliteJournalOptions extends JournalOptions {
  /** WAL (default) or the rollback journal ("DELETE"). */
  journalMode?: "WAL" | "DELETE";
  synchronous?: "NORMAL" | "FULL";
  table?: string;
}

export class SqliteJournal extends BatchingJournal {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly select: Database.Statement;
  private readonly writeTx: (records: JournalRecord[]) => void;

  constructor(
    readonly path: string,
    options: SqliteJournalOptions = {},
  ) {
    super(options);
    const table = options.table ?? "journal";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new RangeError(`invalid table name "${table}"`);
    this.db = new Database(path);
    this.db.pragma(`journal_mode = ${options.journalMode ?? "WAL"}`);
    this.db.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, data TEXT NOT NULL)`,
    );
    this.insert = this.db.prepare(`INSERT INTO ${table} (first_seq, last_seq, data) VALUES (?, ?, ?)`);
    this.select = this.db.prepare(
      `SELECT first_seq AS firstSeq, last_seq AS lastSeq, data FROM ${table} WHERE last_seq >= ? ORDER BY first_seq`,
    );
    this.writeTx = this.db.transaction((records: JournalRecord[]) => {
      for (const r of packRecords(records)) this.insert.run(r.firstSeq, r.lastSeq, r.data);
    });
    const row = this.db.prepare(`SELECT MAX(last_seq) AS m FROM ${table}`).get() as { m: number | null };
    this.resumeAt(row.m ?? 0);
    this.startTimer();
  }

  /** SQLite writes synchronously; the promise is already settled when returned. */
  protected async writeBatch(records: JournalRecord[]): Promise<void> {
    this.writeTx(records);
  }

  protected async readRecords(fromSeq: number): Promise<JournalRecord[]> {
    const out: JournalRecord[] = [];
    for (const row of this.select.all(fromSeq) as PackedRow[]) out.push(...unpackRow(row, fromSeq));
    return out;
  }

  protected async closeStore(): Promise<void> {
    this.db.close();
  }

  /** The effective journal mode (tests). */
  journalMode(): string {
    return String(this.db.pragma("journal_mode", { simple: true }));
  }
}
