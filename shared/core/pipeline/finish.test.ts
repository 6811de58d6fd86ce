/** Step 6, finish: what leaves the process, the answer and its one log line, through the app. */
import { finish } from './finish';
import { ANSWERS, rejected } from './outcomes';
import { describe, expect, it } from 'vitest';
import { VECTOR_SECRET } from '../../../test/fixtures/authgear-vectors';
import type { WebhookResponse } from '../app';
import { defineBlockingHandler, defineNonBlockingHandler } from '../handler';
import type { NonBlockingQueue } from '../queued';
import {
  USER_ID,
  USER_EMAIL,
  USER_IP,
  CountingSource,
  type Harness,
  harness,
  deliver,
  allowPreCreate,
} from '../../../test/support/app-harness';

// ---------------------------------------------------------------------------------------------
// What leaves the process: responses and logs
// ---------------------------------------------------------------------------------------------

describe('createWebhookApp: responses and logs', () => {
  const SECRET_MESSAGE = 'db password is hunter2 for jane.doe@example.com';

  const scenarios = (): Array<{ name: string; run: () => Promise<{ response: WebhookResponse; h: Harness }> }> => {
    const thrower = (): never => {
      const error = new Error(SECRET_MESSAGE);
      error.stack = `Error: ${SECRET_MESSAGE}\n    at handler (/var/task/functions/blocking/user.pre_create.ts:3:9)`;
      throw error;
    };
    return [
      {
        name: 'blocking throw, deny',
        run: async () => {
          const h = harness({ blocking: [defineBlockingHandler('user.pre_create', thrower)] });
          return { h, response: await deliver(h, 'user.pre_create') };
        },
      },
      {
        name: 'blocking throw, allow',
        run: async () => {
          const h = harness({ blocking: [defineBlockingHandler('user.pre_create', thrower, { onError: 'allow' })] });
          return { h, response: await deliver(h, 'user.pre_create') };
        },
      },
      {
        name: 'queue failure',
        run: async () => {
          const queue: NonBlockingQueue = { eventTypes: ['user.created'], enqueue: async () => thrower() };
          const h = harness({ nonBlocking: [defineNonBlockingHandler('user.created', () => undefined)], queue });
          return { h, response: await deliver(h, 'user.created', '/non-blocking') };
        },
      },
      {
        name: 'secret source failure',
        run: async () => {
          const source = new CountingSource(VECTOR_SECRET);
          source.failWith(new Error(SECRET_MESSAGE));
          const h = harness({ blocking: [allowPreCreate], source });
          return { h, response: await deliver(h, 'user.pre_create') };
        },
      },
    ];
  };

  it('never puts a stack trace or the thrown message in a response body', async () => {
    // Prepare
    const all = scenarios();

    // Act
    const results = await Promise.all(all.map(async (s) => ({ name: s.name, ...(await s.run()) })));

    // Assess
    for (const { name, response, h } of results) {
      expect(response.body, name).not.toContain('hunter2');
      expect(response.body, name).not.toContain(' at ');
      expect(response.body, name).not.toContain('.ts:');
      // The message did reach the logs, so the assertion above is about the body only.
      expect(
        h.lines.some((l) => l.text.includes('hunter2')),
        name,
      ).toBe(true);
    }
  });

  it('logs event_id, event_type, status, outcome and latency_ms once per delivery', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], env: { LOG_LEVEL: 'info' } });

    // Act
    await deliver(h, 'user.pre_create');

    // Assess
    expect(h.lines).toHaveLength(1);
    const line = h.outcome();
    expect(line).toMatchObject({
      level: 'info',
      event_id: '000000000000bc55',
      event_type: 'user.pre_create',
      status: 200,
      outcome: 'allowed',
    });
    expect(typeof line.latency_ms).toBe('number');
    expect(line.latency_ms).toBeGreaterThanOrEqual(0);
    expect(typeof line.handler_ms).toBe('number');
  });

  it('keeps e-mail, IP address and user id out of every log line by default, even at debug level', async () => {
    // Prepare
    const blocking = harness({
      blocking: [
        allowPreCreate,
        defineBlockingHandler('oidc.jwt.pre_create', () => ({ is_allowed: true, constraints: {} }) as never),
        defineBlockingHandler('user.profile.pre_update', () => {
          throw new Error('x');
        }),
      ],
      env: { LOG_LEVEL: 'debug' },
    });
    const nonBlocking = harness({ nonBlocking: [defineNonBlockingHandler('user.created', () => undefined)], env: { LOG_LEVEL: 'debug' } });

    // Act
    await deliver(blocking, 'user.pre_create');
    await deliver(blocking, 'oidc.jwt.pre_create');
    await deliver(blocking, 'user.profile.pre_update');
    await deliver(blocking, 'user.created', '/blocking/user.pre_create');
    await deliver(nonBlocking, 'user.created', '/non-blocking');
    await deliver(nonBlocking, 'user.authenticated', '/non-blocking');

    // Assess
    const text = [...blocking.lines, ...nonBlocking.lines].map((l) => l.text).join('\n');
    expect(blocking.lines.length + nonBlocking.lines.length).toBeGreaterThanOrEqual(6);
    expect(text).not.toContain(USER_EMAIL);
    expect(text).not.toContain(USER_IP);
    expect(text).not.toContain(USER_ID);
  });

  it('adds the user id to the logs with LOG_PERSONAL_DATA=true and LOG_LEVEL=debug', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], env: { LOG_LEVEL: 'debug', LOG_PERSONAL_DATA: 'true' } });

    // Act
    await deliver(h, 'user.pre_create');

    // Assess
    expect(h.outcome()).toMatchObject({ user_id: USER_ID, event_id: '000000000000bc55' });
    expect(h.lines.some((l) => l.level === 'debug' && l.text.includes(USER_ID))).toBe(true);
  });

  it('prefixes the handler logger lines with event_id and event_type', async () => {
    // Prepare
    const h = harness({
      nonBlocking: [
        defineNonBlockingHandler('user.created', (_event, { logger }) => {
          logger.info('synced', { crm_id: 'c-1' });
        }),
      ],
    });

    // Act
    await deliver(h, 'user.created', '/non-blocking');

    // Assess
    const handlerLine = h.lines.find((l) => l.fields.msg === 'synced');
    expect(handlerLine?.fields).toMatchObject({ event_id: '000000000000bc56', event_type: 'user.created', crm_id: 'c-1' });
  });
});

describe('finish', () => {
  it('writes one line at the outcome level with the request fields, status, outcome, reason and latency, in that order', () => {
    // Prepare
    const written: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const logger = {
      debug: (message: string, fields?: Record<string, unknown>) => written.push({ level: 'debug', message, fields: { ...fields } }),
      info: (message: string, fields?: Record<string, unknown>) => written.push({ level: 'info', message, fields: { ...fields } }),
      warn: (message: string, fields?: Record<string, unknown>) => written.push({ level: 'warn', message, fields: { ...fields } }),
      error: (message: string, fields?: Record<string, unknown>) => written.push({ level: 'error', message, fields: { ...fields } }),
    };
    const outcome = rejected(ANSWERS.unauthorized, 'signature_mismatch', 'signature does not match');

    // Act
    const response = finish(outcome, 1_000, { method: 'POST', path: '/non-blocking' }, logger, () => 1_007);

    // Assess
    expect(response).toBe(ANSWERS.unauthorized);
    expect(written).toHaveLength(1);
    expect(written[0]?.level).toBe('warn');
    expect(written[0]?.message).toBe('signature does not match');
    expect(Object.entries(written[0]?.fields ?? {})).toEqual([
      ['method', 'POST'],
      ['path', '/non-blocking'],
      ['status', 401],
      ['outcome', 'rejected'],
      ['reason', 'signature_mismatch'],
      ['latency_ms', 7],
    ]);
  });
});
