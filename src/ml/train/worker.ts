/**
 * Worker-thread entry point for {@link trainInWorker}: receives one training job, posts progress
 * messages while it runs and the finished model (or the error) at the end.
 */
import { type MessagePort, parentPort } from "node:worker_threads";
import { BotV6Error } from "../../model/errors.js";
import { trainGbdt } from "./gbdt.js";
import type { TrainJob, WorkerMessage } from "./jobs.js";
import { trainMlp } from "./mlp.js";

const port = parentPort;
if (!port) throw new Error("src/ml/train/worker.ts must run in a worker thread");
/**
 * The message is the job itself ({@link trainInWorker}) or `{ job, reply, flag }`
 * ({@link startTraining}): messages then go to the `reply` port and `flag[0]` is set to 1 (and
 * notified) after the last one, so the parent can wait for it synchronously.
 */
port.once("message", (msg: TrainJob | { job: TrainJob; reply: MessagePort; flag: SharedArrayBuffer }) => {
  const direct = "kind" in msg;
  const job = direct ? msg : msg.job;
  const out = direct ? port : msg.reply;
  const flag = direct ? undefined : new Int32Array(msg.flag);
  const post = (m: WorkerMessage) => {
    out.postMessage(m);
    if (flag && m.type !== "progress") {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    }
  };
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
