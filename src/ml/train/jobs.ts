/**
 * Training on a worker thread, so a running node's event loop keeps serving market data, timers
 * and the API while a model trains. The job (data sets as typed arrays) is copied to the worker;
 * progress comes back as messages; the promise resolves with the trained model.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Dataset } from "../dataset.js";
import { MlError } from "../errors.js";
import type { GbdtModel, GbdtParams } from "./gbdt.js";
import type { MlpModel, MlpParams } from "./mlp.js";

export type TrainJob =
  | { kind: "gbdt"; train: Dataset; valid?: Dataset; params: GbdtParams; progressEvery?: number }
  | { kind: "mlp"; train: Dataset; valid?: Dataset; params: MlpParams };

/** Progress of a training job: `step` of `total` rounds (GBDT) or epochs (MLP). */
export interface TrainProgress {
  step: number;
  total: number;
  trainLoss: number;
  validLoss?: number;
}

export type WorkerMessage =
  | ({ type: "progress" } & TrainProgress)
  | { type: "done"; model: GbdtModel | MlpModel }
  | { type: "error"; code: string; message: string; details: Record<string, unknown> };

export interface TrainInWorkerOptions {
  onProgress?: (p: TrainProgress) => void;
  /** Aborting terminates the worker and rejects with `ML_WORKER`. */
  signal?: AbortSignal;
}

/** URL of tsx's ESM API (its `import` export; the CommonJS build cannot be imported from a worker). */
function resolveTsxEsmApi(): string {
  const pkgFile = createRequire(import.meta.url).resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as {
    exports: Record<string, { import: { default: string } }>;
  };
  return pathToFileURL(join(dirname(pkgFile), pkg.exports["./esm/api"].import.default)).href;
}

/**
 * Starts the worker script. From compiled JavaScript it is `worker.js`; from TypeScript sources
 * (tsx, vitest) the worker needs the tsx loader, and on Node 20 `execArgv: ["--import", "tsx"]`
 * fails ("Unknown file extension .ts": the loader registration races the entry), so a tiny
 * bootstrap registers tsx's API first and then imports `worker.ts`.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./worker.js", import.meta.url));
  const entry = new URL("./worker.ts", import.meta.url).href;
  // Resolved here, not in the worker: an eval'd worker resolves bare names from the process's
  // working directory, which need not be this project (e.g. `botv6 model train` run elsewhere).
  const tsxApi = resolveTsxEsmApi();
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}

export function trainInWorker(
  job: Extract<TrainJob, { kind: "gbdt" }>,
  opts?: TrainInWorkerOptions,
): Promise<GbdtModel>;
export function trainInWorker(
  job: Extract<TrainJob, { kind: "mlp" }>,
  opts?: TrainInWorkerOptions,
): Promise<MlpModel>;
/** Runs one training job on a fresh worker thread (terminated when the job ends). */
export function trainInWorker(job: TrainJob, opts: TrainInWorkerOptions = {}): Promise<GbdtModel | MlpModel> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new MlError("ML_WORKER", "training aborted before it started"));
      return;
    }
    const worker = startWorker();
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener("abort", onAbort);
      void worker.terminate();
      fn();
    };
    const onAbort = () => finish(() => reject(new MlError("ML_WORKER", "training aborted")));
    opts.signal?.addEventListener("abort", onAbort);
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "progress") opts.onProgress?.(m);
      else if (m.type === "done") finish(() => resolve(m.model));
      else finish(() => reject(new MlError(m.code, m.message, m.details)));
    });
    worker.on("error", (e) =>
      finish(() => reject(new MlError("ML_WORKER", `training worker failed: ${e.message}`))),
    );
    worker.on("exit", (code) =>
      finish(() =>
        reject(new MlError("ML_WORKER", `training worker exited with code ${code} before finishing`)),
      ),
    );
    worker.postMessage(job);
  });
}
