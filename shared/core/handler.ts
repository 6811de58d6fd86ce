import type { AdminApi } from '../admin-api/types';
import type { BlockingEventType, NonBlockingEventType } from './constants';
import { isBlockingEventType, isNonBlockingEventType } from './constants';
import type { BlockingEventMap, NonBlockingEventMap } from './events';
import { checkSecretNames, type HandlerSecrets } from './handler-secrets';
import type { Logger } from './logger';
import type { BlockingResponse, Deny } from './responses';

/**
 * What a blocking hook answers when its handler throws, times out or returns something Authgear
 * would reject. `deny` (the default) fails closed: the user's operation is refused with a generic
 * message. `allow` fails open: the operation goes ahead as if no hook were configured.
 */
export type ErrorPolicy = 'deny' | 'allow';

/**
 * Passed to every handler next to the event. `logger` and `signal` are getters that make them on
 * first read, so a handler that uses neither pays nothing for them.
 */
export interface HandlerContext<SecretName extends string = string> {
  /** Structured logger; lines carry the event id and type. */
  readonly logger: Logger;
  /**
   * Aborted when the blocking deadline passes, or once the handler is done; hand it to `fetch`
   * and SDK calls so they stop too.
   */
  readonly signal: AbortSignal;
  /** Epoch milliseconds by which a blocking answer must be ready, or a non-blocking attempt done. */
  readonly deadline: number;
  /**
   * The secrets the handler declared in its options (`{ secrets: ['crm/api-key'] }`):
   * `await secrets.get('crm/api-key')`. Another name is a type error, and an error at run time.
   */
  readonly secrets: HandlerSecrets<SecretName>;
  /**
   * Authgear's Admin API, bounded by `deadline` and `signal` (docs/admin-api.md). Made on first
   * read, and not enumerable, so spreading or logging the context never touches it. Without the
   * Admin API settings, reading it throws an error that says what to set.
   */
  readonly adminApi: AdminApi;
}

export interface BlockingHandler<T extends BlockingEventType = BlockingEventType, SecretName extends string = string> {
  readonly kind: 'blocking';
  readonly event: T;
  /** The Secrets Manager secrets (names or ARNs) this handler reads; the stack grants its function exactly these. */
  readonly secrets: readonly SecretName[];
  readonly onError: ErrorPolicy;
  /** Sent when the policy is `deny` and the handler failed; generic on purpose (end users see it). */
  readonly errorResponse: Deny;
  // Method syntax on purpose: a handler of one event must fit a map of handlers of any event.
  handle(event: BlockingEventMap[T], context: HandlerContext<SecretName>): BlockingResponse<T> | Promise<BlockingResponse<T>>;
}

export interface NonBlockingHandler<T extends NonBlockingEventType = NonBlockingEventType, SecretName extends string = string> {
  readonly kind: 'non-blocking';
  readonly event: T;
  /** The Secrets Manager secrets (names or ARNs) this handler reads; the stack grants the worker exactly these. */
  readonly secrets: readonly SecretName[];
  handle(event: NonBlockingEventMap[T], context: HandlerContext<SecretName>): void | Promise<void>;
}

/** Options every handler takes. */
export interface HandlerOptions<SecretName extends string = never> {
  /**
   * The AWS Secrets Manager secrets the handler reads with `context.secrets.get(name)`: names
   * (`'crm/api-key'`) or complete ARNs. The stack lets the function that runs this handler, and
   * no other, read exactly these. Locally, `crm/api-key` is read from `SECRET_CRM_API_KEY`.
   */
  readonly secrets?: readonly SecretName[];
}

export interface BlockingHandlerOptions<SecretName extends string = never> extends HandlerOptions<SecretName> {
  /** See {@link ErrorPolicy}. Default `deny`. */
  readonly onError?: ErrorPolicy;
  /** Title and reason shown to the user when the `deny` policy answers for a failed handler. */
  readonly errorResponse?: { readonly title?: string; readonly reason?: string };
}

export const DEFAULT_ERROR_RESPONSE: Deny = Object.freeze({
  is_allowed: false,
  title: 'Temporarily unavailable',
  reason: 'We could not complete this request. Please try again in a moment.',
});

/**
 * Declares the handler of a blocking event. Put it in `functions/blocking/<event type>.ts` as the
 * default export. The event is typed for that event type and the return type admits only what
 * Authgear accepts for it.
 *
 * @example
 * ```ts
 * // functions/blocking/user.pre_create.ts
 * export default defineBlockingHandler('user.pre_create', async (event) => {
 *   const email = event.payload.user.standard_attributes.email;
 *   if (email?.endsWith('@mailinator.com')) {
 *     return { is_allowed: false, title: 'Sign-up blocked', reason: 'Use a permanent e-mail address.' };
 *   }
 *   return { is_allowed: true };
 * }, { onError: 'deny' });
 *
 * // With a secret: declared in the options, read from the context.
 * export default defineBlockingHandler('user.pre_create', async (event, { secrets, signal }) => {
 *   const apiKey = await secrets.get('fraud/api-key');
 *   const res = await fetch('https://fraud.example.com/check', { headers: { authorization: apiKey }, signal });
 *   return (await res.json()).ok ? { is_allowed: true } : { is_allowed: false, title: 'Sign-up blocked' };
 * }, { secrets: ['fraud/api-key'] });
 * ```
 */
export function defineBlockingHandler<T extends BlockingEventType, const SecretName extends string = never>(
  event: T,
  handle: BlockingHandler<T, SecretName>['handle'],
  options: BlockingHandlerOptions<SecretName> = {},
): BlockingHandler<T, SecretName> {
  if (!isBlockingEventType(event)) throw new TypeError(`"${String(event)}" is not an Authgear blocking event type`);
  const onError = options.onError ?? 'deny';
  if (onError !== 'deny' && onError !== 'allow') throw new TypeError(`onError must be "deny" or "allow" (got "${String(onError)}")`);
  // Copy only title and reason: anything else would make Authgear reject the fallback answer itself.
  const errorResponse: Deny = options.errorResponse
    ? Object.freeze({ is_allowed: false, title: options.errorResponse.title, reason: options.errorResponse.reason })
    : DEFAULT_ERROR_RESPONSE;
  const secrets = checkSecretNames(options.secrets) as readonly SecretName[];
  return Object.freeze({ kind: 'blocking', event, onError, errorResponse, secrets, handle });
}

/**
 * Declares the handler of a non-blocking event. Put it in `functions/non-blocking/<event type>.ts`
 * as the default export. It runs from a queue after Authgear got its 200: throwing (or missing
 * `NON_BLOCKING_DEADLINE_MS`) makes the event retry with growing delays, and after the retry
 * window it goes to the dead-letter queue. Each event `id` is handled successfully once; see the
 * docs/durable-events.md, "The guarantee", for the exact guarantee.
 *
 * @example
 * ```ts
 * // functions/non-blocking/user.created.ts
 * export default defineNonBlockingHandler('user.created', async (event, { logger }) => {
 *   await crm.upsert(event.payload.user.id);
 *   logger.info('user synced');
 * });
 *
 * // With a secret: declared in the options, read from the context.
 * export default defineNonBlockingHandler('user.created', async (event, { secrets, signal }) => {
 *   const apiKey = await secrets.get('crm/api-key');
 *   await fetch('https://crm.example.com/users', { method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, body: event.payload.user.id, signal });
 * }, { secrets: ['crm/api-key'] });
 * ```
 */
export function defineNonBlockingHandler<T extends NonBlockingEventType, const SecretName extends string = never>(
  event: T,
  handle: NonBlockingHandler<T, SecretName>['handle'],
  options: HandlerOptions<SecretName> = {},
): NonBlockingHandler<T, SecretName> {
  if (!isNonBlockingEventType(event)) throw new TypeError(`"${String(event)}" is not an Authgear non-blocking event type`);
  const secrets = checkSecretNames(options.secrets) as readonly SecretName[];
  return Object.freeze({ kind: 'non-blocking', event, secrets, handle });
}

/** The handlers one process serves. A missing map means that route is not served here (404). */
export interface HandlerSet {
  readonly blocking?: ReadonlyMap<BlockingEventType, BlockingHandler>;
  readonly nonBlocking?: ReadonlyMap<NonBlockingEventType, NonBlockingHandler>;
}

/** True when `value` is what {@link defineBlockingHandler} or {@link defineNonBlockingHandler} returned. */
export function isHandler(value: unknown): value is BlockingHandler | NonBlockingHandler {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (typeof v.event !== 'string' || typeof v.handle !== 'function') return false;
  if (v.kind === 'non-blocking') return true;
  return (
    v.kind === 'blocking' &&
    (v.onError === 'deny' || v.onError === 'allow') &&
    typeof v.errorResponse === 'object' &&
    v.errorResponse !== null
  );
}
