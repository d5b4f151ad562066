/**
 * Configuration: one YAML or JSON file, validated by a zod schema, with profiles per run mode
 * and environment overrides.
 *
 * Effective config = file (without `profiles`) ← `profiles.<mode>` ← `BOTV6_*` variables.
 * - Unknown keys are errors everywhere (a typo never falls back to a default silently), and so
 *   are duplicate keys in the file.
 * - Every error names the file, the line and column (when the key is in the file) or the
 *   environment variable, the key path and the reason; nothing is applied partially.
 * - Secrets are never values in the file: a secret field holds a reference,
 *   `{ env: NAME }` or `{ vault: KEY }`, resolved only when used.
 *
 * Environment overrides: `BOTV6_<KEY>__<KEY>...=value`, `__` between levels; a key matches
 * the schema's key case-insensitively with `_` ignored (`BOTV6_LOGGING__LEVEL=debug`,
 * `BOTV6_VENUES__BINANCE__TESTNET=true`). Values are JSON when they parse as JSON
 * (numbers, booleans, objects), else strings; a string field always takes the text as is.
 * `BOTV6_PROFILE` selects the profile and `BOTV6_CONFIG` names the file; neither is an override.
 */
import { readFileSync } from "node:fs";
import { isMap, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { BarSpecification } from "../model/data.js";
import { BotV6Error } from "../model/errors.js";

export const RUN_MODES = ["backtest", "paper", "live"] as const;

/** A reference to a secret held outside the config file. */
export const secretRefSchema = z.union(
  [
    z.strictObject({
      env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"),
    }),
    z.strictObject({ vault: z.string().min(1) }),
  ],
  {
    error:
      "secrets must not be written in the config file; refer to one with { env: VARIABLE } or { vault: KEY }",
  },
);
export type SecretRef = z.infer<typeof secretRefSchema>;

export const VENUE_KINDS = ["sim", "binance", "binanceusdm", "bybit", "okx", "kraken", "coinbase"] as const;

const venueSchema = z.strictObject({
  /** `sim` is the simulated exchange; the others are exchange adapters. */
  kind: z.enum(VENUE_KINDS),
  accountType: z.enum(["cash", "margin"]).default("cash"),
  apiKey: secretRefSchema.optional(),
  apiSecret: secretRefSchema.optional(),
  passphrase: secretRefSchema.optional(),
  testnet: z.boolean().default(false),
  /** Starting balances of a simulated account, e.g. ["10000 USDT", "1 BTC"]. */
  startingBalances: z
    .array(z.string().regex(/^-?\d+(\.\d+)? [A-Z0-9]{1,16}$/, 'must be "AMOUNT CURRENCY", e.g. "10000 USDT"'))
    .default([]),
});

const decimalText = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/, 'must be a decimal number written as text, e.g. "0.01"');

/** An instrument of a backtest (spot pair or perpetual). */
const instrumentConfigSchema = z.strictObject({
  id: z.string().regex(/^[^\s]+\.[A-Z0-9_]+$/, "must be SYMBOL.VENUE"),
  kind: z.enum(["spot", "perpetual"]),
  base: z.string().regex(/^[A-Z0-9]{1,16}$/),
  quote: z.string().regex(/^[A-Z0-9]{1,16}$/),
  settlement: z
    .string()
    .regex(/^[A-Z0-9]{1,16}$/)
    .optional(),
  priceIncrement: decimalText,
  sizeIncrement: decimalText,
  minQuantity: decimalText.optional(),
  maxQuantity: decimalText.optional(),
  minNotional: decimalText.optional(),
  makerFee: decimalText.default("0"),
  takerFee: decimalText.default("0"),
  marginInit: decimalText.default("0.1"),
  marginMaint: decimalText.default("0.05"),
});

/** The full form of `botv6 backtest --config FILE`. */
const backtestConfigSchema = z.strictObject({
  /** Exactly one source: candle/trade/book files, a catalog range, or the synthetic market. */
  data: z
    .strictObject({
      files: z.array(z.string().min(1)).min(1).optional(),
      format: z.string().optional(),
      catalog: z.string().min(1).optional(),
      start: z.string().optional(),
      end: z.string().optional(),
      instruments: z.array(z.string()).optional(),
      synthetic: z
        .strictObject({
          minutes: z.number().int().min(1).max(100_000),
          start: z.string().default("2026-01-05T00:00:00Z"),
          instruments: z
            .array(
              z.strictObject({
                instrumentId: z.string(),
                initialPrice: decimalText,
                tickSize: decimalText.optional(),
                lotSize: decimalText.optional(),
              }),
            )
            .min(1),
        })
        .optional(),
    })
    .refine((d) => [d.files, d.catalog, d.synthetic].filter((x) => x !== undefined).length === 1, {
      message: "give exactly one of files, catalog or synthetic",
    }),
  instruments: z.array(instrumentConfigSchema).min(1),
  venues: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Z0-9_]{1,32}$/),
        accountType: z.enum(["cash", "margin"]),
        startingBalances: z
          .array(z.string().regex(/^-?\d+(\.\d+)? [A-Z0-9]{1,16}$/, 'must be "AMOUNT CURRENCY"'))
          .min(1),
        fillModel: z.enum(["l2", "trades", "bars"]),
        latency: z
          .strictObject({
            entryUs: z.number().int().min(0).default(0),
            ackUs: z.number().int().min(0).default(0),
            jitterUs: z.number().int().min(0).default(0),
            /** Market data venue → strategy (strategies see data this much later). */
            marketDataUs: z.number().int().min(0).optional(),
            marketDataJitterUs: z.number().int().min(0).optional(),
          })
          .optional(),
        /** Bar fill model: the finer bars the venue fills on, e.g. "1-MINUTE-LAST". */
        fillBars: z
          .string()
          .superRefine((text, ctx) => {
            try {
              BarSpecification.parse(text);
            } catch (e) {
              ctx.addIssue({ code: "custom", message: (e as Error).message });
            }
          })
          .optional(),
        fees: z.strictObject({ maker: decimalText, taker: decimalText }).optional(),
        barPath: z.enum(["proximity", "ohlc", "olhc"]).optional(),
        leverage: z.number().min(1).optional(),
      }),
    )
    .min(1),
  strategies: z
    .array(
      z.strictObject({
        name: z.string(),
        id: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/)
          .optional(),
        params: z.record(z.string(), z.unknown()).default({}),
        /** Bar type for bar strategies, e.g. BTCUSDT.BINANCE-1-MINUTE-LAST-EXTERNAL. */
        barType: z.string().optional(),
      }),
    )
    .min(1),
  equitySampleUs: z.number().int().positive().optional(),
});
export type BacktestFileConfig = z.infer<typeof backtestConfigSchema>;

/** A positive integer bridge setting (counts, milliseconds). */
const posIntSetting = z.number().int().min(1);

/**
 * `botv6 node --role ...`: how this process joins a multi-process deployment (docs/deployment.md).
 * Every node of one deployment reads the same file; the role comes from the command line.
 */
const nodeConfigSchema = z
  .strictObject({
    /** Node name (consumer name, lock owner); default `<role>-<pid>`. */
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, "must be 1-32 letters, digits, '-' or '_'")
      .optional(),
    /** Account the execution node owns; default `<first venue>-001` of the backtest section. */
    accountId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, "must be 1-32 letters, digits, '-' or '_'")
      .optional(),
    bridge: z.strictObject({
      kind: z.enum(["kafka", "redis", "nats"]),
      /** kafka: host:port[,host:port]; redis: redis://host:port; nats: nats://host:port. */
      url: z.string().min(1),
      namespace: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "must be 1-64 of a-z, 0-9 or '-'")
        .default("botv6"),
      partitions: z.number().int().min(1).max(1024).default(4),
      connectTimeoutMs: z.number().int().min(10).default(5000),
      // Tuning, as for a bus bridge (src/infra/bridge/config.ts, docs/deployment.md "Bridge
      // configuration"); the bridge validates the values and its errors name the setting.
      maxBufferedMessages: posIntSetting.optional(),
      overflow: z.enum(["error", "drop"]).optional(),
      maxBatch: posIntSetting.optional(),
      dedupCapacity: posIntSetting.optional(),
      maxAttempts: posIntSetting.optional(),
      backoff: z
        .strictObject({
          initialMs: posIntSetting.optional(),
          maxMs: posIntSetting.optional(),
          seed: z.number().int().optional(),
        })
        .optional(),
      redis: z
        .strictObject({
          maxLen: posIntSetting.optional(),
          claimIdleMs: posIntSetting.optional(),
          blockMs: posIntSetting.optional(),
          readCount: posIntSetting.optional(),
          messagesPerEntry: posIntSetting.optional(),
        })
        .optional(),
      kafka: z
        .strictObject({
          sessionTimeoutMs: posIntSetting.optional(),
          heartbeatIntervalMs: posIntSetting.optional(),
          acks: z.union([z.literal(-1), z.literal(1)]).optional(),
          maxWaitMs: posIntSetting.optional(),
          messagesPerRecord: posIntSetting.optional(),
        })
        .optional(),
      nats: z
        .strictObject({
          duplicateWindowMs: posIntSetting.optional(),
          ackWaitMs: posIntSetting.optional(),
          fetchMaxMessages: posIntSetting.optional(),
          requestTimeoutMs: posIntSetting.optional(),
          publishWindow: posIntSetting.optional(),
          messagesPerMessage: posIntSetting.optional(),
          maxMsgs: posIntSetting.optional(),
        })
        .optional(),
    }),
    /** Active/standby lease of the execution node (Redis); url defaults to a redis bridge's url. */
    lock: z
      .strictObject({
        url: z.string().min(1).optional(),
        ttlMs: z.number().int().min(100).default(3000),
      })
      .default({ ttlMs: 3000 }),
    /**
     * `lockstep` (default): every market-data event is a barrier step, so the nodes compute exactly
     * the single-process backtest. `stream`: free-running paper trading — data is published as it
     * is produced, commands and order events flow as the network delivers them.
     */
    mode: z.enum(["lockstep", "stream"], { error: 'must be "lockstep" or "stream"' }).default("lockstep"),
    /**
     * Stream mode, data node: replay pace. 1 = real time by the events' timestamps, 10 = ten times
     * faster, "max" or 0 = as fast as the bridge accepts (waiting while its buffer is full).
     */
    speed: z
      .union(
        [
          z.literal("max"),
          z.number().finite().min(0, 'must be >= 0 (1 = real time, 0 or "max" = as fast as possible)'),
        ],
        {
          error:
            'must be "max" or a number >= 0 (1 = real time by event timestamps, 0 or "max" = as fast as the bridge accepts)',
        },
      )
      .optional(),
    /** Where the execution node writes orders, fills and positions as JSON when the replay ends. */
    out: z.string().min(1).optional(),
    /** The model node: ONNX models served over the KServe v2 protocol. */
    model: z
      .strictObject({
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65535),
        models: z.array(z.strictObject({ name: z.string().min(1), file: z.string().min(1) })).min(1),
      })
      .optional(),
  })
  .superRefine((n, ctx) => {
    if (n.speed !== undefined && n.mode !== "stream") {
      ctx.addIssue({
        code: "custom",
        path: ["speed"],
        message: "applies to node.mode: stream only (the lockstep replay is paced by its barrier)",
      });
    }
  });
export type NodeFileConfig = z.infer<typeof nodeConfigSchema>;

const bodySchema = {
  trader: z
    .strictObject({
      id: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "must be 1-64 letters, digits, '-' or '_'")
        .default("TRADER-001"),
    })
    .default({ id: "TRADER-001" }),
  mode: z.enum(RUN_MODES).default("backtest"),
  /** Seed of every random stream: same data + config + seed ⇒ identical event log. */
  seed: z.number().int("must be an integer").min(0).max(Number.MAX_SAFE_INTEGER).default(42),
  logging: z
    .strictObject({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    })
    .default({ level: "info" }),
  venues: z
    .record(z.string().regex(/^[A-Z0-9_]{1,32}$/, "venue names are 1-32 of A-Z, 0-9, _"), venueSchema)
    .default({}),
  /** What `botv6 backtest --config FILE` runs. */
  backtest: backtestConfigSchema.optional(),
  /** What `botv6 node --role ...` joins. */
  node: nodeConfigSchema.optional(),
};

/** The effective configuration (after profile and overrides). */
export const configSchema = z.strictObject(bodySchema);
export type BotConfig = z.infer<typeof configSchema>;

/** The file: the body plus per-mode profiles (each a partial body, checked after merging). */
const fileSchema = z.strictObject({
  ...bodySchema,
  profiles: z
    .strictObject({
      backtest: z.record(z.string(), z.unknown()).optional(),
      paper: z.record(z.string(), z.unknown()).optional(),
      live: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

export interface ConfigIssue {
  /** The config file, or `env:VARIABLE` for an override. */
  readonly source: string;
  readonly line: number | null;
  readonly column: number | null;
  /** Dotted key path, e.g. `venues.BINANCE.testnet`; empty for the whole document. */
  readonly path: string;
  readonly message: string;
}

export function formatIssue(i: ConfigIssue): string {
  const where = i.line === null ? i.source : `${i.source}:${i.line}:${i.column ?? 1}`;
  return `${where}: ${i.path === "" ? "(root)" : i.path}: ${i.message}`;
}

export class ConfigError extends BotV6Error {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(
      "CONFIG_INVALID",
      `invalid configuration:\n${issues.map((i) => `  ${formatIssue(i)}`).join("\n")}`,
      {
        issues,
      },
    );
    this.issues = issues;
  }
}

export interface LoadOptions {
  /** Path of the file (used for messages, and read unless `text` is given). */
  file: string;
  text?: string;
  /** Profile / mode to apply; default `BOTV6_PROFILE`, then the file's `mode`, then backtest. */
  profile?: string;
  env?: Record<string, string | undefined>;
}

export interface LoadedConfig {
  readonly config: BotConfig;
  readonly file: string;
  readonly profile: string;
  /** Environment variables that overrode keys, with the key path each set. */
  readonly overrides: readonly { variable: string; path: string }[];
}

const RESERVED_ENV = new Set(["BOTV6_PROFILE", "BOTV6_CONFIG"]);

type Json = Record<string, unknown>;

/** Loads, merges and validates a config file. Throws {@link ConfigError} with every issue. */
export function loadConfig(options: LoadOptions): LoadedConfig {
  const file = options.file;
  const env = options.env ?? process.env;
  let text: string;
  try {
    text = options.text ?? readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError([issue(file, null, "", `cannot read the file: ${(e as Error).message}`)]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((err) => {
        const pos = err.linePos?.[0];
        return {
          source: file,
          line: pos?.line ?? null,
          column: pos?.col ?? null,
          path: "",
          message: err.message.split("\n")[0],
        };
      }),
    );
  }
  const raw = doc.toJS() as unknown;
  const body: Json = raw === null || raw === undefined ? {} : (raw as Json);
  if (typeof body !== "object" || Array.isArray(body)) {
    throw new ConfigError([issue(file, 1, "", "the top level must be a mapping of keys to values")]);
  }
  const locate = (path: (string | number)[]): { line: number | null; column: number | null } => {
    // The nearest node that exists in the document: the key itself, or its closest parent.
    for (let n = path.length; n >= 0; n--) {
      const p = path.slice(0, n);
      const parent = p.length === 0 ? doc.contents : doc.getIn(p.slice(0, -1), true);
      if (p.length > 0 && isMap(parent)) {
        const pair = parent.items.find(
          (it) => (it.key as { value?: unknown } | null)?.value === p[p.length - 1],
        );
        const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
        if (range !== undefined) {
          const lp = lineCounter.linePos(range[0]);
          return { line: lp.line, column: lp.col };
        }
      } else if (p.length === 0) {
        return { line: null, column: null };
      } else {
        const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
        if (node?.range !== undefined) {
          const lp = lineCounter.linePos(node.range[0]);
          return { line: lp.line, column: lp.col };
        }
      }
    }
    return { line: null, column: null };
  };

  // 1. The file as written: unknown keys, wrong types, bad profile names.
  const fileResult = fileSchema.safeParse(body);
  const issues: ConfigIssue[] = [];
  if (!fileResult.success) {
    for (const zi of flattenZodIssues(fileResult.error.issues)) {
      issues.push({ source: file, ...locate(zi.path), path: zi.path.join("."), message: zi.message });
    }
  }

  // 2. Profile selection.
  const profile =
    options.profile ?? env.BOTV6_PROFILE ?? (typeof body.mode === "string" ? body.mode : "backtest");
  if (!(RUN_MODES as readonly string[]).includes(profile)) {
    issues.push(
      issue(file, null, "profile", `unknown profile "${profile}"; expected one of ${RUN_MODES.join(", ")}`),
    );
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const { profiles, ...base } = body as Json & { profiles?: Record<string, Json | undefined> };
  const overlay = profiles?.[profile] ?? {};
  const merged = deepMerge(base, overlay) as Json;
  merged.mode = profile;

  // 3. Environment overrides.
  const overrides: { variable: string; path: string }[] = [];
  const envSources = new Map<string, string>();
  for (const variable of Object.keys(env).sort()) {
    if (!variable.startsWith("BOTV6_") || RESERVED_ENV.has(variable)) continue;
    const value = env[variable];
    if (value === undefined) continue;
    const segments = variable.slice("BOTV6_".length).split("__");
    const resolved = resolveEnvPath(segments, merged);
    if (typeof resolved === "string") {
      issues.push(issue(`env:${variable}`, null, segments.join("."), resolved));
      continue;
    }
    const leaf = schemaAt(configSchema, resolved);
    const v = leaf !== null && isStringSchema(leaf) ? value : parseEnvValue(value);
    setIn(merged, resolved, v);
    const path = resolved.join(".");
    overrides.push({ variable, path });
    envSources.set(path, variable);
  }
  if (issues.length > 0) throw new ConfigError(issues);

  // 4. The effective config.
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    for (const zi of flattenZodIssues(result.error.issues)) {
      const path = zi.path.join(".");
      const fromEnv = [...envSources.entries()].find(([p]) => path === p || path.startsWith(`${p}.`));
      if (fromEnv !== undefined) {
        issues.push(issue(`env:${fromEnv[1]}`, null, path, zi.message));
      } else if (hasIn(overlay, zi.path)) {
        issues.push({
          source: file,
          ...locate(["profiles", profile, ...zi.path]),
          path,
          message: zi.message,
        });
      } else {
        issues.push({ source: file, ...locate(zi.path), path, message: zi.message });
      }
    }
    throw new ConfigError(issues);
  }
  return { config: result.data, file, profile, overrides };
}

function issue(source: string, line: number | null, path: string, message: string): ConfigIssue {
  return { source, line, column: line === null ? null : 1, path, message };
}

interface FlatIssue {
  path: (string | number)[];
  message: string;
}

/** One issue per unknown key (zod groups them), with the path pointing at the key. */
function flattenZodIssues(issues: readonly z.core.$ZodIssue[]): FlatIssue[] {
  const out: FlatIssue[] = [];
  for (const i of issues) {
    const path = i.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    if (i.code === "unrecognized_keys") {
      for (const k of i.keys) out.push({ path: [...path, k], message: `unknown key "${k}"` });
    } else {
      out.push({ path, message: i.message });
    }
  }
  return out;
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (isPlainObject(a) && isPlainObject(b)) {
    const out: Json = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? deepMerge(out[k], v) : v;
    return out;
  }
  return b === undefined ? a : b;
}

function isPlainObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hasIn(obj: unknown, path: (string | number)[]): boolean {
  let cur = obj;
  for (const p of path) {
    if (!isPlainObject(cur) && !Array.isArray(cur)) return false;
    if (!(p in (cur as Json))) return false;
    cur = (cur as Json)[p as string];
  }
  return true;
}

function setIn(obj: Json, path: string[], value: unknown): void {
  let cur = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i]];
    if (!isPlainObject(next)) cur[path[i]] = {};
    cur = cur[path[i]] as Json;
  }
  cur[path[path.length - 1]] = value;
}

function parseEnvValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const norm = (s: string) => s.toLowerCase().replace(/_/g, "");

type AnySchema = z.ZodType;
interface SchemaDef {
  type: string;
  shape?: Record<string, AnySchema>;
  valueType?: AnySchema;
}

function unwrap(s: AnySchema): AnySchema {
  let cur = s as AnySchema & { def: { type: string; innerType?: AnySchema } };
  while (
    (cur.def.type === "optional" || cur.def.type === "default" || cur.def.type === "nullable") &&
    cur.def.innerType
  ) {
    cur = cur.def.innerType as typeof cur;
  }
  return cur;
}

function schemaAt(schema: AnySchema, path: string[]): AnySchema | null {
  let cur: AnySchema | null = unwrap(schema);
  for (const seg of path) {
    if (cur === null) return null;
    const def: SchemaDef = (cur as unknown as { def: SchemaDef }).def;
    if (def.type === "object" && def.shape) cur = def.shape[seg] ? unwrap(def.shape[seg]) : null;
    else if (def.type === "record" && def.valueType) cur = unwrap(def.valueType);
    else return null;
  }
  return cur;
}

function isStringSchema(s: AnySchema): boolean {
  return (s as unknown as { def: { type: string } }).def.type === "string";
}

/**
 * Maps `BOTV6_A__B_C` segments to config keys: schema keys (case/underscore-insensitive), record
 * keys that exist in the merged config, or new record keys as written. Returns an error text
 * when a segment names no key.
 */
function resolveEnvPath(segments: string[], merged: Json): string[] | string {
  const out: string[] = [];
  let schema: AnySchema | null = unwrap(configSchema);
  let value: unknown = merged;
  for (const seg of segments) {
    if (seg === "") return "empty key segment (use __ only between keys)";
    const def: SchemaDef | undefined = (schema as unknown as { def: SchemaDef } | null)?.def;
    if (def?.type === "object" && def.shape) {
      const key = Object.keys(def.shape).find((k) => norm(k) === norm(seg));
      if (key === undefined) {
        return `no config key "${seg.toLowerCase()}" at ${out.length === 0 ? "the top level" : out.join(".")}; known: ${Object.keys(def.shape).join(", ")}`;
      }
      out.push(key);
      schema = unwrap(def.shape[key]);
    } else if (def?.type === "record" && def.valueType) {
      const existing = isPlainObject(value)
        ? Object.keys(value).find((k) => norm(k) === norm(seg))
        : undefined;
      out.push(existing ?? seg);
      schema = unwrap(def.valueType);
    } else {
      return `"${out.join(".")}" has no sub-keys`;
    }
    value = isPlainObject(value) ? value[out[out.length - 1]] : undefined;
  }
  return out;
}

/** Resolves a secret reference. A missing variable or vault entry throws naming it. */
export function resolveSecret(
  ref: SecretRef,
  env: Record<string, string | undefined> = process.env,
  vault?: (key: string) => string | undefined,
): string {
  if ("env" in ref) {
    const v = env[ref.env];
    if (v === undefined || v === "") {
      throw new BotV6Error("SECRET_MISSING", `secret environment variable ${ref.env} is not set`, {
        env: ref.env,
      });
    }
    return v;
  }
  const v = vault?.(ref.vault);
  if (v === undefined) {
    throw new BotV6Error("SECRET_MISSING", `secret "${ref.vault}" is not in the vault`, { vault: ref.vault });
  }
  return v;
}

/**
 * The config with every secret reference shown as its reference plus whether it is set — never
 * its value — for printing.
 */
export function maskSecrets(
  config: BotConfig,
  env: Record<string, string | undefined> = process.env,
): unknown {
  const walk = (v: unknown): unknown => {
    if (isPlainObject(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === "env" && typeof v.env === "string") {
        return { env: v.env, value: env[v.env] ? "****" : "(not set)" };
      }
      if (keys.length === 1 && keys[0] === "vault" && typeof v.vault === "string") {
        return { vault: v.vault, value: "****" };
      }
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    if (Array.isArray(v)) return v.map(walk);
    return v;
  };
  return walk(config);
}
