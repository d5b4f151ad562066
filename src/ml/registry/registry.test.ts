import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { compareVariants } from "../inference/variants.js";
import { exportGbdt, exportMlp } from "../onnx/export.js";
import { blobs, splitRows } from "../testing/synthetic.js";
import { trainGbdt } from "../train/gbdt.js";
import { predictMlp, trainMlp } from "../train/mlp.js";
import { HotSwapModel } from "./hot-swap.js";
import { ModelRegistry } from "./registry.js";

const features = ["f0", "f1", "f2", "f3", "f4", "f5"];
const ds = { ...blobs(800, 6, 3, 4, 2.5), featureNames: features };
const [train, valid] = splitRows(ds, 0.75);
const mlp = trainMlp(train, { hidden: [16], output: "softmax", epochs: 10, learningRate: 0.01, seed: 2 });

let reg: ModelRegistry | undefined;
afterEach(() => reg?.close());
const open = (tol = 0.01) => {
  reg = new ModelRegistry(mkdtempSync(join(tmpdir(), "botv6-reg-")), { quantisationTolerance: tol });
  return reg;
};

describe("ModelRegistry", () => {
  it("versions models with metadata and an index in SQLite, reopened from disk", () => {
    const r = open();
    const a = r.register(
      "alpha",
      exportMlp(mlp),
      {
        featureSet: features,
        metrics: { accuracy: 0.9 },
        trainWindow: { startUs: 1_700_000_000_000_000, endUs: 1_700_086_400_000_000 },
        createdUs: 1_700_100_000_000_000,
      },
      mlp,
    );
    const b = r.register(
      "alpha",
      exportMlp(mlp),
      { featureSet: features, metrics: { accuracy: 0.91 }, parent: "alpha:1" },
      mlp,
    );
    expect([a.version, b.version]).toEqual([1, 2]);
    expect(b.parent).toBe("alpha:1");
    expect(r.get("alpha").version).toBe(2);
    expect(r.get("alpha:1").trainWindow).toEqual({
      startUs: 1_700_000_000_000_000,
      endUs: 1_700_086_400_000_000,
    });
    r.close();
    const again = new ModelRegistry(a.onnxFile.split("/alpha/")[0]);
    reg = again;
    expect(again.list().map((m) => `${m.name}:${m.version}:${m.quantisation}`)).toEqual([
      "alpha:1:fp32",
      "alpha:2:fp32",
    ]);
    expect(again.readOnnx("alpha:2").length).toBeGreaterThan(100);
    expect(() => again.get("alpha:7")).toThrow(/no model alpha:7/);
    expect(() => again.get("beta")).toThrow(/no model named beta/);
    expect(() => ModelRegistry.parseRef("bad name")).toThrow(/must be NAME, NAME:VERSION/);
  });

  it("accepts quantised variants within tolerance and refuses one that drops too much", async () => {
    const r = open(0.01);
    const reports = await compareVariants(mlp, valid, train);
    const fp32 = reports.find((x) => x.quantisation === "fp32")!;
    const parent = r.register(
      "alpha",
      fp32.onnx,
      { featureSet: features, metrics: { accuracy: fp32.score } },
      mlp,
    );
    for (const v of reports.filter((x) => x.quantisation !== "fp32")) {
      const rec = r.register("alpha", v.onnx, {
        featureSet: features,
        metrics: { accuracy: v.score },
        parent: `alpha:${parent.version}`,
        quantisation: v.quantisation,
      });
      expect(rec.quantisation).toBe(v.quantisation);
    }
    expect(() =>
      r.register("alpha", fp32.onnx, {
        featureSet: features,
        metrics: { accuracy: fp32.score - 0.05 },
        parent: "alpha:1",
        quantisation: "int8-static",
      }),
    ).toThrow(/refused int8-static model: accuracy .* is worse by 0.05.* > tolerance 0.01/);
    expect(r.list("alpha")).toHaveLength(4); // nothing written for the refused one
    expect(() =>
      r.register("alpha", fp32.onnx, {
        featureSet: features,
        metrics: { accuracy: 1 },
        quantisation: "fp16",
      }),
    ).toThrow(/needs its fp32 parent/);
  });

  it("detects an artefact changed on disk", () => {
    const r = open();
    const rec = r.register(
      "alpha",
      exportMlp(mlp),
      { featureSet: features, metrics: { accuracy: 0.9 } },
      mlp,
    );
    writeFileSync(rec.onnxFile, Buffer.from("tampered"));
    expect(() => r.readOnnx("alpha:1")).toThrow(/does not match its recorded SHA-256/);
  });
});

describe("HotSwapModel", () => {
  it("swaps the live model without a restart and keeps the last good model when a candidate is bad", () => {
    const r = open();
    const other = trainGbdt(train, { objective: "multiclass", rounds: 5 });
    r.register("alpha", exportMlp(mlp), { featureSet: features, metrics: { accuracy: 0.9 } }, mlp);
    r.register("alpha", exportGbdt(other), { featureSet: features, metrics: { accuracy: 0.9 } }, other);
    const wrongFeatures = trainMlp(
      { ...train, featureNames: ["a", "b", "c", "d", "e", "g"] },
      { hidden: [], output: "softmax", epochs: 1 },
    );
    r.register(
      "alpha",
      exportMlp(wrongFeatures),
      { featureSet: ["a", "b", "c", "d", "e", "g"], metrics: { accuracy: 0.9 } },
      wrongFeatures,
    );
    r.setLive("alpha:1");
    const hs = new HotSwapModel(r, features);
    expect(hs.followLive("alpha")).toEqual({ ok: true, current: "alpha:1" });
    const out = new Float64Array(3);
    const row = valid.x.subarray(0, 6);
    expect(Array.from(hs.predict(row, out))).toEqual(Array.from(predictMlp(mlp, row, 1)));

    r.setLive("alpha:2");
    expect(hs.followLive("alpha")).toEqual({ ok: true, current: "alpha:2" });
    r.setLive("alpha:3");
    const bad = hs.followLive("alpha");
    expect(bad.ok).toBe(false);
    expect(bad.current).toBe("alpha:2");
    expect(bad.reason).toMatch(/different feature set/);
    expect(() => hs.predict([1, 2, 3, 4, 5, Number.NaN], out)).toThrow(/column 5 "f5" is NaN/);
    expect(hs.swapTo("alpha:9")).toMatchObject({
      ok: false,
      current: "alpha:2",
      reason: expect.stringMatching(/no model alpha:9/),
    });
  });
});

describe("feature definition hash", () => {
  it("a registry created before the featureSpecHash column gets it when opened; hot swap checks it", () => {
    const dir = mkdtempSync(join(tmpdir(), "botv6-reg-old-"));
    // The original schema, without feature_spec_hash.
    const db = new Database(join(dir, "registry.sqlite"));
    db.exec(`CREATE TABLE models (
        name TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL,
        feature_set TEXT NOT NULL, feature_hash TEXT NOT NULL,
        train_start_us INTEGER, train_end_us INTEGER,
        metrics TEXT NOT NULL, gate_metric TEXT NOT NULL, parent TEXT, quantisation TEXT NOT NULL,
        created_us INTEGER, notes TEXT, onnx_file TEXT NOT NULL, model_file TEXT, sha256 TEXT NOT NULL,
        PRIMARY KEY (name, version));
      CREATE TABLE live (name TEXT PRIMARY KEY, version INTEGER NOT NULL);`);
    db.close();
    reg = new ModelRegistry(dir);
    const h1 = "a".repeat(64);
    const h2 = "b".repeat(64);
    reg.register("m", exportMlp(mlp), { featureSet: features, metrics: {}, featureSpecHash: h1 }, mlp);
    reg.register("m", exportMlp(mlp), { featureSet: features, metrics: {} }, mlp);
    expect(reg.get("m:1").featureSpecHash).toBe(h1);
    expect(reg.get("m:2").featureSpecHash).toBeUndefined();
    expect(() =>
      reg!.register("m", exportMlp(mlp), { featureSet: features, metrics: {}, featureSpecHash: "x" }, mlp),
    ).toThrow(/featureSpecHash must be a SHA-256 hex digest/);
    const hs = new HotSwapModel(reg, features, h2);
    const r = hs.swapTo("m:1");
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/m:1 was trained on another definition of these features/);
    expect(hs.swapTo("m:2").ok).toBe(true); // no definition hash recorded: names decide
    expect(new HotSwapModel(reg, features, h1).swapTo("m:1").ok).toBe(true);
  });
});
