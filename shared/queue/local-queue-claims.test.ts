/**
 * `npm start` keeps the deployed rules of the idempotency record without DynamoDB: its queue runs
 * each handler under an in-memory claim, so a handled event runs once, and a failed one runs again.
 */
import { describe, expect, it } from 'vitest';
import { readConfig } from '../core/config';
import type { EventEnvelope } from '../core/events';
import { defineNonBlockingHandler } from '../core/handler';
import { createJsonLogger } from '../core/logger';
import { createLocalQueue } from './local-queue';
import { retrySchedule } from '../core/retry';

function event(id: string): { event: EventEnvelope; raw: Uint8Array } {
  const body = JSON.stringify({ id, seq: 1, type: 'user.created', payload: { user: { id: 'u1' } }, context: { timestamp: 1 } });
  return { event: JSON.parse(body) as EventEnvelope, raw: Buffer.from(body) };
}

function setup(fail: (calls: number) => boolean) {
  let now = Date.now();
  const runs: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const handler = defineNonBlockingHandler('user.created', (e) => {
    runs.push(e.id);
    if (fail(runs.length)) throw new Error('CRM unavailable');
  });
  const queue = createLocalQueue({
    handlers: { nonBlocking: new Map([[handler.event, handler]]) },
    config: readConfig({}),
    logger: createJsonLogger({ level: 'debug', sink: (_l, line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
    schedule: retrySchedule(60),
    speedup: 30_000,
    now: () => now,
  });
  return { queue, runs, lines, later: (ms: number) => (now += ms) };
}

describe('the local queue and the idempotency record', () => {
  it('acknowledges a copy of a handled event that arrives after the 5-minute deduplication window, without running it', async () => {
    // Prepare
    const { queue, runs, lines, later } = setup(() => false);
    const { event: e, raw } = event('000000000000a101');
    await queue.enqueue(e, raw);
    await queue.idle();
    later(6 * 60_000);

    // Act
    await queue.enqueue(e, raw);
    await queue.idle();

    // Assess
    expect(runs).toEqual(['000000000000a101']);
    expect(queue.stats()).toMatchObject({ handled: 2, duplicatesDropped: 0 });
    expect(lines.find((l) => l.reason === 'duplicate_delivery')).toMatchObject({ outcome: 'duplicate', queue: 'local' });
  });

  it('runs a dead-lettered event again when it is redriven: a failure leaves no record behind', async () => {
    // Prepare: the handler fails all 8 attempts, then works.
    const { queue, runs } = setup((calls) => calls <= 8);
    const { event: e, raw } = event('000000000000a102');
    await queue.enqueue(e, raw);
    await queue.idle();

    // Act
    const redriven = queue.redrive();
    await queue.idle();
    queue.redrive();
    await queue.idle();

    // Assess
    expect(redriven).toBe(1);
    expect(runs).toHaveLength(9);
    expect(queue.stats()).toMatchObject({ handled: 1, deadLettered: 0 });
  });
});
