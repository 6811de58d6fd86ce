/** Payloads of the non-blocking identity.* events, and usage.alert.triggered. */
import { identityEvent, identityUpdated } from './identity-helpers';
import { user, oauthIdentity, biometricIdentity, at } from './models';
import type { PayloadBuilders } from './payload-builders';

export const IDENTITY_PAYLOADS = {
  'identity.email.added': (s) => identityEvent(s, 'email', 'added'),
  'identity.email.removed': (s) => identityEvent(s, 'email', 'removed'),
  'identity.email.updated': (s) => identityUpdated(s, 'email'),
  'identity.phone.added': (s) => identityEvent(s, 'phone', 'added'),
  'identity.phone.removed': (s) => identityEvent(s, 'phone', 'removed'),
  'identity.phone.updated': (s) => identityUpdated(s, 'phone'),
  'identity.username.added': (s) => identityEvent(s, 'username', 'added'),
  'identity.username.removed': (s) => identityEvent(s, 'username', 'removed'),
  'identity.username.updated': (s) => identityUpdated(s, 'username'),
  'identity.oauth.connected': (s) => ({ user: user(s, {}, { updatedAt: at(s.timestamp) }), identity: oauthIdentity(s) }),
  'identity.oauth.disconnected': (s) => ({ user: user(s, {}, { updatedAt: at(s.timestamp) }), identity: oauthIdentity(s) }),
  'identity.biometric.enabled': (s) => ({ user: user(s), identity: biometricIdentity(s) }),
  'identity.biometric.disabled': (s) => ({ user: user(s), identity: biometricIdentity(s) }),
  'usage.alert.triggered': () => ({
    usage: { name: 'sms', action: 'alert', period: 'month', quota: 1000, current_value: 800, plan_name: 'business' },
  }),
  'identity.email.verified': (s) => identityEvent(s, 'email', 'verified'),
  'identity.email.unverified': (s) => identityEvent(s, 'email', 'unverified'),
  'identity.phone.verified': (s) => identityEvent(s, 'phone', 'verified'),
  'identity.phone.unverified': (s) => identityEvent(s, 'phone', 'unverified'),
} satisfies Partial<PayloadBuilders>;
