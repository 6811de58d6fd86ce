/** Payload parts shared by the identity events. */
import { uuid } from './hashes';
import { type UserState, PHONE, usernameOf, user, type LoginIdKind, loginIdIdentity, at, secondEmail, previousEmail } from './models';
import type { Story } from './story';

export function identityEvent(s: Story, kind: LoginIdKind, verb: 'added' | 'removed' | 'verified' | 'unverified') {
  const now = at(s.timestamp);
  if (kind === 'email') {
    const value = verb === 'added' || verb === 'removed' ? secondEmail(s.email) : s.email;
    return {
      user: user(s, { verified: verb !== 'unverified' }, { updatedAt: now }),
      identity: loginIdIdentity(s, 'email', value, verb === 'added' ? { createdAt: now } : {}),
    };
  }
  const value = kind === 'phone' ? PHONE : usernameOf(s.email);
  const state: UserState =
    kind === 'phone'
      ? verb === 'removed'
        ? {}
        : { phone: { verified: verb !== 'unverified' } }
      : verb === 'removed'
        ? {}
        : { username: true };
  return {
    user: user(s, state, { updatedAt: now }),
    identity: loginIdIdentity(s, kind, value, verb === 'added' ? { createdAt: now } : {}),
  };
}

export function identityUpdated(s: Story, kind: LoginIdKind) {
  const now = at(s.timestamp);
  const [oldValue, newValue] =
    kind === 'email'
      ? [previousEmail(s.email), s.email]
      : kind === 'phone'
        ? ['+447700900456', PHONE]
        : [`${usernameOf(s.email)}_old`, usernameOf(s.email)];
  const state: UserState = kind === 'phone' ? { phone: { verified: true } } : kind === 'username' ? { username: true } : {};
  return {
    user: user(s, state, { updatedAt: now }),
    new_identity: loginIdIdentity(s, kind, newValue, { createdAt: now, id: uuid('identity', s.userId, kind, newValue, 'new') }),
    old_identity: loginIdIdentity(s, kind, oldValue, { id: uuid('identity', s.userId, kind, oldValue, 'old') }),
  };
}
