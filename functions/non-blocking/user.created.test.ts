import { describe, expect, it } from 'vitest';
import { invokeHandler, sampleEvent } from '../../shared/testing';
import handler from './user.created';

describe('functions/non-blocking/user.created', () => {
  it('is acknowledged and logs the new user by id', async () => {
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
        user_id: event.payload.user.id,
        identity_types: ['login_id'],
        triggered_by: 'user',
        event_id: event.id,
      }),
    );
  });

  it('keeps the e-mail address out of the logs', async () => {
    // Prepare
    const email = 'zoë.müller@example.com';

    // Act
    const result = await invokeHandler(handler, { sample: { email } });

    // Assess
    expect(JSON.stringify(result.logs)).not.toContain('example.com');
  });
});
