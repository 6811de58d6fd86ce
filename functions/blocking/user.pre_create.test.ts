import { afterEach, describe, expect, it, vi } from 'vitest';
import { invokeHandler } from '../../shared/testing';

/** The handler reads DENIED_EMAIL_DOMAINS when it is imported, so each case imports a fresh copy. */
async function loadHandler(deniedDomains?: string) {
  if (deniedDomains !== undefined) vi.stubEnv('DENIED_EMAIL_DOMAINS', deniedDomains);
  vi.resetModules();
  return (await import('./user.pre_create')).default;
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('functions/blocking/user.pre_create', () => {
  it('lets everyone sign up when no domain is denied', async () => {
    // Prepare
    const handler = await loadHandler('');

    // Act
    const result = await invokeHandler(handler, { sample: { email: 'zoë@mailinator.com' } });

    // Assess
    expect(result.outcome).toBe('allowed');
    expect(result.answer).toEqual({ is_allowed: true });
  });

  it('denies a sign-up from a denied domain, whatever its case, with a title and reason', async () => {
    // Prepare
    const handler = await loadHandler('example.net, Mailinator.com');

    // Act
    const result = await invokeHandler(handler, { sample: { email: 'Zoë.Müller@MAILINATOR.com' } });

    // Assess
    expect(result.status).toBe(200);
    expect(result.outcome).toBe('denied');
    expect(result.answer).toEqual({
      is_allowed: false,
      title: 'Sign-up not allowed',
      reason: 'Please sign up with a different e-mail address.',
    });
  });

  it('allows other domains while some are denied', async () => {
    // Prepare
    const handler = await loadHandler('mailinator.com');

    // Act
    const result = await invokeHandler(handler, { sample: { email: 'ana@example.com' } });

    // Assess
    expect(result.outcome).toBe('allowed');
  });

  it('answers through its deny error policy when the event has no e-mail to read', async () => {
    // Prepare
    const handler = await loadHandler('mailinator.com');
    const { sampleEvent } = await import('../../shared/testing');
    const event = sampleEvent('user.pre_create');
    // Not something Authgear sends: shows that a throwing handler still gets a valid answer.
    (event.payload as { user: unknown }).user = null;

    // Act
    const result = await invokeHandler(handler, { event });

    // Assess
    expect(result.outcome).toBe('error_policy_deny');
    expect(result.reason).toBe('handler_threw');
    expect(result.answer).toMatchObject({ is_allowed: false });
  });
});
