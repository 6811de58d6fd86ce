/**
 * The one test that bundles for real: synthesizes the stack of the template's fixture handlers
 * (test/fixtures/handlers, never the project's functions/) with esbuild, then runs each
 * bundled index.mjs in a fresh `node` process with a clean environment, against a local fake
 * Secrets Manager and a local fake SQS, feeding it API Gateway HTTP API (payload format 2.0)
 * events, or SQS events for the worker.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { App } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthgearWebhooksStack } from '../infra/stack';
import { VECTOR_SECRET, vector } from './fixtures/authgear-vectors';
import { authgearHeaders, trickyPreCreateBody } from './fixtures/go-json';
import { startFakeDynamoDb, type FakeDynamoDb } from './support/dynamodb-server';
import { startFakeSecretsManager, type FakeSecretsManager } from './support/secrets-manager-server';
import { fakeSqsClient, toSqsRecord } from './support/sqs-event-source';
import { startFakeSqs, type FakeSqs, type FakeSqsQueue } from './support/sqs-server';
import { FIXTURE_FUNCTIONS_DIR } from './support/fixture-handlers';
import { goJson } from '../shared/devtools/go-json';
import { sampleEvent } from '../shared/devtools/samples';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

const BLOCKING_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:authgear-webhook-Blk4Xq';
const NON_BLOCKING_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:authgear-webhook-Nbk7Zp';
/** The fixture handlers' own secrets, by the names they declare. */
const DENIED_DOMAIN_SECRET = 'fixture/denied-domain';
const CRM_TOKEN_SECRET = 'fixture/crm-token';
const CRM_TOKEN = 'crm-token-7f3a9c51e2';

/**
 * Runs in the child process: imports the bundle (its init starts the secret fetch), reports
 * "ready" on fd 3, then reads the events from stdin and reports every result on fd 3. The
 * bundle's own JSON logs go to stdout/stderr, so they cannot mix with the results.
 */
const DRIVER = `
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const report = (message) => writeSync(3, JSON.stringify(message) + '\\n');
const bundle = await import(pathToFileURL(process.argv[2]).href);
report({ ready: true, at: Date.now(), handlerType: typeof bundle.handler });
let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const event of JSON.parse(input)) {
  const startedAt = Date.now();
  // Stamped on arrival, as API Gateway does: the events were built before the bundle was.
  if (event?.requestContext?.timeEpoch) event.requestContext.timeEpoch = startedAt;
  if (event?.requestContext?.requestTimeEpoch) event.requestContext.requestTimeEpoch = startedAt;
  try {
    const response = await bundle.handler(event, {});
    results.push({ startedAt, completedAt: Date.now(), response });
  } catch (error) {
    results.push({ startedAt, completedAt: Date.now(), thrown: String(error && error.stack || error) });
  }
}
report({ results });
// The SDK keeps its connection to Secrets Manager alive, as it should in Lambda; end explicitly.
process.exit(0);
`;

interface LambdaResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

interface Invocation {
  readonly startedAt: number;
  readonly completedAt: number;
  readonly response?: LambdaResponse;
  readonly thrown?: string;
}

interface ProcessRun {
  readonly readyAt: number;
  /** When the fake Secrets Manager saw the process's first GetSecretValue, before any request was sent. */
  readonly firstFetchAt: number;
  readonly invocations: readonly Invocation[];
  /** The bundle's stdout and stderr (its JSON log lines), for diagnostics. */
  readonly output: string;
}

/** An API Gateway HTTP API event, payload format 2.0, as Lambda receives it. */
function httpApiEvent(options: {
  method?: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
}) {
  const method = options.method ?? 'POST';
  const now = Date.now();
  const headers: Record<string, string> = {
    host: 'abc123defg.execute-api.us-east-1.amazonaws.com',
    'user-agent': 'Go-http-client/2.0',
    'x-forwarded-proto': 'https',
    ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  if (options.body !== undefined)
    headers['content-length'] = String(Buffer.byteLength(options.body, options.isBase64Encoded ? 'base64' : 'utf8'));
  return {
    version: '2.0',
    routeKey: `${method} ${options.path}`,
    rawPath: options.path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123defg',
      domainName: 'abc123defg.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123defg',
      http: { method, path: options.path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'Go-http-client/2.0' },
      requestId: `req-${now}-${Math.random().toString(16).slice(2)}`,
      routeKey: `${method} ${options.path}`,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    ...(options.body !== undefined ? { body: options.body } : {}),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** Reads newline-separated JSON messages from a stream. */
function messages(stream: Readable): () => Promise<Record<string, unknown>> {
  let buffer = '';
  const queue: Record<string, unknown>[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      queue.push(JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>);
      buffer = buffer.slice(newline + 1);
    }
    wake?.();
  });
  stream.on('end', () => {
    ended = true;
    wake?.();
  });
  return async () => {
    while (queue.length === 0) {
      if (ended) throw new Error('the driver ended without reporting');
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return queue.shift()!;
  };
}

/**
 * Starts the bundle in a fresh process, waits for its init-time secret fetch (when it reads a
 * secret: the worker does not), then sends `events`.
 */
async function runBundle(options: {
  bundle: string;
  driver: string;
  fake: FakeSecretsManager;
  secretId: string | undefined;
  events: unknown[];
  env?: Record<string, string>;
}): Promise<ProcessRun> {
  const env = {
    PATH: process.env.PATH ?? '',
    ...options.fake.env(),
    ...options.env,
    ...(options.secretId ? { AUTHGEAR_WEBHOOK_SECRET_ID: options.secretId } : {}),
    NODE_OPTIONS: '--enable-source-maps',
    // The signed vectors are from August 2026, older than the default MAX_EVENT_AGE_SECONDS.
    MAX_EVENT_AGE_SECONDS: '0',
  };
  const child = spawn(process.execPath, [options.driver, options.bundle], { env, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const next = messages(child.stdio[3] as Readable);
  try {
    const ready = await next();
    if (ready.handlerType !== 'function') throw new Error(`the bundle exports no handler function:\n${output}`);

    // No request has been sent yet: a GetSecretValue now can only come from the function's init.
    const deadline = Date.now() + 10_000;
    let firstFetch = options.fake.calls.find((c) => c.secretId === options.secretId);
    while (options.secretId && !firstFetch && Date.now() < deadline) {
      await sleep(20);
      firstFetch = options.fake.calls.find((c) => c.secretId === options.secretId);
    }
    if (options.secretId && !firstFetch) throw new Error(`no GetSecretValue during init:\n${output}`);

    (child.stdin as Writable).end(JSON.stringify(options.events));
    const { results } = (await next()) as { results: Invocation[] };
    const code = await exited;
    if (code !== 0) throw new Error(`driver exited with ${code}:\n${output}`);
    return { readyAt: ready.at as number, firstFetchAt: firstFetch?.at ?? Number.NaN, invocations: results, output };
  } finally {
    child.kill();
  }
}

const STACK_FRAME = /\bat\s+(?:async\s+)?\S+\s+\(|\bat\s+\S+:\d+:\d+/;

describe('the bundled Lambda functions (real esbuild bundle, fake Secrets Manager)', () => {
  const tempDirs: string[] = [];
  let fake: FakeSecretsManager;
  let sqs: FakeSqs;
  let driver: string;
  const assetDir: { blocking: string; nonBlocking: string; worker: string } = { blocking: '', nonBlocking: '', worker: '' };

  beforeAll(async () => {
    // Prepare
    fake = await startFakeSecretsManager();
    sqs = await startFakeSqs();
    fake.setSecret(BLOCKING_SECRET_ARN, VECTOR_SECRET);
    fake.setSecret(NON_BLOCKING_SECRET_ARN, VECTOR_SECRET);
    fake.setSecret(DENIED_DOMAIN_SECRET, 'example.com');
    fake.setSecret(CRM_TOKEN_SECRET, CRM_TOKEN);
    const work = mkdtempSync(join(tmpdir(), 'authgear-bundle-test-'));
    tempDirs.push(work);
    driver = join(work, 'driver.mjs');
    writeFileSync(driver, DRIVER);
    const outdir = join(work, 'cdk.out');

    // Act: bundling is on (no aws:cdk:bundling-stacks override), exactly as `cdk synth` does it.
    const started = performance.now();
    const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT } });
    const stack = new AuthgearWebhooksStack(app, 'BundleTest', { projectRoot: REPO_ROOT, functionsDir: FIXTURE_FUNCTIONS_DIR });
    const assembly = app.synth();
    console.log(`synth with bundling: ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // The function's S3 key is "<asset hash>.zip"; the bundle sits in cdk.out/asset.<asset hash>/.
    const template = assembly.getStackArtifact(stack.artifactId).template as {
      Resources: Record<string, { Properties: { Code: { S3Key: string } } }>;
    };
    const assetOf = (fn: { node: { defaultChild?: unknown } }): string => {
      const key = template.Resources[stack.getLogicalId(fn.node.defaultChild as CfnFunction)]?.Properties.Code.S3Key ?? '';
      return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    };
    assetDir.blocking = assetOf(stack.blockingFunction);
    assetDir.nonBlocking = assetOf(stack.nonBlockingFunction);
    assetDir.worker = assetOf(stack.workerFunction);
  }, 300_000);

  afterAll(async () => {
    await fake?.close();
    await sqs?.close();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('produces minified ESM bundles with the SDK inside and a source map next to each', () => {
    for (const [kind, dir] of Object.entries(assetDir)) {
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
      run = await runBundle({
        bundle: join(assetDir.blocking, 'index.mjs'),
        driver,
        fake,
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
      const calls = fake.calls.filter((c) => c.secretId === DENIED_DOMAIN_SECRET);

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
      const calls = fake.calls.filter((c) => c.secretId === BLOCKING_SECRET_ARN);

      // Assess
      expect(calls).toHaveLength(1);
      expect(run.firstFetchAt).toBeLessThan(run.invocations[0]?.completedAt ?? 0);
      expect(run.firstFetchAt).toBeLessThanOrEqual(run.invocations[0]?.startedAt ?? 0);
      expect(calls[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    });
  });

  describe('non-blocking receiver bundle', () => {
    const created = vector('user.created');
    const future = JSON.stringify({
      id: '000000000000bd99',
      seq: 48537,
      type: 'something.new',
      payload: { anything: [1, 2, 3] },
      context: { timestamp: 1787290000, user_id: null },
    });
    const signedCreated = () =>
      httpApiEvent({ path: '/non-blocking', body: created.body, headers: { 'x-authgear-body-signature': created.signature } });
    // The first SendMessage attempts fail (SQS unavailable); then SQS recovers.
    const requests = [
      signedCreated(),
      signedCreated(),
      httpApiEvent({ path: '/non-blocking', body: future, headers: authgearHeaders(future, VECTOR_SECRET) }),
      signedCreated(),
    ];
    let run: ProcessRun;
    let queue: FakeSqsQueue;

    beforeAll(async () => {
      // Prepare
      queue = sqs.createQueue('receiver-bundle.fifo', { deduplicationScope: 'messageGroup' });
      sqs.failNext('SendMessage', 3);

      // Act
      run = await runBundle({
        bundle: join(assetDir.nonBlocking, 'index.mjs'),
        driver,
        fake,
        secretId: NON_BLOCKING_SECRET_ARN,
        events: requests,
        env: { ...sqs.env(), NON_BLOCKING_QUEUE_URL: queue.url },
      });
    }, 60_000);

    it('answers 503 while SQS cannot store the event, after the SDK tried three times', () => {
      // Assess
      expect(run.invocations[0]?.response).toMatchObject({ statusCode: 503, body: '{"error":"service unavailable"}' });
      expect(run.output).toContain('"reason":"queue_unavailable"');
    });

    it('answers 200 to a signed user.created only after a SendMessage with the raw body, keyed by the event id', () => {
      // Act
      const sends = sqs.calls.filter((c) => c.operation === 'SendMessage' && c.input.QueueUrl === queue.url);

      // Assess
      expect(run.invocations[1]?.response?.statusCode).toBe(200);
      expect(sends.map((c) => c.status)).toEqual([500, 500, 500, 200, 200]);
      expect(sends[3]?.input).toMatchObject({
        MessageBody: created.body,
        MessageDeduplicationId: '000000000000bc56',
        MessageGroupId: '000000000000bc56',
      });
      expect(sends[3]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
      expect(sqs.messages(queue.name).map((m) => m.body)).toEqual([created.body]);
    });

    it('acknowledges an unknown future event type with 200 without queueing it, and a repeat without storing it twice', () => {
      // Assess
      expect(run.invocations.slice(2).map((i) => i.response?.statusCode)).toEqual([200, 200]);
      expect(sqs.messages(queue.name)).toHaveLength(1);
      for (const invocation of run.invocations) expect(invocation.response?.body).not.toMatch(STACK_FRAME);
    });

    it('fetched the secret exactly once, during init', () => {
      // Act
      const calls = fake.calls.filter((c) => c.secretId === NON_BLOCKING_SECRET_ARN);

      // Assess
      expect(calls).toHaveLength(1);
      expect(run.firstFetchAt).toBeLessThanOrEqual(run.invocations[0]?.startedAt ?? 0);
      expect(run.firstFetchAt).toBeLessThan(run.invocations[0]?.completedAt ?? 0);
    });
  });

  describe('non-blocking worker bundle', () => {
    const created = vector('user.created');
    let run: ProcessRun;
    let queue: FakeSqsQueue;
    let records: ReturnType<typeof toSqsRecord>[];
    let secretCallsBefore = 0;

    beforeAll(async () => {
      // Prepare: two queued messages, received as Lambda's event source would receive them.
      queue = sqs.createQueue('worker-bundle.fifo', { visibilityTimeoutSeconds: 540 });
      const client = fakeSqsClient(sqs);
      await client.send(
        new SendMessageCommand({ QueueUrl: queue.url, MessageBody: created.body, MessageGroupId: 'a', MessageDeduplicationId: 'a' }),
      );
      await client.send(
        new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'not an event', MessageGroupId: 'b', MessageDeduplicationId: 'b' }),
      );
      const received = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
      );
      records = (received.Messages ?? []).map((m) => toSqsRecord(m, queue));
      client.destroy();
      secretCallsBefore = fake.calls.length;

      // Act
      run = await runBundle({
        bundle: join(assetDir.worker, 'index.mjs'),
        driver,
        fake,
        secretId: undefined,
        events: [{ Records: records }],
        env: { ...sqs.env(), NON_BLOCKING_QUEUE_URL: queue.url, RETRY_WINDOW_MINUTES: '60' },
      });
    }, 60_000);

    it('runs the user.created handler file on the queued event and reports only the broken message as failed', () => {
      // Assess
      expect(records).toHaveLength(2);
      expect(run.invocations[0]?.thrown).toBeUndefined();
      expect(run.invocations[0]?.response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.messageId }] });
      expect(run.output).toContain('"msg":"new user"');
      expect(run.output).toContain('"outcome":"handled"');
    });

    it('releases the broken message at once so SQS dead-letters it, and reads no secret', () => {
      // Act
      const changes = sqs.calls.filter((c) => c.operation === 'ChangeMessageVisibilityBatch' && c.input.QueueUrl === queue.url);

      // Assess
      expect(changes).toHaveLength(1);
      expect(changes[0]?.input.Entries).toEqual([{ Id: 'm0', ReceiptHandle: records[1]?.receiptHandle, VisibilityTimeout: 0 }]);
      expect(sqs.messages(queue.name).find((m) => m.body === 'not an event')?.visibleAt).toBeLessThanOrEqual(Date.now());
      expect(fake.calls).toHaveLength(secretCallsBefore);
    });
  });

  describe('non-blocking worker bundle, a handler with a declared secret and a setting', () => {
    const crmCalls: { headers: IncomingHttpHeaders; body: string }[] = [];
    const crm = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        crmCalls.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    const disabled = [sampleEvent('user.disabled'), sampleEvent('user.disabled')];
    let run: ProcessRun;

    beforeAll(async () => {
      // Prepare: two user.disabled events queued, and a CRM that records what it is sent.
      await new Promise<void>((done) => crm.listen(0, '127.0.0.1', done));
      const crmUrl = `http://127.0.0.1:${(crm.address() as AddressInfo).port}/users/disabled`;
      const queue = sqs.createQueue('worker-secret-bundle.fifo', { visibilityTimeoutSeconds: 540 });
      const client = fakeSqsClient(sqs);
      for (const [i, event] of disabled.entries()) {
        await client.send(
          new SendMessageCommand({
            QueueUrl: queue.url,
            MessageBody: goJson(event),
            MessageGroupId: `d${i}`,
            MessageDeduplicationId: `d${i}`,
          }),
        );
      }
      const received = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
      );
      client.destroy();

      // Act: FIXTURE_CRM_URL is the handler's setting (handlerEnv when deployed).
      run = await runBundle({
        bundle: join(assetDir.worker, 'index.mjs'),
        driver,
        fake,
        secretId: undefined,
        events: [{ Records: (received.Messages ?? []).map((m) => toSqsRecord(m, queue)) }],
        env: { ...sqs.env(), NON_BLOCKING_QUEUE_URL: queue.url, RETRY_WINDOW_MINUTES: '60', FIXTURE_CRM_URL: crmUrl },
      });
    }, 60_000);

    afterAll(() => new Promise<void>((done) => crm.close(() => done())));

    it('reads the secret from Secrets Manager once for both events, sends it to the CRM, and never logs it', () => {
      // Act
      const calls = fake.calls.filter((c) => c.secretId === CRM_TOKEN_SECRET);

      // Assess
      expect(run.invocations[0]?.response).toEqual({ batchItemFailures: [] });
      expect(crmCalls.map((c) => c.headers.authorization)).toEqual([`Bearer ${CRM_TOKEN}`, `Bearer ${CRM_TOKEN}`]);
      expect(crmCalls.map((c) => JSON.parse(c.body) as unknown)).toEqual(
        expect.arrayContaining(disabled.map((e) => ({ user_id: e.payload.user.id }))),
      );
      expect(calls).toHaveLength(1);
      expect(run.output).toContain('"msg":"user disabled in CRM"');
      expect(run.output).not.toContain(CRM_TOKEN);
    });
  });

  describe('non-blocking worker bundle in two containers sharing the idempotency table', () => {
    const created = vector('user.created');
    const table = 'bundle-idempotency';
    let dynamo: FakeDynamoDb;
    let first: ProcessRun;
    let second: ProcessRun;

    beforeAll(async () => {
      // Prepare: one queued message; its delete after the first run is lost, so SQS delivers it again.
      dynamo = await startFakeDynamoDb();
      await dynamo.createTable(table);
      const queue = sqs.createQueue('worker-bundle-twice.fifo', { visibilityTimeoutSeconds: 540 });
      const client = fakeSqsClient(sqs);
      await client.send(
        new SendMessageCommand({ QueueUrl: queue.url, MessageBody: created.body, MessageGroupId: 'c', MessageDeduplicationId: 'c' }),
      );
      const received = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
      );
      client.destroy();
      const record = toSqsRecord(received.Messages![0]!, queue);
      const again = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } };
      const env = { ...sqs.env(), ...dynamo.env(), NON_BLOCKING_QUEUE_URL: queue.url, IDEMPOTENCY_TABLE_NAME: table };

      // Act: each run is a fresh process, as a new Lambda environment is.
      const run = (records: unknown[]) =>
        runBundle({ bundle: join(assetDir.worker, 'index.mjs'), driver, fake, secretId: undefined, events: [{ Records: records }], env });
      first = await run([record]);
      second = await run([again]);
    }, 60_000);

    afterAll(async () => {
      await dynamo?.close();
    });

    it('runs the handler file in the first container and marks the event done in DynamoDB', async () => {
      // Assess
      expect(first.invocations[0]?.response).toEqual({ batchItemFailures: [] });
      expect(first.output).toContain('"msg":"new user"');
      const items = await dynamo.items(table);
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ status: 'COMPLETED' });
    });

    it('acknowledges the copy in the second container without running the handler file again', () => {
      // Assess
      expect(second.invocations[0]?.response).toEqual({ batchItemFailures: [] });
      expect(second.output).not.toContain('"msg":"new user"');
      expect(second.output).toContain('"reason":"duplicate_delivery"');
      expect(dynamo.count('PutItem')).toBe(2);
      expect(dynamo.count('UpdateItem')).toBe(1);
    });
  });
});
