/** The story behind one sample (who, when, from where) and the context Authgear sends with it. */
import { randomInt } from 'node:crypto';
import type { EventType } from '../../core/constants';
import type { AuditContext, EventContext, TriggeredBy } from '../../core/events';
import { goTime, sortGoMap } from './../go-json';
import { digest, uuid, isRecord, dropUndefined } from './hashes';
import { SAMPLE_EVENT_TYPES, isSampleEventType } from './event-types';
import type { SampleOptions } from './options';

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

/** Where the request that caused the event came from; decides the context fields Authgear fills in. */
export type Origin =
  | { readonly kind: 'hosted'; readonly path: string } // hosted pages or SDK flow for an OAuth client
  | { readonly kind: 'settings'; readonly path: string } // the user's settings pages, no OAuth client
  | { readonly kind: 'admin' } // Admin API, called through the portal
  | { readonly kind: 'system' }; // a background job, no HTTP request

export interface Story {
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

export const DAY = 86_400;
export const SIGNUP_TYPES: ReadonlySet<string> = new Set(['user.pre_create', 'user.created', 'user.anonymous.promoted']);
export const LOGIN_TYPES: ReadonlySet<string> = new Set(['user.authenticated', 'user.reauthenticated']);

export const ORIGINS: Readonly<Record<EventType, Origin>> = {
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
// Seeded from the clock in microseconds plus a random offset, so two processes started in the same
// millisecond (a test and the \`send\` it runs, two sends in a row) draw ids far apart: a repeated id
// is dropped by the queue as a duplicate and would be reported as another event's outcome.
let nextSeq = Date.now() * 1_000 + randomInt(1_000) * 1_000_000;

export function resolveStory(type: EventType, options: SampleOptions): Story {
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

export function defaultLastLogin(type: EventType, timestamp: number, at: (seconds: number, label: string) => string): string {
  if (LOGIN_TYPES.has(type)) return at(timestamp, 'login');
  // The token exchange follows the login by a moment.
  if (type.startsWith('oidc.')) return at(timestamp - 2, 'login');
  return at(timestamp - 3600, 'login');
}

// ---------------------------------------------------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------------------------------------------------

export const USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
export const IP_ADDRESS = '81.2.69.142';
export const COUNTRY = 'GB';
export const COUNTRY_NAMES: Readonly<Record<string, string>> = {
  GB: 'United Kingdom',
  US: 'United States',
  DE: 'Germany',
  FR: 'France',
  JP: 'Japan',
  HK: 'Hong Kong',
  SG: 'Singapore',
};

/** Authgear's `Context` struct order. */
export const CONTEXT_KEYS = [
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

export function buildContext(story: Story, overrides: Partial<EventContext> | undefined): EventContext {
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
