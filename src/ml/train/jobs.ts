/**
 * Training on a worker thread, so a running node's event loop keeps serving market data, timers
 * and the API while a model trains. The job (data sets as typed arrays) is copied to the worker;
 * progress comes back as messages; the promise resolves with the trained model.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
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
function startWorker(flag?: SharedArrayBuffer): Worker {
  if (!import.meta.url.endsWith(".ts"))
    return new Worker(new URL("./worker.js", import.meta.url), { workerData: { flag } });
  const entry = new URL("./worker.ts", import.meta.url).href;
  // Resolved here, not in the worker: an eval'd worker resolves bare names from the process's
  // working directory, which need not be this project (e.g. `botv6 model train` run elsewhere).
  const tsxApi = resolveTsxEsmApi();
  // A load failure sets the shared flag to 2 so a thread blocked in TrainingHandle.waitSync wakes up.
  const bootstrap = `const { workerData } = require("node:worker_threads");
import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); }).catch((e) => {
  const f = workerData && workerData.flag ? new Int32Array(workerData.flag) : undefined;
  if (f) { Atomics.store(f, 0, 2); Atomics.notify(f, 0); }
  throw e;
});`;
  return new Worker(bootstrap, { eval: true, workerData: { flag } });
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

/**
 * A training job on a worker thread that can be **collected synchronously**: {@link poll} drains
 * the worker's messages without the event loop (`receiveMessageOnPort`), {@link waitSync} blocks
 * the calling thread until the worker has finished (`Atomics.wait` on a shared flag). Periodic
 * retraining in a backtest uses it to take the new model at a fixed bar whatever the machine's
 * speed (deterministic); a live node polls on each bar and never blocks.
 */
export class TrainingHandle {
  private result: GbdtModel | MlpModel | undefined;
  private error: MlError | undefined;
  private finished = false;
  /** Latest progress message. */
  progress: TrainProgress | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly flag: Int32Array,
  ) {}

  /** True once the job's result (model or error) has been received. */
  get done(): boolean {
    return this.finished;
  }

  /** Marks the job failed (worker died or never started) unless it already finished. */
  fail(why: string): void {
    if (this.finished) return;
    this.drain();
    if (this.finished) return;
    this.error = new MlError("ML_WORKER", why);
    this.finish();
  }

  private drain(): void {
    for (;;) {
      const m = receiveMessageOnPort(this.port)?.message as WorkerMessage | undefined;
      if (m === undefined) return;
      if (m.type === "progress") this.progress = m;
      else {
        if (m.type === "done") this.result = m.model;
        else this.error = new MlError(m.code, m.message, m.details);
        this.finish();
        return;
      }
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.port.close();
    void this.worker.terminate();
  }

  /** The model when the job has finished, undefined while it runs; throws the job's error. */
  poll(): GbdtModel | MlpModel | undefined {
    if (!this.finished) {
      this.drain();
      if (!this.finished && Atomics.load(this.flag, 0) === 2) this.fail("training worker failed to start");
    }
    if (this.error) throw this.error;
    return this.result;
  }

  /** Blocks until the job finishes (or `timeoutMs` passes → `ML_WORKER`), then returns the model. */
  waitSync(timeoutMs = 600_000): GbdtModel | MlpModel {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.poll();
      if (m !== undefined) return m;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.cancel();
        throw new MlError("ML_WORKER", `training did not finish within ${timeoutMs} ms`);
      }
      Atomics.wait(this.flag, 0, 0, Math.min(left, 1000));
    }
  }

  /** Stops the worker; a later poll throws `ML_WORKER`. */
  cancel(): void {
    if (this.finished) return;
    this.error = new MlError("ML_WORKER", "training canceled");
    this.finish();
  }
}

/** Starts a training job on a fresh worker thread; collect it with {@link TrainingHandle}. */
export function startTraining(job: TrainJob): TrainingHandle {
  const shared = new SharedArrayBuffer(4);
  const flag = new Int32Array(shared);
  const worker = startWorker(shared);
  const { port1, port2 } = new MessageChannel();
  const handle = new TrainingHandle(worker, port1, flag);
  // Seen when the event loop runs (a live node polling); a blocked waitSync relies on the flag.
  worker.on("error", (e) => handle.fail(`training worker failed: ${e.message}`));
  worker.on("exit", (code) => handle.fail(`training worker exited with code ${code} before finishing`));
  worker.unref();
  worker.postMessage({ job, reply: port2, flag: shared }, [port2]);
  return handle;
}
