import { describe, expect, it } from "vitest";
import { MlError } from "../errors.js";
import { blobs, linear } from "../testing/synthetic.js";
import { predictGbdt, trainGbdt } from "./gbdt.js";
import { type TrainProgress, trainInWorker } from "./jobs.js";
import { trainMlp } from "./mlp.js";

describe("trainInWorker", () => {
  it("trains a GBDT off the main thread while the event loop keeps ticking; same model as in-process", async () => {
    const ds = blobs(3000, 8, 3, 5, 2);
    const params = { objective: "multiclass" as const, rounds: 40, maxDepth: 5 };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const progress: TrainProgress[] = [];
    const model = await trainInWorker(
      { kind: "gbdt", train: ds, params, progressEvery: 5 },
      {
        onProgress: (p) => progress.push(p),
      },
    );
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
    expect(progress.map((p) => p.step)).toEqual([5, 10, 15, 20, 25, 30, 35, 40]);
    const local = trainGbdt(ds, params);
    expect(predictGbdt(model, ds.x, 50)).toEqual(predictGbdt(local, ds.x, 50));
  });

  it("trains an MLP in a worker bit-identically to in-process training", async () => {
    const ds = linear(500, [1, 2, 3], 0, 0.1, 2);
    const params = { hidden: [8], output: "linear" as const, epochs: 10, seed: 9 };
    const model = await trainInWorker({ kind: "mlp", train: ds, params });
    expect(model.layers[0].weights).toEqual(trainMlp(ds, params).layers[0].weights);
  });

  it("passes training errors back with their code", async () => {
    const ds = linear(10, [1], 0, 0, 1);
    const err = await trainInWorker({
      kind: "gbdt",
      train: ds,
      params: { objective: "regression", maxDepth: 0 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlError);
    expect((err as MlError).code).toBe("ML_BAD_PARAMS");
    expect((err as MlError).message).toMatch(/maxDepth/);
  });

  it("can be aborted", async () => {
    const ds = blobs(5000, 8, 3, 5, 2);
    const ac = new AbortController();
    const p = trainInWorker(
      { kind: "gbdt", train: ds, params: { objective: "multiclass", rounds: 1000 } },
      {
        signal: ac.signal,
      },
    );
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toThrow(/aborted/);
  });
});
