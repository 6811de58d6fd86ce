/**
 * The retry schedule of queued non-blocking events, shared by the stack (the queue's
 * `maxReceiveCount`), the SQS worker (each failed message's visibility timeout) and the local
 * queue, so all three agree on how many attempts there are and when they happen.
 */

/** Defaults of the schedule; only the window is configurable (`retryWindowMinutes`, `RETRY_WINDOW_MINUTES`). */
export const RETRY_DEFAULTS = {
  windowMinutes: 60,
  /** The delay after the first failure; each later delay doubles. */
  firstDelaySeconds: 30,
  /** No delay is longer than this, so a long outage is still probed every 15 minutes. */
  maxDelaySeconds: 900,
  minWindowMinutes: 1,
  /** SQS allows at most 1000 receives before dead-lettering; a day stays far below that. */
  maxWindowMinutes: 1_440,
} as const;

export interface RetrySchedule {
  readonly windowMinutes: number;
  /** Attempts in all, the first included; the queue's `maxReceiveCount` is one more (see the worker). */
  readonly maxAttempts: number;
  /** `delaysMs[i]` is the wait after the failure of attempt `i + 1`; there are `maxAttempts - 1`. */
  readonly delaysMs: readonly number[];
  /** Milliseconds from the first attempt to the start of attempt `n` (1-based), if processing took no time. */
  startOf(attempt: number): number;
  /** The wait after attempt `attempt` fails, or `undefined` when it was the last one. */
  delayAfter(attempt: number): number | undefined;
}

/**
 * Builds the schedule for a retry window: after a failure the event waits 30 s, then 1, 2, 4 and
 * 8 minutes, then every 15 minutes, as long as the next attempt would start within the window.
 * Then it is dead-lettered. For the default 60 minutes: 8 attempts, at 0, 0.5, 1.5, 3.5, 7.5,
 * 15.5, 30.5 and 45.5 minutes.
 *
 * @throws RangeError when the window is not an integer from 1 to 1440 minutes.
 * @example
 * ```ts
 * const schedule = retrySchedule(60);
 * schedule.maxAttempts;   // 8
 * schedule.delayAfter(1); // 30_000
 * schedule.delayAfter(8); // undefined: dead-lettered
 * ```
 */
export function retrySchedule(windowMinutes: number = RETRY_DEFAULTS.windowMinutes): RetrySchedule {
  if (
    !Number.isInteger(windowMinutes) ||
    windowMinutes < RETRY_DEFAULTS.minWindowMinutes ||
    windowMinutes > RETRY_DEFAULTS.maxWindowMinutes
  ) {
    throw new RangeError(
      `the retry window must be an integer from ${RETRY_DEFAULTS.minWindowMinutes} to ${RETRY_DEFAULTS.maxWindowMinutes} minutes (got ${windowMinutes})`,
    );
  }
  const windowMs = windowMinutes * 60_000;
  const delaysMs: number[] = [];
  let elapsed = 0;
  for (let i = 0; ; i++) {
    const delay = Math.min(RETRY_DEFAULTS.firstDelaySeconds * 2 ** i, RETRY_DEFAULTS.maxDelaySeconds) * 1_000;
    if (elapsed + delay > windowMs) break;
    elapsed += delay;
    delaysMs.push(delay);
  }
  const maxAttempts = delaysMs.length + 1;
  return {
    windowMinutes,
    maxAttempts,
    delaysMs,
    startOf: (attempt) => delaysMs.slice(0, Math.max(0, Math.min(attempt, maxAttempts) - 1)).reduce((sum, d) => sum + d, 0),
    delayAfter: (attempt) => (attempt >= 1 && attempt < maxAttempts ? delaysMs[attempt - 1] : undefined),
  };
}

/**
 * The receive count at which the queue dead-letters a message (its `maxReceiveCount`): one receive
 * per attempt, plus one on which the worker runs nothing: it acknowledges an event it already
 * handled (a lost delete) or hands the message back, and SQS then moves it to the dead-letter queue.
 *
 * @example
 * ```ts
 * maxReceiveCount(retrySchedule(60).maxAttempts); // 9
 * ```
 */
export const maxReceiveCount = (maxAttempts: number): number => maxAttempts + 1;

/**
 * True for a delivery past the last attempt: the extra receive of {@link maxReceiveCount}, on
 * which the handler does not run again.
 *
 * @example
 * ```ts
 * isPastLastAttempt(9, 8); // true
 * isPastLastAttempt(8, 8); // false: the last attempt runs the handler
 * ```
 */
export const isPastLastAttempt = (receiveCount: number, maxAttempts: number): boolean => receiveCount >= maxReceiveCount(maxAttempts);
