import { describe, expect, it } from 'vitest';
import { VECTOR_SECRET, vector } from '../../test/fixtures/authgear-vectors';
import { authgearHeaders } from '../../test/fixtures/go-json';
import { createWebhookApp, type WebhookApp, type WebhookRequest, type WebhookResponse } from './app';
import { readConfig } from './config';
import type { BlockingEventType, NonBlockingEventType } from './constants';
import {
  DEFAULT_ERROR_RESPONSE,
  defineBlockingHandler,
  defineNonBlockingHandler,
  type BlockingHandler,
  type HandlerContext,
  type HandlerSet,
  type NonBlockingHandler,
} from './handler';
import { createJsonLogger, type Logger } from './logger';
import { SecretStore, staticSecretSource, type SecretSource } from './secret';

// ---------------------------------------------------------------------------------------------
// Test harness
// ---------------------------------------------------------------------------------------------

const USER_ID = '5a2f4e7c-9b1d-4c3e-8f6a-0d2b7e9c1a34';
const USER_EMAIL = 'jane.doe@example.com';
const USER_IP = '81.2.69.160';

interface LogLine {
  readonly level: string;
  readonly text: string;
  readonly fields: Record<string, unknown>;
}

/** A secret source that counts its calls and can be switched to another value or to failing. */
class CountingSource implements SecretSource {
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

interface Harness {
  readonly app: WebhookApp;
  readonly source: CountingSource;
  readonly lines: LogLine[];
  /** The last line logged: the one-per-request outcome line. */
  readonly outcome: () => Record<string, unknown>;
}

interface HarnessOptions {
  readonly blocking?: readonly BlockingHandler[];
  readonly nonBlocking?: readonly NonBlockingHandler[];
  /** Leave out a map entirely, so its route is not served. */
  readonly serveBlocking?: boolean;
  readonly serveNonBlocking?: boolean;
  readonly env?: Record<string, string>;
  readonly source?: CountingSource;
  readonly store?: (source: SecretSource, logger: Logger) => SecretStore;
  readonly now?: () => number;
}

function harness(options: HarnessOptions = {}): Harness {
  // The signed vectors are from August 2026: the freshness check has its own tests below.
  const config = readConfig({ LOG_LEVEL: 'debug', MAX_EVENT_AGE_SECONDS: '0', ...options.env });
  const lines: LogLine[] = [];
  const logger = createJsonLogger({
    level: config.logLevel,
    sink: (level, text) => lines.push({ level, text, fields: JSON.parse(text) as Record<string, unknown> }),
  });
  const source = options.source ?? new CountingSource(VECTOR_SECRET);
  const secrets =
    options.store?.(source, logger) ??
    new SecretStore({ source, logger, ttlMs: config.secretCacheTtlMs, refreshIntervalMs: config.secretRefreshIntervalMs });
  const handlers: HandlerSet = {
    ...(options.serveBlocking === false
      ? {}
      : { blocking: new Map<BlockingEventType, BlockingHandler>((options.blocking ?? []).map((h) => [h.event, h])) }),
    ...(options.serveNonBlocking === false
      ? {}
      : { nonBlocking: new Map<NonBlockingEventType, NonBlockingHandler>((options.nonBlocking ?? []).map((h) => [h.event, h])) }),
  };
  const app = createWebhookApp({ handlers, secrets, config, logger, ...(options.now ? { now: options.now } : {}) });
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

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');

/** A POST with Authgear's headers for `body` signed with `secret`. */
function signedRequest(path: string, body: string | Uint8Array, secret = VECTOR_SECRET): WebhookRequest {
  const bytes = typeof body === 'string' ? utf8(body) : body;
  return { method: 'POST', path, headers: authgearHeaders(bytes, secret), body: bytes };
}

const deliver = (h: Harness, type: string, path = `/blocking/${type}`): Promise<WebhookResponse> =>
  h.app.handle(signedRequest(path, vector(type).body));

/** A small, valid envelope of any type, for the non-blocking routes. */
const envelope = (type: string, extra: Record<string, unknown> = {}): string =>
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

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

const allowPreCreate = defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }));

// ---------------------------------------------------------------------------------------------
// Routing, method and size
// ---------------------------------------------------------------------------------------------

describe('createWebhookApp: routes, method and size', () => {
  it('lists one route per blocking handler and one for the non-blocking URL', () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], nonBlocking: [defineNonBlockingHandler('user.created', () => undefined)] });

    // Act
    const paths = h.app.routes.map((r) => `${r.method} ${r.path}`);

    // Assess
    expect(paths).toEqual(['POST /blocking/user.pre_create', 'POST /non-blocking']);
  });

  it.each([
    ['an unknown path', '/nope'],
    ['a blocking event without a handler', '/blocking/user.profile.pre_update'],
    ['a path that only differs by a trailing slash', '/blocking/user.pre_create/'],
  ])('answers 404 for %s without fetching the secret', async (_name, path) => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate] });

    // Act
    const response = await h.app.handle(signedRequest(path, vector('user.pre_create').body));

    // Assess
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body)).toEqual({ error: 'not found' });
    expect(h.source.calls).toBe(0);
    expect(h.outcome()).toMatchObject({ status: 404, reason: 'not_found', outcome: 'rejected' });
  });

  it('answers 404 on the non-blocking URL when this process serves only blocking events', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], serveNonBlocking: false });

    // Act
    const response = await deliver(h, 'user.created', '/non-blocking');

    // Assess
    expect(response.status).toBe(404);
  });

  it.each(['GET', 'PUT', 'HEAD', 'post'])('answers 405 with "allow: POST" to %s on a served path', async (method) => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate] });
    const request = { ...signedRequest('/blocking/user.pre_create', vector('user.pre_create').body), method };

    // Act
    const response = await h.app.handle(request);

    // Assess
    expect(response.status).toBe(405);
    expect(response.headers).toMatchObject({ allow: 'POST', 'content-type': 'application/json' });
    expect(h.source.calls).toBe(0);
    expect(h.outcome()).toMatchObject({ reason: 'method_not_allowed', route: 'user.pre_create' });
  });

  it('answers 413 to a body one byte over MAX_BODY_BYTES before looking at the signature', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], env: { MAX_BODY_BYTES: '100' } });
    const request: WebhookRequest = { method: 'POST', path: '/blocking/user.pre_create', headers: {}, body: new Uint8Array(101) };

    // Act
    const response = await h.app.handle(request);

    // Assess
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ error: 'payload too large' });
    expect(h.source.calls).toBe(0);
    expect(h.outcome()).toMatchObject({ status: 413, reason: 'body_too_large' });
  });

  it('lets a body of exactly MAX_BODY_BYTES through to the signature check', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], env: { MAX_BODY_BYTES: '100' } });
    const request: WebhookRequest = { method: 'POST', path: '/blocking/user.pre_create', headers: {}, body: new Uint8Array(100) };

    // Act
    const response = await h.app.handle(request);

    // Assess
    expect(response.status).toBe(401);
  });

  it('answers 413 when the adapter flags bodyTooLarge, whatever the body it passes', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate] });
    const request: WebhookRequest = { ...signedRequest('/blocking/user.pre_create', vector('user.pre_create').body), bodyTooLarge: true };

    // Act
    const response = await h.app.handle(request);

    // Assess
    expect(response.status).toBe(413);
    expect(h.source.calls).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Signature and secret
// ---------------------------------------------------------------------------------------------

describe('createWebhookApp: signature and secret', () => {
  const body = vector('user.pre_create').body;
  const good = vector('user.pre_create').signature;

  it.each([
    ['missing', {}, 'signature_missing'],
    ['empty', { 'x-authgear-body-signature': '' }, 'signature_missing'],
    ['sent twice', { 'x-authgear-body-signature': [good, good] }, 'signature_header_duplicated'],
    ['not hex', { 'x-authgear-body-signature': 'z'.repeat(64) }, 'signature_not_hex'],
    ['63 characters long', { 'x-authgear-body-signature': good.slice(1) }, 'signature_wrong_length'],
    ['65 characters long', { 'x-authgear-body-signature': `${good}0` }, 'signature_wrong_length'],
  ])('answers 401 without touching the secret store when the signature header is %s', async (_name, headers, reason) => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate] });
    const request: WebhookRequest = { method: 'POST', path: '/blocking/user.pre_create', headers, body: utf8(body) };

    // Act
    const response = await h.app.handle(request);

    // Assess
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: 'unauthorized' });
    expect(h.source.calls).toBe(0);
    expect(h.outcome()).toMatchObject({ status: 401, reason, outcome: 'rejected' });
  });

  it('answers 401 to a well-formed signature made with another secret, after one secret fetch', async () => {
    // Prepare
    let called = false;
    const spy = defineBlockingHandler('user.pre_create', () => {
      called = true;
      return { is_allowed: true };
    });
    const h = harness({ blocking: [spy] });

    // Act
    const response = await h.app.handle(signedRequest('/blocking/user.pre_create', body, 'someone-else-s-secret-0123456789'));

    // Assess
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: 'unauthorized' });
    expect(h.source.calls).toBe(1);
    expect(called).toBe(false);
    expect(h.outcome()).toMatchObject({ reason: 'signature_mismatch' });
  });

  it('accepts the signature written in uppercase hex (hex case is not significant)', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate] });
    const request: WebhookRequest = {
      method: 'POST',
      path: '/blocking/user.pre_create',
      headers: { 'X-Authgear-Body-Signature': good.toUpperCase() },
      body: utf8(body),
    };

    // Act
    const response = await h.app.handle(request);

    // Assess
    expect(response.status).toBe(200);
  });

  it("answers 503 at the blocking deadline when the secret source hangs, instead of running out Authgear's 5 s", async () => {
    // Prepare
    const hanging: SecretSource = { kind: 'hanging-test-source', fetch: () => never() };
    const h = harness({
      blocking: [allowPreCreate],
      env: { BLOCKING_DEADLINE_MS: '50' },
      store: (_source, logger) => new SecretStore({ source: hanging, logger, ttlMs: 300_000, refreshIntervalMs: 30_000 }),
    });
    const started = performance.now();

    // Act
    const response = await deliver(h, 'user.pre_create');
    const elapsed = performance.now() - started;

    // Assess
    expect(response.status).toBe(503);
    expect(elapsed).toBeLessThan(50 + 200);
    expect(h.outcome()).toMatchObject({ status: 503, reason: 'secret_unavailable' });
    expect(String(h.outcome().msg)).toContain('deadline');
  });

  it('answers 503 with a generic body when the secret source fails and nothing is cached', async () => {
    // Prepare
    const source = new CountingSource(VECTOR_SECRET);
    source.failWith(new Error('AccessDeniedException: arn:aws:secretsmanager:eu-west-1:123456789012:secret:hook'));
    const h = harness({ blocking: [allowPreCreate], source });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body)).toEqual({ error: 'service unavailable' });
    expect(response.body).not.toContain('AccessDenied');
    expect(response.headers['retry-after']).toBe('5');
    expect(source.calls).toBe(1);
    expect(h.outcome()).toMatchObject({ status: 503, reason: 'secret_unavailable', level: 'error' });
  });

  it('accepts a request signed with a rotated secret after exactly one refresh of the cached one', async () => {
    // Prepare
    const OLD = 'oldOldOldOldOldOldOldOldOldOld_1';
    const NEW = 'newNewNewNewNewNewNewNewNewNew_2';
    let clock = 1_000_000;
    const source = new CountingSource(OLD);
    const h = harness({
      blocking: [allowPreCreate],
      source,
      store: (s, logger) => new SecretStore({ source: s, logger, ttlMs: 300_000, refreshIntervalMs: 30_000, now: () => clock }),
    });
    const first = await h.app.handle(signedRequest('/blocking/user.pre_create', body, OLD));
    source.setValue(NEW);
    clock += 31_000;

    // Act
    const rotated = await h.app.handle(signedRequest('/blocking/user.pre_create', body, NEW));
    const again = await h.app.handle(signedRequest('/blocking/user.pre_create', body, NEW));

    // Assess
    expect(first.status).toBe(200);
    expect(rotated.status).toBe(200);
    expect(again.status).toBe(200);
    expect(source.calls).toBe(2);
  });

  it('does not re-fetch the secret on a mismatch within the refresh interval', async () => {
    // Prepare
    const source = new CountingSource(VECTOR_SECRET);
    const h = harness({ blocking: [allowPreCreate], source, env: { SECRET_REFRESH_INTERVAL_SECONDS: '30' } });
    await deliver(h, 'user.pre_create');

    // Act
    const forged = await h.app.handle(signedRequest('/blocking/user.pre_create', body, 'forged-forged-forged-forged-0000'));

    // Assess
    expect(forged.status).toBe(401);
    expect(source.calls).toBe(1);
  });

  it('answers 500 with a generic body and logs internal_error when the secret store itself breaks', async () => {
    // Prepare
    class BrokenStore extends SecretStore {
      override get(): Promise<readonly string[]> {
        return Promise.reject(new Error('store exploded at line 42'));
      }
    }
    const h = harness({
      blocking: [allowPreCreate],
      store: (source, logger) => new BrokenStore({ source, logger, ttlMs: 1000, refreshIntervalMs: 1000 }),
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: 'internal error' });
    expect(h.outcome()).toMatchObject({ reason: 'internal_error', error_message: 'store exploded at line 42' });
  });
});

// ---------------------------------------------------------------------------------------------
// Envelope and route/type match
// ---------------------------------------------------------------------------------------------

describe('createWebhookApp: envelope', () => {
  // Valid JSON except for two bytes that are not UTF-8 inside a string.
  const invalidUtf8 = Buffer.concat([
    utf8('{"id":"000000000000bd10","type":"user.created","payload":{"name":"'),
    Buffer.from([0xff, 0xfe]),
    utf8('"},"context":{}}'),
  ]);

  it.each([
    ['invalid JSON', utf8('{"id":"000000000000bd10","type":"user.created"')],
    ['a JSON array', utf8(`[${envelope('user.created')}]`)],
    ['a JSON string', utf8('"user.created"')],
    ['JSON null', utf8('null')],
    ['an empty body', utf8('')],
    ['an envelope without type', utf8(envelope('user.created', { type: undefined }))],
    ['an envelope with an empty type', utf8(envelope(''))],
    ['an envelope with a numeric type', utf8(envelope('user.created', { type: 7 }))],
    ['an envelope with a numeric id', utf8(envelope('user.created', { id: 48400 }))],
    ['an envelope without payload', utf8(envelope('user.created', { payload: undefined }))],
    ['an envelope whose payload is null', utf8(envelope('user.created', { payload: null }))],
    ['an envelope without context', utf8(envelope('user.created', { context: undefined }))],
    ['an envelope whose context is an array', utf8(envelope('user.created', { context: [] }))],
    ['a body that is not valid UTF-8', invalidUtf8],
  ])('answers 400 to a correctly signed body that is %s', async (_name, body) => {
    // Prepare
    let called = false;
    const h = harness({ nonBlocking: [defineNonBlockingHandler('user.created', () => void (called = true))] });

    // Act
    const response = await h.app.handle(signedRequest('/non-blocking', body));

    // Assess
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'body is not an Authgear event' });
    expect(called).toBe(false);
    expect(h.outcome()).toMatchObject({ status: 400, reason: 'invalid_envelope' });
  });

  it('builds the invalid UTF-8 body so that a lenient decoder would have accepted it', () => {
    // Prepare
    const lenient = new TextDecoder('utf-8');

    // Act
    const parsed = JSON.parse(lenient.decode(invalidUtf8)) as { type: string; payload: { name: string } };

    // Assess
    expect(parsed.type).toBe('user.created');
    expect(parsed.payload.name).toContain('\ufffd');
  });

  it('answers 400 to a user.created event posted to the user.pre_create URL and logs that the URL is wrong', async () => {
    // Prepare
    let called = false;
    const spy = defineBlockingHandler('user.pre_create', () => {
      called = true;
      return { is_allowed: true };
    });
    const h = harness({ blocking: [spy] });

    // Act
    const response = await deliver(h, 'user.created', '/blocking/user.pre_create');

    // Assess
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'event type does not match this URL' });
    expect(called).toBe(false);
    const line = h.outcome();
    expect(line).toMatchObject({ reason: 'route_type_mismatch', event_type: 'user.created', route: 'user.pre_create' });
    expect(line.msg).toMatch(/user\.pre_create/);
    expect(line.msg).toMatch(/user\.created/);
    expect(line.msg).toMatch(/wrong URL/);
  });

  it('answers 400 to a blocking event posted to the non-blocking URL and logs the URL it belongs to', async () => {
    // Prepare
    const h = harness({ nonBlocking: [defineNonBlockingHandler('user.created', () => undefined)] });

    // Act
    const response = await deliver(h, 'user.pre_create', '/non-blocking');

    // Assess
    expect(response.status).toBe(400);
    expect(h.outcome()).toMatchObject({ reason: 'route_type_mismatch', event_type: 'user.pre_create' });
    expect(h.outcome().msg).toContain('/blocking/user.pre_create');
  });
});

// ---------------------------------------------------------------------------------------------
// Blocking handlers
// ---------------------------------------------------------------------------------------------

describe('createWebhookApp: blocking handlers', () => {
  it.each([
    ['a plain allow', { is_allowed: true }],
    ['a deny with title and reason', { is_allowed: false, title: 'Sign-up blocked', reason: 'Use a permanent e-mail address.' }],
    ['an allow with user mutations', { is_allowed: true, mutations: { user: { custom_attributes: { plan: 'free' }, roles: ['member'] } } }],
  ] as const)('answers 200 with exactly the JSON of %s', async (_name, answer) => {
    // Prepare
    const h = harness({ blocking: [defineBlockingHandler('user.pre_create', () => structuredClone(answer) as never)] });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toBe(JSON.stringify(answer));
    expect(h.outcome()).toMatchObject({ status: 200, outcome: answer.is_allowed ? 'allowed' : 'denied' });
  });

  it('passes the parsed event and a context with a live signal and the deadline to the handler', async () => {
    // Prepare
    let seen: { id: string; email: string | undefined; aborted: boolean; deadline: number } | undefined;
    const before = Date.now();
    const h = harness({
      blocking: [
        defineBlockingHandler('user.pre_create', (event, context) => {
          seen = {
            id: event.id,
            email: event.payload.user.standard_attributes.email,
            aborted: context.signal.aborted,
            deadline: context.deadline,
          };
          return { is_allowed: true };
        }),
      ],
      env: { BLOCKING_DEADLINE_MS: '3000' },
    });

    // Act
    await deliver(h, 'user.pre_create');

    // Assess
    expect(seen?.id).toBe('000000000000bc55');
    expect(seen?.email).toBe(USER_EMAIL);
    expect(seen?.aborted).toBe(false);
    expect(seen?.deadline).toBeGreaterThanOrEqual(before + 3000);
    expect(seen?.deadline).toBeLessThanOrEqual(Date.now() + 3000);
  });

  it('answers the generic deny of the default policy and logs handler_threw when the handler rejects', async () => {
    // Prepare
    const h = harness({
      blocking: [defineBlockingHandler('user.pre_create', async () => Promise.reject(new Error('CRM down: jane.doe@example.com')))],
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(h.outcome()).toMatchObject({
      level: 'error',
      reason: 'handler_threw',
      outcome: 'error_policy_deny',
      error_message: 'CRM down: [redacted]', // no personal data in logs without LOG_PERSONAL_DATA
    });
  });

  it('handles a synchronous throw like a rejection', async () => {
    // Prepare
    const h = harness({
      blocking: [
        defineBlockingHandler('user.pre_create', () => {
          throw new TypeError('sync boom');
        }),
      ],
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(h.outcome()).toMatchObject({ reason: 'handler_threw', error_name: 'TypeError', error_message: 'sync boom' });
  });

  it('answers a thrown non-Error value by the policy too', async () => {
    // Prepare
    const h = harness({
      blocking: [
        defineBlockingHandler('user.pre_create', () => {
          throw 'a string';
        }),
      ],
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(h.outcome()).toMatchObject({ reason: 'handler_threw', error_message: 'a string' });
  });

  it('answers the configured title and reason when a deny-policy handler fails', async () => {
    // Prepare
    const failing = defineBlockingHandler(
      'user.pre_create',
      () => {
        throw new Error('x');
      },
      { errorResponse: { title: 'Try later', reason: 'Sign-up is paused.' } },
    );
    const h = harness({ blocking: [failing] });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(JSON.parse(response.body)).toEqual({ is_allowed: false, title: 'Try later', reason: 'Sign-up is paused.' });
  });

  it('answers {"is_allowed":true} when an allow-policy handler fails', async () => {
    // Prepare
    const failing = defineBlockingHandler(
      'user.pre_create',
      () => {
        throw new Error('x');
      },
      { onError: 'allow' },
    );
    const h = harness({ blocking: [failing] });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toBe('{"is_allowed":true}');
    expect(h.outcome()).toMatchObject({ outcome: 'error_policy_allow', reason: 'handler_threw' });
  });

  it('answers by the policy within the deadline and aborts the signal when the handler never answers', async () => {
    // Prepare
    let context: HandlerContext | undefined;
    const h = harness({
      blocking: [
        defineBlockingHandler('user.pre_create', (_event, ctx) => {
          context = ctx;
          return never();
        }),
      ],
      env: { BLOCKING_DEADLINE_MS: '50' },
    });
    const started = performance.now();

    // Act
    const response = await deliver(h, 'user.pre_create');
    const elapsed = performance.now() - started;

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(elapsed).toBeGreaterThanOrEqual(45);
    expect(elapsed).toBeLessThan(50 + 200);
    expect(context?.signal.aborted).toBe(true);
    expect(h.outcome()).toMatchObject({ reason: 'deadline_exceeded', outcome: 'error_policy_deny' });
  });

  it('answers {"is_allowed":true} at the deadline for an allow-policy handler that never answers', async () => {
    // Prepare
    const h = harness({
      blocking: [defineBlockingHandler('user.pre_create', () => never(), { onError: 'allow' })],
      env: { BLOCKING_DEADLINE_MS: '50' },
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.body).toBe('{"is_allowed":true}');
    expect(h.outcome()).toMatchObject({ reason: 'deadline_exceeded' });
  });

  it('does not call the handler when the deadline has already passed on arrival', async () => {
    // Prepare
    let called = false;
    let clock = 0;
    const h = harness({
      blocking: [
        defineBlockingHandler('user.pre_create', () => {
          called = true;
          return { is_allowed: true };
        }),
      ],
      env: { BLOCKING_DEADLINE_MS: '1000' },
      // The first reading is the arrival; every later one is far past the deadline.
      now: () => {
        const value = clock;
        clock = 10_000;
        return value;
      },
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(called).toBe(false);
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(h.outcome()).toMatchObject({ reason: 'deadline_exceeded' });
  });

  it('lets a handler promise that rejects after the deadline pass without an unhandled rejection', async () => {
    // Prepare
    const unhandled: unknown[] = [];
    const listener = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', listener);
    const h = harness({
      blocking: [
        defineBlockingHandler(
          'user.pre_create',
          () => new Promise((_resolve, reject) => setTimeout(() => reject(new Error('late failure')), 80)),
        ),
      ],
      env: { BLOCKING_DEADLINE_MS: '50' },
    });

    try {
      // Act
      const response = await deliver(h, 'user.pre_create');
      await new Promise((resolve) => setTimeout(resolve, 120));

      // Assess
      expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it.each([
    ['constraints on user.pre_create', { is_allowed: true, constraints: { amr: ['mfa'] } }, 'constraints'],
    ['a title with is_allowed true', { is_allowed: true, title: 'Welcome' }, 'title'],
    ['is_allowed as a string', { is_allowed: 'true' }, 'is_allowed'],
    ['an empty object', {}, 'is_allowed'],
    ['mutations on a deny', { is_allowed: false, mutations: {} }, 'mutations'],
    ['a bare boolean', true, ''],
  ])('answers by the policy and logs the violations when the handler returns %s', async (_name, answer, path) => {
    // Prepare
    const h = harness({ blocking: [defineBlockingHandler('user.pre_create', () => answer as never)] });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    const line = h.outcome();
    expect(line).toMatchObject({ level: 'error', reason: 'invalid_response', outcome: 'error_policy_deny' });
    expect(line.violations).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  });

  it.each([
    ['undefined', () => undefined],
    ['an object holding a BigInt', () => ({ is_allowed: true, weight: 1n })],
    [
      'a circular object',
      () => {
        const answer: Record<string, unknown> = { is_allowed: true };
        answer.self = answer;
        return answer;
      },
    ],
  ])('answers by the policy when the handler returns %s, which is not JSON', async (_name, make) => {
    // Prepare
    const h = harness({ blocking: [defineBlockingHandler('user.pre_create', () => make() as never)] });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(h.outcome()).toMatchObject({ reason: 'invalid_response', outcome: 'error_policy_deny' });
    expect(h.outcome().msg).toMatch(/not JSON/);
  });

  it('answers an oidc.jwt.pre_create mutation that keeps every claim and adds one with exactly that JSON', async () => {
    // Prepare
    const h = harness({
      blocking: [
        defineBlockingHandler('oidc.jwt.pre_create', (event) => ({
          is_allowed: true,
          mutations: { jwt: { payload: { ...event.payload.jwt.payload, 'https://example.com/tenant': 'acme' } } },
        })),
      ],
    });

    // Act
    const response = await deliver(h, 'oidc.jwt.pre_create');

    // Assess
    expect(response.status).toBe(200);
    const sent = JSON.parse(response.body) as { mutations: { jwt: { payload: Record<string, unknown> } } };
    expect(sent.mutations.jwt.payload['https://example.com/tenant']).toBe('acme');
    expect(sent.mutations.jwt.payload.sub).toBe(USER_ID);
  });

  it('answers by the policy when an oidc.jwt.pre_create mutation drops an original claim', async () => {
    // Prepare
    const h = harness({
      blocking: [
        defineBlockingHandler('oidc.jwt.pre_create', (event) => {
          const { sub: _dropped, ...rest } = event.payload.jwt.payload;
          return { is_allowed: true, mutations: { jwt: { payload: { ...rest, 'https://example.com/tenant': 'acme' } } } };
        }),
      ],
    });

    // Act
    const response = await deliver(h, 'oidc.jwt.pre_create');

    // Assess
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(h.outcome()).toMatchObject({ reason: 'invalid_response' });
    expect(h.outcome().violations).toEqual([expect.objectContaining({ path: 'mutations.jwt.payload.sub' })]);
  });
});

// ---------------------------------------------------------------------------------------------
// Non-blocking handlers
// ---------------------------------------------------------------------------------------------

describe('createWebhookApp: non-blocking handlers', () => {
  it('answers 500 at NON_BLOCKING_DEADLINE_MS and aborts the signal when the handler never finishes', async () => {
    // Prepare
    let context: HandlerContext | undefined;
    const h = harness({
      nonBlocking: [
        defineNonBlockingHandler('user.created', (_event, ctx) => {
          context = ctx;
          return never();
        }),
      ],
      env: { NON_BLOCKING_DEADLINE_MS: '50' },
    });

    // Act
    const response = await deliver(h, 'user.created', '/non-blocking');

    // Assess
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: 'handler failed' });
    expect(context?.signal.aborted).toBe(true);
    expect(h.outcome()).toMatchObject({ level: 'error', reason: 'deadline_exceeded', outcome: 'handler_failed' });
  });

  it('answers 200 {"received":true} after the handler ran with the parsed event', async () => {
    // Prepare
    const seen: string[] = [];
    const h = harness({ nonBlocking: [defineNonBlockingHandler('user.created', async (event) => void seen.push(event.payload.user.id))] });

    // Act
    const response = await deliver(h, 'user.created', '/non-blocking');

    // Assess
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ received: true });
    expect(seen).toEqual([USER_ID]);
    expect(h.outcome()).toMatchObject({ outcome: 'handled', status: 200, event_type: 'user.created' });
  });

  it('answers 500 with a generic body and an error log when the handler throws', async () => {
    // Prepare
    const h = harness({
      nonBlocking: [
        defineNonBlockingHandler('user.created', async () => {
          throw new Error('CRM rejected jane.doe@example.com');
        }),
      ],
    });

    // Act
    const response = await deliver(h, 'user.created', '/non-blocking');

    // Assess
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: 'handler failed' });
    expect(h.outcome()).toMatchObject({
      level: 'error',
      reason: 'handler_threw',
      outcome: 'handler_failed',
      error_message: 'CRM rejected [redacted]', // no personal data in logs without LOG_PERSONAL_DATA
    });
  });

  it('answers 500 when the handler throws synchronously', async () => {
    // Prepare
    const h = harness({
      nonBlocking: [
        defineNonBlockingHandler('user.created', () => {
          throw new Error('sync');
        }),
      ],
    });

    // Act
    const response = await deliver(h, 'user.created', '/non-blocking');

    // Assess
    expect(response.status).toBe(500);
  });

  it('acknowledges an unknown future event type with 200 and outcome ignored', async () => {
    // Prepare
    const h = harness({ nonBlocking: [defineNonBlockingHandler('user.created', () => undefined)] });

    // Act
    const response = await h.app.handle(signedRequest('/non-blocking', envelope('future.event')));

    // Assess
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ received: true });
    expect(h.outcome()).toMatchObject({ outcome: 'ignored', event_type: 'future.event' });
  });

  it('acknowledges a known event type that has no handler with 200 and outcome ignored', async () => {
    // Prepare
    let called = false;
    const h = harness({ nonBlocking: [defineNonBlockingHandler('user.created', () => void (called = true))] });

    // Act
    const response = await h.app.handle(signedRequest('/non-blocking', envelope('user.deleted')));

    // Assess
    expect(response.status).toBe(200);
    expect(called).toBe(false);
    expect(h.outcome()).toMatchObject({ outcome: 'ignored', event_type: 'user.deleted' });
  });
});

// ---------------------------------------------------------------------------------------------
// What leaves the process: responses and logs
// ---------------------------------------------------------------------------------------------

describe('createWebhookApp: responses and logs', () => {
  const SECRET_MESSAGE = 'db password is hunter2 for jane.doe@example.com';

  const scenarios = (): Array<{ name: string; run: () => Promise<{ response: WebhookResponse; h: Harness }> }> => {
    const thrower = (): never => {
      const error = new Error(SECRET_MESSAGE);
      error.stack = `Error: ${SECRET_MESSAGE}\n    at handler (/var/task/functions/blocking/user.pre_create.ts:3:9)`;
      throw error;
    };
    return [
      {
        name: 'blocking throw, deny',
        run: async () => {
          const h = harness({ blocking: [defineBlockingHandler('user.pre_create', thrower)] });
          return { h, response: await deliver(h, 'user.pre_create') };
        },
      },
      {
        name: 'blocking throw, allow',
        run: async () => {
          const h = harness({ blocking: [defineBlockingHandler('user.pre_create', thrower, { onError: 'allow' })] });
          return { h, response: await deliver(h, 'user.pre_create') };
        },
      },
      {
        name: 'non-blocking throw',
        run: async () => {
          const h = harness({ nonBlocking: [defineNonBlockingHandler('user.created', thrower)] });
          return { h, response: await deliver(h, 'user.created', '/non-blocking') };
        },
      },
      {
        name: 'secret source failure',
        run: async () => {
          const source = new CountingSource(VECTOR_SECRET);
          source.failWith(new Error(SECRET_MESSAGE));
          const h = harness({ blocking: [allowPreCreate], source });
          return { h, response: await deliver(h, 'user.pre_create') };
        },
      },
    ];
  };

  it('never puts a stack trace or the thrown message in a response body', async () => {
    // Prepare
    const all = scenarios();

    // Act
    const results = await Promise.all(all.map(async (s) => ({ name: s.name, ...(await s.run()) })));

    // Assess
    for (const { name, response, h } of results) {
      expect(response.body, name).not.toContain('hunter2');
      expect(response.body, name).not.toContain(' at ');
      expect(response.body, name).not.toContain('.ts:');
      // The message did reach the logs, so the assertion above is about the body only.
      expect(
        h.lines.some((l) => l.text.includes('hunter2')),
        name,
      ).toBe(true);
    }
  });

  it('logs event_id, event_type, status, outcome and latency_ms once per delivery', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], env: { LOG_LEVEL: 'info' } });

    // Act
    await deliver(h, 'user.pre_create');

    // Assess
    expect(h.lines).toHaveLength(1);
    const line = h.outcome();
    expect(line).toMatchObject({
      level: 'info',
      event_id: '000000000000bc55',
      event_type: 'user.pre_create',
      status: 200,
      outcome: 'allowed',
    });
    expect(typeof line.latency_ms).toBe('number');
    expect(line.latency_ms).toBeGreaterThanOrEqual(0);
    expect(typeof line.handler_ms).toBe('number');
  });

  it('keeps e-mail, IP address and user id out of every log line by default, even at debug level', async () => {
    // Prepare
    const blocking = harness({
      blocking: [
        allowPreCreate,
        defineBlockingHandler('oidc.jwt.pre_create', () => ({ is_allowed: true, constraints: {} }) as never),
        defineBlockingHandler('user.profile.pre_update', () => {
          throw new Error('x');
        }),
      ],
      env: { LOG_LEVEL: 'debug' },
    });
    const nonBlocking = harness({ nonBlocking: [defineNonBlockingHandler('user.created', () => undefined)], env: { LOG_LEVEL: 'debug' } });

    // Act
    await deliver(blocking, 'user.pre_create');
    await deliver(blocking, 'oidc.jwt.pre_create');
    await deliver(blocking, 'user.profile.pre_update');
    await deliver(blocking, 'user.created', '/blocking/user.pre_create');
    await deliver(nonBlocking, 'user.created', '/non-blocking');
    await deliver(nonBlocking, 'user.authenticated', '/non-blocking');

    // Assess
    const text = [...blocking.lines, ...nonBlocking.lines].map((l) => l.text).join('\n');
    expect(blocking.lines.length + nonBlocking.lines.length).toBeGreaterThanOrEqual(6);
    expect(text).not.toContain(USER_EMAIL);
    expect(text).not.toContain(USER_IP);
    expect(text).not.toContain(USER_ID);
  });

  it('adds the user id to the logs with LOG_PERSONAL_DATA=true and LOG_LEVEL=debug', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], env: { LOG_LEVEL: 'debug', LOG_PERSONAL_DATA: 'true' } });

    // Act
    await deliver(h, 'user.pre_create');

    // Assess
    expect(h.outcome()).toMatchObject({ user_id: USER_ID, event_id: '000000000000bc55' });
    expect(h.lines.some((l) => l.level === 'debug' && l.text.includes(USER_ID))).toBe(true);
  });

  it('prefixes the handler logger lines with event_id and event_type', async () => {
    // Prepare
    const h = harness({
      nonBlocking: [
        defineNonBlockingHandler('user.created', (_event, { logger }) => {
          logger.info('synced', { crm_id: 'c-1' });
        }),
      ],
    });

    // Act
    await deliver(h, 'user.created', '/non-blocking');

    // Assess
    const handlerLine = h.lines.find((l) => l.fields.msg === 'synced');
    expect(handlerLine?.fields).toMatchObject({ event_id: '000000000000bc56', event_type: 'user.created', crm_id: 'c-1' });
  });
});

describe('createWebhookApp: freshness and replays', () => {
  /** Seconds of `context.timestamp` in the vectors. */
  const stamped = (type: string): number => (JSON.parse(vector(type).body) as { context: { timestamp: number } }).context.timestamp;

  it('accepts a signed event within MAX_EVENT_AGE_SECONDS of its timestamp', async () => {
    // Prepare
    const sentAt = stamped('user.pre_create') * 1000;
    const h = harness({ blocking: [allowPreCreate], env: { MAX_EVENT_AGE_SECONDS: '300' }, now: () => sentAt + 299_000 });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(200);
  });

  it('refuses a signed event older than MAX_EVENT_AGE_SECONDS with 401 and reason timestamp_stale, before the handler runs', async () => {
    // Prepare
    let ran = false;
    const sentAt = stamped('user.pre_create') * 1000;
    const h = harness({
      blocking: [defineBlockingHandler('user.pre_create', () => ((ran = true), { is_allowed: true }))],
      env: { MAX_EVENT_AGE_SECONDS: '300' },
      now: () => sentAt + 301_000,
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(401);
    expect(response.body).toBe('{"error":"unauthorized"}');
    expect(ran).toBe(false);
    expect(h.outcome()).toMatchObject({ reason: 'timestamp_stale', event_id: '000000000000bc55' });
  });

  it('refuses a signed event stamped beyond MAX_CLOCK_SKEW_SECONDS in the future with reason timestamp_in_future', async () => {
    // Prepare
    const sentAt = stamped('user.created') * 1000;
    const h = harness({ env: { MAX_EVENT_AGE_SECONDS: '300', MAX_CLOCK_SKEW_SECONDS: '60' }, now: () => sentAt - 61_000 });

    // Act
    const response = await deliver(h, 'user.created', '/non-blocking');

    // Assess
    expect(response.status).toBe(401);
    expect(h.outcome()).toMatchObject({ reason: 'timestamp_in_future' });
  });

  it('answers a repeated blocking event id only once when REJECT_REPEATED_BLOCKING_EVENTS is on', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], env: { REJECT_REPEATED_BLOCKING_EVENTS: 'true' } });

    // Act
    const first = await deliver(h, 'user.pre_create');
    const second = await deliver(h, 'user.pre_create');

    // Assess
    expect(first.status).toBe(200);
    expect(second.status).toBe(401);
    expect(h.outcome()).toMatchObject({ reason: 'replayed_event' });
  });

  it('answers a repeated blocking event id again by default', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate] });

    // Act
    const statuses = [(await deliver(h, 'user.pre_create')).status, (await deliver(h, 'user.pre_create')).status];

    // Assess
    expect(statuses).toEqual([200, 200]);
  });

  it('refuses a signed envelope whose context has no numeric timestamp with 400', async () => {
    // Prepare
    const h = harness();
    const body = JSON.stringify({
      id: '0000000000000001',
      seq: 1,
      type: 'user.created',
      payload: {},
      context: { timestamp: '1787217331' },
    });

    // Act
    const response = await h.app.handle(signedRequest('/non-blocking', body));

    // Assess
    expect(response.status).toBe(400);
    expect(h.outcome()).toMatchObject({ reason: 'invalid_envelope' });
  });
});

describe('createWebhookApp: a string body stands for its UTF-8 bytes', () => {
  /** The same delivery with the body as bytes and as the string the Lambda adapter passes on. */
  const both = async (body: string, secret = VECTOR_SECRET) => {
    const seen: unknown[] = [];
    const handler = defineBlockingHandler('user.pre_create', (event) => {
      seen.push(event);
      return { is_allowed: true };
    });
    const results = [];
    for (const form of ['bytes', 'string'] as const) {
      const h = harness({ blocking: [handler] });
      const request = signedRequest('/blocking/user.pre_create', body, secret);
      const response = await h.app.handle(form === 'string' ? { ...request, body } : request);
      results.push({ status: response.status, body: response.body, reason: h.outcome().reason });
    }
    return { results, seen };
  };

  it.each([
    ['a signed vector', vector('user.pre_create').body],
    ['a body that starts with a byte-order mark', `\ufeff${vector('user.pre_create').body}`],
    ['a body with a lone surrogate (sent as U+FFFD)', vector('user.pre_create').body.replace('"payload":{', '"payload":{"odd":"\ud800",')],
    ['a signed body that is not JSON', 'not JSON \ud83d\ude00'],
  ])('answers %s the same way and hands over the same event', async (_name, body) => {
    // Act
    const { results, seen } = await both(body);

    // Assess
    expect(results[1]).toEqual(results[0]);
    expect(seen).toHaveLength(results[0]!.status === 200 ? 2 : 0);
    if (seen.length === 2) expect(seen[1]).toEqual(seen[0]);
  });

  it('counts a string body by its UTF-8 bytes against MAX_BODY_BYTES', async () => {
    // Prepare: 6 characters, 12 bytes
    const h = harness({ blocking: [allowPreCreate], env: { MAX_BODY_BYTES: '11' } });
    const body = 'éééééé';

    // Act
    const response = await h.app.handle({ ...signedRequest('/blocking/user.pre_create', body), body });

    // Assess
    expect(response.status).toBe(413);
  });
});

describe('createWebhookApp: the warm path', () => {
  it('writes the one line of an allowed request with the same keys in the same order', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], env: { LOG_LEVEL: 'info' } });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json', 'x-authgear-webhooks-answer': 'handler' },
      body: '{"is_allowed":true}',
    });
    expect(h.lines).toHaveLength(1);
    expect(Object.keys(h.outcome())).toEqual([
      'level',
      'time',
      'msg',
      'method',
      'path',
      'route',
      'event_id',
      'event_type',
      'handler_ms',
      'status',
      'outcome',
      'latency_ms',
    ]);
    expect(h.outcome()).toMatchObject({ level: 'info', msg: 'blocking event answered', outcome: 'allowed', status: 200 });
  });

  it('checks an answer that only serialises to {"is_allowed":true} like any other', async () => {
    // Prepare: undefined and function values are left out by JSON.stringify
    const h = harness({
      blocking: [defineBlockingHandler('user.pre_create', () => ({ is_allowed: true, title: undefined, note: () => 1 }) as never)],
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.body).toBe('{"is_allowed":true}');
    expect(h.outcome()).toMatchObject({ outcome: 'allowed' });
  });

  it('rejects a throwing logger as a rejected promise, not a synchronous throw', async () => {
    // Prepare
    const config = readConfig({ MAX_EVENT_AGE_SECONDS: '0' });
    const failing: Logger = {
      debug: () => undefined,
      info: () => {
        throw new Error('sink closed');
      },
      warn: () => undefined,
      error: () => undefined,
    };
    const secrets = new SecretStore({
      source: staticSecretSource(VECTOR_SECRET),
      logger: failing,
      ttlMs: 60_000,
      refreshIntervalMs: 1_000,
    });
    await secrets.get();
    const app = createWebhookApp({
      handlers: { blocking: new Map([['user.pre_create', allowPreCreate]]) as never },
      secrets,
      config,
      logger: failing,
    });

    // Act
    let result: Promise<unknown> | undefined;
    const call = () => (result = app.handle(signedRequest('/blocking/user.pre_create', vector('user.pre_create').body)));

    // Assess
    expect(call).not.toThrow();
    await expect(result).rejects.toThrow('sink closed');
  });
});
