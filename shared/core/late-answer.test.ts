import { describe, expect, it } from 'vitest';
import { vector, VECTOR_SECRET } from '../../test/fixtures/authgear-vectors';
import { authgearHeaders } from '../../test/fixtures/go-json';
import { invokeHandler } from '../testing';
import { createWebhookApp } from './app';
import { readConfig } from './config';
import { DEFAULT_ERROR_RESPONSE, defineBlockingHandler, defineNonBlockingHandler } from './handler';
import { AnsweredLate, lateAnswer } from './late-answer';
import { createJsonLogger } from './logger';
import { SecretStore, staticSecretSource } from './secret';

/** Computes for `ms` without yielding: no timer can fire meanwhile, as with real CPU-bound work. */
const busy = (ms: number): void => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};

const DEADLINE_MS = 60;
const WORK_MS = 150;

describe('lateAnswer', () => {
  it('says how long the handler ran and how late it was, and nothing for an answer in time', () => {
    // Act
    const late = lateAnswer(1_500, 1_000, 0);
    const onTime = lateAnswer(1_000, 1_000, 0);

    // Assess
    expect(late).toBeInstanceOf(AnsweredLate);
    expect(late).toMatchObject({ handlerMs: 1_500, lateByMs: 500 });
    expect(onTime).toBeUndefined();
  });
});

describe('late answers of blocking handlers', () => {
  it('answers a synchronous handler that computes past the deadline by its deny policy, and logs how long it took', async () => {
    // Prepare
    const handler = defineBlockingHandler('user.pre_create', () => {
      busy(WORK_MS);
      return { is_allowed: true };
    });

    // Act
    const result = await invokeHandler(handler, { config: { blockingDeadlineMs: DEADLINE_MS } });
    const line = result.logs.at(-1) ?? {};

    // Assess
    expect(result.outcome).toBe('error_policy_deny');
    expect(result.reason).toBe('answered_late');
    expect(result.answer).toEqual(DEFAULT_ERROR_RESPONSE);
    expect(line.level).toBe('error');
    expect(line.handler_ms).toBeGreaterThanOrEqual(WORK_MS);
    expect(line.late_by_ms).toBeGreaterThanOrEqual(WORK_MS - DEADLINE_MS);
    expect(String(line.msg)).toMatch(/^handler answered after \d+ ms, \d+ ms past BLOCKING_DEADLINE_MS \(60 ms\)/);
  });

  it('answers an async handler whose CPU-bound part outlasts the deadline by its allow policy', async () => {
    // Prepare
    const handler = defineBlockingHandler(
      'user.pre_create',
      async () => {
        busy(WORK_MS);
        await Promise.resolve();
        return { is_allowed: false, title: 'no', reason: 'no' };
      },
      { onError: 'allow' },
    );

    // Act
    const result = await invokeHandler(handler, { config: { blockingDeadlineMs: DEADLINE_MS } });

    // Assess
    expect(result.outcome).toBe('error_policy_allow');
    expect(result.reason).toBe('answered_late');
    expect(result.answer).toEqual({ is_allowed: true });
  });

  it('still answers a handler that is done in time with its own answer', async () => {
    // Prepare
    const handler = defineBlockingHandler('user.pre_create', () => {
      busy(5);
      return { is_allowed: false, title: 'Closed', reason: 'Sign-ups are closed.' };
    });

    // Act
    const result = await invokeHandler(handler, { config: { blockingDeadlineMs: 1_000 } });

    // Assess
    expect(result.outcome).toBe('denied');
    expect(result.answer).toEqual({ is_allowed: false, title: 'Closed', reason: 'Sign-ups are closed.' });
  });

  it('counts the deadline from the adapter’s arrival time: a request that took longer to arrive is answered by the policy without running the handler', async () => {
    // Prepare
    let calls = 0;
    const handler = defineBlockingHandler('user.pre_create', () => {
      calls += 1;
      return { is_allowed: true };
    });
    const lines: Record<string, unknown>[] = [];
    const config = readConfig({ MAX_EVENT_AGE_SECONDS: '0', BLOCKING_DEADLINE_MS: '1000' });
    const logger = createJsonLogger({ level: 'debug', sink: (_l, line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const secrets = new SecretStore({ source: staticSecretSource(VECTOR_SECRET), logger, ttlMs: 60_000, refreshIntervalMs: 60_000 });
    const app = createWebhookApp({ handlers: { blocking: new Map([['user.pre_create', handler]]) }, secrets, config, logger });
    const { body } = vector('user.pre_create');

    // Act
    const response = await app.handle({
      method: 'POST',
      path: '/blocking/user.pre_create',
      headers: authgearHeaders(body, VECTOR_SECRET),
      body,
      receivedAt: Date.now() - 1_500,
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(calls).toBe(0);
    expect(lines.at(-1)).toMatchObject({ outcome: 'error_policy_deny', reason: 'deadline_exceeded' });
    expect(String(lines.at(-1)?.msg)).toContain('passed before the handler could start');
    expect(lines.at(-1)?.latency_ms).toBeGreaterThanOrEqual(1_500);
  });
});

describe('late non-blocking handlers', () => {
  it('counts a late but successful run as handled (retrying would do the work twice) and warns about it', async () => {
    // Prepare
    const handler = defineNonBlockingHandler('user.created', () => busy(WORK_MS));

    // Act
    const result = await invokeHandler(handler, { config: { nonBlockingDeadlineMs: DEADLINE_MS } });

    // Assess
    expect(result.status).toBe(200);
    expect(result.outcome).toBe('handled');
    const warning = result.logs.find((l) => l.reason === 'finished_late');
    expect(warning).toMatchObject({ level: 'warn', event_type: 'user.created' });
    expect(warning?.handler_ms).toBeGreaterThanOrEqual(WORK_MS);
  });
});

describe('the answer size cap', () => {
  it.each([
    ['a 7 MiB deny reason', () => ({ is_allowed: false, title: 'x', reason: 'r'.repeat(7 * 1024 * 1024) })],
    [
      'a 7 MiB custom attribute mutation',
      () => ({ is_allowed: true, mutations: { user: { custom_attributes: { blob: 'b'.repeat(7 * 1024 * 1024) } } } }),
    ],
    ['65 KiB of multi-byte text', () => ({ is_allowed: false, title: 'x', reason: 'é'.repeat(33_000) })],
  ])('answers %s by the error policy and logs answer_too_large with its size', async (_what, handle) => {
    // Prepare
    const handler = defineBlockingHandler('user.pre_create', handle as never);

    // Act
    const result = await invokeHandler(handler);
    const line = result.logs.at(-1) ?? {};

    // Assess
    expect(result.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(result.outcome).toBe('error_policy_deny');
    expect(result.reason).toBe('answer_too_large');
    expect(line.answer_bytes).toBeGreaterThan(64 * 1024);
    expect(String(line.msg)).toContain('MAX_ANSWER_BYTES (65536)');
  });

  it('lets an answer up to the limit through, and follows MAX_ANSWER_BYTES', async () => {
    // Prepare
    const reason = 'r'.repeat(60 * 1024);
    const handler = defineBlockingHandler('user.pre_create', () => ({ is_allowed: false, title: 'x', reason }));

    // Act
    const underDefault = await invokeHandler(handler);
    const overLowered = await invokeHandler(handler, { config: { maxAnswerBytes: 32 * 1024 } });

    // Assess
    expect(underDefault.outcome).toBe('denied');
    expect(underDefault.body.length).toBeGreaterThan(60 * 1024);
    expect(overLowered.reason).toBe('answer_too_large');
  });
});
