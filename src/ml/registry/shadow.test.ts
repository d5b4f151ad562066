import { describe, expect, it } from "vitest";
import { blobs } from "../testing/synthetic.js";
import { GbdtEvaluator, trainGbdt } from "../train/gbdt.js";
import { MlpEvaluator, predictMlp, trainMlp } from "../train/mlp.js";
import { type ShadowRecord, ShadowRunner } from "./shadow.js";

describe("ShadowRunner", () => {
  const ds = blobs(300, 4, 3, 6, 3);
  const live = new MlpEvaluator(
    trainMlp(ds, { hidden: [8], output: "softmax", epochs: 10, learningRate: 0.01 }),
  );
  const cand = new GbdtEvaluator(trainGbdt(ds, { objective: "multiclass", rounds: 10 }));

  it("returns only the live prediction, records both and compares them", () => {
    const records: ShadowRecord[] = [];
    const sh = new ShadowRunner(live, cand, (r) => records.push(r));
    const want = predictMlp(live.model, ds.x, ds.rows);
    for (let r = 0; r < ds.rows; r++) {
      const out = sh.predict(r * 60_000_000, ds.x.subarray(r * 4, r * 4 + 4));
      expect(Array.from(out)).toEqual(Array.from(want.subarray(r * 3, r * 3 + 3)));
    }
    expect(records).toHaveLength(300);
    expect(records[7].timeUs).toBe(7 * 60_000_000);
    const s = sh.stats();
    expect(s.predictions).toBe(300);
    expect(s.agreement).toBeGreaterThan(0.8);
    expect(s.maxAbsDiff).toBeGreaterThan(0);
    // identical candidate: full agreement, zero difference
    const same = new ShadowRunner(live, new MlpEvaluator(live.model));
    for (let r = 0; r < 20; r++) same.predict(r, ds.x.subarray(r * 4, r * 4 + 4));
    expect(same.stats()).toMatchObject({ agreement: 1, meanAbsDiff: 0, maxAbsDiff: 0 });
  });

  it("a failing candidate is recorded and never stops the live model", () => {
    const broken = {
      outputs: 3,
      predict: (): Float64Array => {
        throw new Error("candidate exploded");
      },
    };
    const sh = new ShadowRunner(live, broken);
    const out = sh.predict(1, ds.x.subarray(0, 4));
    expect(out).toHaveLength(3);
    expect(sh.stats()).toMatchObject({ predictions: 1, candidateErrors: 1 });
    expect(sh.lastCandidateError).toBe("candidate exploded");
  });
});
