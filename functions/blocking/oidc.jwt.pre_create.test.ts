import { describe, expect, it } from 'vitest';
import { invokeHandler, sampleEvent } from '../../shared/testing';
import handler from './oidc.jwt.pre_create';

const PLAN_CLAIM = 'https://example.com/claims/plan';

describe('functions/blocking/oidc.jwt.pre_create', () => {
  it('adds the plan claim and echoes every original claim, so Authgear accepts the token', async () => {
    // Prepare
    const event = sampleEvent('oidc.jwt.pre_create', { user: { customAttributes: { plan: 'pro' } } });

    // Act
    const result = await invokeHandler(handler, { event });

    // Assess
    expect(result.outcome).toBe('allowed');
    expect(result.violations).toBeUndefined();
    expect(result.answer).toEqual({
      is_allowed: true,
      mutations: { jwt: { payload: { ...event.payload.jwt.payload, [PLAN_CLAIM]: 'pro' } } },
    });
  });

  it('falls back to the free plan for users without one', async () => {
    // Prepare
    const event = sampleEvent('oidc.jwt.pre_create');

    // Act
    const result = await invokeHandler(handler, { event });

    // Assess
    expect(result.answer).toMatchObject({ mutations: { jwt: { payload: { [PLAN_CLAIM]: 'free' } } } });
  });

  it('fails open when it throws: the token is issued without the claim', async () => {
    // Prepare
    const event = sampleEvent('oidc.jwt.pre_create');
    (event.payload as { user: unknown }).user = undefined;

    // Act
    const result = await invokeHandler(handler, { event });

    // Assess
    expect(result.outcome).toBe('error_policy_allow');
    expect(result.reason).toBe('handler_threw');
    expect(result.answer).toEqual({ is_allowed: true });
  });
});
