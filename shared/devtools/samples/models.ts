/** The objects inside sample payloads (users, identities, sessions, tokens), shaped like Authgear's Go structs. */
import type {
  Authentication,
  AuthenticationContext,
  Authenticator,
  EventContext,
  Identification,
  Identity,
  Session,
  StandardAttributes,
  User,
} from '../../core/events';
import { goTime, sortGoMap, unixSeconds } from './../go-json';
import { digest, uuid, dropUndefined } from './hashes';
import { type Story, DAY, COUNTRY_NAMES } from './story';

export interface UserState {
  readonly anonymous?: boolean;
  readonly verified?: boolean;
  readonly disabled?: { readonly reason?: string; readonly from?: string; readonly until?: string };
  readonly deactivated?: boolean;
  readonly deleteAt?: string;
  readonly anonymizeAt?: string;
  readonly phone?: { readonly verified: boolean };
  readonly username?: boolean;
}

export const PHONE = '+447700900123';
export const usernameOf = (email: string): string => (email.split('@')[0] ?? email).toLowerCase().replace(/[^a-z0-9_]/g, '_');

export function standardAttributes(s: Story, state: UserState, updatedAt: string): StandardAttributes {
  // Authgear derives this from the user's updated_at.
  const attrs: Record<string, unknown> = { updated_at: unixSeconds(updatedAt) };
  if (state.anonymous) return attrs as StandardAttributes;
  attrs.email = s.email;
  attrs.email_verified = state.verified ?? true;
  if (s.givenName !== null) attrs.given_name = s.givenName;
  if (s.familyName !== null) attrs.family_name = s.familyName;
  if (s.givenName !== null && s.familyName !== null) attrs.name = `${s.givenName} ${s.familyName}`;
  if (state.phone) {
    attrs.phone_number = PHONE;
    attrs.phone_number_verified = state.phone.verified;
  }
  if (state.username) attrs.preferred_username = usernameOf(s.email);
  return sortGoMap(attrs) as StandardAttributes;
}

/** A `User` in Authgear's field order; optional dates are left out unless the state sets them. */
export function user(s: Story, state: UserState = {}, times: { readonly createdAt?: string; readonly updatedAt?: string } = {}): User {
  const updatedAt = times.updatedAt ?? s.updatedAt;
  const u: Record<string, unknown> = {
    id: s.userId,
    created_at: times.createdAt ?? s.createdAt,
    updated_at: updatedAt,
    last_login_at: state.anonymous ? undefined : s.lastLoginAt,
    is_anonymous: state.anonymous ?? false,
    is_verified: !state.anonymous && (state.verified ?? true),
    is_disabled: state.disabled !== undefined,
    disable_reason: state.disabled?.reason,
    is_deactivated: state.deactivated ?? false,
    delete_at: state.deleteAt,
    delete_reason: undefined,
    is_anonymized: false,
    anonymize_at: state.anonymizeAt,
    temporarily_disabled_from: state.disabled?.from,
    temporarily_disabled_until: state.disabled?.until,
    account_valid_from: undefined,
    account_valid_until: undefined,
    can_reauthenticate: !state.anonymous,
    standard_attributes: standardAttributes(s, state, updatedAt),
    custom_attributes: sortGoMap({ ...s.customAttributes }),
    x_web3: {},
    roles: [...s.roles],
    groups: [...s.groups],
    mfa_grace_period_end_at: undefined,
  };
  return dropUndefined(u) as unknown as User;
}

export type LoginIdKind = 'email' | 'phone' | 'username';
export const LOGIN_ID_CLAIM: Readonly<Record<LoginIdKind, string>> = {
  email: 'email',
  phone: 'phone_number',
  username: 'preferred_username',
};

export function identity(s: Story, id: string, type: Identity['type'], claims: Record<string, unknown>, createdAt = s.createdAt): Identity {
  return { id, created_at: createdAt, updated_at: createdAt, type, user_id: s.userId, claims: sortGoMap(claims) };
}

export function loginIdIdentity(s: Story, kind: LoginIdKind, value: string, options: { id?: string; createdAt?: string } = {}): Identity {
  const prefix = 'https://authgear.com/claims/login_id/';
  const id = options.id ?? (kind === 'email' && value === s.email ? s.identityId : uuid('identity', s.userId, kind, value));
  return identity(
    s,
    id,
    'login_id',
    {
      [LOGIN_ID_CLAIM[kind]]: value,
      [`${prefix}key`]: kind,
      [`${prefix}original_value`]: value,
      [`${prefix}type`]: kind,
      [`${prefix}value`]: value,
    },
    options.createdAt,
  );
}

export function oauthIdentity(s: Story): Identity {
  const subject = BigInt(`0x${digest('google-sub', s.userId).toString('hex').slice(0, 20)}`)
    .toString()
    .padStart(21, '1');
  const profile: Record<string, unknown> = { email: s.email, email_verified: true, sub: subject };
  if (s.givenName !== null) profile.given_name = s.givenName;
  if (s.familyName !== null) profile.family_name = s.familyName;
  if (s.givenName !== null && s.familyName !== null) profile.name = `${s.givenName} ${s.familyName}`;
  const prefix = 'https://authgear.com/claims/oauth/';
  const claims: Record<string, unknown> = {
    ...profile,
    [`${prefix}profile`]: sortGoMap(profile),
    [`${prefix}provider_alias`]: 'google',
    [`${prefix}provider_type`]: 'google',
    [`${prefix}subject_id`]: subject,
  };
  delete claims.sub;
  return identity(s, uuid('identity', s.userId, 'oauth'), 'oauth', claims, at(s.timestamp));
}

export function biometricIdentity(s: Story): Identity {
  const prefix = 'https://authgear.com/claims/biometric/';
  return identity(
    s,
    uuid('identity', s.userId, 'biometric'),
    'biometric',
    {
      [`${prefix}device_info`]: {
        ios: { UIDevice: { model: 'iPhone', systemName: 'iOS', systemVersion: '18.1' }, uname: { machine: 'iPhone16,1' } },
      },
      [`${prefix}formatted_device_info`]: 'iPhone 15 Pro',
      [`${prefix}key_id`]: uuid('biometric-key', s.userId),
    },
    at(s.timestamp),
  );
}

export function passwordAuthenticator(s: Story): Authenticator {
  return {
    id: s.authenticatorId,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    user_id: s.userId,
    type: 'password',
    is_default: false,
    kind: 'primary',
  };
}

export const PASSWORD_AMR = ['pwd', 'x_primary_password'];

export function session(s: Story, context: EventContext, createdAt: string, lastAccessedAt: string): Session {
  const ua = context.user_agent ?? '';
  const country = context.geo_location_code ?? '';
  const result: Record<string, unknown> = {
    id: s.sessionId,
    created_at: createdAt,
    updated_at: lastAccessedAt,
    type: 'idp',
    amr: PASSWORD_AMR,
    lastAccessedAt,
    createdByIP: context.ip_address ?? '',
    lastAccessedByIP: context.ip_address ?? '',
    lastAccessedByIPCountryCode: country,
    lastAccessedByIPEnglishCountryName: COUNTRY_NAMES[country] ?? '',
    clientID: null,
    displayName: displayName(ua),
    applicationName: undefined,
    userAgent: ua === '' ? undefined : ua,
  };
  return dropUndefined(result) as unknown as Session;
}

/** "Chrome 131.0.0" from a user agent: family and up to three version parts, as Authgear shows sessions. */
export function displayName(userAgent: string): string {
  const patterns: readonly [RegExp, string][] = [
    [/Edg\/([\d.]+)/, 'Edge'],
    [/Firefox\/([\d.]+)/, 'Firefox'],
    [/Chrome\/([\d.]+)/, 'Chrome'],
    [/Version\/([\d.]+).*Safari\//, 'Safari'],
  ];
  for (const [pattern, family] of patterns) {
    const version = pattern.exec(userAgent)?.[1];
    if (version) return `${family} ${version.split('.').slice(0, 3).join('.')}`;
  }
  return userAgent === '' ? '' : 'Other';
}

export function authenticationContext(
  _s: Story,
  options: { user: User | null; identifications: Identification[]; authentications: Authentication[] },
): AuthenticationContext {
  const amr = options.authentications.length > 0 ? PASSWORD_AMR : [];
  return {
    authentication_flow: { type: 'login', name: 'default' },
    user: options.user,
    asserted_identifications: options.identifications,
    asserted_authentications: options.authentications,
    amr: [...amr],
  };
}

export function emailIdentification(s: Story): Identification {
  return { identification: 'email', identity: loginIdIdentity(s, 'email', s.email), id_token: null };
}

export function tokenClaims(s: Story, extra: Record<string, unknown>): Record<string, unknown> {
  const authTime = s.lastLoginAt ? unixSeconds(s.lastLoginAt) : s.timestamp;
  return sortGoMap({
    amr: PASSWORD_AMR,
    auth_time: authTime,
    iat: s.timestamp,
    iss: s.projectOrigin,
    sub: s.userId,
    'https://authgear.com/claims/user/can_reauthenticate': true,
    'https://authgear.com/claims/user/is_anonymous': false,
    'https://authgear.com/claims/user/is_verified': true,
    'https://authgear.com/claims/user/roles': [...s.roles],
    ...extra,
    ...s.claims,
  });
}

export const at = (seconds: number): string => goTime(seconds * 1e6 + (seconds % 997) * 1003);
export const later = (s: Story, days: number): string => at(s.timestamp + days * DAY);
export const secondEmail = (email: string): string => email.replace('@', '+work@');
export const previousEmail = (email: string): string =>
  `${email.split('@')[0] ?? 'user'}@${email.endsWith('@example.org') ? 'example.net' : 'example.org'}`;

export function userWithIdentities(s: Story) {
  return { user: user(s), identities: [loginIdIdentity(s, 'email', s.email)] };
}
