import { describe, expect, it } from 'vitest';
import { readConfig } from '../core/config';
import type { EventEnvelope } from '../core/events';
import { defineNonBlockingHandler, type NonBlockingHandler } from '../core/handler';
import { createJsonLogger } from '../core/logger';
import { createLocalQueue } from './local-queue';
import { retrySchedule } from '../core/retry';

/** 30 s become 1 ms: the whole 60-minute schedule plays in about 0.1 s. */
const FAST = 30_000;

function event(id: string): { event: EventEnvelope; raw: Uint8Array } {
  const body = JSON.stringify({
    id,
    seq: 1,
    type: 'user.created',
    payload: { user: { id: 'u1' }, identities: [] },
    context: { timestamp: 1, user_id: 'u1' },
  });
  return { event: JSON.parse(body) as EventEnvelope, raw: Buffer.from(body) };
}

function localQueue(handler: NonBlockingHandler, options: { speedup?: number; now?: () => number } = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = createJsonLogger({ level: 'debug', sink: (_l, line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const queue = createLocalQueue({
    handlers: { nonBlocking: new Map([[handler.event, handler]]) },
    config: readConfig({}),
    logger,
    schedule: retrySchedule(60),
    speedup: options.speedup ?? FAST,
    ...(options.now ? { now: options.now } : {}),
  });
  return { queue, lines };
}

describe('createLocalQueue', () => {
  it('accepts at once, then runs the handler in the background', async () => {
    // Prepare
    const ran: string[] = [];
    const { queue } = localQueue(defineNonBlockingHandler('user.created', (e) => void ran.push(e.id)));
    const { event: e, raw } = event('000000000000a001');

    // Act
    await queue.enqueue(e, raw);
    const before = [...ran];
    await queue.idle();

    // Assess
    expect(before).toEqual([]);
    expect(ran).toEqual(['000000000000a001']);
    expect(queue.stats()).toEqual({ pending: 0, handled: 1, deadLettered: 0, duplicatesDropped: 0 });
  });

  it('retries a failing handler on the deployed schedule, faster, and says so in the log', async () => {
    // Prepare
    let calls = 0;
    const { queue, lines } = localQueue(
      defineNonBlockingHandler('user.created', () => {
        calls += 1;
        if (calls <= 2) throw new Error('database restarting');
      }),
      { speedup: 600 },
    );
    const { event: e, raw } = event('000000000000a002');

    // Act
    await queue.enqueue(e, raw);
    await queue.idle();

    // Assess
    expect(calls).toBe(3);
    expect(lines.filter((l) => l.outcome === 'retry_scheduled').map((l) => l.msg)).toEqual([
      'non-blocking handler failed (attempt 1 of 8); next retry in 50 ms (30 s when deployed; LOCAL_RETRY_SPEEDUP=600)',
      'non-blocking handler failed (attempt 2 of 8); next retry in 100 ms (1 min when deployed; LOCAL_RETRY_SPEEDUP=600)',
    ]);
    expect(lines.find((l) => l.outcome === 'handled')).toMatchObject({ attempt: 3, max_attempts: 8, queue: 'local' });
  });

  it('dead-letters an event after 8 failed attempts, and queues it again on redrive', async () => {
    // Prepare
    let broken = true;
    let calls = 0;
    const { queue, lines } = localQueue(
      defineNonBlockingHandler('user.created', () => {
        calls += 1;
        if (broken) throw new Error('CRM down');
      }),
    );
    const { event: e, raw } = event('000000000000a003');

    // Act
    await queue.enqueue(e, raw);
    await queue.idle();
    const dead = queue.deadLetters;
    broken = false;
    const redriven = queue.redrive();
    await queue.idle();

    // Assess
    expect(dead).toEqual([
      {
        eventId: '000000000000a003',
        eventType: 'user.created',
        body: Buffer.from(raw).toString('utf8'),
        attempts: 8,
        deadLetteredAt: expect.any(Number),
      },
    ]);
    expect(lines.filter((l) => l.outcome === 'dead_lettered')).toHaveLength(1);
    expect(redriven).toBe(1);
    expect(calls).toBe(9);
    expect(queue.deadLetters).toEqual([]);
    expect(queue.stats()).toMatchObject({ handled: 1, deadLettered: 0 });
  });

  it('drops a second copy of an event id within 5 minutes, as SQS FIFO does, and takes it after', async () => {
    // Prepare
    let now = 1_000_000;
    let calls = 0;
    const { queue } = localQueue(
      defineNonBlockingHandler('user.created', () => void (calls += 1)),
      { now: () => now },
    );
    const { event: e, raw } = event('000000000000a004');

    // Act
    await queue.enqueue(e, raw);
    await queue.enqueue(e, raw);
    now += 5 * 60_000;
    await queue.enqueue(e, raw);
    await queue.idle();

    // Assess
    expect(queue.stats().duplicatesDropped).toBe(1);
    // The third copy came after the window: queued, then recognised as already handled.
    expect(calls).toBe(1);
  });

  it('stops its timers on close, reports what it dropped, and refuses new events', async () => {
    // Prepare
    const { queue, lines } = localQueue(
      defineNonBlockingHandler('user.created', () => {
        throw new Error('failing');
      }),
      { speedup: 1 },
    );
    const { event: e, raw } = event('000000000000a005');
    await queue.enqueue(e, raw);
    await new Promise((r) => setTimeout(r, 20));

    // Act
    const dropped = queue.close();
    const idle = await Promise.race([queue.idle().then(() => 'idle'), new Promise((r) => setTimeout(() => r('still waiting'), 50))]);
    const late = queue.enqueue(e, raw);

    // Assess
    expect(dropped).toBe(1);
    expect(idle).toBe('idle');
    await expect(late).rejects.toThrow(/the local queue is closed/);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', dropped: 1 });
  });
});
