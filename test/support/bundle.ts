/** Shared by the bundle tests: the fixture stack bundled for real, the driver that runs a bundle in a fresh `node`, and events. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll } from 'vitest';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { AuthgearWebhooksStack } from '../../infra/stack';
import { VECTOR_SECRET } from '../fixtures/authgear-vectors';
import { startFakeSecretsManager, type FakeSecretsManager } from './secrets-manager-server';
import { startFakeSqs, type FakeSqs } from './sqs-server';
import { REPO_ROOT } from './paths';
import { CDK_JSON_CONTEXT } from './stack-helpers';
import { FIXTURE_FUNCTIONS_DIR } from './fixture-handlers';

export const BLOCKING_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:authgear-webhook-Blk4Xq';
export const NON_BLOCKING_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:authgear-webhook-Nbk7Zp';
/** The fixture handlers' own secrets, by the names they declare. */
export const DENIED_DOMAIN_SECRET = 'fixture/denied-domain';
export const CRM_TOKEN_SECRET = 'fixture/crm-token';
export const CRM_TOKEN = 'crm-token-7f3a9c51e2';

/**
 * Runs in the child process: imports the bundle (its init starts the secret fetch), reports
 * "ready" on fd 3, then reads the events from stdin and reports every result on fd 3. The
 * bundle's own JSON logs go to stdout/stderr, so they cannot mix with the results.
 */
export const DRIVER = `
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
export const report = (message) => writeSync(3, JSON.stringify(message) + '\\n');
export const bundle = await import(pathToFileURL(process.argv[2]).href);
report({ ready: true, at: Date.now(), handlerType: typeof bundle.handler });
let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
export const results = [];
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

export interface LambdaResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

export interface Invocation {
  readonly startedAt: number;
  readonly completedAt: number;
  readonly response?: LambdaResponse;
  readonly thrown?: string;
}

export interface ProcessRun {
  readonly readyAt: number;
  /** When the fake Secrets Manager saw the process's first GetSecretValue, before any request was sent. */
  readonly firstFetchAt: number;
  readonly invocations: readonly Invocation[];
  /** The bundle's stdout and stderr (its JSON log lines), for diagnostics. */
  readonly output: string;
}

/** An API Gateway HTTP API event, payload format 2.0, as Lambda receives it. */
export function httpApiEvent(options: {
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
export function messages(stream: Readable): () => Promise<Record<string, unknown>> {
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
export async function runBundle(options: {
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

export const STACK_FRAME = /\bat\s+(?:async\s+)?\S+\s+\(|\bat\s+\S+:\d+:\d+/;

export interface BundleAssets {
  blocking: string;
  nonBlocking: string;
  worker: string;
}

/**
 * Starts the fake Secrets Manager and SQS with the secrets set, then synthesizes the fixture
 * handlers' stack with bundling on; fills `assetDir` with each function's bundle folder.
 */
export async function prepareBundles(
  tempDirs: string[],
  assetDir: BundleAssets,
): Promise<{ fake: FakeSecretsManager; sqs: FakeSqs; driver: string }> {
  // Prepare
  const fake = await startFakeSecretsManager();
  const sqs = await startFakeSqs();
  fake.setSecret(BLOCKING_SECRET_ARN, VECTOR_SECRET);
  fake.setSecret(NON_BLOCKING_SECRET_ARN, VECTOR_SECRET);
  fake.setSecret(DENIED_DOMAIN_SECRET, 'example.com');
  fake.setSecret(CRM_TOKEN_SECRET, CRM_TOKEN);
  const work = mkdtempSync(join(tmpdir(), 'authgear-bundle-test-'));
  tempDirs.push(work);
  const driver = join(work, 'driver.mjs');
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
  return { fake, sqs, driver };
}

/** What {@link useBundles} prepares for the tests of one file. */
export interface Bundles {
  /** Each function's bundle folder. */
  readonly assets: BundleAssets;
  /** The fake Secrets Manager, with the webhook and fixture secrets set. */
  readonly fake: FakeSecretsManager;
  /** The fake SQS, with no queue yet. */
  readonly sqs: FakeSqs;
  /** The driver script {@link runBundle} runs a bundle with. */
  readonly driver: string;
  /** Runs one function's bundle in a fresh process against the fakes (see {@link runBundle}). */
  run(
    fn: keyof BundleAssets,
    options: { secretId: string | undefined; events: unknown[]; env?: Record<string, string> },
  ): Promise<ProcessRun>;
}

/**
 * Bundles the fixture stack once before the tests of the calling file (see {@link prepareBundles})
 * and stops the fakes and removes the files after them. The fields are filled in `beforeAll`, so
 * read them inside hooks and tests only.
 *
 * @example
 * const bundles = useBundles();
 * it('answers', async () => {
 *   const run = await bundles.run('blocking', { secretId: BLOCKING_SECRET_ARN, events: [httpApiEvent({ path: '/blocking/user.pre_create' })] });
 * });
 */
export function useBundles(): Bundles {
  const tempDirs: string[] = [];
  const assets: BundleAssets = { blocking: '', nonBlocking: '', worker: '' };
  let prepared: { fake: FakeSecretsManager; sqs: FakeSqs; driver: string } | undefined;
  const ready = () => {
    if (!prepared) throw new Error('the bundles are prepared in beforeAll: read them inside a hook or a test');
    return prepared;
  };
  beforeAll(async () => {
    prepared = await prepareBundles(tempDirs, assets);
  }, 300_000);
  afterAll(async () => {
    await prepared?.fake.close();
    await prepared?.sqs.close();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  return {
    assets,
    get fake() {
      return ready().fake;
    },
    get sqs() {
      return ready().sqs;
    },
    get driver() {
      return ready().driver;
    },
    run: (fn, options) => runBundle({ bundle: join(assets[fn], 'index.mjs'), driver: ready().driver, fake: ready().fake, ...options }),
  };
}
