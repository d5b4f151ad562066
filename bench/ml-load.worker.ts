/**
 * Load generator for the v2 serving benchmark, run on its own worker thread so the client's work
 * does not share the server's event loop. Fixed request count, loopback only.
 *
 * `client: "v2"` uses the project's {@link V2Client} (node:http, keep-alive); `client: "raw"` is a
 * lean wrk-style generator: one keep-alive socket per concurrent request, a pre-serialised request,
 * responses framed by Content-Length — it measures the server rather than the client.
 */
import net from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import { V2Client } from "../src/ml/serving/client.js";
import type { V2Tensor } from "../src/ml/serving/protocol.js";

interface Job {
  url: string;
  model: string;
  total: number;
  concurrency: number;
  warmup: number;
  inputs: V2Tensor[];
  client: "v2" | "raw";
}

const job = workerData as Job;
const lat = new Float64Array(job.total);
let errors = 0;

async function viaV2Client(): Promise<number> {
  const client = new V2Client({ url: job.url, timeoutMs: 5000, maxSockets: job.concurrency });
  for (let i = 0; i < job.warmup; i++) await client.infer(job.model, job.inputs);
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (true) {
        const i = next++;
        if (i >= job.total) return;
        const s = process.hrtime.bigint();
        try {
          await client.infer(job.model, job.inputs);
        } catch {
          errors++;
        }
        lat[i] = Number(process.hrtime.bigint() - s);
      }
    }),
  );
  const ns = Number(process.hrtime.bigint() - t0);
  await client.close();
  return ns;
}

async function viaRawSockets(): Promise<number> {
  const u = new URL(job.url);
  const body = JSON.stringify({ inputs: job.inputs });
  const request = Buffer.from(
    `POST /v2/models/${job.model}/infer HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  let issued = 0;
  let done = 0;
  const warmupTotal = job.warmup;
  let t0 = 0n;
  return new Promise((resolve) => {
    const sockets: net.Socket[] = [];
    const finish = () => {
      for (const s of sockets) s.destroy();
      resolve(Number(process.hrtime.bigint() - t0));
    };
    const startOne = (sock: net.Socket, state: { started: bigint; idx: number; buf: Buffer }) => {
      if (issued >= warmupTotal + job.total) return;
      state.idx = issued++;
      if (state.idx === warmupTotal) t0 = process.hrtime.bigint();
      state.started = process.hrtime.bigint();
      sock.write(request);
    };
    for (let c = 0; c < job.concurrency; c++) {
      const sock = net.connect(Number(u.port), u.hostname);
      sock.setNoDelay(true);
      sockets.push(sock);
      const state: { started: bigint; idx: number; buf: Buffer } = {
        started: 0n,
        idx: 0,
        buf: Buffer.alloc(0),
      };
      sock.on("connect", () => startOne(sock, state));
      sock.on("data", (chunk: Buffer) => {
        state.buf = state.buf.length === 0 ? chunk : Buffer.concat([state.buf, chunk]);
        while (true) {
          const headerEnd = state.buf.indexOf("\r\n\r\n");
          if (headerEnd < 0) return;
          const head = state.buf.subarray(0, headerEnd).toString("latin1");
          const m = /content-length:\s*(\d+)/i.exec(head);
          const len = m ? Number(m[1]) : 0;
          if (state.buf.length < headerEnd + 4 + len) return;
          if (!head.startsWith("HTTP/1.1 200")) errors++;
          state.buf = state.buf.subarray(headerEnd + 4 + len);
          if (state.idx >= warmupTotal)
            lat[state.idx - warmupTotal] = Number(process.hrtime.bigint() - state.started);
          done++;
          if (done === warmupTotal + job.total) {
            finish();
            return;
          }
          startOne(sock, state);
        }
      });
      sock.on("error", () => {
        errors++;
      });
    }
  });
}

const elapsedNs = job.client === "raw" ? await viaRawSockets() : await viaV2Client();
parentPort!.postMessage({ lat, elapsedNs, errors }, [lat.buffer]);
