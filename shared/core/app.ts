import type { AdminApiFactory } from '../admin-api/types';
import { answerOverLimit } from './answer-limit';
import { ANSWER_HEADER, type AnsweredBy } from './answer-header';
import { bodyText, isLongerThan, wellFormed, type RawBody } from './body';
import { BLOCKING_PATH_PREFIX, NON_BLOCKING_PATH, SIGNATURE_HEADER, isBlockingEventType, isNonBlockingEventType } from './constants';
import type { BlockingEventType } from './constants';
import type { RuntimeConfig } from './config';
import { parseEnvelope } from './envelope';
import { SecretUnavailableError } from './errors';
import type { EventEnvelope } from './events';
import type { BlockingHandler, HandlerSet, NonBlockingHandler } from './handler';
import { ReplayGuard, checkFreshness } from './freshness';
import { describeError, type LogFields, type Logger } from './logger';
import type { NonBlockingQueue } from './queued';
import { checkBlockingResponse } from './responses';
import { AnsweredLate } from './late-answer';
import { createRedactor } from './redact';
import { DeadlineExceeded, runHandler, runNonBlockingHandler, withTimeout, type NonBlockingRun, type Settled } from './run-handler';
import type { SecretStore } from './secret';
import { checkSignatureFormat, readHeader, signatureMatches, type HeaderBag } from './verify';

/** A request as the adapters hand it to the core. */
export interface WebhookRequest {
  readonly method: string;
  /** Path without query string, e.g. `/blocking/user.pre_create`. */
  readonly path: string;
  readonly headers: HeaderBag;
  /**
   * The raw body: its bytes, already base64-decoded, or a string standing for its UTF-8 bytes
   * (the Lambda adapter passes API Gateway's text body unchanged; see `body.ts`).
   */
  readonly body: RawBody;
  /** Set by an adapter that stopped reading a body over the limit; `body` is then ignored. */
  readonly bodyTooLarge?: boolean;
  /**
   * When the request arrived, on the app's clock (epoch ms): the blocking deadline counts from
   * here, so time spent receiving a slow body counts against it. Default: when `handle` is called.
   */
  readonly receivedAt?: number;
}

export interface WebhookResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Always JSON. Never contains a stack trace or an internal message. */
  readonly body: string;
}

export type Route = { readonly kind: 'blocking'; readonly eventType: BlockingEventType } | { readonly kind: 'non-blocking' };

export interface RouteInfo {
  readonly method: 'POST';
  readonly path: string;
  readonly route: Route;
}

export interface WebhookAppOptions {
  readonly handlers: HandlerSet;
  readonly secrets: SecretStore;
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  /** Clock, replaceable in tests. */
  readonly now?: () => number;
  /**
   * When set, `/non-blocking` queues each verified event of `nonBlockingQueue.eventTypes` and
   * answers 200 once it is stored (503 if it cannot be), instead of running its handler. The
   * queue's consumer runs the handlers (see `queued.ts`).
   */
  readonly nonBlockingQueue?: NonBlockingQueue;
  /** Makes each handler's `context.adminApi` (see `shared/admin-api`). */
  readonly adminApi?: AdminApiFactory;
}

export interface WebhookApp {
  /** Verifies, parses, dispatches and answers one delivery. Never throws. */
  handle(request: WebhookRequest): Promise<WebhookResponse>;
  /** The routes this app serves, for printing and for the stack. */
  readonly routes: readonly RouteInfo[];
}

/** Returns the URL path of a blocking event's route. */
export const blockingPath = (eventType: BlockingEventType): string => `${BLOCKING_PATH_PREFIX}${eventType}`;

const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json' });
/** Headers of answers to verified requests: they say who answered (see `answer-header.ts`). */
const answeredBy = (by: AnsweredBy): Readonly<Record<string, string>> => Object.freeze({ ...JSON_HEADERS, [ANSWER_HEADER]: by });
const BY_HANDLER = answeredBy('handler');
const BY_ERROR_POLICY = answeredBy('error-policy');
const reply = (status: number, body: unknown, extraHeaders?: Record<string, string>): WebhookResponse => ({
  status,
  headers: extraHeaders ? { ...JSON_HEADERS, ...extraHeaders } : JSON_HEADERS,
  body: JSON.stringify(body),
});

// Fixed public answers: a caller learns the status and nothing about why.
const NOT_FOUND = reply(404, { error: 'not found' });
const METHOD_NOT_ALLOWED = reply(405, { error: 'method not allowed' }, { allow: 'POST' });
const TOO_LARGE = reply(413, { error: 'payload too large' });
const UNAUTHORIZED = reply(401, { error: 'unauthorized' });
const INVALID_BODY = reply(400, { error: 'body is not an Authgear event' });
const WRONG_ROUTE = reply(400, { error: 'event type does not match this URL' });
const UNAVAILABLE = reply(503, { error: 'service unavailable' }, { 'retry-after': '5' });
const HANDLER_FAILED = reply(500, { error: 'handler failed' }, { [ANSWER_HEADER]: 'handler-failed' });
const HANDLED = reply(200, { received: true }, { [ANSWER_HEADER]: 'handler' });
const QUEUED = reply(200, { received: true }, { [ANSWER_HEADER]: 'queued' });
const NO_HANDLER = reply(200, { received: true }, { [ANSWER_HEADER]: 'no-handler' });
const ALLOW = Object.freeze({ is_allowed: true });
const INTERNAL = reply(500, { error: 'internal error' });
const PLAIN_ALLOW_BODY = JSON.stringify(ALLOW);
const ANSWERED_PLAIN_ALLOW: Outcome = Object.freeze({
  response: reply(200, ALLOW, BY_HANDLER),
  outcome: 'allowed',
  level: 'info',
  message: 'blocking event answered',
});

/** Outcome of one delivery, logged once per request. */
interface Outcome {
  readonly response: WebhookResponse;
  readonly outcome: string;
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: LogFields;
}

/**
 * Creates the transport-independent webhook processor used by the Lambda adapter and the local
 * server alike.
 *
 * Order of checks: route (404), method (405), size (413), signature form (401, no secret needed),
 * secret (503), signature (401, after one rate-limited re-fetch for a rotated secret), envelope (400),
 * freshness of `context.timestamp` (401), repeated blocking id when enabled (401), route/type match
 * (400), then the handler, or with `nonBlockingQueue` the queue for a non-blocking event (503 when
 * it cannot store it).
 *
 * @example
 * ```ts
 * const app = createWebhookApp({ handlers, secrets, config, logger });
 * const response = await app.handle({ method: 'POST', path: '/blocking/user.pre_create', headers, body });
 * ```
 */
export function createWebhookApp(options: WebhookAppOptions): WebhookApp {
  const { handlers, secrets, config, logger, nonBlockingQueue: queue, adminApi } = options;
  const now = options.now ?? Date.now;
  const queuedTypes: ReadonlySet<string> = new Set(queue?.eventTypes ?? handlers.nonBlocking?.keys() ?? []);

  const routes: RouteInfo[] = [];
  for (const eventType of handlers.blocking?.keys() ?? []) {
    routes.push({ method: 'POST', path: blockingPath(eventType), route: { kind: 'blocking', eventType } });
  }
  if (handlers.nonBlocking || queue) routes.push({ method: 'POST', path: NON_BLOCKING_PATH, route: { kind: 'non-blocking' } });
  const byPath = new Map(routes.map((r) => [r.path, r.route] as const));
  // Remember an id for as long as its event can still pass the freshness check: its age limit,
  // plus the skew it may have been stamped ahead by, plus a second of rounding.
  const replayWindowMs = (Math.max(config.maxEventAgeSeconds, 60) + config.maxClockSkewSeconds + 1) * 1000;
  const replays = config.rejectRepeatedBlockingEvents ? new ReplayGuard(replayWindowMs) : undefined;

  // The checks run in order through the functions below. Each returns its outcome directly when
  // it has one without waiting, or a promise only when it must wait (the secret's first fetch, a
  // re-fetch after a mismatch, an asynchronous handler, the queue): a warm request to a
  // synchronous handler allocates no promise until `handle` returns.

  /** Route, method, size and signature form: nothing here needs the secret. */
  function process(request: WebhookRequest, started: number, log: LogFields): Outcome | Promise<Outcome> {
    const route = byPath.get(request.path);
    if (!route)
      return {
        response: NOT_FOUND,
        outcome: 'rejected',
        level: 'warn',
        message: 'no route for this path',
        fields: { reason: 'not_found' },
      };
    log.route = route.kind === 'blocking' ? route.eventType : 'non-blocking';
    if (request.method !== 'POST') return rejected(METHOD_NOT_ALLOWED, 'method_not_allowed', 'only POST is accepted');
    if (request.bodyTooLarge || isLongerThan(request.body, config.maxBodyBytes)) {
      return rejected(TOO_LARGE, 'body_too_large', `body exceeds MAX_BODY_BYTES (${config.maxBodyBytes})`);
    }

    const header = readHeader(request.headers, SIGNATURE_HEADER);
    if (header.duplicated)
      return rejected(UNAUTHORIZED, 'signature_header_duplicated', 'x-authgear-body-signature was sent more than once');
    const format = checkSignatureFormat(header.value);
    if (format !== 'valid') return rejected(UNAUTHORIZED, `signature_${format}`, SIGNATURE_HINTS[format]);

    const signed: Signed = { route, body: wellFormed(request.body), signature: header.value as string };
    const candidates = secrets.peek();
    return candidates ? verify(signed, candidates, started, log) : loadSecretThenVerify(signed, started, log);
  }

  /** Cold start: wait for the secret, on the login path never past the deadline. */
  async function loadSecretThenVerify(signed: Signed, started: number, log: LogFields): Promise<Outcome> {
    let candidates: readonly string[];
    try {
      const budget = signed.route.kind === 'blocking' ? started + config.blockingDeadlineMs - now() : config.nonBlockingDeadlineMs;
      candidates = await withTimeout(
        secrets.get(),
        budget,
        () => new SecretUnavailableError('the webhook secret did not load before the deadline'),
      );
    } catch (error) {
      if (!(error instanceof SecretUnavailableError)) throw error;
      return {
        response: UNAVAILABLE,
        outcome: 'rejected',
        level: 'error',
        message: `no webhook secret is available: ${error.message}`,
        fields: { reason: 'secret_unavailable' },
      };
    }
    return verify(signed, candidates, started, log);
  }

  function verify(signed: Signed, candidates: readonly string[], started: number, log: LogFields): Outcome | Promise<Outcome> {
    if (signatureMatches(signed.body, signed.signature, candidates)) return dispatch(signed, started, log);
    return verifyAfterRefresh(signed, started, log);
  }

  /** After a mismatch: the secret may have been rotated in Secrets Manager since we cached it. */
  async function verifyAfterRefresh(signed: Signed, started: number, log: LogFields): Promise<Outcome> {
    const fresh = await secrets.refreshAfterMismatch();
    if (!fresh || !signatureMatches(signed.body, signed.signature, fresh))
      return rejected(UNAUTHORIZED, 'signature_mismatch', SIGNATURE_HINTS.mismatch);
    return dispatch(signed, started, log);
  }

  /** The body is authentic: envelope, freshness, repeats, route/type match, then the handler or the queue. */
  function dispatch(signed: Signed, started: number, log: LogFields): Outcome | Promise<Outcome> {
    const { route, body } = signed;
    const text = bodyText(body);
    const event = text === undefined ? undefined : parseEnvelope(text);
    if (!event)
      return rejected(
        INVALID_BODY,
        'invalid_envelope',
        'signed body is not a JSON object with string id and type, object payload, and context with a numeric timestamp',
      );
    log.event_id = event.id;
    log.event_type = event.type;
    if (config.logPersonalData) {
      log.user_id = (event.context as { user_id?: unknown }).user_id;
      logger.debug('event received', { ...log, event });
    }

    const freshness = checkFreshness(event.context.timestamp, now(), config.maxEventAgeSeconds, config.maxClockSkewSeconds);
    if (freshness !== 'fresh') {
      return rejected(
        UNAUTHORIZED,
        freshness === 'stale' ? 'timestamp_stale' : 'timestamp_in_future',
        freshness === 'stale'
          ? `signed event is older than MAX_EVENT_AGE_SECONDS (${config.maxEventAgeSeconds}): a replayed request, or this machine's clock is wrong`
          : `signed event is stamped more than MAX_CLOCK_SKEW_SECONDS (${config.maxClockSkewSeconds}) in the future: check this machine's clock`,
      );
    }

    if (route.kind === 'blocking') {
      if (replays?.isRepeat(`${route.eventType} ${event.id}`, now())) {
        return rejected(UNAUTHORIZED, 'replayed_event', 'this blocking event id was already answered: a replayed request');
      }
      if (event.type !== route.eventType) {
        const right = isBlockingEventType(event.type) ? blockingPath(event.type) : NON_BLOCKING_PATH;
        return rejected(
          WRONG_ROUTE,
          'route_type_mismatch',
          `this URL serves ${route.eventType} but received ${event.type}: the Authgear hook entry points at the wrong URL (use ${right})`,
        );
      }
      const handler = handlers.blocking?.get(route.eventType) as BlockingHandler;
      return runBlocking(handler, event, started + config.blockingDeadlineMs, log);
    }

    if (isBlockingEventType(event.type)) {
      return rejected(
        WRONG_ROUTE,
        'route_type_mismatch',
        `blocking event ${event.type} was sent to the non-blocking URL: point its hook entry at /blocking/${event.type}`,
      );
    }
    const handler = isNonBlockingEventType(event.type) ? handlers.nonBlocking?.get(event.type) : undefined;
    if (queue ? !queuedTypes.has(event.type) : !handler) {
      return {
        response: NO_HANDLER,
        outcome: 'ignored',
        level: 'debug',
        message: isNonBlockingEventType(event.type) ? 'no handler for this event type' : 'unknown event type acknowledged',
      };
    }
    if (queue) return enqueue(queue, event, body, started + config.nonBlockingDeadlineMs);
    return runNonBlocking(handler as NonBlockingHandler, event, started + config.nonBlockingDeadlineMs, log);
  }

  /** Stores a verified event for the queue's consumer; 200 only once it is stored. */
  async function enqueue(target: NonBlockingQueue, event: EventEnvelope, rawBody: RawBody, deadline: number): Promise<Outcome> {
    try {
      // A microtask, so a synchronous throw is handled like a rejection.
      await withTimeout(
        Promise.resolve().then(() => target.enqueue(event, rawBody)),
        deadline - now(),
        () => new Error(`the queue did not answer within NON_BLOCKING_DEADLINE_MS (${config.nonBlockingDeadlineMs} ms)`),
      );
      return { response: QUEUED, outcome: 'queued', level: 'info', message: 'non-blocking event queued' };
    } catch (error) {
      return {
        response: UNAVAILABLE,
        outcome: 'rejected',
        level: 'error',
        message: 'the event could not be queued, so it was refused with 503 (Authgear logs the failure and does not resend)',
        fields: { reason: 'queue_unavailable', ...describeError(error) },
      };
    }
  }

  function runBlocking(handler: BlockingHandler, event: EventEnvelope, deadline: number, log: LogFields): Outcome | Promise<Outcome> {
    const run = runHandler((context) => handler.handle(event as never, context), deadline, log, {
      logger,
      now,
      event,
      logPersonalData: config.logPersonalData,
      adminApi,
    });
    return run instanceof Promise ? run.then((settled) => blockingAnswer(handler, event, settled)) : blockingAnswer(handler, event, run);
  }

  /** The response guard: the handler's answer if Authgear would accept it, else the error policy's. */
  function blockingAnswer(handler: BlockingHandler, event: EventEnvelope, settled: Settled<unknown>): Outcome {
    let failure: { reason: string; message: string; fields?: LogFields };
    if (settled.ok) {
      const serialised = serialise(settled.value);
      // The everyday answer, valid for every blocking event: no need to parse it back and check it.
      if (serialised === PLAIN_ALLOW_BODY) return ANSWERED_PLAIN_ALLOW;
      const tooLarge = serialised === undefined ? undefined : answerOverLimit(serialised, config.maxAnswerBytes);
      if (serialised === undefined) {
        failure = { reason: 'invalid_response', message: 'handler returned nothing, or a value that is not JSON' };
      } else if (tooLarge !== undefined) {
        failure = {
          reason: 'answer_too_large',
          message: `handler's answer is ${tooLarge} bytes, over MAX_ANSWER_BYTES (${config.maxAnswerBytes})`,
          fields: { answer_bytes: tooLarge },
        };
      } else {
        // Checked as sent: what JSON.stringify made of the value is what Authgear receives.
        const sent: unknown = JSON.parse(serialised);
        const check = checkBlockingResponse(handler.event, sent, event);
        if (check.ok) {
          const allowed = (sent as { is_allowed: boolean }).is_allowed;
          return {
            response: { status: 200, headers: BY_HANDLER, body: serialised },
            outcome: allowed ? 'allowed' : 'denied',
            level: 'info',
            message: 'blocking event answered',
          };
        }
        failure = {
          reason: 'invalid_response',
          message: 'handler returned a response Authgear would reject',
          fields: { violations: check.violations },
        };
      }
    } else {
      failure = blockingFailure(settled.error, event);
    }
    const body = handler.onError === 'allow' ? ALLOW : handler.errorResponse;
    return {
      response: reply(200, body, BY_ERROR_POLICY),
      outcome: `error_policy_${handler.onError}`,
      level: 'error',
      message: `${failure.message}; answered by the ${handler.onError} error policy`,
      fields: { reason: failure.reason, ...failure.fields },
    };
  }

  /** Why a blocking handler's run failed, for the log line. */
  function blockingFailure(error: unknown, event: EventEnvelope): { reason: string; message: string; fields?: LogFields } {
    const limit = `BLOCKING_DEADLINE_MS (${config.blockingDeadlineMs} ms)`;
    if (error instanceof AnsweredLate) {
      return {
        reason: 'answered_late',
        message: `handler answered after ${error.handlerMs} ms, ${error.lateByMs} ms past ${limit}: synchronous work cannot be interrupted, and Authgear stops waiting at 5 s`,
        fields: { late_by_ms: error.lateByMs },
      };
    }
    if (error instanceof DeadlineExceeded) {
      return error.beforeStart
        ? { reason: 'deadline_exceeded', message: `${limit} passed before the handler could start (the request took that long to arrive)` }
        : { reason: 'deadline_exceeded', message: `handler did not answer within ${limit}` };
    }
    return {
      reason: 'handler_threw',
      message: 'handler threw',
      fields: createRedactor(event, { personalData: config.logPersonalData }).error(error),
    };
  }

  function runNonBlocking(handler: NonBlockingHandler, event: EventEnvelope, deadline: number, log: LogFields): Outcome | Promise<Outcome> {
    const run = runNonBlockingHandler(handler, event, {
      deadline,
      deadlineMs: config.nonBlockingDeadlineMs,
      log,
      logger,
      now,
      logPersonalData: config.logPersonalData,
      adminApi,
    });
    return run instanceof Promise ? run.then(nonBlockingAnswer) : nonBlockingAnswer(run);
  }

  /** Writes the request's one log line and returns its answer. */
  function finish(result: Outcome, started: number, log: LogFields): WebhookResponse {
    // Added to `log` itself rather than to a copy: the keys and their order are those of
    // `{ ...log, status, outcome, ...fields, latency_ms }`, and nothing writes to `log` afterwards.
    log.status = result.response.status;
    log.outcome = result.outcome;
    if (result.fields) Object.assign(log, result.fields);
    log.latency_ms = now() - started;
    logger[result.level](result.message, log);
    return result.response;
  }

  return {
    routes,
    async handle(request) {
      const arrived = now();
      // An adapter's arrival time, unless it is not a time on this clock at all.
      const started = request.receivedAt !== undefined && request.receivedAt <= arrived ? request.receivedAt : arrived;
      // Method and path carry no personal data and tell the operator which URL was hit.
      const log: LogFields = { method: request.method, path: request.path };
      let result: Outcome | Promise<Outcome>;
      try {
        result = process(request, started, log);
      } catch (error) {
        result = internalError(error);
      }
      if (result instanceof Promise) {
        return result.then(
          (outcome) => finish(outcome, started, log),
          (error: unknown) => finish(internalError(error), started, log),
        );
      }
      return finish(result, started, log);
    },
  };
}

/** A request whose signature header is well-formed, on its way to verification. */
interface Signed {
  readonly route: Route;
  /** The body as received; a string is made well-formed (see `wellFormed`). */
  readonly body: RawBody;
  /** 64 hex characters. */
  readonly signature: string;
}

/** A bug of ours: still a clean answer, and a log line that says why. */
const internalError = (error: unknown): Outcome => ({
  response: INTERNAL,
  outcome: 'internal_error',
  level: 'error',
  message: 'unexpected error while processing a delivery',
  fields: { reason: 'internal_error', ...describeError(error) },
});

const nonBlockingAnswer = (run: NonBlockingRun): Outcome =>
  run.ok
    ? { response: HANDLED, outcome: 'handled', level: 'info', message: 'non-blocking event handled' }
    : { response: HANDLER_FAILED, outcome: 'handler_failed', level: 'error', message: 'non-blocking handler failed', fields: run.fields };

const rejected = (response: WebhookResponse, reason: string, message: string): Outcome => ({
  response,
  outcome: 'rejected',
  level: 'warn',
  message,
  fields: { reason },
});

/** What each signature failure usually means, for the operator reading the logs. */
const SIGNATURE_HINTS = {
  missing: 'x-authgear-body-signature header is missing: the request did not come from Authgear',
  not_hex: 'x-authgear-body-signature is not hex: the request did not come from Authgear or a proxy rewrote the header',
  wrong_length: 'x-authgear-body-signature is not 64 hex characters (HMAC-SHA256)',
  mismatch:
    'signature does not match: check that the stored secret is exactly the one shown in the Authgear portal, and that nothing between Authgear and this function re-encodes or re-serialises the body',
} as const;

function serialise(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
