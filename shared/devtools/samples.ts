/**
 * Realistic sample events for every type Authgear delivers to webhooks: the fields, their order
 * and the null-versus-omitted rules of Authgear's Go structs, serialised to the same bytes Go's
 * `encoding/json` writes. Generated, not kept as JSON files, so they follow the types in
 * `shared/core/events.ts` and change with a few options.
 *
 * The samples tell small, consistent stories: a sign-up through the hosted pages, a login, a token
 * exchange, a profile edit in the settings pages, an Admin API call made through the portal, a
 * scheduled background job. Ids, times and tokens are derived from the options, so the same
 * options always give the same bytes.
 */
import { createHash } from 'node:crypto';
import {
  BLOCKING_EVENT_TYPES,
  NON_BLOCKING_EVENT_TYPES,
  isBlockingEventType,
  isNonBlockingEventType,
  type BlockingEventType,
  type EventType,
  type NonBlockingEventType,
} from '../core/constants';
import type {
  AuditContext,
  Authentication,
  AuthenticationContext,
  Authenticator,
  BlockingEventMap,
  EventContext,
  Identification,
  Identity,
  NonBlockingEventMap,
  Session,
  StandardAttributes,
  TriggeredBy,
  User,
} from '../core/events';
import { goJson, goTime, sortGoMap, unixSeconds } from './go-json';

/** Every event type a sample exists for: the 9 blocking types, then the 31 non-blocking ones. */
export const SAMPLE_EVENT_TYPES: readonly EventType[] = [...BLOCKING_EVENT_TYPES, ...NON_BLOCKING_EVENT_TYPES];

/** The typed envelope of event type `T`. */
export type SampleEvent<T extends EventType> = T extends BlockingEventType
  ? BlockingEventMap[T]
  : T extends NonBlockingEventType
    ? NonBlockingEventMap[T]
    : never;

/** Options of {@link sampleEvent}. Everything is optional; the defaults make a consistent story. */
export interface SampleOptions {
  /** `seq` of the envelope; `id` is always its 16-digit lowercase hex. Default: a per-process counter seeded from the clock. */
  readonly seq?: number;
  /** `context.timestamp` in Unix seconds. Default: now, so the receiver does not refuse the event as stale. */
  readonly timestamp?: number;
  /** The user's e-mail: login ID, standard attribute and claims. Default `zoe.muller@example.com`. */
  readonly email?: string;
  /** `standard_attributes.given_name`; `null` leaves it out (as after a sign-up with e-mail only). Default `Zoë`. */
  readonly givenName?: string | null;
  /** `standard_attributes.family_name`; `null` leaves it out. Default `Müller`. */
  readonly familyName?: string | null;
  /** Project id; the project's origin is `https://<appId>.authgear.cloud`. Default `myapp`. */
  readonly appId?: string;
  /** OAuth client the hosted pages and the token endpoint act for. Default: 16 hex digits derived from `appId`. */
  readonly clientId?: string;
  /** The user the event is about. */
  readonly user?: SampleUserOptions;
  /** Id of the user's e-mail login identity. Default: derived from `email`. */
  readonly identityId?: string;
  /** Id of the user's password authenticator. Default: derived from the user id. */
  readonly authenticatorId?: string;
  /** Id of the login session. Default: derived from the user id. */
  readonly sessionId?: string;
  /**
   * Replaces generated `context` fields, keeping Authgear's field order. A key given as
   * `undefined` is left out, as Go's `omitempty` does (e.g. `{ oauth: undefined }`).
   */
  readonly context?: Partial<EventContext>;
  /** Added to (or replacing) the claims of the token in `oidc.jwt.pre_create` / `oidc.id_token.pre_create`. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** The user the event is about; times are RFC 3339 strings like `2026-08-20T09:15:31.482913Z`. */
export interface SampleUserOptions {
  readonly id?: string;
  readonly createdAt?: string;
  readonly updatedAt?: string;
  /** `null`: the user never logged in, so the field is left out. */
  readonly lastLoginAt?: string | null;
  /** Default `[]` for sign-up events, `['member']` otherwise. */
  readonly roles?: readonly string[];
  readonly groups?: readonly string[];
  readonly customAttributes?: Readonly<Record<string, unknown>>;
}

// ---------------------------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Builds a realistic event of `type`, typed like the event a handler of that type receives.
 *
 * @throws TypeError for a type Authgear does not deliver to webhooks, RangeError for a bad `seq`/`timestamp`.
 * @example
 * ```ts
 * const event = sampleEvent('user.pre_create', { email: 'ana@example.com' });
 * event.payload.user.standard_attributes.email; // 'ana@example.com'
 * event.id === event.seq.toString(16).padStart(16, '0'); // true
 * ```
 */
export function sampleEvent<T extends EventType>(type: T, options: SampleOptions = {}): SampleEvent<T> {
  const story = resolveStory(type, options);
  const context = buildContext(story, options.context);
  const payload = (PAYLOADS as Record<EventType, (s: Story, c: EventContext) => unknown>)[type](story, context);
  return { id: eventId(story.seq), seq: story.seq, type, payload, context } as unknown as SampleEvent<T>;
}

/**
 * The request body Authgear would send for a sample event: {@link sampleEvent} serialised the way
 * Go does (compact, `\u003c`-style escapes).
 *
 * @example
 * ```ts
 * const body = sampleBody('user.created', { seq: 7 }); // '{"id":"0000000000000007","seq":7,…'
 * ```
 */
export function sampleBody(type: EventType, options: SampleOptions = {}): string {
  return goJson(sampleEvent(type, options));
}

/**
 * Authgear's event id for a `seq`: 16 lowercase hex digits, zero-padded.
 *
 * @example
 * ```ts
 * eventId(48213); // '000000000000bc55'
 * ```
 */
export function eventId(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`seq must be a whole number >= 0 (got ${seq})`);
  return seq.toString(16).padStart(16, '0');
}

/**
 * True for the 40 event types a sample exists for.
 *
 * @example
 * ```ts
 * isSampleEventType('user.created'); // true
 * isSampleEventType('user.signed_out'); // false: audit log only, never sent to hooks
 * ```
 */
export function isSampleEventType(type: string): type is EventType {
  return isBlockingEventType(type) || isNonBlockingEventType(type);
}

// ---------------------------------------------------------------------------------------------------------------------
// The story behind one sample
// ---------------------------------------------------------------------------------------------------------------------

/** Where the request that caused the event came from; decides the context fields Authgear fills in. */
type Origin =
  | { readonly kind: 'hosted'; readonly path: string } // hosted pages or SDK flow for an OAuth client
  | { readonly kind: 'settings'; readonly path: string } // the user's settings pages, no OAuth client
  | { readonly kind: 'admin' } // Admin API, called through the portal
  | { readonly kind: 'system' }; // a background job, no HTTP request

interface Story {
  readonly type: EventType;
  readonly seq: number;
  readonly timestamp: number;
  readonly origin: Origin;
  readonly email: string;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly appId: string;
  readonly projectOrigin: string;
  readonly clientId: string;
  readonly userId: string;
  readonly identityId: string;
  readonly authenticatorId: string;
  readonly sessionId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastLoginAt: string | undefined;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
  readonly customAttributes: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
}

const DAY = 86_400;
const SIGNUP_TYPES: ReadonlySet<string> = new Set(['user.pre_create', 'user.created', 'user.anonymous.promoted']);
const LOGIN_TYPES: ReadonlySet<string> = new Set(['user.authenticated', 'user.reauthenticated']);

const ORIGINS: Readonly<Record<EventType, Origin>> = {
  'user.pre_create': { kind: 'hosted', path: '/signup' },
  'user.profile.pre_update': { kind: 'settings', path: '/settings/v2/profile' },
  'user.pre_schedule_deletion': { kind: 'settings', path: '/settings/delete_account' },
  'user.pre_schedule_anonymization': { kind: 'admin' },
  'oidc.jwt.pre_create': { kind: 'hosted', path: '/oauth2/token' },
  'oidc.id_token.pre_create': { kind: 'hosted', path: '/oauth2/token' },
  'authentication.pre_initialize': { kind: 'hosted', path: '/login' },
  'authentication.post_identified': { kind: 'hosted', path: '/login' },
  'authentication.pre_authenticated': { kind: 'hosted', path: '/login' },
  'user.created': { kind: 'hosted', path: '/signup' },
  'user.authenticated': { kind: 'hosted', path: '/login' },
  'user.reauthenticated': { kind: 'hosted', path: '/reauth' },
  'user.profile.updated': { kind: 'settings', path: '/settings/v2/profile' },
  'user.disabled': { kind: 'admin' },
  'user.reenabled': { kind: 'admin' },
  'user.anonymous.promoted': { kind: 'hosted', path: '/flows/promote_user' },
  'user.deletion_scheduled': { kind: 'settings', path: '/settings/delete_account' },
  'user.deletion_unscheduled': { kind: 'admin' },
  'user.deleted': { kind: 'system' },
  'user.anonymization_scheduled': { kind: 'admin' },
  'user.anonymization_unscheduled': { kind: 'admin' },
  'user.anonymized': { kind: 'system' },
  'identity.email.added': { kind: 'settings', path: '/settings/identity/email' },
  'identity.email.removed': { kind: 'settings', path: '/settings/identity/email' },
  'identity.email.updated': { kind: 'settings', path: '/settings/identity/email' },
  'identity.phone.added': { kind: 'settings', path: '/settings/identity/phone' },
  'identity.phone.removed': { kind: 'settings', path: '/settings/identity/phone' },
  'identity.phone.updated': { kind: 'settings', path: '/settings/identity/phone' },
  'identity.username.added': { kind: 'settings', path: '/settings/identity/username' },
  'identity.username.removed': { kind: 'settings', path: '/settings/identity/username' },
  'identity.username.updated': { kind: 'settings', path: '/settings/identity/username' },
  'identity.oauth.connected': { kind: 'hosted', path: '/sso/oauth2/callback/google' },
  'identity.oauth.disconnected': { kind: 'settings', path: '/settings/identity/oauth' },
  'identity.biometric.enabled': { kind: 'hosted', path: '/api/v1/authentication_flows' },
  'identity.biometric.disabled': { kind: 'settings', path: '/settings/biometric' },
  'usage.alert.triggered': { kind: 'system' },
  'identity.email.verified': { kind: 'admin' },
  'identity.email.unverified': { kind: 'admin' },
  'identity.phone.verified': { kind: 'admin' },
  'identity.phone.unverified': { kind: 'admin' },
};

/** Next default `seq`. Seeded from the clock so ids differ across runs, as a receiver that de-duplicates expects. */
let nextSeq = Date.now();

function resolveStory(type: EventType, options: SampleOptions): Story {
  if (!isSampleEventType(type)) {
    throw new TypeError(`"${String(type)}" is not an event type Authgear sends to webhooks; use one of: ${SAMPLE_EVENT_TYPES.join(', ')}`);
  }
  const seq = options.seq ?? nextSeq++;
  eventId(seq); // validates
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError(`timestamp must be whole Unix seconds (got ${timestamp})`);

  const email = options.email ?? 'zoe.muller@example.com';
  const appId = options.appId ?? 'myapp';
  const user = options.user ?? {};
  const userId = user.id ?? uuid('user', appId, email);
  const signup = SIGNUP_TYPES.has(type);
  // Times carry microseconds like Authgear's database; the digits are derived so the bytes are reproducible.
  const at = (seconds: number, label: string): string =>
    goTime(seconds * 1e6 + (digest(label, userId, String(seconds)).readUInt32BE(0) % 1e6));

  const createdAt = user.createdAt ?? (signup ? at(timestamp, 'created') : at(timestamp - 23 * DAY, 'created'));
  const lastLoginAt =
    user.lastLoginAt === null ? undefined : (user.lastLoginAt ?? (signup ? undefined : defaultLastLogin(type, timestamp, at)));
  // Authgear bumps updated_at on every login and profile change.
  const updatedAt = user.updatedAt ?? (type.startsWith('user.profile.') ? at(timestamp, 'updated') : (lastLoginAt ?? createdAt));

  return {
    type,
    seq,
    timestamp,
    origin: ORIGINS[type],
    email,
    givenName: options.givenName === undefined ? 'Zoë' : options.givenName,
    familyName: options.familyName === undefined ? 'Müller' : options.familyName,
    appId,
    projectOrigin: `https://${appId}.authgear.cloud`,
    clientId: options.clientId ?? digest('client', appId).toString('hex').slice(0, 16),
    userId,
    identityId: options.identityId ?? uuid('identity', userId, email),
    authenticatorId: options.authenticatorId ?? uuid('authenticator', userId),
    sessionId: options.sessionId ?? uuid('session', userId),
    createdAt,
    updatedAt,
    lastLoginAt,
    roles: user.roles ?? (signup ? [] : ['member']),
    groups: user.groups ?? [],
    customAttributes: user.customAttributes ?? {},
    claims: options.claims ?? {},
  };
}

function defaultLastLogin(type: EventType, timestamp: number, at: (seconds: number, label: string) => string): string {
  if (LOGIN_TYPES.has(type)) return at(timestamp, 'login');
  // The token exchange follows the login by a moment.
  if (type.startsWith('oidc.')) return at(timestamp - 2, 'login');
  return at(timestamp - 3600, 'login');
}

// ---------------------------------------------------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------------------------------------------------

const USER_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IP_ADDRESS = '81.2.69.142';
const COUNTRY = 'GB';
const COUNTRY_NAMES: Readonly<Record<string, string>> = {
  GB: 'United Kingdom',
  US: 'United States',
  DE: 'Germany',
  FR: 'France',
  JP: 'Japan',
  HK: 'Hong Kong',
  SG: 'Singapore',
};

/** Authgear's `Context` struct order. */
const CONTEXT_KEYS = [
  'timestamp',
  'user_id',
  'triggered_by',
  'audit_context',
  'preferred_languages',
  'language',
  'oauth',
  'ip_address',
  'geo_location_code',
  'user_agent',
  'app_id',
  'client_id',
  'tracking_id',
] as const satisfies readonly (keyof EventContext)[];

function buildContext(story: Story, overrides: Partial<EventContext> | undefined): EventContext {
  const { origin } = story;
  const userless = story.type === 'authentication.pre_initialize' || story.type === 'usage.alert.triggered';
  const fromPerson = origin.kind === 'hosted' || origin.kind === 'settings';
  const triggeredBy: TriggeredBy = origin.kind === 'admin' ? 'admin_api' : origin.kind === 'system' ? 'system' : 'user';
  const audit: AuditContext =
    origin.kind === 'admin'
      ? // Portal user-management goes through the Admin API, which merges the portal's audit claims in.
        {
          actor_user_id: uuid('portal-user', story.appId),
          http_referer: `https://portal.authgear.com/project/${story.appId}/users/`,
          http_url: `${story.projectOrigin}/_api/admin/graphql`,
          usage: 'proxy',
        }
      : { http_url: origin.kind === 'system' ? '' : `${story.projectOrigin}${origin.path}` };

  const generated: Record<string, unknown> = {
    timestamp: story.timestamp,
    user_id: userless ? null : story.userId,
    triggered_by: triggeredBy,
    audit_context: audit,
    preferred_languages: fromPerson ? ['en-GB', 'en'] : [],
    language: 'en',
    oauth: origin.kind === 'hosted' ? { state: digest('state', String(story.seq)).toString('base64url').slice(0, 22) } : undefined,
    ip_address: fromPerson ? IP_ADDRESS : undefined,
    geo_location_code: fromPerson ? COUNTRY : null,
    user_agent: fromPerson ? USER_AGENT : undefined,
    app_id: story.appId,
    client_id: origin.kind === 'hosted' ? story.clientId : undefined,
    tracking_id:
      origin.kind === 'system'
        ? undefined
        : `${digest('trace', String(story.seq)).toString('hex').slice(0, 32)}-${digest('span', String(story.seq)).toString('hex').slice(0, 16)}`,
  };

  const merged: Record<string, unknown> = {};
  const given: Record<string, unknown> = overrides ?? {};
  for (const key of CONTEXT_KEYS) merged[key] = Object.hasOwn(given, key) ? given[key] : generated[key];
  // Keys Authgear may add later go last, as Go would write a new struct field.
  for (const key of Object.keys(given)) if (!Object.hasOwn(merged, key)) merged[key] = given[key];
  if (isRecord(merged.audit_context)) merged.audit_context = sortGoMap(merged.audit_context);
  if (isRecord(merged.oauth)) merged.oauth = { state: merged.oauth.state, x_state: merged.oauth.x_state };
  return dropUndefined(merged) as unknown as EventContext;
}

// ---------------------------------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------------------------------

interface UserState {
  readonly anonymous?: boolean;
  readonly verified?: boolean;
  readonly disabled?: { readonly reason?: string; readonly from?: string; readonly until?: string };
  readonly deactivated?: boolean;
  readonly deleteAt?: string;
  readonly anonymizeAt?: string;
  readonly phone?: { readonly verified: boolean };
  readonly username?: boolean;
}

const PHONE = '+447700900123';
const usernameOf = (email: string): string => (email.split('@')[0] ?? email).toLowerCase().replace(/[^a-z0-9_]/g, '_');

function standardAttributes(s: Story, state: UserState, updatedAt: string): StandardAttributes {
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
function user(s: Story, state: UserState = {}, times: { readonly createdAt?: string; readonly updatedAt?: string } = {}): User {
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

type LoginIdKind = 'email' | 'phone' | 'username';
const LOGIN_ID_CLAIM: Readonly<Record<LoginIdKind, string>> = { email: 'email', phone: 'phone_number', username: 'preferred_username' };

function identity(s: Story, id: string, type: Identity['type'], claims: Record<string, unknown>, createdAt = s.createdAt): Identity {
  return { id, created_at: createdAt, updated_at: createdAt, type, user_id: s.userId, claims: sortGoMap(claims) };
}

function loginIdIdentity(s: Story, kind: LoginIdKind, value: string, options: { id?: string; createdAt?: string } = {}): Identity {
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

function oauthIdentity(s: Story): Identity {
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

function biometricIdentity(s: Story): Identity {
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

function passwordAuthenticator(s: Story): Authenticator {
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

const PASSWORD_AMR = ['pwd', 'x_primary_password'];

function session(s: Story, context: EventContext, createdAt: string, lastAccessedAt: string): Session {
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
function displayName(userAgent: string): string {
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

function authenticationContext(
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

function emailIdentification(s: Story): Identification {
  return { identification: 'email', identity: loginIdIdentity(s, 'email', s.email), id_token: null };
}

function tokenClaims(s: Story, extra: Record<string, unknown>): Record<string, unknown> {
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

// ---------------------------------------------------------------------------------------------------------------------
// Payloads, one builder per type, typed by the event maps
// ---------------------------------------------------------------------------------------------------------------------

type PayloadBuilders = { [K in BlockingEventType]: (s: Story, c: EventContext) => BlockingEventMap[K]['payload'] } & {
  [K in NonBlockingEventType]: (s: Story, c: EventContext) => NonBlockingEventMap[K]['payload'];
};

const at = (seconds: number): string => goTime(seconds * 1e6 + (seconds % 997) * 1003);
const later = (s: Story, days: number): string => at(s.timestamp + days * DAY);
const secondEmail = (email: string): string => email.replace('@', '+work@');
const previousEmail = (email: string): string =>
  `${email.split('@')[0] ?? 'user'}@${email.endsWith('@example.org') ? 'example.net' : 'example.org'}`;

function userWithIdentities(s: Story) {
  return { user: user(s), identities: [loginIdIdentity(s, 'email', s.email)] };
}

function identityEvent(s: Story, kind: LoginIdKind, verb: 'added' | 'removed' | 'verified' | 'unverified') {
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

function identityUpdated(s: Story, kind: LoginIdKind) {
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

const PAYLOADS: PayloadBuilders = {
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
};

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

function digest(...parts: readonly string[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

/** A version-4-shaped UUID derived from `parts`, so samples are reproducible. */
function uuid(...parts: readonly string[]): string {
  const hex = digest(...parts).toString('hex');
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Go's `omitempty` leaves these keys out; the sample objects should not carry them either. */
function dropUndefined(object: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}
