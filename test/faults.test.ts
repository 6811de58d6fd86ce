/**
 * Fault tests: what a deployed function does when Secrets Manager fails, hangs or changes the
 * secret, and when a handler throws, hangs or answers something Authgear would reject.
 *
 * Everything runs through the Lambda adapter (or the local server) with the real
 * `@aws-sdk/client-secrets-manager`, against the local fake of the Secrets Manager wire protocol
 * (test/support/secrets-manager-server.ts), on the real clock. Each test uses its own secret id,
 * so the GetSecretValue counts it asserts are its own.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLambdaHandler, type LambdaHandler } from '../shared/adapters/lambda';
import type { LoadedHandlerModule } from '../shared/core/assemble';
import { DEFAULT_ERROR_RESPONSE, defineBlockingHandler, type BlockingHandler } from '../shared/core/handler';
import { startLocalServer } from '../shared/local/server';
import { VECTORS } from './fixtures/authgear-vectors';
import { authgearHeaders, goJson } from './fixtures/go-json';
import type { FakeSecretsManager } from './support/secrets-manager-server';
import { useFakeSecretsManager } from './support/use-fake-secrets-manager';
import { FIXTURE_FUNCTIONS_DIR } from './support/fixture-handlers';
import { REPO_ROOT } from './support/paths';
import { captureLogs, type LogEntry } from './support/capture-logs';

const REPO = REPO_ROOT;
const SECRET = 'Fq7tWm2Zp9Kc4Xv8Rb1Ny6Hd3Lg5Js0A';
const NEW_SECRET = 'Ne3wS9ecR7etV4aLu2eQ8zT6yU1iO5pK';
const UNAVAILABLE = '{"error":"service unavailable"}';
const UNAUTHORIZED = '{"error":"unauthorized"}';
const DEADLINE_MS = 800;

let fake: FakeSecretsManager;
useFakeSecretsManager((started) => (fake = started));

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const callsFor = (secretId: string): number => fake.calls.filter((call) => call.secretId === secretId).length;

let nextId = 0xfa000;

/** A vector of `type`, stamped now with a new id and signed with `secret`, as API Gateway hands it to Lambda. */
function delivery(type: string, secret: string): APIGatewayProxyEventV2 {
  const vector = VECTORS.find((v) => v.type === type);
  if (!vector) throw new Error(`no vector for ${type}`);
  const event = JSON.parse(vector.body) as { id: string; context: { timestamp: number } };
  event.id = (nextId++).toString(16).padStart(16, '0');
  event.context.timestamp = Math.floor(Date.now() / 1000);
  const body = goJson(event);
  const path = type === 'user.created' || type === 'user.authenticated' ? '/non-blocking' : `/blocking/${type}`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { ...authgearHeaders(body, secret), 'user-agent': 'Go-http-client/1.1' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'faults',
      domainName: 'faults.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'faults',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Go-http-client/1.1' },
      requestId: `faults-${event.id}`,
      routeKey: '$default',
      stage: '$default',
      time: '26/Nov/2026:12:00:00 +0000',
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
}

const modulesOf = (handlers: readonly BlockingHandler[]): LoadedHandlerModule[] =>
  handlers.map((h) => ({ file: `functions/blocking/${h.event}.ts`, kind: 'blocking', eventType: h.event, exported: h }));

const allowPreCreate = defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }));

/** A blocking function as deployed: the secret from Secrets Manager by id, handlers from `modules`. */
function blockingFunction(
  secretId: string,
  env: Record<string, string>,
  logger = captureLogs().logger,
  handlers: readonly BlockingHandler[] = [allowPreCreate],
): LambdaHandler {
  return createLambdaHandler({
    serve: 'blocking',
    modules: modulesOf(handlers),
    env: { AUTHGEAR_WEBHOOK_SECRET_ID: secretId, BLOCKING_DEADLINE_MS: String(DEADLINE_MS), ...env },
    logger,
  });
}

/** Invokes and measures on the real clock. */
async function timed(fn: LambdaHandler, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2 & { elapsedMs: number }> {
  const started = performance.now();
  const result = await fn(event);
  return { ...result, elapsedMs: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------
// Secrets Manager at cold start
// ---------------------------------------------------------------------------------------------

describe('faults: Secrets Manager at cold start', () => {
  it('answers 503 with the generic body while Secrets Manager fails, logs why, and serves once it is back', async () => {
    // Prepare
    const id = 'faults-cold-outage';
    fake.setSecret(id, SECRET);
    fake.failAll(true);
    const logs = captureLogs();
    const fn = blockingFunction(id, {}, logs.logger);

    // Act
    const first = await timed(fn, delivery('user.pre_create', SECRET));
    const callsAfterFirst = callsFor(id);
    const second = await fn(delivery('user.pre_create', SECRET)); // within the 1 s cold retry pause
    const callsAfterSecond = callsFor(id);
    fake.failAll(false);
    await sleep(1_100);
    const recovered = await fn(delivery('user.pre_create', SECRET));

    // Assess
    expect(first.statusCode).toBe(503);
    expect(first.body).toBe(UNAVAILABLE);
    expect(first.headers?.['retry-after']).toBe('5');
    expect(first.elapsedMs).toBeLessThan(DEADLINE_MS + 200);
    expect(callsAfterFirst).toBe(2); // one fetch, the SDK's two attempts
    expect(second.statusCode).toBe(503);
    expect(second.body).toBe(UNAVAILABLE);
    expect(callsAfterSecond).toBe(2); // no new fetch within the cold retry pause
    expect(recovered.statusCode).toBe(200);
    expect(recovered.body).toBe('{"is_allowed":true}');
    expect(callsFor(id)).toBe(3);
    const fetchErrors = logs.entries().filter((e) => e.reason === 'secret_fetch_failed');
    expect(fetchErrors).toHaveLength(1);
    expect(fetchErrors[0]).toMatchObject({
      level: 'error',
      msg: 'webhook secret could not be loaded',
      source: 'secrets-manager',
      error_name: 'InternalServiceError',
    });
    expect(logs.outcomes().map((e) => [e.status, e.reason])).toEqual([
      [503, 'secret_unavailable'],
      [503, 'secret_unavailable'],
      [200, undefined],
    ]);
    expect(String(logs.outcomes()[0]!.msg)).toContain('no webhook secret is available');
    for (const line of logs.lines) expect(line).not.toContain(SECRET);
  });

  it('answers 503 by BLOCKING_DEADLINE_MS when Secrets Manager hangs, well before Authgear gives up at 5 s, then serves from the same fetch', async () => {
    // Prepare
    const id = 'faults-cold-hang';
    fake.setSecret(id, SECRET);
    fake.setDelay(3_000); // longer than the SDK's 1.5 s request timeout
    const logs = captureLogs();
    const fn = blockingFunction(id, {}, logs.logger);
    await vi.waitFor(() => expect(callsFor(id)).toBe(1), { timeout: 1_000, interval: 5 });

    // Act
    const hung = await timed(fn, delivery('user.pre_create', SECRET));
    const callsWhileHung = callsFor(id);
    // The SDK abandons the hung attempt at 1.5 s and retries; let the retry be answered at once.
    fake.setDelay(0);
    await vi.waitFor(() => expect(callsFor(id)).toBe(2), { timeout: 3_000, interval: 10 });
    const served = await vi.waitFor(
      async () => {
        const result = await fn(delivery('user.pre_create', SECRET));
        expect(result.statusCode).toBe(200);
        return result;
      },
      { timeout: 2_000, interval: 50 },
    );

    // Assess
    expect(hung.statusCode).toBe(503);
    expect(hung.body).toBe(UNAVAILABLE);
    expect(hung.elapsedMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(hung.elapsedMs).toBeLessThan(DEADLINE_MS + 700); // generous for a loaded 2-core machine; Authgear waits 5,000
    expect(callsWhileHung).toBe(1);
    expect(served.body).toBe('{"is_allowed":true}');
    expect(callsFor(id)).toBe(2); // the one cold-start fetch: a timed-out attempt and its retry
    const outcome = logs.outcomes()[0]!;
    expect(outcome).toMatchObject({ level: 'error', status: 503, reason: 'secret_unavailable' });
    expect(String(outcome.msg)).toContain('deadline');
  });

  it('tells the operator to store a value when the secret was created empty (local server with AUTHGEAR_WEBHOOK_SECRET_ID)', async () => {
    // Prepare
    const id = 'faults-empty-secret';
    fake.setSecret(id, undefined);
    const logs = captureLogs();
    const server = await startLocalServer({
      projectRoot: REPO,
      functionsDir: FIXTURE_FUNCTIONS_DIR,
      port: 0,
      env: { AUTHGEAR_WEBHOOK_SECRET_ID: id, LOG_LEVEL: 'debug' },
      logger: logs.logger,
    });
    const post = async (secret: string) => {
      const event = delivery('user.pre_create', secret);
      const response = await fetch(`${server.url}${event.rawPath}`, {
        method: 'POST',
        headers: event.headers as Record<string, string>,
        body: event.body,
      });
      return { status: response.status, body: await response.text() };
    };

    try {
      // Act
      const empty = await post(SECRET);
      const callsWhileEmpty = callsFor(id);
      fake.setSecret(id, SECRET);
      await sleep(1_100);
      const stored = await post(SECRET);

      // Assess
      expect(empty).toEqual({ status: 503, body: UNAVAILABLE });
      expect(callsWhileEmpty).toBe(1); // a 400 from Secrets Manager is not retried
      expect(stored.status).toBe(200);
      expect(callsFor(id)).toBe(2);
      const fetchError = logs.entries().find((e) => e.reason === 'secret_fetch_failed');
      expect(fetchError?.error_message).toBe(`the secret ${id} has no value yet; store the Authgear webhook secret with put-secret-value`);
      for (const line of logs.lines) expect(line).not.toContain(SECRET);
    } finally {
      await server.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Secrets Manager while warm
// ---------------------------------------------------------------------------------------------

describe('faults: Secrets Manager while warm', () => {
  it('keeps serving with the cached secret after the TTL expires while Secrets Manager fails, and retries only once per refresh interval', async () => {
    // Prepare
    const id = 'faults-warm-outage';
    fake.setSecret(id, SECRET);
    const logs = captureLogs();
    const fn = blockingFunction(id, { SECRET_CACHE_TTL_SECONDS: '1', SECRET_REFRESH_INTERVAL_SECONDS: '3' }, logs.logger);
    const warm = await fn(delivery('user.pre_create', SECRET));
    fake.failAll(true);
    await sleep(1_100); // past the TTL

    // Act
    const atExpiry = await timed(fn, delivery('user.pre_create', SECRET));
    await vi.waitFor(() => expect(logs.entries().some((e) => e.reason === 'secret_fetch_failed')).toBe(true), {
      timeout: 2_000,
      interval: 10,
    });
    const callsAfterFailedRefresh = callsFor(id);
    const during: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      during.push((await fn(delivery('user.pre_create', SECRET))).statusCode ?? 0);
      await sleep(100);
    }
    const callsAtEnd = callsFor(id);

    // Assess
    expect(warm.statusCode).toBe(200);
    expect(atExpiry.statusCode).toBe(200);
    expect(atExpiry.elapsedMs).toBeLessThan(300); // answered from the cache, not after the failing fetch
    expect(during).toEqual(Array.from({ length: 10 }, () => 200));
    expect(callsAfterFailedRefresh).toBe(3); // the cold-start fetch, then one refresh of two attempts
    expect(callsAtEnd).toBe(3); // nothing more within the 3 s refresh interval
    const fetchErrors = logs.entries().filter((e) => e.reason === 'secret_fetch_failed');
    expect(fetchErrors).toHaveLength(1);
    expect(fetchErrors[0]!.msg).toBe('webhook secret refresh failed; using the last good value');
  });

  it('answers warm requests at once while a refresh after the TTL hangs', async () => {
    // Prepare
    const id = 'faults-warm-hang';
    fake.setSecret(id, SECRET);
    const fn = blockingFunction(id, { SECRET_CACHE_TTL_SECONDS: '1' });
    await fn(delivery('user.pre_create', SECRET));
    fake.setDelay(3_000);
    await sleep(1_100);

    // Act
    const answers: { status: number; ms: number }[] = [];
    for (let i = 0; i < 5; i += 1) {
      const r = await timed(fn, delivery('user.pre_create', SECRET));
      answers.push({ status: r.statusCode ?? 0, ms: r.elapsedMs });
    }
    // The refresh reaches the fake behind the answers; the five requests share that one refresh.
    await vi.waitFor(() => expect(callsFor(id)).toBe(2), { timeout: 1_000, interval: 10 });
    await sleep(200);
    const calls = callsFor(id);

    // Assess
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    for (const a of answers) expect(a.ms).toBeLessThan(300);
    expect(calls).toBe(2); // the cold-start fetch and the one hanging refresh
  });
});

// ---------------------------------------------------------------------------------------------
// The secret changed in Secrets Manager
// ---------------------------------------------------------------------------------------------

describe('faults: the secret changed in Secrets Manager', () => {
  it('picks up a new secret without a redeploy: the first request signed with it triggers one re-fetch', async () => {
    // Prepare
    const id = 'faults-rotate-plain';
    fake.setSecret(id, SECRET);
    const fn = blockingFunction(id, { SECRET_REFRESH_INTERVAL_SECONDS: '1' });
    const before = await fn(delivery('user.pre_create', SECRET));
    fake.setSecret(id, NEW_SECRET);
    await sleep(1_100); // past the refresh interval since the cold-start fetch

    // Act
    const withNew = await fn(delivery('user.pre_create', NEW_SECRET));
    const callsAfterRotation = callsFor(id);
    const withOld = await fn(delivery('user.pre_create', SECRET));
    const withNewAgain = await fn(delivery('user.pre_create', NEW_SECRET));

    // Assess
    expect(before.statusCode).toBe(200);
    expect(withNew.statusCode).toBe(200);
    expect(callsAfterRotation).toBe(2);
    expect(withOld.statusCode).toBe(401);
    expect(withOld.body).toBe(UNAUTHORIZED);
    expect(withNewAgain.statusCode).toBe(200);
    expect(callsFor(id)).toBe(2); // the old signature's mismatch fell within the refresh interval
  });

  it('accepts both secrets while the stored value is ["new","old"], and refuses the old one once ["new"] is stored and the cache refreshes', async () => {
    // Prepare
    const id = 'faults-rotate-overlap';
    fake.setSecret(id, SECRET);
    const fn = blockingFunction(id, { SECRET_CACHE_TTL_SECONDS: '1', SECRET_REFRESH_INTERVAL_SECONDS: '1' });
    const start = await fn(delivery('user.pre_create', SECRET));
    fake.setSecret(id, JSON.stringify([NEW_SECRET, SECRET]));
    await sleep(1_100);

    // Act
    const overlapNew = await fn(delivery('user.pre_create', NEW_SECRET));
    const overlapOld = await fn(delivery('user.pre_create', SECRET));
    const callsDuringOverlap = callsFor(id);
    fake.setSecret(id, JSON.stringify([NEW_SECRET]));
    const oldBeforeRefresh = await fn(delivery('user.pre_create', SECRET)); // the cached array is still within its TTL
    await sleep(1_100);
    // Past the TTL: this request is still verified against the cached array while the refresh
    // runs behind it; the requests after the refresh see ["new"] only.
    const oldAtExpiry = await fn(delivery('user.pre_create', SECRET));
    await vi.waitFor(() => expect(callsFor(id)).toBe(3), { timeout: 2_000, interval: 10 });
    const oldAfterRefresh = await vi.waitFor(
      async () => {
        const result = await fn(delivery('user.pre_create', SECRET));
        expect(result.statusCode).toBe(401);
        return result;
      },
      { timeout: 900, interval: 20 },
    );
    const newAfterRefresh = await fn(delivery('user.pre_create', NEW_SECRET));

    // Assess
    expect(start.statusCode).toBe(200);
    expect(overlapNew.statusCode).toBe(200);
    expect(overlapOld.statusCode).toBe(200);
    expect(callsDuringOverlap).toBe(2);
    expect(oldBeforeRefresh.statusCode).toBe(200);
    expect(oldAtExpiry.statusCode).toBe(200);
    expect(oldAfterRefresh.body).toBe(UNAUTHORIZED);
    expect(newAfterRefresh.statusCode).toBe(200);
    expect(callsFor(id)).toBe(3);
  });
});

// ---------------------------------------------------------------------------------------------
// Handlers that fail
// ---------------------------------------------------------------------------------------------

describe('faults: handlers that fail, behind a secret from Secrets Manager', () => {
  const CUSTOM_DENY = { title: 'Profile update failed', reason: 'Try again later.' };
  let aborted: boolean | undefined;
  const handlers: BlockingHandler[] = [
    defineBlockingHandler('user.pre_create', () => {
      throw new Error('CRM down while checking jane.doe@example.com');
    }),
    defineBlockingHandler(
      'authentication.pre_authenticated',
      (_event, { signal }) =>
        new Promise(() => {
          signal.addEventListener('abort', () => {
            aborted = true;
          });
        }),
      { onError: 'allow' },
    ),
    defineBlockingHandler(
      'oidc.jwt.pre_create',
      // Drops every original claim, which Authgear refuses.
      () => ({ is_allowed: true, mutations: { jwt: { payload: { 'https://example.com/claims/plan': 'pro' } } } }) as never,
      { onError: 'allow' },
    ),
    defineBlockingHandler(
      'user.profile.pre_update',
      () => ({ is_allowed: false, title: 'No', reason: 'No', extra: 'not in the schema' }) as never,
      { errorResponse: CUSTOM_DENY },
    ),
    defineBlockingHandler(
      'authentication.pre_initialize',
      () => new Promise((_, reject) => setTimeout(() => reject(new Error('late failure')), DEADLINE_MS + 200)),
      { onError: 'allow' },
    ),
  ];
  const id = 'faults-handlers';
  const logs = captureLogs();
  let fn: LambdaHandler;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    fake.setSecret(id, SECRET);
    fn = blockingFunction(id, {}, logs.logger, handlers);
    await vi.waitFor(() => expect(callsFor(id)).toBe(1), { timeout: 2_000, interval: 5 });
  });

  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  const outcomeOf = (type: string): LogEntry | undefined => logs.outcomes().findLast((e) => e.route === type);

  it('answers the generic deny of the default policy when the handler throws, without its message', async () => {
    // Act
    const result = await timed(fn, delivery('user.pre_create', SECRET));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(result.body).not.toContain('CRM');
    expect(result.elapsedMs).toBeLessThan(300);
    expect(outcomeOf('user.pre_create')).toMatchObject({ level: 'error', reason: 'handler_threw', outcome: 'error_policy_deny' });
  });

  it('answers {"is_allowed":true} at the deadline for an allow-policy handler that hangs, and aborts its signal', async () => {
    // Act
    const result = await timed(fn, delivery('authentication.pre_authenticated', SECRET));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe('{"is_allowed":true}');
    expect(result.elapsedMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(result.elapsedMs).toBeLessThan(DEADLINE_MS + 400);
    expect(aborted).toBe(true);
    expect(outcomeOf('authentication.pre_authenticated')).toMatchObject({ reason: 'deadline_exceeded', outcome: 'error_policy_allow' });
  });

  it('answers by the allow policy when an oidc.jwt.pre_create mutation drops the original claims', async () => {
    // Act
    const result = await timed(fn, delivery('oidc.jwt.pre_create', SECRET));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe('{"is_allowed":true}');
    expect(result.elapsedMs).toBeLessThan(300);
    expect(outcomeOf('oidc.jwt.pre_create')).toMatchObject({ reason: 'invalid_response', outcome: 'error_policy_allow' });
  });

  it('answers the configured deny when a deny has a field Authgear rejects', async () => {
    // Act
    const result = await fn(delivery('user.profile.pre_update', SECRET));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toEqual({ is_allowed: false, ...CUSTOM_DENY });
    expect(outcomeOf('user.profile.pre_update')).toMatchObject({ reason: 'invalid_response', outcome: 'error_policy_deny' });
  });

  it('answers at the deadline when the handler rejects only after it, and the late rejection stays handled', async () => {
    // Act
    const result = await timed(fn, delivery('authentication.pre_initialize', SECRET));
    await sleep(400); // past the handler's own late rejection

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe('{"is_allowed":true}');
    expect(result.elapsedMs).toBeLessThan(DEADLINE_MS + 400);
    expect(unhandled).toEqual([]);
  });

  it('fetched the secret exactly once for all of these, and never logged it', () => {
    // Assess
    expect(callsFor(id)).toBe(1);
    expect(logs.outcomes()).toHaveLength(5);
    for (const line of logs.lines) expect(line).not.toContain(SECRET);
  });
});
