import { describe, expect, it } from 'vitest';
import { invokeHandler, sampleEvent } from '../../shared/testing';
import handler from './user.created';

describe('functions/non-blocking/user.created', () => {
  it('is acknowledged and logs the new user by event id', async () => {
    // Prepare
    const event = sampleEvent('user.created', { email: 'zoë.müller@example.com' });

    // Act
    const result = await invokeHandler(handler, { event });

    // Assess
    expect(result.status).toBe(200);
    expect(result.outcome).toBe('handled');
    expect(result.logs).toContainEqual(
      expect.objectContaining({
        msg: 'new user',
        identity_types: ['login_id'],
        triggered_by: 'user',
        event_id: event.id,
      }),
    );
  });

  it('keeps the e-mail address and the user id out of the logs', async () => {
    // Prepare
    const event = sampleEvent('user.created', { email: 'zoë.müller@example.com' });

    // Act
    const result = await invokeHandler(handler, { event });

    // Assess
    const logged = JSON.stringify(result.logs);
    expect(logged).not.toContain('example.com');
    expect(logged).not.toContain(event.payload.user.id);
  });
});
