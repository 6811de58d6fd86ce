/**
 * A handler that settles after its deadline has still answered too late: Authgear stops waiting
 * for a blocking answer after 5 s whatever the handler returns. JavaScript cannot interrupt
 * synchronous (CPU-bound) work, so the deadline timer cannot fire while such a handler runs; the
 * time is therefore checked again when the handler settles, and a late answer is treated as a
 * missed deadline (see `docs/limits.md`).
 */

/** A handler settled, but only after its deadline. */
export class AnsweredLate extends Error {
  override readonly name = 'AnsweredLate';
  constructor(
    /** How long the handler ran, in ms. */
    readonly handlerMs: number,
    /** How far past the deadline it settled, in ms. */
    readonly lateByMs: number,
  ) {
    super(`the handler settled ${lateByMs} ms after its deadline, after running ${handlerMs} ms`);
  }
}

/**
 * The {@link AnsweredLate} for a handler that settled at `settledAt`, or `undefined` when it was in time.
 *
 * @example
 * ```ts
 * lateAnswer(1_500, 1_000, 0);  // AnsweredLate { handlerMs: 1500, lateByMs: 500 }
 * lateAnswer(900, 1_000, 0);    // undefined
 * ```
 */
export function lateAnswer(settledAt: number, deadline: number, startedAt: number): AnsweredLate | undefined {
  return settledAt > deadline ? new AnsweredLate(settledAt - startedAt, settledAt - deadline) : undefined;
}
