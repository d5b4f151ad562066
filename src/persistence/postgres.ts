/**
 * PostgreSQL journal (production) via `pg`. A batch is one transaction of multi-row inserts of
 * packed binary rows (BYTEA; see `PackedRow`).
 * The table (optionally in a schema) is created if missing.
 */
import pg from "pg";
import {
  BatchingJournal,
  JournalFormatError,
  type JournalOptions,
  type JournalRecord,
  type PackedRow,
  unpackRow,
} from "./journal.js";

export interface PostgresJournalOptions extends JournalOptions {
  /** A connection string or `pg` client config. */
  connection: string | pg.ClientConfig;
  schema?: string;
  table?: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Packed rows per INSERT statement. */
const ROWS_PER_STATEMENT = 100;

export class PostgresJournal extends BatchingJournal {
  private readonly client: pg.Client;
  private readonly qualified: string;

  private constructor(client: pg.Client, qualified: string, options: JournalOptions) {
    super(options);
    this.client = client;
    this.qualified = qualified;
  }

  /** Connects, creates schema and table if needed, and resumes after the last record. */
  static async open(options: PostgresJournalOptions): Promise<PostgresJournal> {
    const schema = options.schema ?? "public";
    const table = options.table ?? "journal";
    if (!IDENT.test(schema) || !IDENT.test(table))
      throw new RangeError(`invalid schema/table "${schema}.${table}"`);
    const client = new pg.Client(
      typeof options.connection === "string" ? { connectionString: options.connection } : options.connection,
    );
    await client.connect();
    const q = `"${schema}"."${table}"`;
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${q} (first_seq BIGINT PRIMARY KEY, last_seq BIGINT NOT NULL, data BYTEA NOT NULL)`,
      );
      const col = await client.query<{ t: string }>(
        "SELECT data_type AS t FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = 'data'",
        [schema, table],
      );
      if (col.rows[0]?.t !== "bytea") {
        // Format 1 stored JSON text rows: refused (or, when empty, converted) naming the version.
        const n = await client.query<{ n: string }>(`SELECT COUNT(*)::text AS n FROM ${q}`);
        if (n.rows[0].n !== "0") {
          throw new JournalFormatError(
            "JOURNAL_VERSION_UNSUPPORTED",
            `${schema}.${table} holds journal format version 1 (JSON text rows); this build reads format version 2 only — replay it with the build that wrote it, or start a new journal`,
            { schema, table, version: 1 },
          );
        }
        await client.query(`ALTER TABLE ${q} ALTER COLUMN data TYPE BYTEA USING convert_to(data, 'UTF8')`);
      }
      const r = await client.query<{ m: string | null }>(`SELECT MAX(last_seq)::text AS m FROM ${q}`);
      const j = new PostgresJournal(client, q, options);
      j.resumeAt(r.rows[0].m === null ? 0 : Number(r.rows[0].m));
      j.startTimer();
      return j;
    } catch (e) {
      await client.end();
      throw e;
    }
  }

  protected async writeBatch(rows: PackedRow[]): Promise<void> {
    await this.client.query("BEGIN");
    try {
      for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
        const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
        const params: unknown[] = [];
        const values: string[] = [];
        for (const r of chunk) {
          const b = params.length;
          values.push(`($${b + 1}, $${b + 2}, $${b + 3})`);
          params.push(r.firstSeq, r.lastSeq, r.data);
        }
        await this.client.query(
          `INSERT INTO ${this.qualified} (first_seq, last_seq, data) VALUES ${values.join(",")}`,
          params,
        );
      }
      await this.client.query("COMMIT");
    } catch (e) {
      await this.client.query("ROLLBACK").catch(() => {});
      throw e;
    }
  }

  protected async readRecords(fromSeq: number): Promise<JournalRecord[]> {
    // Aliases differ from the column names so ORDER BY sorts the BIGINT, not its text.
    const r = await this.client.query<{ f: string; l: string; data: Buffer }>(
      `SELECT first_seq::text AS f, last_seq::text AS l, data FROM ${this.qualified} WHERE last_seq >= $1 ORDER BY first_seq`,
      [fromSeq],
    );
    const out: JournalRecord[] = [];
    for (const x of r.rows)
      out.push(...unpackRow({ firstSeq: Number(x.f), lastSeq: Number(x.l), data: x.data }, fromSeq));
    return out;
  }

  protected async closeStore(): Promise<void> {
    await this.client.end();
  }

  /** Drops the table (tests). */
  static async drop(connection: string | pg.ClientConfig, schema: string): Promise<void> {
    if (!IDENT.test(schema)) throw new RangeError(`invalid schema "${schema}"`);
    const c = new pg.Client(typeof connection === "string" ? { connectionString: connection } : connection);
    await c.connect();
    try {
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await c.end();
    }
  }
}
