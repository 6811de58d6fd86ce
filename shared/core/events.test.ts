import { describe, it, expect } from 'vitest';
import { VECTORS } from '../../test/fixtures/authgear-vectors';
import type { UnknownEvent } from './events';

/** Every object nested anywhere in `value` that has the keys of a Session (found by its camelCase `lastAccessedAt`). */
const findSessions = (value: unknown): Record<string, unknown>[] => {
  if (Array.isArray(value)) return value.flatMap(findSessions);
  if (value === null || typeof value !== 'object') return [];
  const own = 'lastAccessedAt' in value || 'last_accessed_at' in value ? [value as Record<string, unknown>] : [];
  return [...own, ...Object.values(value).flatMap(findSessions)];
};

describe('event envelope wire facts (signed Authgear vectors)', () => {
  it.each(VECTORS.map((v) => [v.type, v.body] as const))('%s', (type, body) => {
    // Prepare
    const expectedEnvelopeKeys = ['id', 'seq', 'type', 'payload', 'context'];

    // Act
    const event = JSON.parse(body) as UnknownEvent;

    // Assess
    expect(Object.keys(event)).toEqual(expectedEnvelopeKeys);
    expect(event.type).toBe(type);
    expect(Number.isSafeInteger(event.seq)).toBe(true);
    expect(event.id).toBe(event.seq.toString(16).padStart(16, '0'));
    expect(event.id).toMatch(/^[0-9a-f]{16}$/);
    expect(event.context).toHaveProperty('user_id');
    expect(event.context).toHaveProperty('geo_location_code');
    expect(Number.isInteger(event.context.timestamp)).toBe(true);
    expect(event.context.timestamp).toBeLessThan(1e11); // seconds, not milliseconds
    for (const session of findSessions(event.payload)) {
      expect(session).toHaveProperty('lastAccessedAt');
      expect(session).toHaveProperty('clientID');
      expect(session).not.toHaveProperty('last_accessed_at');
      expect(session).not.toHaveProperty('client_id');
    }
  });

  it('includes a vector with a Session and one with no user', () => {
    // Prepare
    const events = VECTORS.map((v) => JSON.parse(v.body) as UnknownEvent);

    // Act
    const withSession = events.filter((e) => findSessions(e.payload).length > 0);
    const withoutUser = events.filter((e) => e.context.user_id === null);

    // Assess
    expect(withSession.map((e) => e.type)).toContain('user.authenticated');
    expect(withoutUser.map((e) => e.type)).toContain('authentication.pre_initialize');
  });
});
