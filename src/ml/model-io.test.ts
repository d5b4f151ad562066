import { describe, expect, it } from "vitest";
import { parseModel, serializeModel } from "./model-io.js";
import { blobs } from "./testing/synthetic.js";
import { predictGbdt, trainGbdt } from "./train/gbdt.js";
import { predictMlp, trainMlp } from "./train/mlp.js";

describe("model JSON round trip", () => {
  const ds = blobs(200, 4, 3, 2, 2);
  it("GBDT and MLP predictions are identical after serialize/parse", () => {
    const g = trainGbdt(ds, { objective: "multiclass", rounds: 5 });
    const g2 = parseModel(serializeModel(g));
    expect(g2.kind).toBe("gbdt");
    expect(predictGbdt(g2 as typeof g, ds.x, ds.rows)).toEqual(predictGbdt(g, ds.x, ds.rows));
    const m = trainMlp(ds, { hidden: [5], output: "softmax", epochs: 2 });
    const m2 = parseModel(serializeModel(m));
    expect(predictMlp(m2 as typeof m, ds.x, ds.rows)).toEqual(predictMlp(m, ds.x, ds.rows));
  });
  it("bad files name the field", () => {
    expect(() => parseModel("{", "a.json")).toThrow(/a.json: not valid JSON/);
    expect(() => parseModel('{"kind":"svm","nFeatures":2}', "b.json")).toThrow(
      /kind must be "gbdt" or "mlp"/,
    );
    const m = JSON.parse(serializeModel(trainMlp(ds, { hidden: [3], output: "softmax", epochs: 1 })));
    m.layers[1].weights.pop();
    expect(() => parseModel(JSON.stringify(m), "c.json")).toThrow(
      /layers\[1\].weights has 8 values, expected 9/,
    );
  });
});
