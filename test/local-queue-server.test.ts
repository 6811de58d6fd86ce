/**
 * `npm start`'s queue over real HTTP: a non-blocking handler file that fails is retried in the
 * background on the deployed schedule (played faster), with its attempts in the log, and an
 * event that keeps failing is dead-lettered, while Authgear got its 200 at once.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonLogger } from '../shared/core/logger';
import { startLocalServer, type LocalServer } from '../shared/local/server';
import { authgearHeaders } from './fixtures/go-json';
import { REPO_ROOT, SHARED_FROM_HANDLER } from './support/paths';

const REPO = REPO_ROOT;
const SECRET = 'local-queue-server-test-secret-012345';

/** Fails the first attempts of `fail-twice-*` users, and every attempt of `always-fail-*` users. */
const HANDLER = `import { defineNonBlockingHandler } from '${SHARED_FROM_HANDLER}';
const attempts = new Map<string, number>();
export default defineNonBlockingHandler('user.created', (event, { logger }) => {
  const n = (attempts.get(event.id) ?? 0) + 1;
  attempts.set(event.id, n);
  const user = event.payload.user.id;
  if (user.startsWith('always-fail') || (user.startsWith('fail-twice') && n <= 2)) throw new Error('the CRM is down');
  logger.info('synced', { attempt_seen: n });
});
`;

const body = (id: string, user: string): string =>
  JSON.stringify({
    id,
    seq: 1,
    type: 'user.created',
    payload: { user: { id: user }, identities: [] },
    context: { timestamp: Math.floor(Date.now() / 1000), user_id: user, triggered_by: 'user' },
  });

describe('local server with its in-process queue', () => {
  let root: string;
  let server: LocalServer;
  const lines: Record<string, unknown>[] = [];

  const post = (text: string) =>
    fetch(`${server.url}/non-blocking`, { method: 'POST', headers: authgearHeaders(text, SECRET), body: text });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'local-queue-server-'));
    symlinkSync(join(REPO, 'shared'), join(root, 'shared'));
    mkdirSync(join(root, 'functions', 'non-blocking'), { recursive: true });
    writeFileSync(join(root, 'functions', 'non-blocking', 'user.created.ts'), HANDLER);
    const logger = createJsonLogger({ level: 'info', sink: (_l, line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    // 3600 times faster: the first retry waits about 8 ms, the whole hour about 0.8 s.
    server = await startLocalServer({
      projectRoot: root,
      port: 0,
      env: { AUTHGEAR_WEBHOOK_SECRET: SECRET, LOCAL_RETRY_SPEEDUP: '3600' },
      logger,
    });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers 200 at once, then retries the failing handler until it succeeds', async () => {
    // Act
    const started = performance.now();
    const response = await post(body('000000000000b001', 'fail-twice-1'));
    const answeredMs = performance.now() - started;
    await server.queue.idle();

    // Assess
    expect(response.status).toBe(200);
    expect(answeredMs).toBeLessThan(1_000);
    const mine = lines.filter((l) => l.event_id === '000000000000b001');
    expect(mine.map((l) => l.outcome ?? l.msg)).toEqual(['queued', 'retry_scheduled', 'retry_scheduled', 'synced', 'handled']);
    expect(mine[1]?.msg).toBe(
      'non-blocking handler failed (attempt 1 of 8); next retry in 8 ms (30 s when deployed; LOCAL_RETRY_SPEEDUP=3600)',
    );
    expect(mine[2]?.msg).toBe(
      'non-blocking handler failed (attempt 2 of 8); next retry in 17 ms (1 min when deployed; LOCAL_RETRY_SPEEDUP=3600)',
    );
    expect(mine.at(-1)).toMatchObject({ attempt: 3, max_attempts: 8 });
  });

  it('dead-letters an event whose handler fails all 8 attempts, and logs that', async () => {
    // Act
    const response = await post(body('000000000000b002', 'always-fail-1'));
    await server.queue.idle();

    // Assess
    expect(response.status).toBe(200);
    const failures = lines.filter(
      (l) => l.event_id === '000000000000b002' && (l.outcome === 'retry_scheduled' || l.outcome === 'dead_lettered'),
    );
    expect(failures).toHaveLength(8);
    expect(failures.at(-1)).toMatchObject({
      level: 'error',
      outcome: 'dead_lettered',
      msg: 'non-blocking handler failed (attempt 8 of 8); no attempts left: the event goes to the dead-letter queue',
    });
    expect(server.queue.deadLetters.map((d) => d.eventId)).toEqual(['000000000000b002']);
  });
});
