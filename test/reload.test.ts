/**
 * Reload on save: `npm start` (the CLI, as a developer runs it) serves an edited, added or removed
 * handler file within 2 s, with the same secret, inspector records and local queue; a file that
 * does not build leaves the previous version serving and prints the error. Real files, real HTTP.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleBody, signedRequest } from '../shared/testing';
import { REPO_ROOT, SHARED_FROM_HANDLER } from './support/paths';
import { READY, startNpmStart, type NpmStart } from './support/npm-start';

const SECRET = 'reload-test-secret-5e0b9d';
/** What the issue promises: a save is served within 2 s. */
const RELOAD_BOUND_MS = 2_000;

const blockingHandler = (answer: string): string =>
  `import { defineBlockingHandler } from '${SHARED_FROM_HANDLER}';\nexport default defineBlockingHandler('user.pre_create', () => (${answer}));\n`;
const nonBlockingHandler = (body: string): string =>
  `import { defineNonBlockingHandler } from '${SHARED_FROM_HANDLER}';\nexport default defineNonBlockingHandler('user.created', () => { ${body} });\n`;

let root: string;
let cli: NpmStart;
let url: string;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

/** A signed sample of `type`, posted to its route; the answer and who made it. */
async function deliver(
  type: 'user.pre_create' | 'user.profile.pre_update' | 'user.created',
): Promise<{ status: number; body: string; by: string | null; id: string }> {
  const body = sampleBody(type);
  const signed = signedRequest(body, SECRET);
  const path = type === 'user.created' ? '/non-blocking' : `/blocking/${type}`;
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: signed.headers, body: signed.body });
  return {
    status: res.status,
    body: await res.text(),
    by: res.headers.get('x-authgear-webhooks-answer'),
    id: (JSON.parse(body) as { id: string }).id,
  };
}

/** Calls `probe` until `done` holds or `ms` pass; returns the last value and how long it took. */
async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = RELOAD_BOUND_MS): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() - started > ms) return { value, ms: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function inspectorApi(path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/_inspector/api/${path}`, { headers: { 'x-inspector-request': '1' } });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'reload-'));
  for (const name of ['shared', 'node_modules', 'package.json', 'tsconfig.json']) symlinkSync(join(REPO_ROOT, name), join(root, name));
  mkdirSync(join(root, 'functions', 'blocking'), { recursive: true });
  mkdirSync(join(root, 'functions', 'non-blocking'), { recursive: true });
  writeFileSync(join(root, 'functions', 'blocking', 'user.pre_create.ts'), blockingHandler('{ is_allowed: true }'));
  writeFileSync(join(root, 'functions', 'non-blocking', 'user.created.ts'), nonBlockingHandler("throw new Error('crm down');"));
  const port = await freePort();
  // First retry after 3 s (30 s deployed / 10): time to fix the handler in between.
  cli = startNpmStart(root, { PORT: String(port), AUTHGEAR_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'warn', LOCAL_RETRY_SPEEDUP: '10' });
  await cli.waitFor(READY);
  url = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (cli && cli.child.exitCode === null) {
    cli.child.kill('SIGTERM');
    await cli.exited;
  }
  rmSync(root, { recursive: true, force: true });
});

describe('npm start reloads on save', () => {
  it('serves an edited handler within 2 s, keeps serving it through a file that does not build, and prints the error', async () => {
    // Prepare
    const before = await deliver('user.pre_create');
    const file = join(root, 'functions', 'blocking', 'user.pre_create.ts');

    // Act: edit
    writeFileSync(file, blockingHandler("{ is_allowed: false, title: 'Closed', reason: 'Sign-ups are closed.' }"));
    const edited = await until(
      () => deliver('user.pre_create'),
      (a) => a.body.includes('Closed'),
    );

    // Act: break it
    const printed = cli.stderr().length;
    writeFileSync(file, `${blockingHandler('{ is_allowed: true }')}\nconst broken = ;\n`);
    const error = await cli.waitFor(/does not load; the previous version keeps serving:\n([\s\S]*?)\n\n/, {
      stream: 'stderr',
      from: printed,
    });
    const whileBroken = await deliver('user.pre_create');

    // Act: fix it
    writeFileSync(file, blockingHandler('{ is_allowed: true }'));
    const fixed = await until(
      () => deliver('user.pre_create'),
      (a) => a.body === '{"is_allowed":true}',
    );

    // Assess
    expect(before).toMatchObject({ status: 200, body: '{"is_allowed":true}', by: 'handler' });
    expect(edited.value).toMatchObject({ status: 200, by: 'handler' });
    expect(JSON.parse(edited.value.body)).toEqual({ is_allowed: false, title: 'Closed', reason: 'Sign-ups are closed.' });
    expect(edited.ms).toBeLessThan(RELOAD_BOUND_MS);
    expect(error[1]).toContain('functions/blocking/user.pre_create.ts:4:15:');
    expect(error[1]).toContain('Unexpected ";"');
    expect(JSON.parse(whileBroken.body)).toMatchObject({ is_allowed: false, title: 'Closed' });
    expect(fixed.value.body).toBe('{"is_allowed":true}');
    expect(fixed.ms).toBeLessThan(RELOAD_BOUND_MS);
  });

  it('serves an added handler file and stops serving a removed one, with the same secret and inspector records', async () => {
    // Prepare
    const file = join(root, 'functions', 'blocking', 'user.profile.pre_update.ts');
    const before = await deliver('user.profile.pre_update');
    const recorded = (await inspectorApi(`outcome?event_id=${before.id}`)).status;

    // Act
    writeFileSync(
      file,
      `import { defineBlockingHandler } from '${SHARED_FROM_HANDLER}';\nexport default defineBlockingHandler('user.profile.pre_update', () => ({ is_allowed: true }));\n`,
    );
    const added = await until(
      () => deliver('user.profile.pre_update'),
      (a) => a.status === 200,
    );
    unlinkSync(file);
    const removed = await until(
      () => deliver('user.profile.pre_update'),
      (a) => a.status === 404,
    );
    const stillRecorded = await inspectorApi(`outcome?event_id=${before.id}`);

    // Assess
    expect(before.status).toBe(404);
    expect(recorded).toBe(200);
    expect(added.value).toMatchObject({ status: 200, by: 'handler' });
    expect(added.ms).toBeLessThan(RELOAD_BOUND_MS);
    expect(removed.value.status).toBe(404);
    expect(removed.ms).toBeLessThan(RELOAD_BOUND_MS);
    expect(stillRecorded).toMatchObject({ status: 200, body: { status: 404 } });
    expect(cli.stdout()).toMatch(/\[reload\] functions\/blocking\/user\.profile\.pre_update\.ts changed: new code serving/);
    expect(cli.stdout()).toContain(`url: ${url}/blocking/user.profile.pre_update`);
  });

  it('keeps the local queue: an event whose handler failed is retried with the fixed handler', async () => {
    // Prepare
    const file = join(root, 'functions', 'non-blocking', 'user.created.ts');
    const sent = await deliver('user.created');
    const first = await inspectorApi(`outcome?event_id=${sent.id}&wait_ms=2000`);

    // Act
    writeFileSync(file, nonBlockingHandler('return;'));
    const retried = await until(
      () => inspectorApi(`outcome?event_id=${sent.id}`),
      (r) => JSON.stringify(r.body).includes('"outcome":"handled"'),
      8_000,
    );

    // Assess
    expect(sent).toMatchObject({ status: 200, by: 'queued' });
    expect(first.body).toMatchObject({ steps: [{ outcome: 'queued' }, { outcome: 'retry_scheduled', error: 'Error: crm down' }] });
    expect(retried.value.body).toMatchObject({ steps: [{ outcome: 'queued' }, { outcome: 'retry_scheduled' }, { outcome: 'handled' }] });
  });
});
