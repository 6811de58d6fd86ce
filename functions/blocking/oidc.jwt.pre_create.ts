/**
 * Adds a custom claim to JWT access tokens. Authgear requires every original claim to be echoed
 * back unchanged, so the new payload starts from the original one.
 *
 * Only fires for OAuth clients with "Issue JWT as access token" enabled.
 */
import { defineBlockingHandler } from '../../shared';

export default defineBlockingHandler(
  'oidc.jwt.pre_create',
  (event) => {
    const { user } = event.payload;
    return {
      is_allowed: true,
      mutations: {
        jwt: {
          payload: {
            ...event.payload.jwt.payload,
            // Namespaced with a URL you control, so it can never collide with a registered claim.
            'https://example.com/claims/plan': user.custom_attributes.plan ?? 'free',
          },
        },
      },
    };
  },
  // Fail open: a missing custom claim is better than a user who cannot get a token.
  { onError: 'allow' },
);
