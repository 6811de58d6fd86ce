/** Payloads of the 9 blocking events. */
import { digest } from './hashes';
import { user, passwordAuthenticator, authenticationContext, emailIdentification, tokenClaims, userWithIdentities } from './models';
import type { PayloadBuilders } from './payload-builders';

export const BLOCKING_PAYLOADS = {
  'user.pre_create': (s) => userWithIdentities(s),
  'user.profile.pre_update': (s) => ({ user: user(s) }),
  'user.pre_schedule_deletion': (s) => ({ user: user(s) }),
  'user.pre_schedule_anonymization': (s) => ({ user: user(s) }),
  'oidc.jwt.pre_create': (s) => ({
    ...userWithIdentities(s),
    jwt: {
      payload: tokenClaims(s, {
        aud: [s.projectOrigin],
        client_id: s.clientId,
        exp: s.timestamp + 1800,
        jti: digest('jti', String(s.seq)).toString('hex'),
        scope: 'openid offline_access https://authgear.com/scopes/full-access',
      }),
    },
  }),
  'oidc.id_token.pre_create': (s) => {
    const profile: Record<string, unknown> = { email: s.email, email_verified: true };
    if (s.givenName !== null) profile.given_name = s.givenName;
    if (s.familyName !== null) profile.family_name = s.familyName;
    return {
      ...userWithIdentities(s),
      id_token: {
        payload: tokenClaims(s, {
          ...profile,
          aud: s.clientId,
          exp: s.timestamp + 3600,
          sid: digest('sid', s.sessionId).toString('base64url').slice(0, 32),
        }),
      },
    };
  },
  'authentication.pre_initialize': (s) => ({
    authentication_context: authenticationContext(s, { user: null, identifications: [], authentications: [] }),
  }),
  'authentication.post_identified': (s) => {
    const identification = emailIdentification(s);
    return {
      identification,
      authentication_context: authenticationContext(s, { user: user(s), identifications: [identification], authentications: [] }),
    };
  },
  'authentication.pre_authenticated': (s) => ({
    authentication_context: authenticationContext(s, {
      user: user(s),
      identifications: [emailIdentification(s)],
      authentications: [{ authentication: 'primary_password', authenticator: passwordAuthenticator(s) }],
    }),
  }),
} satisfies Partial<PayloadBuilders>;
