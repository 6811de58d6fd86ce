import { describe, expect, it } from 'vitest';
import { readConfig } from '../core/config';
import type { EventEnvelope } from '../core/events';
import type { NonBlockingEventType } from '../core/constants';
import { defineNonBlockingHandler, type NonBlockingHandler } from '../core/handler';
import { createJsonLogger } from '../core/logger';
import { createInlineQueue } from './inline-queue';

const envelope = (type: string, id: string): string =>
  JSON.stringify({ id, seq: 1, type, payload: { user: { id: 'u1' } }, context: { timestamp: 1 } });

describe('createInlineQueue', () => {
  it('runs the first attempt through the queue processor before enqueue resolves, and reports a failure with its retry', async () => {
    // Prepare
    const calls: string[] = [];
    const handlers = {
      nonBlocking: new Map<NonBlockingEventType, NonBlockingHandler>([
        ['user.created' as const, defineNonBlockingHandler('user.created', (event) => void calls.push(event.payload.user.id))],
        [
          'user.deleted' as const,
          defineNonBlockingHandler('user.deleted', () => {
            throw new Error('CRM down');
          }),
        ],
      ]),
    };
    const lines: string[] = [];
    const logger = createJsonLogger({ level: 'debug', sink: (_level, line) => lines.push(line) });
    const queue = createInlineQueue({ handlers, config: readConfig({}), logger });

    // Act
    await queue.enqueue({} as EventEnvelope, envelope('user.created', '000000000000c001'));
    await queue.enqueue({} as EventEnvelope, envelope('user.deleted', '000000000000c002'));

    // Assess
    expect(queue.eventTypes).toEqual(['user.created', 'user.deleted']);
    expect(calls).toEqual(['u1']);
    expect(queue.results.map((r) => r.status)).toEqual(['handled', 'failed']);
    const failure = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.outcome === 'retry_scheduled');
    expect(failure).toMatchObject({ attempt: 1, max_attempts: 8, retry_in_ms: 30_000, reason: 'handler_threw' });
  });
});
