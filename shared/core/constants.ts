/**
 * Facts about Authgear's webhook protocol and this project's defaults.
 *
 * The event lists are the types Authgear actually delivers to webhooks
 * (events that exist only in the audit log are left out on purpose).
 */

/** The 9 blocking event types, in the order Authgear's config schema lists them. */
export const BLOCKING_EVENT_TYPES = [
  'user.pre_create',
  'user.profile.pre_update',
  'user.pre_schedule_deletion',
  'user.pre_schedule_anonymization',
  'oidc.jwt.pre_create',
  'oidc.id_token.pre_create',
  'authentication.pre_initialize',
  'authentication.post_identified',
  'authentication.pre_authenticated',
] as const;

/**
 * The 27 non-blocking types that `non_blocking_handlers[].events` may name.
 * Anything else in that list fails Authgear's config validation.
 */
export const SUBSCRIBABLE_NON_BLOCKING_EVENT_TYPES = [
  'user.created',
  'user.authenticated',
  'user.reauthenticated',
  'user.profile.updated',
  'user.disabled',
  'user.reenabled',
  'user.anonymous.promoted',
  'user.deletion_scheduled',
  'user.deletion_unscheduled',
  'user.deleted',
  'user.anonymization_scheduled',
  'user.anonymization_unscheduled',
  'user.anonymized',
  'identity.email.added',
  'identity.email.removed',
  'identity.email.updated',
  'identity.phone.added',
  'identity.phone.removed',
  'identity.phone.updated',
  'identity.username.added',
  'identity.username.removed',
  'identity.username.updated',
  'identity.oauth.connected',
  'identity.oauth.disconnected',
  'identity.biometric.enabled',
  'identity.biometric.disabled',
  'usage.alert.triggered',
] as const;

/** Delivered to hooks, but only to a handler subscribed with `events: ["*"]`. */
export const WILDCARD_ONLY_NON_BLOCKING_EVENT_TYPES = [
  'identity.email.verified',
  'identity.email.unverified',
  'identity.phone.verified',
  'identity.phone.unverified',
] as const;

/** All 31 non-blocking types Authgear delivers to webhooks. */
export const NON_BLOCKING_EVENT_TYPES = [...SUBSCRIBABLE_NON_BLOCKING_EVENT_TYPES, ...WILDCARD_ONLY_NON_BLOCKING_EVENT_TYPES] as const;

export type BlockingEventType = (typeof BLOCKING_EVENT_TYPES)[number];
export type NonBlockingEventType = (typeof NON_BLOCKING_EVENT_TYPES)[number];
export type SubscribableNonBlockingEventType = (typeof SUBSCRIBABLE_NON_BLOCKING_EVENT_TYPES)[number];
export type EventType = BlockingEventType | NonBlockingEventType;

const blockingSet: ReadonlySet<string> = new Set(BLOCKING_EVENT_TYPES);
const nonBlockingSet: ReadonlySet<string> = new Set(NON_BLOCKING_EVENT_TYPES);
const subscribableSet: ReadonlySet<string> = new Set(SUBSCRIBABLE_NON_BLOCKING_EVENT_TYPES);

export const isBlockingEventType = (type: string): type is BlockingEventType => blockingSet.has(type);
export const isNonBlockingEventType = (type: string): type is NonBlockingEventType => nonBlockingSet.has(type);
export const isSubscribableNonBlockingEventType = (type: string): type is SubscribableNonBlockingEventType => subscribableSet.has(type);

/** Authgear sends exactly this header (Go canonicalises its case on HTTP/1.1; we match case-insensitively). */
export const SIGNATURE_HEADER = 'x-authgear-body-signature';

/** Defaults for every knob; see `config.ts` for the environment variables that change them. */
export const DEFAULTS = {
  /** Authgear gives up after 5 s; answering by 4 s leaves room for the network. */
  blockingDeadlineMs: 4_000,
  /** Authgear waits 60 s for a non-blocking answer; API Gateway cuts integrations off at 30 s. */
  nonBlockingDeadlineMs: 25_000,
  maxBodyBytes: 1024 * 1024,
  /** A blocking answer larger than this is answered by the error policy; Authgear needs a few KiB at most. */
  maxAnswerBytes: 64 * 1024,
  /** Signed events older than this are refused as replays; Authgear sends within seconds. */
  maxEventAgeSeconds: 300,
  /** How far Authgear's clock may run ahead of ours. */
  maxClockSkewSeconds: 60,
  secretCacheTtlMs: 5 * 60_000,
  /** After a signature mismatch, look for a rotated secret at most this often. */
  secretRefreshIntervalMs: 30_000,
  logLevel: 'info',
  port: 3000,
} as const;
