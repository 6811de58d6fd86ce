/**
 * What the Lambda function was invoked with, made into a request for the core, whatever it is.
 * API Gateway HTTP APIs send payload format 2.0; a REST API, or an HTTP API integration set to
 * 1.0, sends payload format 1.0, which is served the same way. Anything else (a console test
 * event, `null`, `{}`, a 2.0 event without `requestContext.http`) is not a request: it gets a
 * 400 and a log line that says what arrived. Nothing here throws.
 */
import type { WebhookRequest } from '../core/app';
import type { HeaderBag } from '../core/verify';
import { lambdaRequestBody } from './lambda-body';

/** The invocation as a request for the core, or why it is not one. */
export type LambdaEventReading =
  | { readonly ok: true; readonly payloadVersion: '1.0' | '2.0'; readonly request: WebhookRequest }
  | { readonly ok: false; readonly problem: string; readonly shape: string };

/** API Gateway gives up on an integration after 30 s: an older arrival time is not this request's. */
const MAX_ARRIVAL_AGE_MS = 30_000;
const MAX_KEYS_SHOWN = 10;

/**
 * Reads an invocation event as an HTTP request.
 *
 * @param now the app's clock, to accept API Gateway's arrival time (`timeEpoch`) only when it is plausible.
 * @example
 * ```ts
 * const reading = readLambdaEvent(event, Date.now());
 * if (!reading.ok) logger.warn(`not an API Gateway event: ${reading.problem}`, { event_shape: reading.shape });
 * ```
 */
export function readLambdaEvent(event: unknown, now: number): LambdaEventReading {
  if (!isRecord(event)) return refuse('the event is not an object', event);
  const context = event.requestContext;
  if (event.version === '2.0' || (isRecord(context) && 'http' in context)) return readV2(event, now);
  if (event.version === '1.0' || typeof event.httpMethod === 'string') return readV1(event, now);
  return refuse('the event has neither requestContext.http (payload 2.0) nor httpMethod (payload 1.0)', event);
}

function readV2(event: Record<string, unknown>, now: number): LambdaEventReading {
  const context = event.requestContext;
  const http = isRecord(context) ? context.http : undefined;
  if (!isRecord(http) || typeof http.method !== 'string') return refuse('a payload 2.0 event without requestContext.http.method', event);
  const path = typeof event.rawPath === 'string' ? event.rawPath : http.path;
  if (typeof path !== 'string') return refuse('a payload 2.0 event without rawPath', event);
  const body = bodyOf(event);
  if (!body) return refuse('the body is neither a string nor absent', event);
  return {
    ok: true,
    payloadVersion: '2.0',
    request: {
      method: http.method,
      path,
      headers: stringHeaders(event.headers),
      body: body.value,
      ...arrival((context as Record<string, unknown>).timeEpoch, now),
    },
  };
}

function readV1(event: Record<string, unknown>, now: number): LambdaEventReading {
  if (typeof event.httpMethod !== 'string' || typeof event.path !== 'string')
    return refuse('a payload 1.0 event without httpMethod and path', event);
  const body = bodyOf(event);
  if (!body) return refuse('the body is neither a string nor absent', event);
  // multiValueHeaders keeps every copy of a repeated header, so a doubled signature is still seen as one.
  const headers = isRecord(event.multiValueHeaders) ? listHeaders(event.multiValueHeaders) : stringHeaders(event.headers);
  const context = event.requestContext;
  return {
    ok: true,
    payloadVersion: '1.0',
    request: {
      method: event.httpMethod,
      path: event.path,
      headers,
      body: body.value,
      ...arrival(isRecord(context) ? context.requestTimeEpoch : undefined, now),
    },
  };
}

function bodyOf(event: Record<string, unknown>): { value: WebhookRequest['body'] } | undefined {
  const { body } = event;
  if (body !== undefined && body !== null && typeof body !== 'string') return undefined;
  return { value: lambdaRequestBody({ body: body ?? undefined, isBase64Encoded: event.isBase64Encoded === true }) };
}

/** API Gateway's headers as they are when every value is a string (always, in practice); else only the string ones. */
function stringHeaders(headers: unknown): HeaderBag {
  if (!isRecord(headers)) return {};
  for (const value of Object.values(headers)) {
    if (typeof value !== 'string') return Object.fromEntries(Object.entries(headers).filter(([, v]) => typeof v === 'string')) as HeaderBag;
  }
  return headers as HeaderBag;
}

function listHeaders(headers: Record<string, unknown>): HeaderBag {
  const out: Record<string, readonly string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    if (Array.isArray(values)) out[name] = values.filter((v): v is string => typeof v === 'string');
  }
  return out;
}

/** API Gateway's arrival time, when it is a time of the last 30 s on this clock. */
function arrival(epochMs: unknown, now: number): { receivedAt?: number } {
  return typeof epochMs === 'number' && epochMs <= now && now - epochMs <= MAX_ARRIVAL_AGE_MS ? { receivedAt: epochMs } : {};
}

function refuse(problem: string, event: unknown): LambdaEventReading {
  return { ok: false, problem, shape: shapeOf(event) };
}

/** What arrived, for the log: its type and top-level key names, never its values. */
function shapeOf(event: unknown): string {
  if (event === null) return 'null';
  if (Array.isArray(event)) return `an array of ${event.length}`;
  if (typeof event !== 'object') return typeof event;
  const keys = Object.keys(event);
  const shown = keys.slice(0, MAX_KEYS_SHOWN).map((key) => (key.length > 40 ? `${key.slice(0, 40)}…` : key));
  return keys.length === 0 ? 'an empty object' : `an object with keys ${shown.join(', ')}${keys.length > MAX_KEYS_SHOWN ? ', …' : ''}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
