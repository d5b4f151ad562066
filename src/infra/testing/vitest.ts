/**
 * Vitest glue for tests that need a broker. `describeService("redis", ...)` runs the suite when a
 * private instance can be started (or the URL is in the environment); otherwise it skips it
 * with a message naming what is missing, except under `CI=true`, where a missing service is a
 * test failure, never a silent skip.
 */
import { describe, it } from "vitest";
import { resolveService, type ServiceKind } from "./services.js";

export const IN_CI = process.env.CI === "true" || process.env.CI === "1";

/**
 * Declares a suite that needs `kind`. `needsPrivate`: the suite kills or restarts the server,
 * so an external URL is not enough.
 */
export function describeService(
  kind: ServiceKind,
  name: string,
  body: () => void,
  options: { needsPrivate?: boolean } = {},
): void {
  const r = resolveService(kind);
  const ok = options.needsPrivate ? r.how === "private" : r.how !== "none";
  if (ok) {
    describe(name, body);
    return;
  }
  const reason =
    options.needsPrivate && r.how === "env"
      ? `${kind}: the test restarts the server, so it needs the binary, not ${r.reason}`
      : r.reason;
  if (IN_CI) {
    describe(name, () => {
      it(`requires ${kind}`, () => {
        throw new Error(`CI=true and a required service is missing: ${reason}`);
      });
    });
  } else {
    process.stderr.write(`[skip] ${name}: ${reason}\n`);
    describe.skip(`${name} (skipped: ${reason})`, body);
  }
}
