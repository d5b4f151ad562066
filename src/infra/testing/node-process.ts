/**
 * `botv6 node` as a real child process, for end-to-end and failover tests: collects its stdout
 * lines and stderr, waits for a line, and stops it with a signal.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitFor } from "./wait.js";

const BIN = fileURLToPath(new URL("../../../bin/botv6.js", import.meta.url));

export class NodeProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    args: string[],
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, [BIN, "node", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let partial = "";
    this.child.stdout?.on("data", (d: Buffer) => {
      const parts = (partial + d.toString()).split("\n");
      partial = parts.pop() ?? "";
      this.lines.push(...parts);
    });
    this.child.stderr?.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-8000);
    });
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        resolve();
      }),
    );
  }

  get running(): boolean {
    return this.exitCode === null && this.signal === null;
  }

  /** Waits for a stdout line matching `re` (fails early, with stderr, if the process exits). */
  async waitForLine(re: RegExp, timeoutMs = 60_000): Promise<string> {
    let found: string | undefined;
    await waitFor(
      () => {
        found = this.lines.find((l) => re.test(l));
        if (found === undefined && !this.running) {
          throw new Error(
            `${this.name} exited (${this.exitCode ?? this.signal}) before printing ${re}: ${this.lines.join(" | ")} ${this.stderr}`,
          );
        }
        return found !== undefined;
      },
      `${this.name} to print ${re}`,
      timeoutMs,
      20,
    );
    return found as string;
  }

  /** Waits for the process to exit by itself; fails with its output if it does not. */
  async waitForExit(timeoutMs = 60_000): Promise<number | null> {
    await waitFor(() => !this.running, `${this.name} to exit (${this.lines.join(" | ")})`, timeoutMs);
    return this.exitCode;
  }

  /**
   * Sends `signal` (SIGTERM by default) and waits for the exit; a process that has not exited
   * after `timeoutMs` is killed with SIGKILL and the stop fails with its output.
   */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    const timedOut = await Promise.race([this.exited.then(() => false), late]);
    clearTimeout(timer);
    if (timedOut) {
      this.child.kill("SIGKILL");
      await this.exited;
      throw new Error(
        `${this.name} did not exit within ${timeoutMs} ms of ${signal}: ${this.lines.join(" | ")} ${this.stderr}`,
      );
    }
  }
}

/** Starts `botv6 node --config FILE --role ROLE --id ID [...extra]`. */
export function startNodeProcess(
  role: string,
  config: string,
  id: string,
  env: Record<string, string> = {},
  extra: string[] = [],
): NodeProcess {
  return new NodeProcess(id, ["--config", config, "--role", role, "--id", id, ...extra], env);
}
