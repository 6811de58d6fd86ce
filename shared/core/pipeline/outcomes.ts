/**
 * The fixed public answers of the pipeline and the helpers that build outcomes. A caller learns a
 * status and nothing about why; the reason goes to the one log line.
 */
import { ANSWER_HEADER, type AnsweredBy } from '../answer-header';
import { describeError } from '../logger';
import type { Outcome, WebhookResponse } from './types';

export const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' });

/**
 * A JSON answer.
 *
 * @example
 * ```ts
 * reply(405, { error: 'method not allowed' }, { allow: 'POST' });
 * ```
 */
export const reply = (status: number, body: unknown, extraHeaders?: Record<string, string>): WebhookResponse => ({
  status,
  headers: extraHeaders ? { ...JSON_HEADERS, ...extraHeaders } : JSON_HEADERS,
  body: JSON.stringify(body),
});

/** Headers of answers to verified requests: they say who answered (see `answer-header.ts`). Refusals never carry it. */
export const answeredBy = (by: AnsweredBy): Readonly<Record<string, string>> => Object.freeze({ ...JSON_HEADERS, [ANSWER_HEADER]: by });

export const ANSWERS = {
  notFound: reply(404, { error: 'not found' }),
  methodNotAllowed: reply(405, { error: 'method not allowed' }, { allow: 'POST' }),
  tooLarge: reply(413, { error: 'payload too large' }),
  unauthorized: reply(401, { error: 'unauthorized' }),
  invalidBody: reply(400, { error: 'body is not an Authgear event' }),
  wrongRoute: reply(400, { error: 'event type does not match this URL' }),
  unavailable: reply(503, { error: 'service unavailable' }, { 'retry-after': '5' }),
  queued: reply(200, { received: true }, { [ANSWER_HEADER]: 'queued' }),
  noHandler: reply(200, { received: true }, { [ANSWER_HEADER]: 'no-handler' }),
  internal: reply(500, { error: 'internal error' }),
} as const;

/**
 * A refused request: logged at `warn` with a stable reason.
 *
 * @example
 * ```ts
 * rejected(ANSWERS.unauthorized, 'signature_mismatch', 'signature does not match');
 * ```
 */
export const rejected = (response: WebhookResponse, reason: string, message: string): Outcome => ({
  response,
  outcome: 'rejected',
  level: 'warn',
  message,
  fields: { reason },
});

/** A bug of ours: still a clean answer, and a log line that says why. */
export const internalError = (error: unknown): Outcome => ({
  response: ANSWERS.internal,
  outcome: 'internal_error',
  level: 'error',
  message: 'unexpected error while processing a delivery',
  fields: { reason: 'internal_error', ...describeError(error) },
});

/**
 * True when a step ended the delivery: what it returned is the outcome, not the next step's input.
 *
 * @example
 * ```ts
 * const signed = admit(request, pipeline, log);
 * if (isOutcome(signed)) return signed;
 * ```
 */
export const isOutcome = (value: object): value is Outcome => 'response' in value;
