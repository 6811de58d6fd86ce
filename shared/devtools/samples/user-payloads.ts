/** Payloads of the non-blocking user.* events. */
import { at, later, loginIdIdentity, session, user, userWithIdentities } from './models';
import type { PayloadBuilders } from './payload-builders';
import { DAY } from './story';

export const USER_PAYLOADS = {
  'user.created': (s) => userWithIdentities(s),
  'user.authenticated': (s, c) => ({ user: user(s), session: session(s, c, s.lastLoginAt ?? s.updatedAt, s.lastLoginAt ?? s.updatedAt) }),
  'user.reauthenticated': (s, c) => ({ user: user(s), session: session(s, c, at(s.timestamp - 3 * 3600), s.lastLoginAt ?? s.updatedAt) }),
  'user.profile.updated': (s) => ({ user: user(s) }),
  'user.disabled': (s) => {
    const from = at(s.timestamp);
    const until = later(s, 7);
    return {
      user: user(s, { disabled: { reason: 'Suspicious sign-ins; under review', from, until } }, { updatedAt: from }),
      temporarily_disabled_from: from,
      temporarily_disabled_until: until,
    };
  },
  'user.reenabled': (s) => ({ user: user(s, {}, { updatedAt: at(s.timestamp) }) }),
  'user.anonymous.promoted': (s) => {
    const anonymousSince = at(s.timestamp - 2 * DAY);
    return {
      anonymous_user: user(s, { anonymous: true }, { createdAt: anonymousSince, updatedAt: anonymousSince }),
      user: user(s, {}, { createdAt: anonymousSince }),
      identities: [loginIdIdentity(s, 'email', s.email)],
    } as ReturnType<PayloadBuilders['user.anonymous.promoted']>;
  },
  'user.deletion_scheduled': (s) => ({
    user: user(s, { disabled: {}, deactivated: true, deleteAt: later(s, 30) }, { updatedAt: at(s.timestamp) }),
  }),
  'user.deletion_unscheduled': (s) => ({ user: user(s, {}, { updatedAt: at(s.timestamp) }) }),
  'user.deleted': (s) => ({ user: user(s, { disabled: {}, deactivated: true, deleteAt: at(s.timestamp) }) }),
  'user.anonymization_scheduled': (s) => ({ user: user(s, { disabled: {}, anonymizeAt: later(s, 30) }, { updatedAt: at(s.timestamp) }) }),
  'user.anonymization_unscheduled': (s) => ({ user: user(s, {}, { updatedAt: at(s.timestamp) }) }),
  'user.anonymized': (s) => ({ user: user(s, { disabled: {}, anonymizeAt: at(s.timestamp) }) }),
} satisfies Partial<PayloadBuilders>;
