#!/usr/bin/env node
// The `botv6` command. Runs the TypeScript sources through tsx's loader, so `npm ci` is all a
// user needs before running it (no separate build step).
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../src/cli/main.ts");
process.exitCode = await runCli(process.argv.slice(2));
