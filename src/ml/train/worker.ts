/**
 * Worker-thread entry point for {@link trainInWorker}: receives one training job, posts progress
 * messages while it runs and the finished model (or the error) at the end.
 */
import { parentPort } from "node:worker_threads";
import { BotV6Error } from "../../model/errors.js";
import { trainGbdt } from "./gbdt.js";
import type { TrainJob, WorkerMessage } from "./jobs.js";
import { trainMlp } from "./mlp.js";

const port = parentPort;
if (!port) throw new Error("src/ml/train/worker.ts must run in a worker thread");
port.once("message", (job: TrainJob) => {
  const post = (m: WorkerMessage) => port.postMessage(m);
  try {
    if (job.kind === "gbdt") {
      const model = trainGbdt(job.train, job.params, {
        valid: job.valid,
        progressEvery: job.progressEvery,
        onProgress: (p) =>
          post({
            type: "progress",
            step: p.round,
            total: p.rounds,
            trainLoss: p.trainLoss,
            validLoss: p.validLoss,
          }),
      });
      post({ type: "done", model });
    } else {
      const model = trainMlp(job.train, job.params, {
        valid: job.valid,
        onProgress: (p) =>
          post({
            type: "progress",
            step: p.epoch,
            total: p.epochs,
            trainLoss: p.trainLoss,
            validLoss: p.validLoss,
          }),
      });
      post({ type: "done", model });
    }
  } catch (e) {
    const err = e as Error;
    post({
      type: "error",
      code: e instanceof BotV6Error ? e.code : "ML_WORKER",
      message: err.message,
      details: e instanceof BotV6Error ? { ...e.details } : {},
    });
  }
});
