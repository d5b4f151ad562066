/**
 * Private broker instances for tests and benchmarks.
 *
 * When the binary is installed, each helper starts a private instance on a free loopback port
 * (so a fault test can kill or restart it without touching anyone else's); otherwise the URL
 * comes from the environment (`REDIS_URL`, `NATS_URL`, `KAFKA_BROKERS`). {@link resolveService}
 * says which applies without starting anything.
 *
 * - Redis: `redis-server` with an append-only file fsynced on every write, so a restart keeps
 *   every acknowledged entry.
 * - NATS: `nats-server -js` with a private store directory (kept across restarts).
 * - Kafka: the librdkafka mock cluster carried by `kcat` (a real Kafka-protocol broker, three
 *   brokers, auto-created topics of 4 partitions); its data lives in memory, so it cannot be
 *   restarted.
 *
 * Every process is started in its own process group and killed on `stop()` and on process exit.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { BotV6Error } from "../../model/errors.js";

export class ServiceError extends BotV6Error {}

export type ServiceKind = "redis" | "nats" | "kafka";

const BINARY: Record<ServiceKind, string> = { redis: "redis-server", nats: "nats-server", kafka: "kcat" };
const ENV: Record<ServiceKind, string> = { redis: "REDIS_URL", nats: "NATS_URL", kafka: "KAFKA_BROKERS" };

/** Finds an executable on PATH (plus the sbin directories Debian puts servers in). */
export function findBinary(name: string): string | null {
  const dirs = [
    ...(process.env.PATH ?? "").split(delimiter),
    "/usr/sbin",
    "/usr/local/sbin",
    "/usr/local/bin",
  ];
  for (const d of dirs) {
    if (d === "") continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

export interface ServiceResolution {
  kind: ServiceKind;
  /** "private": the binary exists and a private instance can be started; "env": use the URL. */
  how: "private" | "env" | "none";
  binary: string | null;
  url: string | null;
  /** Why it is unavailable, or how it will be provided. */
  reason: string;
}

/** Says how a service would be provided, without starting it. */
export function resolveService(kind: ServiceKind): ServiceResolution {
  const binary = findBinary(BINARY[kind]);
  const url = process.env[ENV[kind]] ?? null;
  if (binary !== null)
    return { kind, how: "private", binary, url, reason: `private ${BINARY[kind]} (${binary})` };
  if (url !== null && url !== "") return { kind, how: "env", binary, url, reason: `${ENV[kind]}=${url}` };
  return {
    kind,
    how: "none",
    binary: null,
    url: null,
    reason: `${kind}: neither the ${BINARY[kind]} binary nor ${ENV[kind]} is available (install it: apt-get install -y ${
      kind === "kafka" ? "kcat" : BINARY[kind]
    })`,
  };
}

/** A free TCP port on 127.0.0.1 (bound and released; fine for tests on one machine). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once a TCP connection to host:port succeeds, or throws after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, host = "127.0.0.1"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.setTimeout(500);
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
      s.once("timeout", () => {
        s.destroy();
        resolve(false);
      });
      s.connect(port, host);
    });
    if (ok) return;
    if (Date.now() > deadline) {
      throw new ServiceError(
        "SERVICE_START_TIMEOUT",
        `nothing listens on ${host}:${port} after ${timeoutMs} ms`,
        {
          port,
        },
      );
    }
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Never leave a broker behind, even when a test run dies.
    process.once("exit", () => {
      for (const c of live) killGroup(c, "SIGKILL");
    });
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = "SIGTERM",
  graceMs = 3000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  killGroup(child, signal);
  const t = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
  await exited;
  clearTimeout(t);
}

function spawnServer(binary: string, args: string[]): ChildProcess {
  const child = spawn(binary, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  track(child);
  // Drain the pipes so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  return child;
}

/** A running service: a private process, or an external URL. */
export interface ServiceHandle {
  readonly kind: ServiceKind;
  /** redis://127.0.0.1:PORT, nats://127.0.0.1:PORT, or a comma-separated Kafka broker list. */
  readonly url: string;
  /** True when this process owns the instance (it can be killed and restarted). */
  readonly isPrivate: boolean;
  /** Stops the server (SIGTERM, then SIGKILL) and lets it start again on the same port. */
  restart(options?: { downMs?: number; signal?: NodeJS.Signals }): Promise<void>;
  stop(): Promise<void>;
}

class ExternalService implements ServiceHandle {
  readonly isPrivate = false;
  constructor(
    readonly kind: ServiceKind,
    readonly url: string,
  ) {}
  async restart(): Promise<void> {
    throw new ServiceError("SERVICE_NOT_PRIVATE", `cannot restart the external ${this.kind} at ${this.url}`);
  }
  async stop(): Promise<void> {}
}

class PrivateServer implements ServiceHandle {
  readonly isPrivate = true;
  private child: ChildProcess;
  private stderr = "";

  constructor(
    readonly kind: ServiceKind,
    readonly url: string,
    private readonly port: number,
    private readonly launch: () => ChildProcess,
    private readonly dir: string | null,
  ) {
    this.child = this.spawn();
  }

  private spawn(): ChildProcess {
    const c = this.launch();
    c.stderr?.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    return c;
  }

  async ready(timeoutMs = 10_000): Promise<void> {
    const exited = new Promise<never>((_, reject) =>
      this.child.once("exit", (code) =>
        reject(
          new ServiceError("SERVICE_EXITED", `${this.kind} server exited (${code}): ${this.stderr.trim()}`),
        ),
      ),
    );
    exited.catch(() => {});
    await Promise.race([waitForPort(this.port, timeoutMs), exited]);
  }

  async restart(options: { downMs?: number; signal?: NodeJS.Signals } = {}): Promise<void> {
    await stopChild(this.child, options.signal ?? "SIGTERM");
    if (options.downMs) await sleep(options.downMs);
    this.child = this.spawn();
    await this.ready();
  }

  /** Kills the server with SIGKILL and leaves it down until {@link restart}. */
  async kill(): Promise<void> {
    await stopChild(this.child, "SIGKILL");
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
  }
}

function unavailable(r: ServiceResolution): ServiceError {
  return new ServiceError("SERVICE_UNAVAILABLE", r.reason, { kind: r.kind });
}

/**
 * Starts a private redis-server or returns the REDIS_URL service. The append-only file is
 * fsynced on every write by default (`appendfsync always`: nothing acknowledged is lost when the
 * server is killed); benchmarks may choose `everysec`.
 */
export async function startRedis(
  options: { appendfsync?: "always" | "everysec" | "no" } = {},
): Promise<ServiceHandle> {
  const r = resolveService("redis");
  if (r.how === "env") return new ExternalService("redis", r.url as string);
  if (r.how === "none" || r.binary === null) throw unavailable(r);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "botv6-redis-"));
  const binary = r.binary;
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    options.appendfsync ?? "always",
    "--protected-mode",
    "no",
    "--logfile",
    "",
  ];
  const s = new PrivateServer(
    "redis",
    `redis://127.0.0.1:${port}`,
    port,
    () => spawnServer(binary, args),
    dir,
  );
  await s.ready();
  return s;
}

/** Starts a private `nats-server -js` with its own store, or returns the NATS_URL service. */
export async function startNats(): Promise<ServiceHandle> {
  const r = resolveService("nats");
  if (r.how === "env") return new ExternalService("nats", r.url as string);
  if (r.how === "none" || r.binary === null) throw unavailable(r);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "botv6-nats-"));
  const binary = r.binary;
  const args = ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir];
  const s = new PrivateServer("nats", `nats://127.0.0.1:${port}`, port, () => spawnServer(binary, args), dir);
  await s.ready();
  return s;
}

/** Starts the librdkafka mock cluster of `kcat` (3 brokers), or returns the KAFKA_BROKERS service. */
export async function startKafka(brokers = 3): Promise<ServiceHandle> {
  const r = resolveService("kafka");
  if (r.how === "env") return new ExternalService("kafka", r.url as string);
  if (r.how === "none" || r.binary === null) throw unavailable(r);
  const child = spawnServer(r.binary, [
    "-X",
    `test.mock.num.brokers=${brokers}`,
    "-b",
    "127.0.0.1:9",
    "-C",
    "-t",
    "botv6-warmup",
    "-d",
    "mock",
  ]);
  const url = await new Promise<string>((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => {
      killGroup(child, "SIGKILL");
      reject(
        new ServiceError(
          "SERVICE_START_TIMEOUT",
          `kcat mock cluster did not report its brokers: ${err.slice(-500)}`,
        ),
      );
    }, 10_000);
    child.stderr?.on("data", (d: Buffer) => {
      if (err.length < 100_000) err += d.toString();
      const m = /bootstrap\.servers=([0-9.:,]+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        // Keep draining the debug log so kcat never blocks on a full pipe.
        child.stderr?.removeAllListeners("data");
        child.stderr?.resume();
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new ServiceError("SERVICE_EXITED", `kcat exited (${code}): ${err.slice(-500)}`));
    });
  });
  const handle: ServiceHandle = {
    kind: "kafka",
    url,
    isPrivate: true,
    async restart() {
      throw new ServiceError("SERVICE_NOT_RESTARTABLE", "the kcat mock cluster keeps its data in memory");
    },
    async stop() {
      await stopChild(child);
    },
  };
  return handle;
}

export async function startService(kind: ServiceKind): Promise<ServiceHandle> {
  if (kind === "redis") return startRedis();
  if (kind === "nats") return startNats();
  return startKafka();
}
