/**
 * The header that says who made the answer to a verified delivery: the handler itself, or the
 * error policy standing in for a handler that failed. Authgear ignores it; `npm run send` reads
 * it to fail when a handler failed, even against a deployment whose logs it cannot see.
 *
 * It is only set on answers to requests whose signature was verified, so a caller without the
 * secret learns nothing from it.
 */

/** Response header name (lower case, as HTTP/2 and API Gateway send it). */
export const ANSWER_HEADER = 'x-authgear-webhooks-answer';

/**
 * Values of {@link ANSWER_HEADER}:
 * - `handler`: the handler's own answer (a blocking answer Authgear accepts, or a non-blocking
 *   handler that ran and succeeded);
 * - `error-policy`: a blocking handler threw, hung, or returned something Authgear would reject,
 *   and the error policy answered instead;
 * - `queued`: a non-blocking event was stored for the queue; its handler runs later;
 * - `no-handler`: a non-blocking event of a type nothing here handles, acknowledged unprocessed.
 *
 * @example
 * ```ts
 * if (response.headers[ANSWER_HEADER] === 'error-policy') console.error('the handler failed');
 * ```
 */
export type AnsweredBy = 'handler' | 'error-policy' | 'queued' | 'no-handler';

/** True for a value of {@link ANSWER_HEADER} this version knows. */
export const isAnsweredBy = (value: unknown): value is AnsweredBy =>
  value === 'handler' || value === 'error-policy' || value === 'queued' || value === 'no-handler';
