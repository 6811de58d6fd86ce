/**
 * The app under test: a real `createWebhookApp` with a counting secret source, a log sink that
 * parses every line, and non-blocking events run through the queue processor within the request.
 * Shared by the tests of the pipeline steps (`shared/core/pipeline/*.test.ts`) and of the app.
 */
import { VECTOR_SECRET, vector } from '../fixtures/authgear-vectors';
import { authgearHeaders } from '../fixtures/go-json';
import { createWebhookApp, type WebhookApp, type WebhookRequest, type WebhookResponse } from '../../shared/core/app';
import { readConfig, type RuntimeConfig } from '../../shared/core/config';
import type { BlockingEventType, NonBlockingEventType } from '../../shared/core/constants';
import { defineBlockingHandler, type BlockingHandler, type HandlerSet, type NonBlockingHandler } from '../../shared/core/handler';
import { createJsonLogger, type Logger } from '../../shared/core/logger';
import { SecretStore, staticSecretSource, type SecretSource } from '../../shared/core/secret';
import type { NonBlockingQueue } from '../../shared/core/queued';
import { createInlineQueue } from '../../shared/queue/inline-queue';

export { VECTOR_EMAIL as USER_EMAIL, VECTOR_IP as USER_IP, VECTOR_USER_ID as USER_ID } from '../fixtures/vector-person';

export interface LogLine {
  readonly level: string;
  readonly text: string;
  readonly fields: Record<string, unknown>;
}

/** A secret source that counts its calls and can be switched to another value or to failing. */
export class CountingSource implements SecretSource {
  readonly kind = 'counting-test-source';
  calls = 0;
  #inner: SecretSource;
  #failure: Error | undefined;

  constructor(value: string) {
    this.#inner = staticSecretSource(value, this.kind);
  }

  setValue(value: string): void {
    this.#inner = staticSecretSource(value, this.kind);
    this.#failure = undefined;
  }

  failWith(error: Error): void {
    this.#failure = error;
  }

  async fetch(): Promise<string> {
    this.calls += 1;
    if (this.#failure) throw this.#failure;
    return this.#inner.fetch();
  }
}

export interface Harness {
  readonly app: WebhookApp;
  readonly source: CountingSource;
  readonly lines: LogLine[];
  /** The last line logged: the one-per-request outcome line. */
  readonly outcome: () => Record<string, unknown>;
}

export interface HarnessOptions {
  readonly blocking?: readonly BlockingHandler[];
  readonly nonBlocking?: readonly NonBlockingHandler[];
  /** Leave out a map entirely, so its route is not served. */
  readonly serveBlocking?: boolean;
  readonly serveNonBlocking?: boolean;
  readonly env?: Record<string, string>;
  readonly source?: CountingSource;
  readonly store?: (source: SecretSource, logger: Logger) => SecretStore;
  readonly now?: () => number;
  /** Default: a queue that runs each event's first attempt at once. */
  readonly queue?: NonBlockingQueue;
}

/**
 * A secret store over `source` with the cache and refresh timings `config` sets, as the runtime builds it.
 *
 * @example
 * const secrets = secretStoreFor(staticSecretSource('secret'), readConfig({}), createJsonLogger({ level: 'silent' }));
 */
export const secretStoreFor = (
  source: SecretSource,
  config: Pick<RuntimeConfig, 'secretCacheTtlMs' | 'secretRefreshIntervalMs'>,
  logger: Logger,
): SecretStore => new SecretStore({ source, logger, ttlMs: config.secretCacheTtlMs, refreshIntervalMs: config.secretRefreshIntervalMs });

export function harness(options: HarnessOptions = {}): Harness {
  // The signed vectors are from August 2026: the freshness check has its own tests below.
  const config = readConfig({ LOG_LEVEL: 'debug', MAX_EVENT_AGE_SECONDS: '0', ...options.env });
  const lines: LogLine[] = [];
  const logger = createJsonLogger({
    level: config.logLevel,
    sink: (level, text) => lines.push({ level, text, fields: JSON.parse(text) as Record<string, unknown> }),
  });
  const source = options.source ?? new CountingSource(VECTOR_SECRET);
  const secrets = options.store?.(source, logger) ?? secretStoreFor(source, config, logger);
  const handlers: HandlerSet = {
    ...(options.serveBlocking === false
      ? {}
      : { blocking: new Map<BlockingEventType, BlockingHandler>((options.blocking ?? []).map((h) => [h.event, h])) }),
    ...(options.serveNonBlocking === false
      ? {}
      : { nonBlocking: new Map<NonBlockingEventType, NonBlockingHandler>((options.nonBlocking ?? []).map((h) => [h.event, h])) }),
  };
  // Non-blocking events go through the queue processor, as in production, within the request.
  const queue = handlers.nonBlocking ? (options.queue ?? createInlineQueue({ handlers, config, logger })) : undefined;
  const app = createWebhookApp({
    handlers,
    secrets,
    config,
    logger,
    ...(queue ? { nonBlockingQueue: queue } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    app,
    source,
    lines,
    outcome: () => {
      const last = lines.at(-1);
      if (!last) throw new Error('nothing was logged');
      return last.fields;
    },
  };
}

export const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');

/** A POST with Authgear's headers for `body` signed with `secret`. */
export function signedRequest(path: string, body: string | Uint8Array, secret = VECTOR_SECRET): WebhookRequest {
  const bytes = typeof body === 'string' ? utf8(body) : body;
  return { method: 'POST', path, headers: authgearHeaders(bytes, secret), body: bytes };
}

export const deliver = (h: Harness, type: string, path = `/blocking/${type}`): Promise<WebhookResponse> =>
  h.app.handle(signedRequest(path, vector(type).body));

/** A small, valid envelope of any type, for the non-blocking routes. */
export const envelope = (type: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    id: '000000000000bd10',
    seq: 48400,
    type,
    payload: {},
    context: {
      timestamp: 1787217331,
      user_id: null,
      triggered_by: 'system',
      audit_context: {},
      preferred_languages: [],
      language: 'en',
      geo_location_code: null,
    },
    ...extra,
  });

export const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export const allowPreCreate = defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }));
