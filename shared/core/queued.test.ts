import { describe, expect, it } from 'vitest';
import { authgearHeaders } from '../../test/fixtures/go-json';
import { createWebhookApp } from './app';
import { readConfig } from './config';
import type { EventEnvelope } from './events';
import { defineNonBlockingHandler, type NonBlockingHandler } from './handler';
import { createJsonLogger } from './logger';
import { createQueuedEventProcessor, formatDuration, RecentEventIds, type NonBlockingQueue, type QueuedDelivery } from './queued';
import { SecretStore, staticSecretSource } from './secret';

const SECRET = 'queued-unit-test-secret-0123456789ab';

const eventBody = (id: string, type = 'user.created'): string =>
  JSON.stringify({
    id,
    seq: 1,
    type,
    payload: { user: { id: 'u1' }, identities: [] },
    context: { timestamp: Math.floor(Date.now() / 1000), user_id: 'u1', triggered_by: 'user' },
  });

function processor(handler: NonBlockingHandler, env: Record<string, string> = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = createJsonLogger({ level: 'debug', sink: (_l, line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const run = createQueuedEventProcessor({
    handlers: { nonBlocking: new Map([[handler.event, handler]]) },
    config: readConfig(env),
    logger,
  });
  return { run, lines };
}

const delivery = (attempt: number, retryInMs: number | undefined): QueuedDelivery => ({ attempt, maxAttempts: 8, retryInMs });

describe('createQueuedEventProcessor', () => {
  it('runs the handler with the typed event and the usual context, and logs the attempt', async () => {
    // Prepare
    const seen: { id: string; user: string; deadline: number; aborted: boolean }[] = [];
    const handler = defineNonBlockingHandler('user.created', (event, context) => {
      seen.push({ id: event.id, user: event.payload.user.id, deadline: context.deadline, aborted: context.signal.aborted });
      context.logger.info('synced');
    });
    const { run, lines } = processor(handler);
    const before = Date.now();

    // Act
    const result = await run(eventBody('000000000000e001'), { ...delivery(3, 120_000), logFields: { message_id: 'm-1' } });

    // Assess
    expect(result).toEqual({ status: 'handled', done: true, permanent: false, eventId: '000000000000e001', eventType: 'user.created' });
    expect(seen).toEqual([{ id: '000000000000e001', user: 'u1', deadline: expect.any(Number), aborted: false }]);
    expect(seen[0]?.deadline).toBeGreaterThanOrEqual(before + 25_000);
    expect(lines[0]).toMatchObject({ msg: 'synced', event_id: '000000000000e001', event_type: 'user.created' });
    expect(lines[1]).toMatchObject({
      level: 'info',
      msg: 'non-blocking event handled',
      outcome: 'handled',
      attempt: 3,
      max_attempts: 8,
      message_id: 'm-1',
    });
  });

  it('reports a failure with the next retry, and on the last attempt that the event is dead-lettered', async () => {
    // Prepare
    const handler = defineNonBlockingHandler('user.created', () => {
      throw new Error('CRM unavailable');
    });
    const { run, lines } = processor(handler);

    // Act
    const retried = await run(eventBody('000000000000e002'), delivery(2, 60_000));
    const last = await run(eventBody('000000000000e002'), delivery(8, undefined));

    // Assess
    expect(retried).toMatchObject({ status: 'failed', done: false, permanent: false });
    expect(last).toMatchObject({ status: 'failed', done: false, permanent: false });
    expect(lines[0]).toMatchObject({
      level: 'warn',
      msg: 'non-blocking handler failed (attempt 2 of 8); next retry in 1 min',
      outcome: 'retry_scheduled',
      reason: 'handler_threw',
      error_message: 'CRM unavailable',
      retry_in_ms: 60_000,
    });
    expect(lines[1]).toMatchObject({
      level: 'error',
      msg: 'non-blocking handler failed (attempt 8 of 8); no attempts left: the event goes to the dead-letter queue',
      outcome: 'dead_lettered',
    });
  });

  it('abandons a handler at NON_BLOCKING_DEADLINE_MS, aborting its signal, and retries it', async () => {
    // Prepare
    let signal: AbortSignal | undefined;
    const handler = defineNonBlockingHandler('user.created', (_event, context) => {
      signal = context.signal;
      return new Promise<void>(() => {});
    });
    const { run, lines } = processor(handler, { NON_BLOCKING_DEADLINE_MS: '30' });

    // Act
    const result = await run(eventBody('000000000000e003'), { ...delivery(1, 30_000), retryInLabel: '8 ms (30 s when deployed)' });

    // Assess
    expect(result.status).toBe('failed');
    expect(signal?.aborted).toBe(true);
    expect(lines.at(-1)).toMatchObject({
      reason: 'deadline_exceeded',
      msg: 'non-blocking handler failed (attempt 1 of 8); next retry in 8 ms (30 s when deployed)',
    });
  });

  it('does not run a handler again for an event it already handled', async () => {
    // Prepare
    let runs = 0;
    const { run, lines } = processor(defineNonBlockingHandler('user.created', () => void (runs += 1)));

    // Act
    await run(eventBody('000000000000e004'), delivery(1, 30_000));
    const again = await run(eventBody('000000000000e004'), delivery(2, 60_000));

    // Assess
    expect(runs).toBe(1);
    expect(again).toMatchObject({ status: 'duplicate', done: true });
    expect(lines.at(-1)).toMatchObject({ reason: 'duplicate_delivery', outcome: 'duplicate' });
  });

  it('retries (never acknowledges) a copy that arrives while the same event is still running', async () => {
    // Prepare
    let release: () => void = () => {};
    const { run } = processor(defineNonBlockingHandler('user.created', () => new Promise<void>((resolve) => (release = resolve))));

    // Act
    const first = run(eventBody('000000000000e005'), delivery(1, 30_000));
    await new Promise((r) => setTimeout(r, 5));
    const copy = await run(eventBody('000000000000e005'), delivery(1, 30_000));
    release();

    // Assess
    expect(copy).toMatchObject({ status: 'busy', done: false, permanent: false });
    expect(await first).toMatchObject({ status: 'handled' });
  });

  it('marks a body that is not an Authgear event as permanent, and acknowledges a type without a handler', async () => {
    // Prepare
    const { run, lines } = processor(defineNonBlockingHandler('user.created', () => {}));

    // Act
    const invalid = await run('{"not":"an event"}', delivery(1, 30_000));
    const unhandled = await run(eventBody('000000000000e006', 'user.deleted'), delivery(1, 30_000));

    // Assess
    expect(invalid).toEqual({ status: 'invalid', done: false, permanent: true });
    expect(unhandled).toMatchObject({ status: 'ignored', done: true });
    expect(lines.map((l) => l.reason)).toEqual(['invalid_envelope', 'no_handler']);
  });

  it('hands back a delivery beyond the last attempt without running the handler, unless it is a known repeat', async () => {
    // Prepare
    let runs = 0;
    const { run, lines } = processor(defineNonBlockingHandler('user.created', () => void (runs += 1)));
    await run(eventBody('000000000000e007'), delivery(8, undefined));

    // Act
    const repeat = await run(eventBody('000000000000e007'), delivery(9, undefined));
    const exhausted = await run(eventBody('000000000000e008'), delivery(9, undefined));

    // Assess
    expect(runs).toBe(1);
    expect(repeat).toMatchObject({ status: 'duplicate', done: true });
    expect(exhausted).toMatchObject({ status: 'exhausted', done: false, permanent: true });
    expect(lines.at(-1)).toMatchObject({ reason: 'attempts_exhausted', outcome: 'released' });
  });
});

describe('RecentEventIds', () => {
  it('forgets the oldest ids beyond its size, and every id after its time to live', () => {
    // Prepare
    let now = 0;
    const ids = new RecentEventIds(2, 1_000, () => now);

    // Act
    ids.add('a');
    ids.add('b');
    ids.add('c');
    const afterOverflow = ['a', 'b', 'c'].map((id) => ids.has(id));
    now = 1_000;
    const afterExpiry = ids.has('c');

    // Assess
    expect(afterOverflow).toEqual([false, true, true]);
    expect(afterExpiry).toBe(false);
  });
});

describe('formatDuration', () => {
  it.each([
    [8, '8 ms'],
    [30_000, '30 s'],
    [90_000, '1 min 30 s'],
    [900_000, '15 min'],
    [3_600_000, '1 h'],
    [5_400_000, '1 h 30 min'],
  ])('%i ms reads %s', (ms, text) => {
    // Assess
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('createWebhookApp with a non-blocking queue', () => {
  function receiver(
    queue: NonBlockingQueue,
    handlers: Parameters<typeof createWebhookApp>[0]['handlers'] = {},
    env: Record<string, string> = {},
  ) {
    const lines: Record<string, unknown>[] = [];
    const logger = createJsonLogger({ level: 'debug', sink: (_l, line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const secrets = new SecretStore({ source: staticSecretSource(SECRET), logger, ttlMs: 300_000, refreshIntervalMs: 30_000 });
    const app = createWebhookApp({ handlers, secrets, config: readConfig(env), logger, nonBlockingQueue: queue });
    const post = (body: string) =>
      app.handle({ method: 'POST', path: '/non-blocking', headers: authgearHeaders(body, SECRET), body: Buffer.from(body) });
    return { app, post, lines };
  }

  it('serves /non-blocking with no handler map, queues the verified raw body and answers 200', async () => {
    // Prepare
    const queued: { event: EventEnvelope; raw: string }[] = [];
    const { app, post, lines } = receiver({
      eventTypes: ['user.created'],
      enqueue: async (event, raw) => void queued.push({ event, raw: Buffer.from(raw).toString('utf8') }),
    });
    const body = eventBody('000000000000f001');

    // Act
    const response = await post(body);

    // Assess
    expect(app.routes.map((r) => r.path)).toEqual(['/non-blocking']);
    expect(response).toMatchObject({ status: 200, body: '{"received":true}' });
    expect(queued).toEqual([{ event: JSON.parse(body), raw: body }]);
    expect(lines.at(-1)).toMatchObject({ level: 'info', outcome: 'queued', status: 200, event_id: '000000000000f001' });
  });

  it('queues instead of running a handler, and by default queues the types that have one', async () => {
    // Prepare
    let ran = 0;
    const queued: string[] = [];
    const handler = defineNonBlockingHandler('user.created', () => void (ran += 1));
    const { post } = receiver(
      { enqueue: async (event) => void queued.push(event.type) },
      { nonBlocking: new Map([['user.created', handler]]) },
    );

    // Act
    await post(eventBody('000000000000f002'));
    await post(eventBody('000000000000f003', 'user.deleted'));
    await post(eventBody('000000000000f004', 'something.new'));

    // Assess
    expect(ran).toBe(0);
    expect(queued).toEqual(['user.created']);
  });

  it('answers 503 and logs queue_unavailable when the queue rejects, throws or does not answer in time', async () => {
    // Prepare
    const failing = [
      receiver({ eventTypes: ['user.created'], enqueue: async () => Promise.reject(new Error('SQS is down')) }),
      receiver({
        eventTypes: ['user.created'],
        enqueue: () => {
          throw new Error('thrown synchronously');
        },
      }),
      receiver({ eventTypes: ['user.created'], enqueue: () => new Promise<void>(() => {}) }, {}, { NON_BLOCKING_DEADLINE_MS: '20' }),
    ];

    // Act
    const responses = await Promise.all(failing.map((r) => r.post(eventBody('000000000000f005'))));

    // Assess
    expect(responses.map((r) => r.status)).toEqual([503, 503, 503]);
    expect(responses[0]?.body).toBe('{"error":"service unavailable"}');
    expect(failing.map((r) => r.lines.at(-1))).toEqual([
      expect.objectContaining({ reason: 'queue_unavailable', error_message: 'SQS is down' }),
      expect.objectContaining({ reason: 'queue_unavailable', error_message: 'thrown synchronously' }),
      expect.objectContaining({
        reason: 'queue_unavailable',
        error_message: 'the queue did not answer within NON_BLOCKING_DEADLINE_MS (20 ms)',
      }),
    ]);
  });

  it('still refuses a blocking event on /non-blocking, and queues nothing that is not signed', async () => {
    // Prepare
    let calls = 0;
    const { app, post } = receiver({ eventTypes: ['user.created', 'user.pre_create'], enqueue: async () => void (calls += 1) });
    const body = eventBody('000000000000f006');

    // Act
    const blocking = await post(eventBody('000000000000f007', 'user.pre_create'));
    const unsigned = await app.handle({ method: 'POST', path: '/non-blocking', headers: {}, body: Buffer.from(body) });

    // Assess
    expect(blocking.status).toBe(400);
    expect(unsigned.status).toBe(401);
    expect(calls).toBe(0);
  });
});
