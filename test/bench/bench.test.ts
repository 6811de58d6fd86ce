/**
 * Smoke test of the benchmark harness: every contender runs and does the work it claims. No
 * timing is asserted here; `npm run bench` measures.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhooks } from '@octokit/webhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeSecretsManager } from '../support/secrets-manager-server';
import { BENCH_SECRET, paddedEvent } from './bodies';
import { apiGatewayEvent, freshSignedBody, runNode } from './cold';
import { FLOOR } from './scripts';
import { summarise } from './stats';
import { floorContender, measureBreakdown, measureWarm, oursContender, peerContender } from './warm';

const work = mkdtempSync(join(tmpdir(), 'authgear-bench-smoke-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bench bodies', () => {
  it.each([1024, 4096, 16384])('pads a login-path event to exactly %i bytes', (bytes) => {
    // Act
    const event = paddedEvent(bytes);

    // Assess
    expect(Buffer.byteLength(event.body, 'utf8')).toBe(bytes);
    expect((JSON.parse(event.body) as { type: string }).type).toBe(event.type);
  });
});

describe('warm contenders', () => {
  const event = paddedEvent(4096);

  it('floor, ours (with and without the log line) and peer each accept the signed event and call their handler', async () => {
    // Prepare
    const contenders = [
      floorContender(event),
      await oursContender(event),
      await oursContender(event, BENCH_SECRET, false),
      peerContender(event),
    ];

    // Act
    const checks = contenders.map((c) => c.check());

    // Assess
    await expect(Promise.all(checks)).resolves.toBeDefined();
  });

  it('the peer refuses the same body signed with another secret', async () => {
    // Prepare
    const webhooks = new Webhooks({ secret: BENCH_SECRET });
    const forged = `sha256=${createHmac('sha256', 'not-the-bench-secret').update(event.body).digest('hex')}`;

    // Act
    const outcome = await webhooks.verifyAndReceive({ id: 'x', name: 'push', payload: event.body, signature: forged }).then(
      () => 'accepted',
      () => 'refused',
    );

    // Assess
    expect(outcome).toBe('refused');
  });

  it('measureWarm reports all four contenders and their ratios', async () => {
    // Act
    const [result] = await measureWarm({ sizes: [1024], rounds: 2, batchMs: 1, warmupEvents: 50 });

    // Assess
    expect(result).toMatchObject({ bytes: 1024, eventType: 'authentication.pre_initialize' });
    for (const s of [result!.floor, result!.ours, result!.oursNoLog, result!.peer]) expect(s.n).toBe(2);
    expect(result!.oursOverFloor).toBeCloseTo(result!.ours.median / result!.floor.median);
    expect(result!.oursNoLogOverPeer).toBeCloseTo(result!.oursNoLog.median / result!.peer.median);
  });

  it('measureBreakdown prices every step, those on the path now and those taken off it', async () => {
    // Act
    const items = await measureBreakdown(4096, { rounds: 1, batchMs: 1, warmupEvents: 20 });

    // Assess
    expect(items.length).toBeGreaterThan(5);
    for (const item of items) expect(item.us.median).toBeGreaterThan(0);
    expect(items.some((i) => i.perRequest === 0 && i.perRequestBefore > 0)).toBe(true);
  });
});

describe('cold floor script', () => {
  it('signs GetSecretValue itself, reads the secret from the fake and verifies the event', async () => {
    // Prepare
    const fake = await startFakeSecretsManager();
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-smoke-AbCdEf';
    fake.setSecret(arn, BENCH_SECRET);
    const floor = join(work, 'floor.mjs');
    writeFileSync(floor, FLOOR);
    const eventFile = join(work, 'event.json');
    writeFileSync(eventFile, JSON.stringify(apiGatewayEvent('/blocking/user.pre_create', freshSignedBody('user.pre_create'))));

    try {
      // Act
      const run = await runNode([floor, eventFile], { PATH: process.env.PATH ?? '', ...fake.env(), AUTHGEAR_WEBHOOK_SECRET_ID: arn });

      // Assess
      expect(run.reports[0]).toMatchObject({ ok: true, response: { statusCode: 200 } });
      expect(fake.calls).toHaveLength(1);
      expect(fake.calls[0]?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIA\w+\/\d{8}\/us-east-1\/secretsmanager\/aws4_request, SignedHeaders=/,
      );
    } finally {
      await fake.close();
    }
  });
});

describe('summarise', () => {
  it('gives the median, min and max', () => {
    // Act
    const odd = summarise([3, 1, 2]);
    const even = summarise([4, 1, 3, 2]);

    // Assess
    expect(odd).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(even.median).toBe(2.5);
  });
});
