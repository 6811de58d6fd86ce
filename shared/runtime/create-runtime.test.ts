import { describe, expect, it } from 'vitest';
import { VECTOR_SECRET, vector } from '../../test/fixtures/authgear-vectors';
import { authgearHeaders } from '../../test/fixtures/go-json';
import { defineBlockingHandler } from '../core/handler';
import { createJsonLogger } from '../core/logger';
import type { NonBlockingQueue } from '../core/queued';
import { staticSecretSource } from '../core/secret';
import { createRuntime } from './create-runtime';

const handlers = {
  blocking: new Map([['user.pre_create' as const, defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }))]]),
};

describe('createRuntime', () => {
  it('reads the configuration from the environment and serves the handlers with the given secret', async () => {
    // Prepare
    const lines: string[] = [];
    const logger = createJsonLogger({ level: 'debug', sink: (_level, line) => lines.push(line) });
    const body = vector('user.pre_create').body;
    const runtime = createRuntime(
      { MAX_EVENT_AGE_SECONDS: '0', BLOCKING_DEADLINE_MS: '1234' },
      { handlers, logger, secretSource: staticSecretSource(VECTOR_SECRET) },
    );

    // Act
    const response = await runtime.app.handle({
      method: 'POST',
      path: '/blocking/user.pre_create',
      headers: authgearHeaders(body, VECTOR_SECRET),
      body,
    });

    // Assess
    expect(runtime.config.blockingDeadlineMs).toBe(1234);
    expect(runtime.logger).toBe(logger);
    expect(response).toMatchObject({ status: 200, body: '{"is_allowed":true}' });
    expect(runtime.app.routes.map((r) => r.path)).toEqual(['/blocking/user.pre_create']);
    expect(lines.at(-1)).toContain('"outcome":"allowed"');
  });

  it('serves /non-blocking only with a queue, and builds a queue from the settings when given a function', () => {
    // Prepare
    const seen: number[] = [];
    const queue: NonBlockingQueue = { eventTypes: ['user.created'], enqueue: async () => undefined };

    // Act
    const without = createRuntime({}, { handlers, secretSource: staticSecretSource('s') });
    const withQueue = createRuntime(
      { NON_BLOCKING_DEADLINE_MS: '777' },
      {
        handlers,
        secretSource: staticSecretSource('s'),
        queue: ({ config }) => {
          seen.push(config.nonBlockingDeadlineMs);
          return queue;
        },
      },
    );

    // Assess
    expect(without.app.routes.map((r) => r.path)).toEqual(['/blocking/user.pre_create']);
    expect(without.queue).toBeUndefined();
    expect(withQueue.app.routes.map((r) => r.path)).toEqual(['/blocking/user.pre_create', '/non-blocking']);
    expect(withQueue.queue).toBe(queue);
    expect(seen).toEqual([777]);
  });

  it('throws the configuration error of a bad setting', () => {
    // Act
    const create = () => createRuntime({ LOG_LEVEL: 'loud' }, { handlers, secretSource: staticSecretSource('s') });

    // Assess
    expect(create).toThrow(/LOG_LEVEL must be one of debug, info, warn, error, silent/);
  });
});
