/**
 * Labels for supervised learning on price series (López de Prado, *Advances in Financial Machine
 * Learning*, ch. 3): forward returns, triple-barrier labels and meta-labels. Inputs are float
 * price series (model space, not money) indexed by bar; every label also reports the bar at which
 * it became known (`end`), which purged cross-validation needs.
 */
import { MlError } from "../errors.js";

function checkSeries(close: ArrayLike<number>, what: string): void {
  if (close.length === 0) throw new MlError("ML_BAD_DATASET", `${what}: empty price series`);
  for (let i = 0; i < close.length; i++)
    if (!(close[i] > 0) || !Number.isFinite(close[i]))
      throw new MlError(
        "ML_BAD_DATASET",
        `${what}: price at bar ${i} is ${close[i]}; prices must be finite and > 0`,
        { bar: i },
      );
}

/**
 * Forward log return over `horizon` bars: ln(close[t+h] / close[t]). The last `horizon` bars
 * have no label and are NaN (drop them before training; never fill them).
 */
export function forwardReturns(close: ArrayLike<number>, horizon: number): Float64Array {
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new MlError("ML_BAD_PARAMS", `horizon must be an integer >= 1, got ${horizon}`);
  checkSeries(close, "forwardReturns");
  const out = new Float64Array(close.length).fill(Number.NaN);
  for (let t = 0; t + horizon < close.length; t++) out[t] = Math.log(close[t + horizon] / close[t]);
  return out;
}

export interface TripleBarrierParams {
  /** Profit-taking multiple of the volatility (upper barrier at +pt*vol); 0 disables it. */
  profitTake: number;
  /** Stop-loss multiple of the volatility (lower barrier at -sl*vol); 0 disables it. */
  stopLoss: number;
  /** Vertical barrier: at most this many bars after the event. */
  maxHolding: number;
  /** Per-bar volatility estimate in log-return units (e.g. an EWMA std of returns); a number = constant. */
  volatility: ArrayLike<number> | number;
  /** Label when the vertical barrier is hit first: 0 (default) or the sign of the return then. */
  verticalLabel?: "zero" | "sign";
  /** Side of a position per bar (+1 long, -1 short); barriers apply to side * return (meta-labelling). */
  side?: ArrayLike<number>;
}

export interface BarrierLabels {
  /** +1 upper/profit barrier first, -1 lower/stop first, 0 vertical (or sign, see `verticalLabel`); 0 where no label. */
  label: Int8Array;
  /** Bar at which the label became known (first barrier touched); -1 where no label. */
  end: Int32Array;
  /** Log return (times side, when given) from the event bar to `end`; NaN where no label. */
  ret: Float64Array;
  /** Which barrier: 1 upper, -1 lower, 0 vertical, 2 no label (too close to the end of data / side 0). */
  barrier: Int8Array;
}

/**
 * Triple-barrier labels for every bar t: the first of upper (+pt·vol), lower (−sl·vol) or vertical
 * (t + maxHolding) barriers touched by ln(close[s]/close[t]) for s in (t, t + maxHolding].
 * Bars whose vertical barrier lies beyond the data get no label (barrier 2): their outcome is not
 * known yet, and labelling them would be look-ahead at the data edge.
 */
export function tripleBarrierLabels(close: ArrayLike<number>, p: TripleBarrierParams): BarrierLabels {
  checkSeries(close, "tripleBarrierLabels");
  if (!(p.profitTake >= 0) || !(p.stopLoss >= 0))
    throw new MlError(
      "ML_BAD_PARAMS",
      `profitTake and stopLoss must be >= 0, got ${p.profitTake}, ${p.stopLoss}`,
    );
  if (!Number.isInteger(p.maxHolding) || p.maxHolding < 1)
    throw new MlError("ML_BAD_PARAMS", `maxHolding must be an integer >= 1, got ${p.maxHolding}`);
  const n = close.length;
  if (typeof p.volatility !== "number" && p.volatility.length !== n)
    throw new MlError("ML_BAD_PARAMS", `volatility has ${p.volatility.length} values for ${n} bars`);
  if (p.side && p.side.length !== n)
    throw new MlError("ML_BAD_PARAMS", `side has ${p.side.length} values for ${n} bars`);
  const label = new Int8Array(n);
  const end = new Int32Array(n).fill(-1);
  const ret = new Float64Array(n).fill(Number.NaN);
  const barrier = new Int8Array(n).fill(2);
  for (let t = 0; t < n; t++) {
    if (t + p.maxHolding >= n) continue;
    const side = p.side ? p.side[t] : 1;
    if (side === 0) continue;
    const vol = typeof p.volatility === "number" ? p.volatility : p.volatility[t];
    if (!(vol > 0) || !Number.isFinite(vol))
      throw new MlError("ML_BAD_DATASET", `volatility at bar ${t} is ${vol}; it must be finite and > 0`, {
        bar: t,
      });
    const up = p.profitTake > 0 ? p.profitTake * vol : Number.POSITIVE_INFINITY;
    const dn = p.stopLoss > 0 ? -p.stopLoss * vol : Number.NEGATIVE_INFINITY;
    let s = t + 1;
    let r = 0;
    let hit = 0;
    for (; s <= t + p.maxHolding; s++) {
      r = side * Math.log(close[s] / close[t]);
      if (r >= up) {
        hit = 1;
        break;
      }
      if (r <= dn) {
        hit = -1;
        break;
      }
    }
    if (hit === 0) s = t + p.maxHolding;
    end[t] = s;
    ret[t] = r;
    barrier[t] = hit;
    label[t] = hit !== 0 ? hit : p.verticalLabel === "sign" ? Math.sign(r) : 0;
  }
  return { label, end, ret, barrier };
}

/**
 * Meta-labels: given a primary model's side per bar (+1/-1, 0 = no trade), 1 when taking that
 * side would have been profitable at the first barrier (return × side > 0), else 0. A secondary
 * model trained on these learns *whether* to act on the primary signal (and how much to size).
 * Bars without a trade or without a known outcome get -1 in `label` (exclude them).
 */
export function metaLabels(
  close: ArrayLike<number>,
  side: ArrayLike<number>,
  p: Omit<TripleBarrierParams, "side" | "verticalLabel">,
): { label: Int8Array; end: Int32Array; ret: Float64Array } {
  const b = tripleBarrierLabels(close, { ...p, side });
  const label = new Int8Array(close.length).fill(-1);
  for (let t = 0; t < close.length; t++) if (b.barrier[t] !== 2) label[t] = b.ret[t] > 0 ? 1 : 0;
  return { label, end: b.end, ret: b.ret };
}
