/**
 * The model registry: versioned models with their metadata, ONNX (and in-process JSON) files on
 * disk under `<dir>/<name>/v<version>/`, and an index in SQLite (`<dir>/registry.sqlite`,
 * better-sqlite3). A version is immutable once registered; "live" is a pointer per name that hot
 * swap follows.
 *
 * Quantised variants are registered as children of their FP32 parent, and the registry refuses
 * one whose validation metric is worse than the parent's by more than the configured tolerance.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { MlError } from "../errors.js";
import { serializeModel, type TrainedModel } from "../model-io.js";
import type { Quantisation } from "../onnx/quantize.js";

export interface RegistryOptions {
  /**
   * Largest allowed drop of the validation metric of a quantised model below its parent
   * (absolute, in the metric's units; default 0.01).
   */
  quantisationTolerance?: number;
}

export interface ModelMetadata {
  /** Feature names, in input order. */
  featureSet: string[];
  /**
   * Hash of the feature set's full definition (`featureSetSpecHash`): two sets with the same
   * names but other parameters (RSI 14 vs 21, another VPIN bucket) differ here.
   */
  featureSpecHash?: string;
  /** Training window, µs since the epoch (inclusive start, exclusive end). */
  trainWindow?: { startUs: number; endUs: number };
  /** Validation metrics, e.g. { accuracy: 0.61 } or { rmse: 0.002 }. */
  metrics: Record<string, number>;
  /** Which metric gates quantisation, and whether higher is better (default: accuracy, higher). */
  gateMetric?: { name: string; higherIsBetter: boolean };
  /** `name:version` of the model this one derives from (quantised child, retrain, ...). */
  parent?: string;
  quantisation?: Quantisation;
  /** Registration time, µs since the epoch, supplied by the caller's clock (not read here). */
  createdUs?: number;
  notes?: string;
}

export interface ModelRecord extends Required<Pick<ModelMetadata, "featureSet" | "metrics">> {
  name: string;
  version: number;
  kind: string;
  featureHash: string;
  featureSpecHash?: string;
  trainWindow?: { startUs: number; endUs: number };
  gateMetric: { name: string; higherIsBetter: boolean };
  parent?: string;
  quantisation: Quantisation;
  createdUs?: number;
  notes?: string;
  onnxFile: string;
  modelFile?: string;
  sha256: string;
  live: boolean;
}

/** SHA-256 of the ordered feature names: two models with the same hash take the same inputs. */
export function featureSetHash(names: readonly string[]): string {
  return createHash("sha256").update(JSON.stringify(names)).digest("hex");
}

interface Row {
  name: string;
  version: number;
  kind: string;
  feature_set: string;
  feature_hash: string;
  train_start_us: number | null;
  train_end_us: number | null;
  metrics: string;
  gate_metric: string;
  parent: string | null;
  quantisation: string;
  created_us: number | null;
  notes: string | null;
  onnx_file: string;
  model_file: string | null;
  sha256: string;
  feature_spec_hash?: string | null;
}

export class ModelRegistry {
  private readonly db: Database.Database;
  readonly tolerance: number;

  constructor(
    readonly dir: string,
    opts: RegistryOptions = {},
  ) {
    this.tolerance = opts.quantisationTolerance ?? 0.01;
    if (!(this.tolerance >= 0))
      throw new MlError("ML_REGISTRY", `quantisationTolerance must be >= 0, got ${this.tolerance}`);
    mkdirSync(dir, { recursive: true });
    this.db = new Database(join(dir, "registry.sqlite"));
    this.db.pragma("journal_mode = WAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS models (
        name TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL,
        feature_set TEXT NOT NULL, feature_hash TEXT NOT NULL,
        train_start_us INTEGER, train_end_us INTEGER,
        metrics TEXT NOT NULL, gate_metric TEXT NOT NULL, parent TEXT, quantisation TEXT NOT NULL,
        created_us INTEGER, notes TEXT, onnx_file TEXT NOT NULL, model_file TEXT, sha256 TEXT NOT NULL,
        PRIMARY KEY (name, version));
      CREATE TABLE IF NOT EXISTS live (name TEXT PRIMARY KEY, version INTEGER NOT NULL);`);
    // Added after the first release: older registries get the column on open.
    const cols = this.db.prepare("PRAGMA table_info(models)").all() as { name: string }[];
    if (!cols.some((c) => c.name === "feature_spec_hash"))
      this.db.exec("ALTER TABLE models ADD COLUMN feature_spec_hash TEXT");
  }

  close(): void {
    this.db.close();
  }

  /** Parses "name", "name:3", "name:latest" or "name:live". */
  static parseRef(ref: string): { name: string; version: number | "latest" | "live" } {
    const m = /^([A-Za-z0-9_.-]+)(?::(\d+|latest|live))?$/.exec(ref);
    if (!m)
      throw new MlError(
        "ML_REGISTRY",
        `model reference "${ref}" must be NAME, NAME:VERSION, NAME:latest or NAME:live`,
      );
    const v = m[2] ?? "latest";
    return { name: m[1], version: v === "latest" || v === "live" ? v : Number(v) };
  }

  /**
   * Registers a new version of `name` (next version number) with its ONNX bytes and, optionally,
   * the in-process model. For a quantised model (`quantisation` not fp32 and a `parent`), the
   * gate metric is compared with the parent's and the model is refused (`ML_REGISTRY`, nothing
   * written) when it drops by more than the tolerance.
   */
  register(
    name: string,
    onnx: Uint8Array,
    meta: ModelMetadata,
    model?: TrainedModel,
    kind = model?.kind ?? "onnx",
  ): ModelRecord {
    if (!/^[A-Za-z0-9_.-]+$/.test(name))
      throw new MlError("ML_REGISTRY", `model name "${name}" must match [A-Za-z0-9_.-]+`);
    if (!Array.isArray(meta.featureSet) || meta.featureSet.some((f) => typeof f !== "string" || f === ""))
      throw new MlError("ML_REGISTRY", `${name}: featureSet must be a list of non-empty feature names`);
    if (model && model.nFeatures !== meta.featureSet.length)
      throw new MlError(
        "ML_REGISTRY",
        `${name}: the model takes ${model.nFeatures} features, the feature set has ${meta.featureSet.length}`,
      );
    for (const [k, v] of Object.entries(meta.metrics))
      if (!Number.isFinite(v)) throw new MlError("ML_REGISTRY", `${name}: metric ${k} is ${v}`);
    const gate = meta.gateMetric ?? { name: "accuracy", higherIsBetter: true };
    const quantisation = meta.quantisation ?? "fp32";
    if (meta.featureSpecHash !== undefined && !/^[0-9a-f]{64}$/.test(meta.featureSpecHash))
      throw new MlError("ML_REGISTRY", `${name}: featureSpecHash must be a SHA-256 hex digest`);
    if (meta.parent) {
      const parent = this.get(meta.parent);
      if (featureSetHash(meta.featureSet) !== parent.featureHash)
        throw new MlError("ML_REGISTRY", `${name}: feature set differs from parent ${meta.parent}'s`);
      if (quantisation !== "fp32") this.checkQuantisation(name, meta, gate, parent);
    } else if (quantisation !== "fp32") {
      throw new MlError(
        "ML_REGISTRY",
        `${name}: a ${quantisation} model needs its fp32 parent (meta.parent) to be checked against`,
      );
    }
    const tx = this.db.transaction((): ModelRecord => {
      const row = this.db.prepare("SELECT MAX(version) AS v FROM models WHERE name = ?").get(name) as {
        v: number | null;
      };
      const version = (row.v ?? 0) + 1;
      const rel = join(name, `v${version}`);
      mkdirSync(join(this.dir, rel), { recursive: true });
      const onnxFile = join(rel, "model.onnx");
      writeFileSync(join(this.dir, onnxFile), onnx);
      let modelFile: string | undefined;
      if (model) {
        modelFile = join(rel, "model.json");
        writeFileSync(join(this.dir, modelFile), serializeModel(model));
      }
      const sha256 = createHash("sha256").update(onnx).digest("hex");
      this.db
        .prepare(
          `INSERT INTO models (name, version, kind, feature_set, feature_hash, train_start_us, train_end_us, metrics,
           gate_metric, parent, quantisation, created_us, notes, onnx_file, model_file, sha256, feature_spec_hash)
           VALUES (@name, @version, @kind, @feature_set, @feature_hash, @train_start_us, @train_end_us,
           @metrics, @gate_metric, @parent, @quantisation, @created_us, @notes, @onnx_file, @model_file, @sha256,
           @feature_spec_hash)`,
        )
        .run({
          name,
          version,
          kind,
          feature_set: JSON.stringify(meta.featureSet),
          feature_hash: featureSetHash(meta.featureSet),
          train_start_us: meta.trainWindow?.startUs ?? null,
          train_end_us: meta.trainWindow?.endUs ?? null,
          metrics: JSON.stringify(meta.metrics),
          gate_metric: JSON.stringify(gate),
          parent: meta.parent ?? null,
          quantisation,
          created_us: meta.createdUs ?? null,
          notes: meta.notes ?? null,
          onnx_file: onnxFile,
          model_file: modelFile ?? null,
          sha256,
          feature_spec_hash: meta.featureSpecHash ?? null,
        } satisfies Row);
      return this.get(`${name}:${version}`);
    });
    return tx();
  }

  private checkQuantisation(
    name: string,
    meta: ModelMetadata,
    gate: { name: string; higherIsBetter: boolean },
    parent: ModelRecord,
  ): void {
    const mine = meta.metrics[gate.name];
    const theirs = parent.metrics[gate.name];
    if (mine === undefined || theirs === undefined)
      throw new MlError(
        "ML_REGISTRY",
        `${name}: gate metric "${gate.name}" missing on the ${mine === undefined ? "quantised model" : `parent ${parent.name}:${parent.version}`}`,
      );
    const drop = gate.higherIsBetter ? theirs - mine : mine - theirs;
    if (drop > this.tolerance + 1e-12)
      throw new MlError(
        "ML_REGISTRY",
        `${name}: refused ${meta.quantisation} model: ${gate.name} ${mine} vs parent ${parent.name}:${parent.version} ${theirs} is worse by ${drop.toPrecision(4)} > tolerance ${this.tolerance}`,
        { drop, tolerance: this.tolerance },
      );
  }

  private toRecord(r: Row, liveVersion: number | undefined): ModelRecord {
    return {
      name: r.name,
      version: r.version,
      kind: r.kind,
      featureSet: JSON.parse(r.feature_set) as string[],
      featureHash: r.feature_hash,
      featureSpecHash: r.feature_spec_hash ?? undefined,
      trainWindow:
        r.train_start_us !== null && r.train_end_us !== null
          ? { startUs: r.train_start_us, endUs: r.train_end_us }
          : undefined,
      metrics: JSON.parse(r.metrics) as Record<string, number>,
      gateMetric: JSON.parse(r.gate_metric) as { name: string; higherIsBetter: boolean },
      parent: r.parent ?? undefined,
      quantisation: r.quantisation as Quantisation,
      createdUs: r.created_us ?? undefined,
      notes: r.notes ?? undefined,
      onnxFile: join(this.dir, r.onnx_file),
      modelFile: r.model_file ? join(this.dir, r.model_file) : undefined,
      sha256: r.sha256,
      live: liveVersion === r.version,
    };
  }

  private liveVersion(name: string): number | undefined {
    return (
      this.db.prepare("SELECT version FROM live WHERE name = ?").get(name) as { version: number } | undefined
    )?.version;
  }

  /** A version by reference (see {@link parseRef}); unknown → `ML_REGISTRY`. */
  get(ref: string): ModelRecord {
    const { name, version } = ModelRegistry.parseRef(ref);
    const live = this.liveVersion(name);
    let v: number | undefined;
    if (version === "live") {
      v = live;
      if (v === undefined) throw new MlError("ML_REGISTRY", `${name} has no live version`);
    } else if (version === "latest") {
      v =
        (
          this.db.prepare("SELECT MAX(version) AS v FROM models WHERE name = ?").get(name) as {
            v: number | null;
          }
        ).v ?? undefined;
      if (v === undefined)
        throw new MlError("ML_REGISTRY", `no model named ${name} in the registry ${this.dir}`);
    } else v = version;
    const row = this.db.prepare("SELECT * FROM models WHERE name = ? AND version = ?").get(name, v) as
      | Row
      | undefined;
    if (!row) throw new MlError("ML_REGISTRY", `no model ${name}:${v} in the registry ${this.dir}`);
    return this.toRecord(row, live);
  }

  /** All versions (of one name, or all), ordered by name then version. */
  list(name?: string): ModelRecord[] {
    const rows = (
      name
        ? this.db.prepare("SELECT * FROM models WHERE name = ? ORDER BY version").all(name)
        : this.db.prepare("SELECT * FROM models ORDER BY name, version").all()
    ) as Row[];
    return rows.map((r) => this.toRecord(r, this.liveVersion(r.name)));
  }

  /** Reads a version's ONNX bytes and checks them against the recorded SHA-256. */
  readOnnx(ref: string): Uint8Array {
    const rec = this.get(ref);
    const bytes = readFileSync(rec.onnxFile);
    const sha = createHash("sha256").update(bytes).digest("hex");
    if (sha !== rec.sha256)
      throw new MlError(
        "ML_REGISTRY",
        `${rec.name}:${rec.version}: ${rec.onnxFile} does not match its recorded SHA-256 (file changed on disk)`,
      );
    return bytes;
  }

  /** Points `name`'s live version at `version` (what {@link HotSwapModel} follows). */
  setLive(ref: string): ModelRecord {
    const rec = this.get(ref);
    this.db
      .prepare(
        "INSERT INTO live (name, version) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version",
      )
      .run(rec.name, rec.version);
    return { ...rec, live: true };
  }
}
