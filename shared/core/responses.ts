/**
 * What a blocking webhook may answer, as types.
 *
 * The types are deliberately a little stricter than Authgear (for example they only offer
 * `mutations.jwt` on `oidc.jwt.pre_create`), so that the compiler steers handlers towards answers
 * that both pass Authgear's validation and actually do something. The runtime check
 * (`response-check.ts`) instead mirrors exactly what Authgear's server accepts, plus the rule that
 * a token mutation must keep every original claim.
 */
import type { BlockingEventType } from './constants';

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

/** The 12 values Authgear accepts in `constraints.amr` (any other value fails the response). */
export const AMR_CONSTRAINT_VALUES = [
  'mfa',
  'otp',
  'pwd',
  'sms',
  'x_primary_oob_otp_email',
  'x_primary_oob_otp_sms',
  'x_primary_password',
  'x_recovery_code',
  'x_secondary_oob_otp_email',
  'x_secondary_oob_otp_sms',
  'x_secondary_password',
  'x_secondary_totp',
] as const;

/** One required authentication method; several in `constraints.amr` must all be satisfied. */
export type AmrConstraint = (typeof AMR_CONSTRAINT_VALUES)[number];

/** The only keys Authgear accepts inside `rate_limits`. */
export const RATE_LIMIT_KEYS = ['authentication.general', 'authentication.account_enumeration'] as const;

export type RateLimitKey = (typeof RATE_LIMIT_KEYS)[number];

/** Extra authentication the user must complete before the flow may finish. */
export type Constraints = {
  /** Every listed method is required (AND). */
  amr?: AmrConstraint[];
};

/** Overrides the project's bot-protection setting for this authentication flow. */
export type BotProtection = {
  mode: 'never' | 'always';
};

/** How much the following attempts count against a rate limit. */
export type RateLimitWeight = {
  /** Defaults to 1; 0 means the attempts are not counted. Must be >= 0. */
  weight: number;
};

/** Rate-limit weights for the rest of the authentication flow. */
export type RateLimits = {
  'authentication.general'?: RateLimitWeight;
  'authentication.account_enumeration'?: RateLimitWeight;
};

/**
 * Changes to the user, for the `user.*` blocking events.
 *
 * Every field that is present REPLACES the whole corresponding field of the user; nothing is
 * merged. Send the complete object or list you want the user to end up with: keys left out of
 * `standard_attributes` or `custom_attributes` are deleted, and `roles` / `groups` become exactly
 * the given list (`[]` removes them all). Leave a field out to keep it unchanged.
 */
export type UserMutation = {
  /** Replaces all standard attributes (keys you omit are removed). */
  standard_attributes?: Record<string, unknown>;
  /** Replaces all custom attributes (keys you omit are removed). */
  custom_attributes?: Record<string, unknown>;
  /** Replaces the user's directly assigned roles, by role key. */
  roles?: string[];
  /** Replaces the user's groups, by group key. */
  groups?: string[];
};

/**
 * Replacement claims for a token. The map replaces ALL claims, and every claim of the original
 * token must still be there with the same value, so copy the original payload and add to it.
 */
export type TokenMutation = {
  payload: Record<string, unknown>;
};

// ---------------------------------------------------------------------------------------------
// Response shapes
// ---------------------------------------------------------------------------------------------

/** Refuses the operation; `title` and `reason` may be shown to the end user. */
export type Deny = {
  is_allowed: false;
  title?: string;
  reason?: string;
};

/** Allow answer for `user.pre_create`, `user.profile.pre_update` and the two `user.pre_schedule_*` events. */
export type UserEventAllow = {
  is_allowed: true;
  mutations?: { user?: UserMutation };
  title?: never;
  reason?: never;
  constraints?: never;
  bot_protection?: never;
  rate_limits?: never;
};

/** Allow answer for `oidc.jwt.pre_create`. */
export type JwtAllow = {
  is_allowed: true;
  mutations?: { jwt?: TokenMutation };
  title?: never;
  reason?: never;
  constraints?: never;
  bot_protection?: never;
  rate_limits?: never;
};

/** Allow answer for `oidc.id_token.pre_create`. */
export type IdTokenAllow = {
  is_allowed: true;
  mutations?: { id_token?: TokenMutation };
  title?: never;
  reason?: never;
  constraints?: never;
  bot_protection?: never;
  rate_limits?: never;
};

/** Allow answer for `authentication.pre_initialize` and `authentication.post_identified`. */
export type AuthenticationAllow = {
  is_allowed: true;
  constraints?: Constraints;
  bot_protection?: BotProtection;
  rate_limits?: RateLimits;
  title?: never;
  reason?: never;
  mutations?: never;
};

/** Allow answer for `authentication.pre_authenticated` (no `bot_protection` at this point). */
export type PreAuthenticatedAllow = {
  is_allowed: true;
  constraints?: Constraints;
  rate_limits?: RateLimits;
  title?: never;
  reason?: never;
  mutations?: never;
  bot_protection?: never;
};

/** The allow answer each blocking event accepts. */
export interface AllowResponseMap {
  'user.pre_create': UserEventAllow;
  'user.profile.pre_update': UserEventAllow;
  'user.pre_schedule_deletion': UserEventAllow;
  'user.pre_schedule_anonymization': UserEventAllow;
  'oidc.jwt.pre_create': JwtAllow;
  'oidc.id_token.pre_create': IdTokenAllow;
  'authentication.pre_initialize': AuthenticationAllow;
  'authentication.post_identified': AuthenticationAllow;
  'authentication.pre_authenticated': PreAuthenticatedAllow;
}

/** Everything a handler for blocking event `T` may return. */
export type BlockingResponse<T extends BlockingEventType> = Deny | AllowResponseMap[T];
