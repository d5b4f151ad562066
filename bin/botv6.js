#!/usr/bin/env node
// The `botv6` command. Runs the TypeScript sources through tsx's loader, so `npm ci` is all a
// user needs before running it (no separate build step).
import { register } from "tsx/esm/api";

register();
// `botv6 ... | head` closes the pipe early: that is not an error.
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});
// Process-level runtime policy (bounded V8 heap growth: src/core/runtime.ts).
const { applyMemoryPolicy } = await import("../src/core/runtime.ts");
try {
  applyMemoryPolicy();
} catch (e) {
  process.stderr.write(`botv6: ${e.message}\n`);
  process.exit(2);
}
const { runCli } = await import("../src/cli/main.ts");
process.exitCode = await runCli(process.argv.slice(2));
