/**
 * The tests that bundle for real (this file: the bundles' shape and the blocking function;
 * bundle-non-blocking.test.ts: the receiver and the worker): each synthesizes the stack of the
 * template's fixture handlers (test/fixtures/handlers, never the project's functions/) with
 * esbuild, then runs each bundled index.mjs in a fresh `node` process with a clean environment,
 * against a local fake Secrets Manager and a local fake SQS, feeding it API Gateway HTTP API
 * (payload format 2.0) events, or SQS events for the worker.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VECTOR_SECRET, vector } from './fixtures/authgear-vectors';
import { authgearHeaders, trickyPreCreateBody } from './fixtures/go-json';
import {
  BLOCKING_SECRET_ARN,
  DENIED_DOMAIN_SECRET,
  type LambdaResponse,
  type ProcessRun,
  httpApiEvent,
  STACK_FRAME,
  useBundles,
} from './support/bundle';

describe('the bundled Lambda functions: their shape, and the blocking function (real esbuild bundle, fake Secrets Manager)', () => {
  const bundles = useBundles();

  it('produces minified ESM bundles with the SDK inside and a source map next to each', () => {
    for (const [kind, dir] of Object.entries(bundles.assets)) {
      // Prepare
      const bundlePath = join(dir, 'index.mjs');
      const mapPath = join(dir, 'index.mjs.map');

      // Act
      const code = readFileSync(bundlePath, 'utf8');
      const map = JSON.parse(readFileSync(mapPath, 'utf8')) as { version: number; sources: string[]; sourcesContent?: (string | null)[] };
      const lines = code.split('\n');
      console.log(
        `${kind}: index.mjs ${(statSync(bundlePath).size / 1024).toFixed(1)} KiB, index.mjs.map ${(statSync(mapPath).size / 1024).toFixed(1)} KiB`,
      );

      // Assess
      expect(lines[0]).toMatch(/^import \{ createRequire as \w+ \} from 'node:module'; const require = \w+\(import\.meta\.url\);$/);
      expect(code).toMatch(/export\s*\{[^}]*\bas handler\s*\}/);
      expect(code).not.toMatch(/\bmodule\.exports\s*=/);
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//); // bundled, not taken from the runtime
      // Each function carries the SDK clients it calls, and only those (the worker reads the
      // Admin API key, when a handler uses context.adminApi, and the fixture's user.disabled
      // handler declares a secret).
      expect(code).toContain('GetSecretValue');
      if (kind === 'blocking') expect(code).not.toContain('AmazonSQS');
      else expect(code).toContain('AmazonSQS');
      // Minified: long lines, next to no indentation (the few newlines left are inside string literals).
      expect(code.length / lines.length).toBeGreaterThan(1000);
      expect(lines.filter((line) => /^\s{2,}\S/.test(line)).length).toBeLessThan(20);
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
      expect(map.version).toBe(3);
      expect(map.sources.some((s) => s.endsWith(kind === 'worker' ? 'shared/adapters/sqs-worker.ts' : 'shared/adapters/lambda.ts'))).toBe(
        true,
      );
      // The receiver queues events; their handler code lives in the worker only.
      expect(map.sources.some((s) => s.endsWith('handlers/non-blocking/user.created.ts'))).toBe(kind === 'worker');
      expect((map.sourcesContent ?? []).every((c) => c === null)).toBe(true);
      expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    }
  });

  describe('blocking bundle', () => {
    const preCreate = vector('user.pre_create');
    const jwt = vector('oidc.jwt.pre_create');
    const created = vector('user.created');
    const profileUpdate = vector('user.profile.pre_update');
    const tricky = trickyPreCreateBody();
    const notJson = 'this is not JSON, but it is signed';
    const requests = {
      preCreate: httpApiEvent({
        path: '/blocking/user.pre_create',
        body: preCreate.body,
        headers: { 'x-authgear-body-signature': preCreate.signature, 'content-type': 'application/json' },
      }),
      preCreateBase64: httpApiEvent({
        path: '/blocking/user.pre_create',
        body: Buffer.from(preCreate.body, 'utf8').toString('base64'),
        isBase64Encoded: true,
        headers: { 'x-authgear-body-signature': preCreate.signature },
      }),
      tricky: httpApiEvent({ path: '/blocking/user.pre_create', body: tricky, headers: authgearHeaders(tricky, VECTOR_SECRET) }),
      jwt: httpApiEvent({ path: '/blocking/oidc.jwt.pre_create', body: jwt.body, headers: { 'x-authgear-body-signature': jwt.signature } }),
      wrongSignature: httpApiEvent({
        path: '/blocking/user.pre_create',
        body: preCreate.body,
        headers: authgearHeaders(preCreate.body, 'not-the-secret'),
      }),
      lyingBase64Flag: httpApiEvent({
        path: '/blocking/user.pre_create',
        body: preCreate.body,
        isBase64Encoded: true,
        headers: { 'x-authgear-body-signature': preCreate.signature },
      }),
      signedNotJson: httpApiEvent({ path: '/blocking/user.pre_create', body: notJson, headers: authgearHeaders(notJson, VECTOR_SECRET) }),
      wrongTypeForRoute: httpApiEvent({
        path: '/blocking/user.pre_create',
        body: created.body,
        headers: { 'x-authgear-body-signature': created.signature },
      }),
      get: httpApiEvent({ method: 'GET', path: '/blocking/user.pre_create' }),
      tooLarge: httpApiEvent({
        path: '/blocking/user.pre_create',
        body: 'x'.repeat(1024 * 1024 + 1),
        headers: { 'x-authgear-body-signature': preCreate.signature },
      }),
      unservedEvent: httpApiEvent({
        path: '/blocking/user.pre_schedule_deletion',
        body: '{}',
        headers: authgearHeaders('{}', VECTOR_SECRET),
      }),
      // The fixture handler denies the e-mail domain stored in its secret (example.com, the vector's).
      withSecret: httpApiEvent({
        path: '/blocking/user.profile.pre_update',
        body: profileUpdate.body,
        headers: { 'x-authgear-body-signature': profileUpdate.signature },
      }),
      withSecretAgain: httpApiEvent({
        path: '/blocking/user.profile.pre_update',
        body: profileUpdate.body,
        headers: { 'x-authgear-body-signature': profileUpdate.signature },
      }),
      nullEvent: null,
      emptyEvent: {},
      withoutHttp: { ...httpApiEvent({ path: '/blocking/user.pre_create', body: preCreate.body }), requestContext: { requestId: 'r-1' } },
      restApiPreCreate: {
        resource: '/blocking/{proxy+}',
        path: '/blocking/user.pre_create',
        httpMethod: 'POST',
        headers: { 'X-Authgear-Body-Signature': preCreate.signature },
        multiValueHeaders: { 'X-Authgear-Body-Signature': [preCreate.signature] },
        requestContext: { httpMethod: 'POST', path: '/prod/blocking/user.pre_create', stage: 'prod', requestTimeEpoch: Date.now() },
        body: preCreate.body,
        isBase64Encoded: false,
      },
    };
    const names = Object.keys(requests) as (keyof typeof requests)[];
    let run: ProcessRun;
    const response = (name: keyof typeof requests): LambdaResponse => {
      const invocation = run.invocations[names.indexOf(name)];
      if (!invocation?.response) throw new Error(`${name}: ${invocation?.thrown ?? 'no result'}\n${run.output}`);
      return invocation.response;
    };

    beforeAll(async () => {
      // Act
      run = await bundles.run('blocking', {
        secretId: BLOCKING_SECRET_ARN,
        events: Object.values(requests),
      });
    }, 60_000);

    it('allows the signed user.pre_create vector, sent as text and base64-encoded', () => {
      // Assess
      expect(response('preCreate')).toMatchObject({ statusCode: 200, body: '{"is_allowed":true}' });
      expect(response('preCreate').headers['content-type']).toBe('application/json');
      // The answer header passes through the bundled adapter on verified requests only.
      expect(response('preCreate').headers['x-authgear-webhooks-answer']).toBe('handler');
      expect(response('preCreateBase64')).toMatchObject({ statusCode: 200, body: '{"is_allowed":true}' });
    });

    it('verifies a body with Go escapes and non-ASCII text byte for byte', () => {
      // Assess
      expect(response('tricky')).toMatchObject({ statusCode: 200, body: '{"is_allowed":true}' });
    });

    it('adds a claim to the oidc.jwt.pre_create payload and keeps every original claim', () => {
      // Prepare
      const original = (JSON.parse(jwt.body) as { payload: { jwt: { payload: Record<string, unknown> } } }).payload.jwt.payload;

      // Act
      const answer = JSON.parse(response('jwt').body) as { is_allowed: boolean; mutations: { jwt: { payload: Record<string, unknown> } } };

      // Assess
      expect(response('jwt').statusCode).toBe(200);
      expect(answer.is_allowed).toBe(true);
      expect(answer.mutations.jwt.payload).toEqual({ ...original, 'https://example.com/claims/plan': 'free' });
      for (const [claim, value] of Object.entries(original)) expect(answer.mutations.jwt.payload[claim]).toEqual(value);
    });

    it('answers 401 with nothing but a short error to a wrong signature and to a false base64 flag', () => {
      for (const name of ['wrongSignature', 'lyingBase64Flag'] as const) {
        // Act
        const body = JSON.parse(response(name).body) as Record<string, unknown>;

        // Assess
        expect(response(name).statusCode).toBe(401);
        expect(response(name).headers['x-authgear-webhooks-answer']).toBeUndefined();
        expect(Object.keys(body)).toEqual(['error']);
        expect(String(body.error).length).toBeLessThanOrEqual(40);
      }
    });

    it('answers 400 to a signed non-JSON body and to a signed event of another type', () => {
      // Assess
      expect(response('signedNotJson').statusCode).toBe(400);
      expect(response('wrongTypeForRoute').statusCode).toBe(400);
    });

    it('answers 405 to GET, 413 to a body over 1 MiB and 404 to an event type without a handler', () => {
      // Assess
      expect(response('get').statusCode).toBe(405);
      expect(response('tooLarge').statusCode).toBe(413);
      expect(response('unservedEvent').statusCode).toBe(404);
    });

    it('runs a handler with a declared secret: reads it from Secrets Manager on first use, once for two requests, and never logs it', () => {
      // Act
      const calls = bundles.fake.calls.filter((c) => c.secretId === DENIED_DOMAIN_SECRET);

      // Assess
      expect(response('withSecret')).toMatchObject({ statusCode: 200, body: '{"is_allowed":false,"title":"Domain not allowed"}' });
      expect(response('withSecretAgain')).toMatchObject({ statusCode: 200, body: '{"is_allowed":false,"title":"Domain not allowed"}' });
      expect(calls).toHaveLength(1);
      expect(calls[0]?.at ?? 0).toBeGreaterThan(run.readyAt);
      expect(run.output).toContain('"outcome":"denied"');
      expect(run.output).not.toContain('example.com');
    });

    it('answers 400 to null, {} and a 2.0 event without requestContext.http, and serves a REST API (payload 1.0) event', () => {
      // Assess
      for (const name of ['nullEvent', 'emptyEvent', 'withoutHttp'] as const) {
        expect(response(name)).toMatchObject({ statusCode: 400, body: '{"error":"not an API Gateway HTTP request"}' });
      }
      expect(response('restApiPreCreate')).toMatchObject({ statusCode: 200, body: '{"is_allowed":true}' });
      expect(run.output).toContain('"reason":"invalid_lambda_event"');
    });

    it('never returns a stack trace', () => {
      // Assess
      expect(run.invocations).toHaveLength(names.length);
      for (const invocation of run.invocations) {
        expect(invocation.thrown).toBeUndefined();
        expect(invocation.response?.body).not.toMatch(STACK_FRAME);
        expect(invocation.response?.isBase64Encoded).toBe(false);
      }
    });

    it('fetched the secret exactly once, during init, for all these requests', () => {
      // Act
      const calls = bundles.fake.calls.filter((c) => c.secretId === BLOCKING_SECRET_ARN);

      // Assess
      expect(calls).toHaveLength(1);
      expect(run.firstFetchAt).toBeLessThan(run.invocations[0]?.completedAt ?? 0);
      expect(run.firstFetchAt).toBeLessThanOrEqual(run.invocations[0]?.startedAt ?? 0);
      expect(calls[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    });
  });
});
