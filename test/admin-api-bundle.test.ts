/**
 * `context.adminApi` through the deployed bundles: a project whose blocking and non-blocking
 * handler files call the Admin API is synthesized with real esbuild bundling and the Admin API
 * context values; each bundle then runs in a fresh `node` with the environment the template gives
 * its function, reading the webhook secret and the Admin API private key from a fake Secrets
 * Manager and calling a fake Admin API that checks the JWT as Authgear does.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { App, type CfnElement } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnSecret } from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthgearWebhooksStack } from '../infra/stack';
import { userNodeId } from '../shared/admin-api/node-id';
import { sampleAdminApiUser } from '../shared/devtools/fake-admin-api';
import { sampleEvent, signedRequest } from '../shared/testing';
import { testAdminApiKey } from './support/admin-api-keys';
import { type FakeAdminApiServer, startFakeAdminApi } from './support/admin-api-server';
import { REPO_ROOT, SHARED_FROM_HANDLER } from './support/paths';
import { type FakeSecretsManager, startFakeSecretsManager } from './support/secrets-manager-server';
import { type FakeDynamoDb, startFakeDynamoDb } from './support/dynamodb-server';
import { CDK_JSON_CONTEXT } from './support/stack-helpers';

const WEBHOOK_SECRET = 'k3Y9mP2qR7sT1vW5xZ8aB4cD6eF0gH_j';
const WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:authgear-webhook-Wh00k1';
const KEY_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:authgear-admin-api-key-AdM1n2';
const key = testAdminApiKey();

const BLOCKING_HANDLER = `import { defineBlockingHandler } from '${SHARED_FROM_HANDLER}';
export default defineBlockingHandler('user.pre_create', async (event, { adminApi }) => {
  const user = await adminApi.getUser(event.payload.user.id);
  return user?.isDisabled ? { is_allowed: false, title: 'Blocked', reason: user.disableReason ?? 'disabled' } : { is_allowed: true };
});
`;
const NON_BLOCKING_HANDLER = `import { defineNonBlockingHandler } from '${SHARED_FROM_HANDLER}';
export default defineNonBlockingHandler('user.created', async (event, { adminApi, logger }) => {
  const user = await adminApi.addUserToGroups(event.payload.user.id, ['newcomers']);
  logger.info('grouped', { groups: user.groups });
});
`;

/** Imports the bundle, runs the events from stdin one by one, reports the results on fd 3. */
const DRIVER = `
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const bundle = await import(pathToFileURL(process.argv[2]).href);
let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const event of JSON.parse(input)) {
  try { results.push({ response: await bundle.handler(event, {}) }); } catch (error) { results.push({ thrown: String(error) }); }
}
writeSync(3, JSON.stringify(results));
process.exit(0);
`;

async function runBundle(bundle: string, driver: string, env: Record<string, string>, events: unknown[]) {
  const child = spawn(process.execPath, [driver, bundle], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let report = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  (child.stdio[3] as Readable).on('data', (c: Buffer) => (report += c.toString('utf8')));
  (child.stdin as Writable).end(JSON.stringify(events));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0 || report === '') throw new Error(`driver exited with ${code}:\n${output}`);
  return { results: JSON.parse(report) as { response?: Record<string, unknown>; thrown?: string }[], output };
}

/** Resolves the template's environment for a function: Refs to the secrets become their ARNs. */
function environmentOf(
  template: { Resources: Record<string, { Properties: Record<string, unknown> }> },
  fnId: string,
  refs: Record<string, string>,
) {
  const variables = (template.Resources[fnId]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : (refs[(value as { Ref: string }).Ref] ?? 'unresolved'),
    ]),
  );
}

describe('context.adminApi in the bundled functions (real esbuild bundle, fake Secrets Manager, fake Admin API)', () => {
  const dirs: string[] = [];
  let secrets: FakeSecretsManager;
  let admin: FakeAdminApiServer;
  let dynamo: FakeDynamoDb;
  let driver: string;
  const bundles = { blocking: '', worker: '', receiver: '' };
  const env = { blocking: {} as Record<string, string>, worker: {} as Record<string, string>, receiver: {} as Record<string, string> };

  beforeAll(async () => {
    // Prepare: a project that uses the Admin API, sharing this repository's shared/ and node_modules.
    secrets = await startFakeSecretsManager();
    admin = await startFakeAdminApi({ projectId: 'myapp', keys: { [key.keyId]: key.publicKey } });
    // The worker claims each event in its idempotency table before running the handler.
    dynamo = await startFakeDynamoDb();
    await dynamo.createTable('admin-bundle-idempotency');
    secrets.setSecret(WEBHOOK_SECRET_ARN, WEBHOOK_SECRET);
    secrets.setSecret(KEY_SECRET_ARN, key.privatePem);
    const root = mkdtempSync(join(tmpdir(), 'authgear-admin-bundle-'));
    dirs.push(root);
    for (const name of ['shared', 'node_modules']) symlinkSync(join(REPO_ROOT, name), join(root, name), 'dir');
    for (const name of ['package.json', 'package-lock.json', 'tsconfig.json']) copyFileSync(join(REPO_ROOT, name), join(root, name));
    mkdirSync(join(root, 'functions', 'blocking'), { recursive: true });
    mkdirSync(join(root, 'functions', 'non-blocking'), { recursive: true });
    writeFileSync(join(root, 'functions', 'blocking', 'user.pre_create.ts'), BLOCKING_HANDLER);
    writeFileSync(join(root, 'functions', 'non-blocking', 'user.created.ts'), NON_BLOCKING_HANDLER);
    driver = join(root, 'driver.mjs');
    writeFileSync(driver, DRIVER);

    // Act: bundling on, exactly as cdk synth does it, with the Admin API context values.
    const outdir = join(root, 'cdk.out');
    const app = new App({
      outdir,
      context: {
        ...CDK_JSON_CONTEXT,
        authgearEndpoint: admin.endpoint,
        authgearProjectId: 'myapp',
        adminApiKeyId: key.keyId,
        secretArn: WEBHOOK_SECRET_ARN,
      },
    });
    const stack = new AuthgearWebhooksStack(app, 'AdminApiBundleTest', { projectRoot: root });
    const template = app.synth().getStackArtifact(stack.artifactId).template as {
      Resources: Record<string, { Properties: Record<string, unknown> & { Code: { S3Key: string } } }>;
    };
    const refs = {
      [stack.getLogicalId(stack.adminApiPrivateKeySecret?.node.defaultChild as CfnSecret)]: KEY_SECRET_ARN,
      // Not called: the handler succeeds, so no retry delay is set.
      [stack.getLogicalId(stack.queue.node.defaultChild as CfnElement)]: 'https://sqs.us-east-1.amazonaws.com/123456789012/events.fifo',
      [stack.getLogicalId(stack.idempotencyTable.node.defaultChild as CfnElement)]: 'admin-bundle-idempotency',
    };
    const shared = { ...secrets.env(), AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, MAX_EVENT_AGE_SECONDS: '0' };
    for (const [kind, fn] of [
      ['blocking', stack.blockingFunction],
      ['worker', stack.workerFunction],
      ['receiver', stack.nonBlockingFunction],
    ] as const) {
      const id = stack.getLogicalId(fn.node.defaultChild as CfnFunction);
      bundles[kind] = join(outdir, `asset.${template.Resources[id]?.Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs');
      env[kind] = { ...environmentOf(template, id, refs), ...shared };
    }
  }, 300_000);

  afterAll(async () => {
    await secrets?.close();
    await admin?.close();
    await dynamo?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('a blocking handler reads the user through the Admin API and answers with what it found', async () => {
    // Prepare
    const event = sampleEvent('user.pre_create', { user: { id: 'u-disabled' } });
    admin.respond('getUser', (variables) => ({
      data: {
        node: {
          __typename: 'User',
          ...sampleAdminApiUser('u-disabled', { isDisabled: variables?.id === userNodeId('u-disabled'), disableReason: 'fraud' }),
        },
      },
    }));
    const { body, headers } = signedRequest(event, WEBHOOK_SECRET);
    const request = {
      version: '2.0',
      rawPath: '/blocking/user.pre_create',
      headers,
      body,
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST' } },
    };
    const before = { admin: admin.requests.length, secrets: secrets.calls.length };

    // Act
    const { results, output } = await runBundle(bundles.blocking, driver, env.blocking, [request, request]);

    // Assess
    expect(env.blocking).toMatchObject({ AUTHGEAR_ENDPOINT: admin.endpoint, AUTHGEAR_ADMIN_API_PRIVATE_KEY_SECRET_ID: KEY_SECRET_ARN });
    expect(
      results.map((r) => r.response?.body),
      output,
    ).toEqual([
      JSON.stringify({ is_allowed: false, title: 'Blocked', reason: 'fraud' }),
      JSON.stringify({ is_allowed: false, title: 'Blocked', reason: 'fraud' }),
    ]);
    const calls = admin.requests.slice(before.admin);
    expect(calls.map((c) => [c.status, c.refusal ?? null, c.operation])).toEqual([
      [200, null, 'getUser'],
      [200, null, 'getUser'],
    ]);
    expect(calls[1]?.authorization).toBe(calls[0]?.authorization); // one token for both
    // The key was read once, lazily; the webhook secret once, at init.
    const read = secrets.calls.slice(before.secrets).map((c) => c.secretId);
    expect(read.filter((id) => id === KEY_SECRET_ARN)).toHaveLength(1);
    expect(read.filter((id) => id === WEBHOOK_SECRET_ARN)).toHaveLength(1);
    expect(output).not.toContain(String(calls[0]?.authorization).slice(7));
    expect(output).not.toContain('PRIVATE KEY');
  });

  it('the worker runs a non-blocking handler that puts the new user in a group', async () => {
    // Prepare
    const event = sampleEvent('user.created', { user: { id: 'u-new' } });
    admin.respond('addUserToGroups', (variables) => ({
      data: {
        addUserToGroups: {
          user: sampleAdminApiUser('u-new', {
            groups: { edges: [{ node: { key: String((variables?.input as { groupKeys: string[] }).groupKeys[0]) } }] },
          }),
        },
      },
    }));
    const record = {
      messageId: 'm-1',
      receiptHandle: 'r-1',
      body: signedRequest(event, WEBHOOK_SECRET).body,
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:events.fifo',
      awsRegion: 'us-east-1',
    };
    const before = { admin: admin.requests.length, secrets: secrets.calls.length };

    // Act
    const { results, output } = await runBundle(bundles.worker, driver, env.worker, [{ Records: [record] }]);

    // Assess
    expect(results[0]?.response, output).toEqual({ batchItemFailures: [] });
    expect(admin.requests.slice(before.admin).map((c) => [c.status, c.operation, c.variables])).toEqual([
      [200, 'addUserToGroups', { input: { userID: userNodeId('u-new'), groupKeys: ['newcomers'] } }],
    ]);
    expect(output).toContain('"groups":["newcomers"]');
    expect(secrets.calls.slice(before.secrets).map((c) => c.secretId)).toEqual([KEY_SECRET_ARN]);
  });

  it('the receiver gets neither Admin API settings nor code, and the Admin API adds little to the bundles', () => {
    // Act
    const sizes = Object.fromEntries(Object.entries(bundles).map(([kind, path]) => [kind, statSync(path).size]));
    const blocking = readFileSync(bundles.blocking, 'utf8');
    console.log(
      `bundles with the Admin API: ${Object.entries(sizes)
        .map(([k, v]) => `${k} ${(v / 1024).toFixed(1)} KiB`)
        .join(', ')}`,
    );

    // Assess
    expect(Object.keys(env.receiver).filter((k) => k.startsWith('AUTHGEAR_ADMIN') || k === 'AUTHGEAR_ENDPOINT')).toEqual([]);
    expect(blocking).toContain('/_api/admin/graphql');
    expect(readFileSync(bundles.worker, 'utf8')).toContain('/_api/admin/graphql');
    expect(readFileSync(bundles.receiver, 'utf8')).not.toContain('/_api/admin/graphql'); // it runs no handler
    expect(blocking).not.toMatch(/from\s*["']graphql["']/); // the schema checker stays in the tests
    expect(sizes.blocking).toBeLessThan(260 * 1024);
  });
});
