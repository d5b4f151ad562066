/**
 * Dynamic batching: requests for a model whose single input is [N, F] are queued; a batch is run
 * when it reaches `maxBatch` rows or `maxDelayUs` after its first request arrived, whichever comes
 * first. One onnxruntime run serves the whole batch and the outputs are split back by rows. Only
 * one run per model is in flight; requests arriving meanwhile form the next batch.
 */
import type * as ort from "onnxruntime-node";
import type { OnnxModel } from "../inference/session.js";

interface Pending {
  data: Float32Array;
  rows: number;
  resolve: (r: Record<string, { data: ArrayLike<number | bigint>; dims: number[] }>) => void;
  reject: (e: unknown) => void;
}

export interface BatcherStats {
  requests: number;
  runs: number;
  rows: number;
}

export class DynamicBatcher {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  readonly stats: BatcherStats = { requests: 0, runs: 0, rows: 0 };

  constructor(
    private readonly model: OnnxModel,
    private readonly maxBatch: number,
    private readonly maxDelayUs: number,
  ) {}

  /** Queues `rows` rows (row-major float32) and resolves with this request's slice of every output. */
  submit(
    data: Float32Array,
    rows: number,
  ): Promise<Record<string, { data: ArrayLike<number | bigint>; dims: number[] }>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ data, rows, resolve, reject });
      this.queuedRows += rows;
      this.stats.requests++;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running) return;
    if (this.queuedRows >= this.maxBatch) {
      this.flush();
      return;
    }
    if (this.timer || this.immediate) return;
    // Below 1 ms a timer cannot wait precisely; collect what arrived in this I/O turn instead.
    if (this.maxDelayUs < 1000) this.immediate = setImmediate(() => this.flush());
    else this.timer = setTimeout(() => this.flush(), this.maxDelayUs / 1000);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    if (this.running || this.queue.length === 0) return;
    const batch: Pending[] = [];
    let rows = 0;
    while (this.queue.length > 0 && (batch.length === 0 || rows + this.queue[0].rows <= this.maxBatch)) {
      const p = this.queue.shift()!;
      batch.push(p);
      rows += p.rows;
    }
    this.queuedRows -= rows;
    const F = this.model.nFeatures;
    const x = new Float32Array(rows * F);
    let off = 0;
    for (const p of batch) {
      x.set(p.data, off);
      off += p.data.length;
    }
    this.running = true;
    this.stats.runs++;
    this.stats.rows += rows;
    const name = this.model.inputs[0].name;
    this.model
      .run({ [name]: { type: "float32", data: x, dims: [rows, F] } })
      .then((out: Record<string, ort.Tensor>) => {
        let r0 = 0;
        for (const p of batch) {
          const res: Record<string, { data: ArrayLike<number | bigint>; dims: number[] }> = {};
          for (const [k, t] of Object.entries(out)) {
            const per = t.dims.slice(1).reduce((a, b) => a * b, 1);
            const d = t.data as Float32Array;
            res[k] = { data: d.subarray(r0 * per, (r0 + p.rows) * per), dims: [p.rows, ...t.dims.slice(1)] };
          }
          r0 += p.rows;
          p.resolve(res);
        }
      })
      .catch((e: unknown) => {
        for (const p of batch) p.reject(e);
      })
      .finally(() => {
        this.running = false;
        if (this.queue.length > 0) this.schedule();
      });
  }
}
