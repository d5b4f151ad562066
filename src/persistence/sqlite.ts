/**
 * SQLite journal (the embedded default) via better-sqlite3, WAL mode. A batch is one
 * transaction of prepared inserts of packed binary rows (see `PackedRow`); with `synchronous = NORMAL` (default) a committed batch
 * survives the process being killed at any moment; `FULL` also survives power loss.
 */
import Database from "better-sqlite3";
import {
  BatchingJournal,
  JournalFormatError,
  type JournalOptions,
  type JournalRecord,
  type PackedRow,
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
  private readonly writeTx: (rows: PackedRow[]) => void;

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
      `CREATE TABLE IF NOT EXISTS ${table} (first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, data BLOB NOT NULL)`,
    );
    // A journal of format 1 (JSON text rows) is refused at open, naming the version.
    const old = this.db
      .prepare(`SELECT first_seq AS f, typeof(data) AS t FROM ${table} ORDER BY first_seq LIMIT 1`)
      .get() as { f: number; t: string } | undefined;
    if (old !== undefined && old.t === "text") {
      this.db.close();
      throw new JournalFormatError(
        "JOURNAL_VERSION_UNSUPPORTED",
        `${path}: table ${table} holds journal format version 1 (JSON text rows, from row ${old.f}); this build reads format version 2 only — replay it with the build that wrote it, or start a new journal`,
        { path, version: 1 },
      );
    }
    this.insert = this.db.prepare(`INSERT INTO ${table} (first_seq, last_seq, data) VALUES (?, ?, ?)`);
    this.select = this.db.prepare(
      `SELECT first_seq AS firstSeq, last_seq AS lastSeq, data FROM ${table} WHERE last_seq >= ? ORDER BY first_seq`,
    );
    this.writeTx = this.db.transaction((rows: PackedRow[]) => {
      for (const r of rows) this.insert.run(r.firstSeq, r.lastSeq, r.data);
    });
    const row = this.db.prepare(`SELECT MAX(last_seq) AS m FROM ${table}`).get() as { m: number | null };
    this.resumeAt(row.m ?? 0);
    this.startTimer();
  }

  /** SQLite writes synchronously; the promise is already settled when returned. */
  protected async writeBatch(rows: PackedRow[]): Promise<void> {
    this.writeTx(rows);
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
