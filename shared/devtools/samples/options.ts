/** Options of the samples. */
import type { EventContext } from '../../core/events';

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
