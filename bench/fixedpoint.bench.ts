/** Fixed-point arithmetic throughput: value objects, raw integers, parsing and formatting. */
import { currency } from "../src/model/currency.js";
import { formatRaw, parseToRaw } from "../src/model/fixed.js";
import { Price, Quantity } from "../src/model/values.js";
import { type BenchContext, machineInfo, measure } from "./harness.js";

export async function run(ctx: BenchContext): Promise<void> {
  ctx.emit({ case: "machine", ...machineInfo() });
  const N = 5_000_000;
  const a = Price.parse("61659.70");
  const b = Price.parse("0.10");
  const q = Quantity.parse("0.006");
  const usdt = currency("USDT");
  const texts = Array.from({ length: 1024 }, (_, i) => `${61000 + i}.${String(i % 100).padStart(2, "0")}`);

  const cases: [string, (n: number) => unknown, number][] = [
    [
      "raw.add (integer adds on .raw, the hot-path form)",
      (n) => {
        let acc = 0;
        const r = b.raw;
        for (let i = 0; i < n; i++) acc += r;
        return acc;
      },
      N * 4,
    ],
    [
      "Price.add (immutable objects, same precision)",
      (n) => {
        let p = a;
        for (let i = 0; i < n; i++) p = p.add(b);
        return p;
      },
      N,
    ],
    [
      "Price.compare",
      (n) => {
        let c = 0;
        for (let i = 0; i < n; i++) c += a.compare(b);
        return c;
      },
      N,
    ],
    [
      "Price.notional (price x qty -> Money, exact rounding)",
      (n) => {
        let m = 0;
        for (let i = 0; i < n; i++) m += a.notional(q, usdt).raw;
        return m;
      },
      N / 2,
    ],
    [
      "parseToRaw (decimal string -> raw integer)",
      (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += parseToRaw(texts[i & 1023], 2);
        return s;
      },
      N / 2,
    ],
    [
      "formatRaw (raw integer -> decimal string)",
      (n) => {
        let len = 0;
        for (let i = 0; i < n; i++) len += formatRaw(6165970 + (i & 1023), 2).length;
        return len;
      },
      N / 2,
    ],
  ];
  for (const [name, fn, n] of cases) {
    const r = measure(fn, n);
    ctx.emit({
      case: `fixedpoint.${name}`,
      nsPerOp: r.bestNsPerOp,
      medianNsPerOp: r.medianNsPerOp,
      opsPerSec: r.opsPerSec,
    });
  }
}
