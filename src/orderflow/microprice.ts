/**
 * Stoikov's micro-price estimator (Stoikov 2018, "The micro-price: a high frequency estimator
 * of future prices", Quantitative Finance 18(12), 1959–1966).
 *
 * The micro-price is the limit of expected future mid prices given the current imbalance
 * I = qb / (qb + qa) and spread S:  P_micro = M + g(I, S),  g = Σ_{i≥1} g_i. The state
 * x = (imbalance bucket, spread in ticks) is modelled as a Markov chain estimated from
 * consecutive book observations; with Q the transitions that leave the mid unchanged, T those
 * that change it, R the probabilities of each mid change k ∈ K,
 *
 *   g_1 = (1 − Q)^{-1} R K,   B = (1 − Q)^{-1} T,   g_{i+1} = B g_i.
 *
 * As in the paper the data is symmetrised (I → 1 − I, ΔM → −ΔM), mid changes are measured in
 * half ticks and clipped to K = {−1, −½, ½, 1} tick, and only spreads of 1..`maxSpreadTicks`
 * are modelled. Fit once on history (`fit`), then `adjustment`/`price` are O(1) look-ups.
 */
import { checkPositiveInt, OrderFlowError } from "./common.js";

export interface QuoteObservation {
  bidRaw: number;
  bidSize: number;
  askRaw: number;
  askSize: number;
}

export interface MicropriceOptions {
  /** Raw price increment. */
  tick: number;
  /** Number of imbalance buckets (default 10). */
  imbalanceBuckets?: number;
  /** Largest spread modelled, in ticks (default 2). */
  maxSpreadTicks?: number;
  /** Terms of the series g_1 + g_2 + … (default 6). */
  terms?: number;
}

/** Solves A X = B (A n×n, B n×m) by Gaussian elimination with partial pivoting. */
export function solveLinear(a: number[][], b: number[][]): number[][] {
  const n = a.length;
  const m = b[0]?.length ?? 0;
  const A = a.map((r) => r.slice());
  const X = b.map((r) => r.slice());
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    if (Math.abs(A[p][c]) < 1e-14) {
      throw new OrderFlowError("ORDERFLOW_SINGULAR", "microprice: singular transition system", {});
    }
    [A[c], A[p]] = [A[p], A[c]];
    [X[c], X[p]] = [X[p], X[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      if (f === 0) continue;
      for (let k = c; k < n; k++) A[r][k] -= f * A[c][k];
      for (let k = 0; k < m; k++) X[r][k] -= f * X[c][k];
    }
  }
  for (let r = 0; r < n; r++) for (let k = 0; k < m; k++) X[r][k] /= A[r][r];
  return X;
}

export class StoikovMicroprice {
  private constructor(
    readonly tick: number,
    readonly buckets: number,
    readonly maxSpread: number,
    /** Adjustment g per state, in raw price units, index = (spread − 1) · buckets + bucket. */
    private readonly g: Float64Array,
    /** Observations used per state (after symmetrisation). */
    readonly counts: Float64Array,
  ) {}

  /** Fits the model on consecutive best-quote observations (e.g. every book update). */
  static fit(observations: readonly QuoteObservation[], options: MicropriceOptions): StoikovMicroprice {
    const tick = options.tick;
    const nb = options.imbalanceBuckets ?? 10;
    const ns = options.maxSpreadTicks ?? 2;
    const terms = options.terms ?? 6;
    checkPositiveInt("microprice", "tick", tick);
    checkPositiveInt("microprice", "imbalanceBuckets", nb);
    checkPositiveInt("microprice", "maxSpreadTicks", ns);
    checkPositiveInt("microprice", "terms", terms);
    const nx = nb * ns;
    const K = [-2, -1, 1, 2]; // half ticks
    const Qc = Array.from({ length: nx }, () => new Float64Array(nx));
    const Tc = Array.from({ length: nx }, () => new Float64Array(nx));
    const Rc = Array.from({ length: nx }, () => new Float64Array(K.length));
    const total = new Float64Array(nx);
    const state = (o: QuoteObservation): number => {
      const spread = Math.round((o.askRaw - o.bidRaw) / tick);
      const q = o.bidSize + o.askSize;
      if (spread < 1 || spread > ns || q <= 0) return -1;
      const bucket = Math.min(nb - 1, Math.floor((o.bidSize / q) * nb));
      return (spread - 1) * nb + bucket;
    };
    const mirror = (x: number): number => {
      const s = Math.floor(x / nb);
      return s * nb + (nb - 1 - (x % nb));
    };
    let used = 0;
    for (let t = 0; t + 1 < observations.length; t++) {
      const o = observations[t];
      const n = observations[t + 1];
      const x = state(o);
      const y = state(n);
      if (x < 0 || y < 0) continue;
      const dHalfTicks = Math.round((n.bidRaw + n.askRaw - o.bidRaw - o.askRaw) / tick);
      for (const [xs, ys, d] of [
        [x, y, dHalfTicks],
        [mirror(x), mirror(y), -dHalfTicks],
      ]) {
        total[xs]++;
        if (d === 0) Qc[xs][ys]++;
        else {
          Tc[xs][ys]++;
          const k = d <= -2 ? 0 : d === -1 ? 1 : d === 1 ? 2 : 3;
          Rc[xs][k]++;
        }
      }
      used++;
    }
    if (used === 0) {
      throw new OrderFlowError(
        "ORDERFLOW_NO_DATA",
        "microprice: no usable observations (spreads within 1..maxSpreadTicks)",
        {},
      );
    }
    const IminusQ: number[][] = [];
    const RK: number[][] = [];
    const T: number[][] = [];
    for (let i = 0; i < nx; i++) {
      const row = new Array<number>(nx).fill(0);
      const trow = new Array<number>(nx).fill(0);
      const tot = total[i];
      for (let j = 0; j < nx; j++) {
        row[j] = (i === j ? 1 : 0) - (tot > 0 ? Qc[i][j] / tot : 0);
        trow[j] = tot > 0 ? Tc[i][j] / tot : 0;
      }
      let rk = 0;
      for (let k = 0; k < K.length; k++) rk += (tot > 0 ? Rc[i][k] / tot : 0) * K[k] * (tick / 2);
      IminusQ.push(row);
      RK.push([rk]);
      T.push(trow);
    }
    let gi = solveLinear(IminusQ, RK).map((r) => r[0]);
    const B = solveLinear(IminusQ, T);
    const g = Float64Array.from(gi);
    for (let it = 1; it < terms; it++) {
      const next = new Array<number>(nx).fill(0);
      for (let i = 0; i < nx; i++) {
        let s = 0;
        for (let j = 0; j < nx; j++) s += B[i][j] * gi[j];
        next[i] = s;
      }
      gi = next;
      for (let i = 0; i < nx; i++) g[i] += gi[i];
    }
    return new StoikovMicroprice(tick, nb, ns, g, Float64Array.from(total));
  }

  /** g(I, S) in raw price units; NaN outside the modelled spreads. */
  adjustment(o: QuoteObservation): number {
    const spread = Math.round((o.askRaw - o.bidRaw) / this.tick);
    const q = o.bidSize + o.askSize;
    if (spread < 1 || spread > this.maxSpread || q <= 0) return Number.NaN;
    const bucket = Math.min(this.buckets - 1, Math.floor((o.bidSize / q) * this.buckets));
    return this.g[(spread - 1) * this.buckets + bucket];
  }

  /** The micro-price (raw units, fractional); falls back to the mid outside the model. */
  price(o: QuoteObservation): number {
    const mid = (o.bidRaw + o.askRaw) / 2;
    const adj = this.adjustment(o);
    return Number.isNaN(adj) ? mid : mid + adj;
  }

  /** The fitted adjustments for one spread, bucket by bucket (for reports). */
  table(spreadTicks: number): number[] {
    return Array.from(this.g.subarray((spreadTicks - 1) * this.buckets, spreadTicks * this.buckets));
  }
}
