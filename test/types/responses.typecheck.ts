/**
 * Compile-only checks for the blocking response types (run by `tsc --noEmit`, not by vitest).
 * Each `@ts-expect-error` line must fail to compile; if it ever compiles, tsc reports the unused directive.
 */
import type { AmrConstraint, BlockingResponse, Constraints, Deny, RateLimits, UserMutation } from '../../shared/core/responses';

// --- valid answers compile ---------------------------------------------------------------------

export const allowUser: BlockingResponse<'user.pre_create'> = { is_allowed: true };
export const denyUser: BlockingResponse<'user.pre_create'> = { is_allowed: false, title: 'Blocked', reason: 'Domain' };
export const deny: Deny = { is_allowed: false };
export const mutateUser: BlockingResponse<'user.profile.pre_update'> = {
  is_allowed: true,
  mutations: {
    user: {
      standard_attributes: { given_name: 'Jane' },
      custom_attributes: { plan: 'free' },
      roles: ['member'],
      groups: [],
    },
  },
};
export const mutateJwt: BlockingResponse<'oidc.jwt.pre_create'> = {
  is_allowed: true,
  mutations: { jwt: { payload: { sub: 'u1', 'https://example.com/tenant': 'acme' } } },
};
export const mutateIdToken: BlockingResponse<'oidc.id_token.pre_create'> = {
  is_allowed: true,
  mutations: { id_token: { payload: { sub: 'u1' } } },
};
export const preInitialize: BlockingResponse<'authentication.pre_initialize'> = {
  is_allowed: true,
  constraints: { amr: ['mfa', 'x_recovery_code'] },
  bot_protection: { mode: 'never' },
  rate_limits: { 'authentication.general': { weight: 0 }, 'authentication.account_enumeration': { weight: 2 } },
};
export const postIdentified: BlockingResponse<'authentication.post_identified'> = {
  is_allowed: true,
  bot_protection: { mode: 'always' },
};
export const preAuthenticated: BlockingResponse<'authentication.pre_authenticated'> = {
  is_allowed: true,
  constraints: { amr: ['x_secondary_totp'] },
  rate_limits: { 'authentication.account_enumeration': { weight: 1 } },
};
export const amr: AmrConstraint = 'x_primary_oob_otp_sms';
export const constraints: Constraints = {};
export const rateLimits: RateLimits = {};
export const userMutation: UserMutation = { roles: [] };

// --- invalid answers do not compile ------------------------------------------------------------

// @ts-expect-error a title is only allowed when denying
export const titleWhenAllowing: BlockingResponse<'user.pre_create'> = { is_allowed: true, title: 'Welcome' };

// @ts-expect-error a reason is only allowed when denying
export const reasonWhenAllowing: BlockingResponse<'authentication.pre_initialize'> = { is_allowed: true, reason: 'ok' };

// @ts-expect-error a deny carries no mutations
export const mutationsWhenDenying: BlockingResponse<'user.pre_create'> = { is_allowed: false, mutations: { user: { roles: [] } } };

// @ts-expect-error Deny has nothing but is_allowed, title and reason
export const denyWithExtra: Deny = { is_allowed: false, mutations: {} };

type PreAuthenticated = BlockingResponse<'authentication.pre_authenticated'>;
// @ts-expect-error bot_protection is not accepted by authentication.pre_authenticated
export const botProtectionPreAuthenticated: PreAuthenticated = { is_allowed: true, bot_protection: { mode: 'always' } };

// @ts-expect-error constraints are not accepted by user.pre_create
export const constraintsOnUserEvent: BlockingResponse<'user.pre_create'> = { is_allowed: true, constraints: { amr: ['mfa'] } };

// @ts-expect-error mutations are not accepted by authentication events
export const mutationsOnAuthentication: BlockingResponse<'authentication.post_identified'> = { is_allowed: true, mutations: {} };

type PreInitialize = BlockingResponse<'authentication.pre_initialize'>;
// @ts-expect-error x_passkey is not an amr constraint Authgear accepts
export const passkeyConstraint: PreInitialize = { is_allowed: true, constraints: { amr: ['x_passkey'] } };

// @ts-expect-error not an amr constraint
export const badAmr: AmrConstraint = 'x_biometric';

// @ts-expect-error bot_protection.mode is never | always
export const badMode: BlockingResponse<'authentication.pre_initialize'> = { is_allowed: true, bot_protection: { mode: 'sometimes' } };

// @ts-expect-error only two rate limits can be adjusted
export const badRateLimit: RateLimits = { 'authentication.password': { weight: 1 } };

// @ts-expect-error is_allowed must be a boolean
export const stringAllowed: BlockingResponse<'user.pre_create'> = { is_allowed: 'true' };
