/**
 * The test kit: invokeHandler runs handlers through the production core, so failures are answered
 * by the error policy and reported with the log's reason.
 */
import { describe, expect, it } from 'vitest';
import { defineBlockingHandler, defineNonBlockingHandler } from '../index';
import { verifySignature } from '../core/verify';
import { invokeHandler, sampleEvent, signedRequest } from '../testing';

describe('invokeHandler', () => {
  it('reports an answer Authgear would reject, with the broken rules, and the error policy answer', async () => {
    // Prepare
    const handler = defineBlockingHandler(
      'authentication.pre_authenticated',
      () => ({ is_allowed: true, bot_protection: { mode: 'always' } }) as never,
    );

    // Act
    const result = await invokeHandler(handler);

    // Assess
    expect(result.status).toBe(200);
    expect(result.outcome).toBe('error_policy_deny');
    expect(result.reason).toBe('invalid_response');
    expect(result.violations).toEqual([
      { path: 'bot_protection', rule: expect.stringContaining('"bot_protection" is not accepted for authentication.pre_authenticated') },
    ]);
    expect(result.answer).toMatchObject({ is_allowed: false });
  });

  it('applies the deadline, and fails open when the policy says so', async () => {
    // Prepare
    const handler = defineBlockingHandler('user.pre_create', () => new Promise<never>(() => {}), { onError: 'allow' });

    // Act
    const result = await invokeHandler(handler, { config: { blockingDeadlineMs: 30 } });

    // Assess
    expect(result.outcome).toBe('error_policy_allow');
    expect(result.reason).toBe('deadline_exceeded');
    expect(result.answer).toEqual({ is_allowed: true });
  });

  it('reports a failing non-blocking handler, run from the queue after a 200, with its error message', async () => {
    // Prepare
    const handler = defineNonBlockingHandler('user.deleted', () => {
      throw new Error('CRM unreachable');
    });

    // Act
    const result = await invokeHandler(handler, { event: sampleEvent('user.deleted', { timestamp: 1_000 }) });

    // Assess
    expect(result.status).toBe(200);
    expect(result.outcome).toBe('handler_failed');
    expect(result.reason).toBe('handler_threw');
    expect(result.errorMessage).toBe('CRM unreachable');
  });

  it('signs requests the way Authgear does', () => {
    // Prepare
    const event = sampleEvent('user.created', { givenName: '<Zoë>' });

    // Act
    const { body, headers } = signedRequest(event, 'secret');

    // Assess
    expect(body).toContain('\\u003cZoë\\u003e');
    expect(headers['content-type']).toBe('application/json');
    expect(verifySignature(Buffer.from(body), headers['x-authgear-body-signature'], ['secret'])).toBe('valid');
  });
});
