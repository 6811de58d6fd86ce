/** The error of `npm run send` for bad input or an unreachable target. */

/** A problem with the input or the target, described in one line that says what to do. */
export class SendError extends Error {
  override readonly name = 'SendError';
}
