/**
 * Test-only parser for Tulip Indicators' `tests/atoz.txt`: a line `<indicator> <options…>`,
 * `#` comments, then one `{v1,v2,…}` line per input followed by one per output (outputs start
 * at the first defined bar).
 */
import { readText } from "./data.js";

export interface AtozCase {
  name: string;
  options: number[];
  /** Input and output arrays in file order. */
  arrays: number[][];
  /** Decimal places of each value, for rounding-aware tolerances. */
  decimals: number[][];
  /** 1-based line of the header. */
  line: number;
}

export function readAtoz(relPath = "indicators/tulip_atoz/atoz.txt"): AtozCase[] {
  const cases: AtozCase[] = [];
  let current: AtozCase | undefined;
  const lines = readText(relPath).split("\n");
  lines.forEach((raw, idx) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (line.startsWith("{")) {
      if (current === undefined) throw new Error(`atoz line ${idx + 1}: values before a header`);
      const body = line.replace(/^\{/, "").replace(/\}$/, "");
      const fields = body.split(",").map((s) => s.trim());
      current.arrays.push(
        fields.map((s) => {
          const v = Number(s);
          if (!Number.isFinite(v)) throw new Error(`atoz line ${idx + 1}: bad number ${s}`);
          return v;
        }),
      );
      current.decimals.push(fields.map((s) => (s.includes(".") ? s.length - s.indexOf(".") - 1 : 0)));
      return;
    }
    const [name, ...opts] = line.split(/\s+/);
    current = { name, options: opts.map(Number), arrays: [], decimals: [], line: idx + 1 };
    cases.push(current);
  });
  return cases;
}
