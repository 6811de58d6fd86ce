/** Counting what a load test got back: tallies of answers and the percentiles of their latencies. */

/** What one request came to: an answer (right or not) or a transport error. */
export type Attempt =
  | { readonly outcome: 'ok'; readonly status: number; readonly latencyMs: number }
  | { readonly outcome: 'misclassified'; readonly status: number; readonly latencyMs: number; readonly problem: string }
  | { readonly outcome: 'error'; readonly problem: string };

/** Running counts for a group of requests (one kind, or the burst). */
export interface Tally {
  sent: number;
  ok: number;
  misclassified: number;
  errors: number;
  readonly statuses: Map<number, number>;
  readonly latenciesMs: number[];
}

/** Samples of problems kept for the report; more would drown the table. */
const MAX_SAMPLES = 10;

export const newTally = (): Tally => ({ sent: 0, ok: 0, misclassified: 0, errors: 0, statuses: new Map(), latenciesMs: [] });

/**
 * Adds one attempt to `tally` and, for a wrong answer or an error, a line `<label>: <problem>` to
 * `samples` while it holds fewer than 10. Counts `sent` too, so each request is recorded once.
 *
 * @example
 * ```ts
 * const tally = newTally();
 * recordAttempt(tally, { outcome: 'error', problem: 'socket hang up' }, samples, 'signed user.created');
 * tally.errors; // 1
 * ```
 */
export function recordAttempt(tally: Tally, attempt: Attempt, samples: string[], label: string): void {
  tally.sent += 1;
  if (attempt.outcome === 'error') {
    tally.errors += 1;
  } else {
    tally.latenciesMs.push(attempt.latencyMs);
    tally.statuses.set(attempt.status, (tally.statuses.get(attempt.status) ?? 0) + 1);
    if (attempt.outcome === 'ok') tally.ok += 1;
    else tally.misclassified += 1;
  }
  if (attempt.outcome !== 'ok' && samples.length < MAX_SAMPLES) samples.push(`${label}: ${attempt.problem}`);
}

/**
 * The nearest-rank percentile `p` (0–100) of ascending `sorted` values; 0 for none.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 50); // 2
 * percentile([1, 2, 3, 4], 99); // 4
 * ```
 */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
