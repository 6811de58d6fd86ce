/**
 * The inspector keeps a bounded amount whatever is sent: refused bodies keep a short prefix,
 * verified ones at most 64 KiB (marked truncated), at most 500 deliveries and 8 MiB of bodies, and a
 * bounded log per delivery. Through the real core and, for the page, the local server over HTTP.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookApp } from '../shared/core/app';
import { readConfig } from '../shared/core/config';
import { defineBlockingHandler } from '../shared/core/handler';
import { createJsonLogger } from '../shared/core/logger';
import { SecretStore, staticSecretSource } from '../shared/core/secret';
import { signBody } from '../shared/core/verify';
import { createInspector } from '../shared/local/inspector';
import { boundLine, DEFAULT_INSPECTOR_LIMITS, keepPrefix, truncateText } from '../shared/local/inspector-limits';
import { summarise } from '../shared/local/inspector-page';
import type { LocalServer } from '../shared/local/server';
import { VECTOR_SECRET, vector } from './fixtures/authgear-vectors';
import { startFixtureServer } from './support/fixture-server';

const MB = 1_000_000;

/** A user.pre_create event padded to about `bytes`, signed: a verified delivery with a large body. */
function paddedPreCreate(bytes: number): { body: string; signature: string } {
  const event = JSON.parse(vector('user.pre_create').body) as { payload: Record<string, unknown> };
  event.payload.padding = 'p'.repeat(bytes);
  const body = JSON.stringify(event);
  return { body, signature: signBody(body, VECTOR_SECRET) };
}

/** A real app behind an inspector, with `handle` as the user.pre_create handler. */
function inspected(limits: Parameters<typeof createInspector>[0]['limits'], handle: Parameters<typeof defineBlockingHandler>[1]) {
  const config = readConfig({ MAX_EVENT_AGE_SECONDS: '0', LOG_LEVEL: 'silent' });
  const inspector = createInspector({ secrets: async () => [VECTOR_SECRET], maxEventAgeSeconds: 0, limits });
  const logger = inspector.wrapLogger(createJsonLogger({ level: 'silent' }));
  const secrets = new SecretStore({ source: staticSecretSource(VECTOR_SECRET), logger, ttlMs: 60_000, refreshIntervalMs: 60_000 });
  const app = inspector.wrapApp(
    createWebhookApp({
      handlers: { blocking: new Map([['user.pre_create', defineBlockingHandler('user.pre_create', handle)]]) },
      secrets,
      config,
      logger,
    }),
  );
  const post = (body: string, signature: string) =>
    app.handle({ method: 'POST', path: '/blocking/user.pre_create', headers: { 'x-authgear-body-signature': signature }, body });
  return { inspector, post };
}

describe('the inspector store', () => {
  it('keeps only a short prefix of a request it refused, and 64 KiB of a verified one, marked truncated', async () => {
    // Prepare
    const { inspector, post } = inspected({}, () => ({ is_allowed: true }));
    const big = paddedPreCreate(200_000);

    // Act
    const refused = await post('x'.repeat(MB), 'ab'.repeat(32));
    const verified = await post(big.body, big.signature);
    const [first, second] = inspector.deliveries();

    // Assess
    expect(refused.status).toBe(401);
    expect(first).toMatchObject({ status: 401, bodySize: MB, bodyTruncated: true });
    expect(first?.body.byteLength).toBe(DEFAULT_INSPECTOR_LIMITS.unverifiedBodyBytes);
    expect(verified.status).toBe(200);
    expect(second).toMatchObject({ status: 200, bodySize: Buffer.byteLength(big.body), bodyTruncated: true });
    expect(second?.body.byteLength).toBe(64 * 1024);
    expect(Buffer.from(second?.body ?? []).toString('utf8')).toBe(big.body.slice(0, 64 * 1024));
  });

  it('keeps at most maxDeliveries deliveries and maxTotalBodyBytes of bodies, dropping the oldest', async () => {
    // Prepare
    const { inspector, post } = inspected({ maxDeliveries: 5, maxTotalBodyBytes: 150 * 1024 }, () => ({ is_allowed: true }));
    const { body, signature } = vector('user.pre_create');
    const large = paddedPreCreate(100_000);

    // Act
    for (let i = 0; i < 12; i += 1) await post(body, signature);
    const afterSmall = inspector.deliveries().map((d) => d.id);
    for (let i = 0; i < 3; i += 1) await post(large.body, large.signature);
    const afterLarge = inspector.deliveries();

    // Assess
    expect(afterSmall).toEqual([8, 9, 10, 11, 12]);
    const keptBytes = afterLarge.reduce((sum, d) => sum + d.body.byteLength + d.responseBody.length, 0);
    expect(keptBytes).toBeLessThanOrEqual(150 * 1024);
    expect(afterLarge.at(-1)?.id).toBe(15);
    expect(afterLarge.length).toBeLessThan(5);
  });

  it("bounds a delivery's log but always keeps the core's line with the outcome", async () => {
    // Prepare
    const { inspector, post } = inspected({}, (_event, { logger }) => {
      for (let i = 0; i < 1_000; i += 1) logger.info(`step ${i}`, { blob: 'b'.repeat(i === 0 ? 50_000 : 10) });
      return { is_allowed: true };
    });
    const { body, signature } = vector('user.pre_create');

    // Act
    await post(body, signature);
    const [record] = inspector.deliveries();

    // Assess
    expect(record?.lines.length).toBe(DEFAULT_INSPECTOR_LIMITS.maxLinesPerDelivery + 1);
    const first = record?.lines.find((line) => line.msg === 'step 0');
    expect(first).toMatchObject({ level: 'info', truncated: true });
    expect(JSON.stringify(first).length).toBeLessThan(DEFAULT_INSPECTOR_LIMITS.maxLineBytes + 2_000);
    expect(summarise(record!).outcome).toBe('allowed');
  });
});

describe('the inspector page after a flood of refused 1 MB bodies (local server over HTTP)', () => {
  let server: LocalServer;

  beforeAll(async () => {
    server = await startFixtureServer(
      { AUTHGEAR_WEBHOOK_SECRET: VECTOR_SECRET, MAX_EVENT_AGE_SECONDS: '0', LOG_LEVEL: 'silent' },
      createJsonLogger({ level: 'silent' }),
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  const send = (method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; text: string }>((resolvePromise, reject) => {
      const req = request(`${server.url}${path}`, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it('stays small: 100 unsigned 1 MB bodies keep 1 KiB each, and the page is a fraction of what was sent', async () => {
    // Prepare
    const junk = Buffer.alloc(MB, 0x61);

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 100; i += 1) statuses.push((await send('POST', '/blocking/user.pre_create', junk)).status);
    const page = await send('GET', '/_inspector');

    // Assess
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(page.status).toBe(200);
    expect(page.text).toContain(`truncated: the first 1024 of ${MB} bytes were kept`);
    expect(page.text.length).toBeLessThan(600_000); // 100 MB were sent
  });
});

describe('inspector limits helpers', () => {
  it('copies only the prefix of a string or byte body and reports the whole size', () => {
    // Act
    const fromString = keepPrefix('é'.repeat(1_000), 10);
    const fromBytes = keepPrefix(Buffer.from('hello'), 10);

    // Assess
    expect(fromString).toMatchObject({ size: 2_000, truncated: true });
    expect(fromString.bytes.byteLength).toBe(10);
    expect(fromBytes).toMatchObject({ size: 5, truncated: false });
    expect(Buffer.from(fromBytes.bytes).toString()).toBe('hello');
  });

  it('cuts long text and long log lines with a note', () => {
    // Act
    const text = truncateText('abcdef', 3);
    const line = boundLine({ level: 'info', msg: 'm', data: 'd'.repeat(100) }, 50);
    const short = boundLine({ level: 'info', msg: 'm' }, 50);

    // Assess
    expect(text).toBe('abc… (3 more characters not kept)');
    expect(line).toMatchObject({ level: 'info', msg: 'm', truncated: true });
    expect(String(line.text).startsWith('{"level":"info"')).toBe(true);
    expect(short).toEqual({ level: 'info', msg: 'm' });
  });
});
