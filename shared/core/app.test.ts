/** The composed pipeline: the synchronous fast path and the log line it writes. */
import { describe, expect, it } from 'vitest';
import { VECTOR_SECRET, vector } from '../../test/fixtures/authgear-vectors';
import { createWebhookApp } from './app';
import { readConfig } from './config';
import { defineBlockingHandler } from './handler';
import type { Logger } from './logger';
import { SecretStore, staticSecretSource } from './secret';
import { harness, signedRequest, deliver, allowPreCreate } from '../../test/support/app-harness';

describe('createWebhookApp: the warm path', () => {
  it('writes the one line of an allowed request with the same keys in the same order', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], env: { LOG_LEVEL: 'info' } });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json', 'x-authgear-webhooks-answer': 'handler' },
      body: '{"is_allowed":true}',
    });
    expect(h.lines).toHaveLength(1);
    expect(Object.keys(h.outcome())).toEqual([
      'level',
      'time',
      'msg',
      'method',
      'path',
      'route',
      'event_id',
      'event_type',
      'handler_ms',
      'status',
      'outcome',
      'latency_ms',
    ]);
    expect(h.outcome()).toMatchObject({ level: 'info', msg: 'blocking event answered', outcome: 'allowed', status: 200 });
  });

  it('checks an answer that only serialises to {"is_allowed":true} like any other', async () => {
    // Prepare: undefined and function values are left out by JSON.stringify
    const h = harness({
      blocking: [defineBlockingHandler('user.pre_create', () => ({ is_allowed: true, title: undefined, note: () => 1 }) as never)],
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.body).toBe('{"is_allowed":true}');
    expect(h.outcome()).toMatchObject({ outcome: 'allowed' });
  });

  it('rejects a throwing logger as a rejected promise, not a synchronous throw', async () => {
    // Prepare
    const config = readConfig({ MAX_EVENT_AGE_SECONDS: '0' });
    const failing: Logger = {
      debug: () => undefined,
      info: () => {
        throw new Error('sink closed');
      },
      warn: () => undefined,
      error: () => undefined,
    };
    const secrets = new SecretStore({
      source: staticSecretSource(VECTOR_SECRET),
      logger: failing,
      ttlMs: 60_000,
      refreshIntervalMs: 1_000,
    });
    await secrets.get();
    const app = createWebhookApp({
      handlers: { blocking: new Map([['user.pre_create', allowPreCreate]]) as never },
      secrets,
      config,
      logger: failing,
    });

    // Act
    let result: Promise<unknown> | undefined;
    const call = () => (result = app.handle(signedRequest('/blocking/user.pre_create', vector('user.pre_create').body)));

    // Assess
    expect(call).not.toThrow();
    await expect(result).rejects.toThrow('sink closed');
  });
});
