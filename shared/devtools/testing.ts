/**
 * A test kit for your own handlers: typed sample events, Authgear-style signing, and a way to run
 * a handler in-process through the same core as production, so its deadline, the response check
 * and its error policy behave exactly as they will in Lambda.
 *
 * Import it from `shared/testing`:
 *
 * ```ts
 * import { invokeHandler, sampleEvent } from '../../shared/testing';
 * ```
 */
import { readConfig, type RuntimeConfig } from '../core/config';
import { SIGNATURE_HEADER, type BlockingEventType, type NonBlockingEventType } from '../core/constants';
import type { BlockingEventMap, NonBlockingEventMap } from '../core/events';
import type { BlockingHandler, HandlerSet, NonBlockingHandler } from '../core/handler';
import { bindHandlerSecretsFrom } from '../core/handler-secrets';
import { createJsonLogger } from '../core/logger';
import type { ResponseViolation } from '../core/response-check';
import type { BlockingResponse } from '../core/responses';
import { routePath } from '../core/routes';
import { staticSecretSource } from '../core/secret';
import { signBody } from '../core/verify';
import type { AdminApiFactory } from '../admin-api/types';
import { createInlineQueue } from '../queue/inline-queue';
import { createRuntime } from '../runtime/create-runtime';
import type { FakeAdminApi } from './fake-admin-api';
import { goJson } from './go-json';
import { sampleEvent, type SampleOptions } from './samples';
import { testKitSecretSources } from './test-kit-secrets';

export {
  sampleEvent,
  sampleBody,
  eventId,
  SAMPLE_EVENT_TYPES,
  type SampleEvent,
  type SampleOptions,
  type SampleUserOptions,
} from './samples';
export { goJson } from './go-json';
export { fakeAdminApi, sampleAdminApiUser, type FakeAdminApi, type FakeAdminApiCall, type FakeAnswer } from './fake-admin-api';

/** The secret {@link invokeHandler} signs with; any value works since it also verifies with it. */
const KIT_SECRET = 'authgear-webhooks-test-kit-secret';

/**
 * A request body and the headers Authgear would send with it, signed with `secret`. An object is
 * serialised the way Authgear's Go code does (compact, `\u003c`-style escapes); a string is used as is.
 *
 * @example
 * ```ts
 * const { body, headers } = signedRequest(sampleEvent('user.created'), 'my-secret');
 * await fetch('http://localhost:3000/non-blocking', { method: 'POST', body, headers });
 * ```
 */
export function signedRequest(event: object | string, secret: string): { body: string; headers: Record<string, string> } {
  const body = typeof event === 'string' ? event : goJson(event);
  return { body, headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(body, secret) } };
}

/** What came back from {@link invokeHandler}. */
export interface InvokeResult<Answer> {
  /**
   * HTTP status Authgear would get: 200 for every blocking answer, even one from the error policy,
   * and for every non-blocking event once queued (its handler runs from the queue).
   */
  readonly status: number;
  /** The response body exactly as sent. */
  readonly body: string;
  /** The parsed body: for a blocking handler, the answer Authgear gets (yours, or the error policy's). */
  readonly answer: Answer;
  /**
   * How the delivery ended: `allowed` / `denied` (the handler's own valid answer),
   * `error_policy_deny` / `error_policy_allow` (it failed and its policy answered), `handled` /
   * `handler_failed` (the non-blocking handler's first attempt from the queue; a failed one would
   * be retried), or `rejected` (the request itself was refused).
   */
  readonly outcome: string;
  /** Why it failed, as the log says: `handler_threw`, `invalid_response`, `deadline_exceeded`, … */
  readonly reason?: string;
  /** For `invalid_response`: each rule of Authgear's that the handler's answer broke. */
  readonly violations?: readonly ResponseViolation[];
  /** For `handler_threw`: the message of what was thrown. */
  readonly errorMessage?: string;
  /** Every log line of the delivery, the handler's own included, parsed. */
  readonly logs: readonly Record<string, unknown>[];
}

/** Input of {@link invokeHandler}. */
export interface InvokeOptions<Event, SecretName extends string = string> {
  /** The event to deliver. Default: a sample of the handler's type. */
  readonly event?: Event;
  /** Options of the default sample (ignored when `event` is given). */
  readonly sample?: SampleOptions;
  /** Runtime settings, e.g. `{ blockingDeadlineMs: 50 }` to test the deadline quickly. */
  readonly config?: Partial<RuntimeConfig>;
  /**
   * Values of the secrets the handler declared, e.g. `{ 'crm/api-key': 'test-key' }`. A declared
   * secret not given here is read as `npm start` reads it: `SECRET_CRM_API_KEY` from the
   * environment, then from `.env`.
   */
  readonly secrets?: { readonly [Name in SecretName]?: string };
  /**
   * What `context.adminApi` is: a {@link FakeAdminApi} (canned answers, a record of the calls) or
   * any factory. Default: none, so a handler that reads `context.adminApi` fails as unconfigured.
   */
  readonly adminApi?: FakeAdminApi | AdminApiFactory;
}

/** Non-blocking answers: `{ received: true }` once queued, or an error body with a 5xx. */
export type NonBlockingAnswer = { readonly received: true } | { readonly error: string };

/**
 * Delivers an event to a handler in-process, signed and verified, through the same runtime as
 * production: same deadline, same response check, same error policy. A non-blocking event is
 * queued and its first attempt run by the same queue processor as the deployed worker. The check
 * of `context.timestamp`'s age is off, so fixed events from fixtures work.
 *
 * @example
 * ```ts
 * import handler from '../functions/blocking/user.pre_create';
 *
 * const result = await invokeHandler(handler, { sample: { email: 'ana@mailinator.com' } });
 * expect(result.answer).toMatchObject({ is_allowed: false });
 * expect(result.outcome).toBe('denied');
 * ```
 */
export function invokeHandler<T extends BlockingEventType, SecretName extends string = never>(
  handler: BlockingHandler<T, SecretName>,
  options?: InvokeOptions<BlockingEventMap[T], SecretName>,
): Promise<InvokeResult<BlockingResponse<T>>>;
export function invokeHandler<T extends NonBlockingEventType, SecretName extends string = never>(
  handler: NonBlockingHandler<T, SecretName>,
  options?: InvokeOptions<NonBlockingEventMap[T], SecretName>,
): Promise<InvokeResult<NonBlockingAnswer>>;
export async function invokeHandler(
  handler: BlockingHandler | NonBlockingHandler,
  options: InvokeOptions<object> = {},
): Promise<InvokeResult<unknown>> {
  const lines: string[] = [];
  const logger = createJsonLogger({ level: 'debug', sink: (_level, line) => lines.push(line) });
  const env = { MAX_EVENT_AGE_SECONDS: '0' };
  const config: RuntimeConfig = { ...readConfig(env), ...options.config };
  const handlers: HandlerSet = bindHandlerSecretsFrom(
    handler.kind === 'blocking' ? { blocking: new Map([[handler.event, handler]]) } : { nonBlocking: new Map([[handler.event, handler]]) },
    testKitSecretSources(options.secrets ?? {}),
    { logger, config },
  );
  const adminApi = typeof options.adminApi === 'function' ? options.adminApi : options.adminApi?.factory;
  const { app, queue } = createRuntime(env, {
    handlers,
    config,
    logger,
    secretSource: staticSecretSource(KIT_SECRET, 'test-kit'),
    ...(adminApi ? { adminApi: () => adminApi } : {}),
    ...(handler.kind === 'non-blocking'
      ? { queue: (settings) => createInlineQueue({ handlers, ...settings, ...(adminApi ? { adminApi } : {}) }) }
      : {}),
  });

  const { body, headers } = signedRequest(options.event ?? sampleEvent(handler.event, options.sample), KIT_SECRET);
  const response = await app.handle({ method: 'POST', path: routePath(handler.event), headers, body: Buffer.from(body, 'utf8') });

  const logs = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  // The core writes one line per delivery, last, with its status and outcome; the queue processor
  // one per attempt, with the attempt number. Once queued, the attempt says how the handler did.
  const attempt =
    queue && response.status === 200 ? logs.findLast((line) => typeof line.outcome === 'string' && 'attempt' in line) : undefined;
  const summary = attempt ?? logs.findLast((line) => typeof line.outcome === 'string' && typeof line.status === 'number') ?? {};
  return {
    status: response.status,
    body: response.body,
    answer: JSON.parse(response.body) as unknown,
    outcome: attempt ? attemptOutcome(String(attempt.outcome)) : String(summary.outcome ?? 'unknown'),
    ...(typeof summary.reason === 'string' ? { reason: summary.reason } : {}),
    ...(Array.isArray(summary.violations) ? { violations: summary.violations as ResponseViolation[] } : {}),
    ...(typeof summary.error_message === 'string' ? { errorMessage: summary.error_message } : {}),
    logs,
  };
}

/** A failed first attempt is logged as `retry_scheduled` (or `dead_lettered` with one attempt); the kit says `handler_failed`. */
const attemptOutcome = (logged: string): string => (logged === 'retry_scheduled' || logged === 'dead_lettered' ? 'handler_failed' : logged);
