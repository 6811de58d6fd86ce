import { describe, expect, it } from 'vitest';
import { defineBlockingHandler } from '../handler';
import type { NonBlockingQueue } from '../queued';
import { serveRoutes } from './routing';

const handlers = {
  blocking: new Map([['user.pre_create' as const, defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }))]]),
};
const queue: NonBlockingQueue = { enqueue: async () => undefined };

describe('serveRoutes', () => {
  it('serves one route per blocking handler, and /non-blocking only with a queue', () => {
    // Act
    const without = serveRoutes(handlers, undefined);
    const withQueue = serveRoutes(handlers, queue);

    // Assess
    expect(without).toEqual([
      { method: 'POST', path: '/blocking/user.pre_create', route: { kind: 'blocking', eventType: 'user.pre_create' } },
    ]);
    expect(withQueue.map((r) => r.path)).toEqual(['/blocking/user.pre_create', '/non-blocking']);
  });
});
