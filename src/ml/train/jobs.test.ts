import { describe, expect, it } from "vitest";
import { MlError } from "../errors.js";
import { blobs, linear } from "../testing/synthetic.js";
import { type GbdtModel, predictGbdt, trainGbdt } from "./gbdt.js";
import { startTraining, type TrainProgress, trainInWorker } from "./jobs.js";
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

describe("startTraining (collected synchronously)", () => {
  it("waitSync blocks until the worker is done and returns the same model as in-process training", () => {
    const ds = blobs(2000, 6, 3, 7, 2);
    const params = { objective: "multiclass" as const, rounds: 15, maxDepth: 4, seed: 3 };
    const h = startTraining({ kind: "gbdt", train: ds, params });
    expect(h.poll()).toBeUndefined(); // just started: not finished yet, and poll never blocks
    const model = h.waitSync();
    expect(h.done).toBe(true);
    expect(model.kind).toBe("gbdt");
    expect(predictGbdt(model as GbdtModel, ds.x, 40)).toEqual(predictGbdt(trainGbdt(ds, params), ds.x, 40));
    expect(h.poll()).toBe(model);
  });

  it("poll picks the result up without blocking once the worker has finished", async () => {
    const ds = linear(300, [1, -1], 0, 0.1, 4);
    const h = startTraining({ kind: "mlp", train: ds, params: { hidden: [4], output: "linear", epochs: 3 } });
    let m = h.poll();
    for (let i = 0; i < 400 && m === undefined; i++) {
      await new Promise((r) => setTimeout(r, 25));
      m = h.poll();
    }
    expect(m?.kind).toBe("mlp");
  });

  it("a failing job throws its error (with its code) from waitSync and poll", () => {
    const ds = linear(10, [1], 0, 0, 1);
    const h = startTraining({ kind: "gbdt", train: ds, params: { objective: "regression", maxDepth: 0 } });
    expect(() => h.waitSync()).toThrow(/maxDepth/);
    const err = (() => {
      try {
        h.poll();
      } catch (e) {
        return e as MlError;
      }
    })();
    expect(err?.code).toBe("ML_BAD_PARAMS");
  });

  it("cancel stops the job", () => {
    const h = startTraining({
      kind: "gbdt",
      train: blobs(5000, 8, 3, 5, 2),
      params: { objective: "multiclass", rounds: 1000 },
    });
    h.cancel();
    expect(() => h.waitSync()).toThrow(/canceled/);
  });
});
