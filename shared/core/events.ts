/**
 * Types for the events Authgear delivers to webhooks, exactly as they arrive on the wire
 * (the JSON Go's `encoding/json` produces).
 *
 * Convention used throughout:
 * - `x: T | null` — the key is always sent; `null` stands for "no value" (a Go pointer or nil slice).
 * - `x?: T` — the key is left out when empty (Go `omitempty`); it is never `null`.
 *
 * Timestamps named `*_at` (and the `temporarily_disabled_*` / `account_valid_*` fields) are RFC 3339 strings in
 * UTC with fractional seconds, e.g. `2026-08-20T09:15:31.482913Z`. Plain numbers are Unix seconds.
 *
 * This module is types only; it emits no JavaScript.
 */
import type { BlockingEventType, NonBlockingEventType } from './constants';

// ---------------------------------------------------------------------------------------------------------------------
// Small shared vocabularies
// ---------------------------------------------------------------------------------------------------------------------

/** Authentication Method Reference values Authgear emits; open-ended so values added later still type-check. */
export type Amr =
  | 'pwd'
  | 'otp'
  | 'sms'
  | 'mfa'
  | 'x_biometric'
  | 'x_passkey'
  | 'x_primary_password'
  | 'x_primary_oob_otp_email'
  | 'x_primary_oob_otp_sms'
  | 'x_primary_passkey'
  | 'x_secondary_password'
  | 'x_secondary_oob_otp_email'
  | 'x_secondary_oob_otp_sms'
  | 'x_secondary_totp'
  | 'x_recovery_code'
  | 'x_device_token'
  | (string & {});

/** Who caused the event; `site_admin` only occurs on site-admin audit events, never on tenant hooks in practice. */
export type TriggeredBy = 'user' | 'admin_api' | 'system' | 'portal' | 'site_admin';

// ---------------------------------------------------------------------------------------------------------------------
// Object models embedded in payloads
// ---------------------------------------------------------------------------------------------------------------------

/** Postal address claim of OIDC (every member optional). */
export interface StandardAddress {
  formatted?: string;
  street_address?: string;
  locality?: string;
  region?: string;
  postal_code?: string;
  country?: string;
}

/**
 * OIDC standard claims stored for a user; only `updated_at` (Unix seconds, a number, unlike other `*_at` fields) is
 * always present, and `sub` is not included.
 */
export interface StandardAttributes {
  email?: string;
  /** Present whenever `email` is. */
  email_verified?: boolean;
  phone_number?: string;
  /** Present whenever `phone_number` is. */
  phone_number_verified?: boolean;
  preferred_username?: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  middle_name?: string;
  nickname?: string;
  profile?: string;
  picture?: string;
  website?: string;
  gender?: string;
  birthdate?: string;
  zoneinfo?: string;
  locale?: string;
  address?: StandardAddress;
  /** Unix seconds of the last change to the standard attributes; always sent. */
  updated_at: number;
  [claim: string]: unknown;
}

/** An Authgear user as embedded in payloads; maps and lists are always present (never null), optional dates are omitted. */
export interface User {
  id: string;
  created_at: string;
  updated_at: string;
  /** Omitted if the user never logged in. */
  last_login_at?: string;
  is_anonymous: boolean;
  is_verified: boolean;
  is_disabled: boolean;
  disable_reason?: string;
  is_deactivated: boolean;
  /** When a scheduled deletion will happen. */
  delete_at?: string;
  delete_reason?: string;
  is_anonymized: boolean;
  /** When a scheduled anonymization will happen. */
  anonymize_at?: string;
  temporarily_disabled_from?: string;
  temporarily_disabled_until?: string;
  account_valid_from?: string;
  account_valid_until?: string;
  /** True when the user has any primary or secondary authenticator. */
  can_reauthenticate: boolean;
  standard_attributes: StandardAttributes;
  custom_attributes: Record<string, unknown>;
  /** Kept for compatibility; always the empty object `{}`. */
  x_web3: Record<string, never>;
  /** Keys of roles assigned directly to the user (not inherited through groups). */
  roles: string[];
  /** Keys of groups the user belongs to. */
  groups: string[];
  mfa_grace_period_end_at?: string;
}

/** Kind of an identity (how a user can be recognised). */
export type IdentityType = 'login_id' | 'oauth' | 'anonymous' | 'biometric' | 'passkey' | 'siwe' | 'ldap';

/**
 * One way a user is identified (e-mail, OAuth account, passkey…); `user_id` is always sent even though Authgear's doc
 * examples omit it. `claims` keys depend on `type` (standard claims plus `https://authgear.com/claims/<type>/…`).
 */
export interface Identity {
  id: string;
  created_at: string;
  updated_at: string;
  type: IdentityType;
  user_id: string;
  claims: Record<string, unknown>;
}

/** Kind of an authenticator. */
export type AuthenticatorType = 'password' | 'passkey' | 'totp' | 'oob_otp_email' | 'oob_otp_sms';

/** Whether an authenticator is used as first or second factor. */
export type AuthenticatorKind = 'primary' | 'secondary';

/** A credential of the user (password, TOTP, OTP channel, passkey); always the full object, never just id/type/kind. */
export interface Authenticator {
  id: string;
  created_at: string;
  updated_at: string;
  user_id: string;
  type: AuthenticatorType;
  is_default: boolean;
  kind: AuthenticatorKind;
}

/** Kind of a session: a browser (IdP) session or an OAuth offline grant (refresh token). */
export type SessionType = 'idp' | 'offline_grant';

/**
 * A login session. Unlike every other model, most keys are camelCase (`lastAccessedAt`, `clientID`…); `clientID` is
 * always sent and `null` for sessions not tied to an OAuth client.
 */
export interface Session {
  id: string;
  created_at: string;
  updated_at: string;
  type: SessionType;
  /** Omitted when empty. */
  amr?: Amr[];
  lastAccessedAt: string;
  createdByIP: string;
  lastAccessedByIP: string;
  lastAccessedByIPCountryCode: string;
  lastAccessedByIPEnglishCountryName: string;
  clientID: string | null;
  /** User-agent family and version, e.g. `Chrome 127.0.0`. */
  displayName: string;
  applicationName?: string;
  userAgent?: string;
}

/** Type of the authentication flow an `authentication.*` event belongs to. */
export type AuthenticationFlowType = 'signup' | 'promote' | 'login' | 'signup_login' | 'reauth' | 'account_recovery';

/** The authentication flow being run: its type and its configured name (e.g. `default`). */
export interface AuthenticationFlow {
  type: AuthenticationFlowType;
  name: string;
}

/** How the user identified themselves in a flow step. */
export type IdentificationMethod = 'email' | 'phone' | 'username' | 'oauth' | 'passkey' | 'id_token' | 'ldap' | 'select_account';

/** One identification asserted during a flow; both `identity` and `id_token` are always sent, possibly `null`. */
export interface Identification {
  identification: IdentificationMethod;
  identity: Identity | null;
  id_token: string | null;
}

/** Which authentication step the user passed. */
export type AuthenticationMethod =
  | 'primary_password'
  | 'primary_passkey'
  | 'primary_oob_otp_email'
  | 'primary_oob_otp_sms'
  | 'secondary_password'
  | 'secondary_totp'
  | 'secondary_oob_otp_email'
  | 'secondary_oob_otp_sms'
  | 'recovery_code'
  | 'device_token';

/** One authentication asserted during a flow, with the authenticator used (`null` when there is none to show). */
export interface Authentication {
  authentication: AuthenticationMethod;
  authenticator: Authenticator | null;
}

/**
 * State of an authentication flow: `user` is `null` until the user is known; the two arrays are always arrays (`[]`
 * when empty, never null); `amr` is sorted and de-duplicated.
 */
export interface AuthenticationContext {
  authentication_flow: AuthenticationFlow | null;
  user: User | null;
  asserted_identifications: Identification[];
  asserted_authentications: Authentication[];
  amr: Amr[];
}

/** What a usage limit counts. */
export type UsageName = 'user_export' | 'user_import' | 'email' | 'whatsapp' | 'sms' | (string & {});

/** Payload member of `usage.alert.triggered`: a project usage quota was reached. */
export interface UsageAlert {
  name: UsageName;
  /** `alert` only warns; `block` means further usage is refused. */
  action: 'alert' | 'block' | (string & {});
  period: 'day' | 'month' | (string & {});
  quota: number;
  current_value: number;
  plan_name: string;
}

// ---------------------------------------------------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Where the event came from: `http_url` of the causing request (may be `""` without one), merged with the Admin API
 * token's `audit_context` claim, so arbitrary extra keys may appear.
 */
export interface AuditContext {
  http_url: string;
  /** Set for Admin API calls made through the portal. */
  usage?: 'proxy' | 'internal' | (string & {});
  /** Portal user who made the Admin API call. */
  actor_user_id?: string;
  http_referer?: string;
  [key: string]: unknown;
}

/** OAuth `state` / `x_state` the flow was started with; each is omitted when empty. */
export interface OAuthContext {
  state?: string;
  x_state?: string;
}

/**
 * `context` of every event. `timestamp` is Unix seconds (not ms); `user_id` and `geo_location_code` are always sent
 * and may be `null`; the remaining optional keys are omitted when empty.
 */
export interface EventContext {
  timestamp: number;
  user_id: string | null;
  triggered_by: TriggeredBy;
  audit_context: AuditContext;
  /** From `ui_locales` or `Accept-Language`; `[]` when none. */
  preferred_languages: string[];
  language: string;
  /** Present only when the flow carried `state` or `x_state`. */
  oauth?: OAuthContext;
  ip_address?: string;
  /** ISO 3166-1 alpha-2 country of `ip_address`, `null` when unknown. */
  geo_location_code: string | null;
  user_agent?: string;
  /** Project id. */
  app_id?: string;
  /** OAuth client id, when the request was made for one. */
  client_id?: string;
  /** `<32-hex trace id>-<16-hex span id>`, present when the request was traced (not called `trace_id`). */
  tracking_id?: string;
}

// ---------------------------------------------------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------------------------------------------------

/**
 * The JSON body of a webhook request, keys in this order. `id` is not a UUID: it is `seq` as 16 lowercase,
 * zero-padded hex digits (e.g. `000000000000bc55`), identical for every handler receiving the event.
 */
export interface EventEnvelope<TType extends string = string, TPayload = Record<string, unknown>> {
  id: string;
  seq: number;
  type: TType;
  payload: TPayload;
  context: EventContext;
}

// ---------------------------------------------------------------------------------------------------------------------
// Payload building blocks. These are `type` aliases rather than interfaces on purpose: object type aliases are
// assignable to `Record<string, unknown>`, so every known event is also a valid `UnknownEvent`.
// ---------------------------------------------------------------------------------------------------------------------

/** Payload carrying only the user the event is about. */
export type UserPayload = { user: User };

/** Payload carrying the user and all of their identities. */
export type UserIdentitiesPayload = { user: User; identities: Identity[] };

/** Payload of the identity added/removed/connected/enabled/verified… events. */
export type IdentityPayload = { user: User; identity: Identity };

/** Payload of `identity.<email|phone|username>.updated`. */
export type IdentityUpdatedPayload = { user: User; new_identity: Identity; old_identity: Identity };

/** Payload of `authentication.pre_initialize` and `authentication.pre_authenticated`. */
export type AuthenticationContextPayload = { authentication_context: AuthenticationContext };

/** Common part of the two `oidc.*.pre_create` payloads; `identities` (those with standard attributes) is `null` when none. */
export type OidcPreCreatePayloadBase = { user: User; identities: Identity[] | null };

// ---------------------------------------------------------------------------------------------------------------------
// Event catalogue
// ---------------------------------------------------------------------------------------------------------------------

/** Payload of each blocking event type. */
export interface BlockingPayloadMap {
  /** `user` already has its final id; fired inside the creating transaction. */
  'user.pre_create': UserIdentitiesPayload;
  /** `user` already shows the new attribute values. */
  'user.profile.pre_update': UserPayload;
  'user.pre_schedule_deletion': UserPayload;
  'user.pre_schedule_anonymization': UserPayload;
  /** `jwt.payload` holds the claims of the JWT access token about to be issued. */
  'oidc.jwt.pre_create': OidcPreCreatePayloadBase & { jwt: { payload: Record<string, unknown> } };
  /** `id_token.payload` holds the claims of the ID token about to be issued. */
  'oidc.id_token.pre_create': OidcPreCreatePayloadBase & { id_token: { payload: Record<string, unknown> } };
  /** No user yet: `context.user_id` is `null` and `authentication_context.user` is `null`. */
  'authentication.pre_initialize': AuthenticationContextPayload;
  'authentication.post_identified': { identification: Identification } & AuthenticationContextPayload;
  'authentication.pre_authenticated': AuthenticationContextPayload;
}

/** Payload of each non-blocking event type deliverable to webhooks. */
export interface NonBlockingPayloadMap {
  'user.created': UserIdentitiesPayload;
  /** `session` may be `null`; `continue_from_session` is omitted when the login did not continue another session. */
  'user.authenticated': UserPayload & { session: Session | null; continue_from_session?: Session };
  'user.reauthenticated': UserPayload & { session: Session };
  'user.profile.updated': UserPayload;
  /** The two dates are omitted for an indefinite disable. */
  'user.disabled': UserPayload & { temporarily_disabled_from?: string; temporarily_disabled_until?: string };
  'user.reenabled': UserPayload;
  /** `anonymous_user` is the account before promotion, `user` after. */
  'user.anonymous.promoted': UserIdentitiesPayload & { anonymous_user: User };
  'user.deletion_scheduled': UserPayload;
  'user.deletion_unscheduled': UserPayload;
  /** `user` is a snapshot taken before deletion. */
  'user.deleted': UserPayload & { reason?: string };
  'user.anonymization_scheduled': UserPayload;
  'user.anonymization_unscheduled': UserPayload;
  /** `user` is a snapshot taken before anonymization. */
  'user.anonymized': UserPayload;
  'identity.email.added': IdentityPayload;
  'identity.email.removed': IdentityPayload;
  'identity.email.updated': IdentityUpdatedPayload;
  'identity.phone.added': IdentityPayload;
  'identity.phone.removed': IdentityPayload;
  'identity.phone.updated': IdentityUpdatedPayload;
  'identity.username.added': IdentityPayload;
  'identity.username.removed': IdentityPayload;
  'identity.username.updated': IdentityUpdatedPayload;
  'identity.oauth.connected': IdentityPayload;
  'identity.oauth.disconnected': IdentityPayload;
  'identity.biometric.enabled': IdentityPayload;
  'identity.biometric.disabled': IdentityPayload;
  /** No user: `context.user_id` is `null`, `triggered_by` is `system`. */
  'usage.alert.triggered': { usage: UsageAlert };
  'identity.email.verified': IdentityPayload;
  'identity.email.unverified': IdentityPayload;
  'identity.phone.verified': IdentityPayload;
  'identity.phone.unverified': IdentityPayload;
}

// Compile-time guard: the payload maps must have exactly the keys of the event-type constants. A violation fails
// `tsc` with "Type '"<event type>"' does not satisfy the constraint 'never'", naming the missing or extra type.
// (Deliberately not exported; `noUnusedLocals` is off, so unused aliases are fine.)
type MustBeEmpty<T extends never> = T;
type _BlockingPayloadMapMissing = MustBeEmpty<Exclude<BlockingEventType, keyof BlockingPayloadMap>>;
type _BlockingPayloadMapExtra = MustBeEmpty<Exclude<keyof BlockingPayloadMap, BlockingEventType>>;
type _NonBlockingPayloadMapMissing = MustBeEmpty<Exclude<NonBlockingEventType, keyof NonBlockingPayloadMap>>;
type _NonBlockingPayloadMapExtra = MustBeEmpty<Exclude<keyof NonBlockingPayloadMap, NonBlockingEventType>>;

/** Full envelope of each blocking event type. */
export type BlockingEventMap = { [K in BlockingEventType]: EventEnvelope<K, BlockingPayloadMap[K]> };

/** Full envelope of each non-blocking event type. */
export type NonBlockingEventMap = { [K in NonBlockingEventType]: EventEnvelope<K, NonBlockingPayloadMap[K]> };

/** Any blocking event; narrow on `type` to get its payload. */
export type BlockingEvent = BlockingEventMap[BlockingEventType];

/** Any non-blocking event deliverable to webhooks; narrow on `type` to get its payload. */
export type NonBlockingEvent = NonBlockingEventMap[NonBlockingEventType];

/** Any event type this module knows; narrow on `type` to get its payload. */
export type AuthgearEvent = BlockingEvent | NonBlockingEvent;

/** An event of a type this module does not know (Authgear may add some); still a valid envelope to receive. */
export type UnknownEvent = EventEnvelope<string, Record<string, unknown>>;
