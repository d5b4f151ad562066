/**
 * Shadow mode: a candidate model runs beside the live one on the same feature vectors; both
 * predictions are recorded and compared, and only the live prediction is returned (only it
 * trades). The comparison — agreement of the argmax, mean and max absolute difference — is what
 * decides whether the candidate is promoted (`ModelRegistry.setLive`).
 *
 * Synchronous like the hot path: both are pure-TS evaluators. A candidate that throws is
 * recorded and ignored; it can never stop the live model from answering.
 */
export interface SyncPredictor {
  readonly outputs: number;
  predict(x: ArrayLike<number>, out: Float64Array): Float64Array;
}

export interface ShadowRecord {
  /** Event time (µs) the prediction was made for. */
  timeUs: number;
  live: Float64Array;
  candidate: Float64Array | undefined;
}

export interface ShadowStats {
  predictions: number;
  candidateErrors: number;
  /** Fraction of predictions where live and candidate pick the same output (argmax). */
  agreement: number;
  meanAbsDiff: number;
  maxAbsDiff: number;
}

export class ShadowRunner {
  private readonly liveOut: Float64Array;
  private readonly candOut: Float64Array;
  private n = 0;
  private errors = 0;
  private agree = 0;
  private sumAbs = 0;
  private maxAbs = 0;
  private values = 0;
  /** Last candidate error message. */
  lastCandidateError: string | undefined;
  /** The candidate's outputs of the last {@link predict} (undefined if it failed); reused buffer. */
  lastCandidate: Float64Array | undefined;

  constructor(
    private readonly live: SyncPredictor,
    private readonly candidate: SyncPredictor,
    /** Receives every pair (e.g. the journal); called synchronously. */
    private readonly record?: (r: ShadowRecord) => void,
  ) {
    this.liveOut = new Float64Array(live.outputs);
    this.candOut = new Float64Array(candidate.outputs);
  }

  /** Predicts with both models; returns the live prediction (a buffer reused between calls). */
  predict(timeUs: number, features: ArrayLike<number>): Float64Array {
    const live = this.live.predict(features, this.liveOut);
    let cand: Float64Array | undefined;
    try {
      cand = this.candidate.predict(features, this.candOut);
    } catch (e) {
      this.errors++;
      this.lastCandidateError = (e as Error).message;
    }
    this.n++;
    this.lastCandidate = cand;
    if (cand) {
      let la = 0;
      let ca = 0;
      const k = Math.min(live.length, cand.length);
      for (let i = 0; i < k; i++) {
        const d = Math.abs(live[i] - cand[i]);
        this.sumAbs += d;
        if (d > this.maxAbs) this.maxAbs = d;
        if (live[i] > live[la]) la = i;
        if (cand[i] > cand[ca]) ca = i;
      }
      this.values += k;
      if (la === ca) this.agree++;
    }
    this.record?.({
      timeUs,
      live: Float64Array.from(live),
      candidate: cand ? Float64Array.from(cand) : undefined,
    });
    return live;
  }

  stats(): ShadowStats {
    const compared = this.n - this.errors;
    return {
      predictions: this.n,
      candidateErrors: this.errors,
      agreement: compared > 0 ? this.agree / compared : 0,
      meanAbsDiff: this.values > 0 ? this.sumAbs / this.values : 0,
      maxAbsDiff: this.maxAbs,
    };
  }
}
