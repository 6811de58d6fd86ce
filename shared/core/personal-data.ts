/**
 * Which values of an Authgear event are personal data, and which log field names announce one.
 * The list follows the event models (user, identity claims, session, context): see
 * `docs/logging.md` for it in prose.
 */

/** Keys whose string value is personal wherever it appears in an event. */
const PERSONAL_EVENT_KEYS: ReadonlySet<string> = new Set([
  // OIDC standard claims, in standard_attributes, identity claims and tokens
  'email',
  'phone_number',
  'preferred_username',
  'name',
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'profile',
  'picture',
  'website',
  'birthdate',
  'gender',
  // ids of people
  'user_id',
  'actor_user_id',
  'sub',
  // network
  'ip_address',
  'createdByIP',
  'lastAccessedByIP',
  'user_agent',
  'userAgent',
  // tokens and OAuth state
  'id_token',
  'state',
  'x_state',
  // identity claims
  'https://authgear.com/claims/login_id/value',
  'https://authgear.com/claims/login_id/original_value',
  'https://authgear.com/claims/oauth/subject_id',
  'https://authgear.com/claims/siwe/address',
  'https://authgear.com/claims/passkey/display_name',
  'https://authgear.com/claims/biometric/formatted_device_info',
  'https://authgear.com/claims/ldap/last_login_username',
  'https://authgear.com/claims/ldap/user_id_attribute_value',
]);

/** Objects whose every string value is personal (a user's attributes, an identity's claims, a postal address, raw profiles). */
const PERSONAL_CONTAINERS: ReadonlySet<string> = new Set([
  'standard_attributes',
  'custom_attributes',
  'claims',
  'address',
  'https://authgear.com/claims/oauth/profile',
  'https://authgear.com/claims/biometric/device_info',
  'https://authgear.com/claims/ldap/attributes',
  'https://authgear.com/claims/ldap/raw_attributes',
]);

/** Inside a personal container, these describe the kind of value rather than the person ("email", "google"). */
const DESCRIPTIVE_KEYS: ReadonlySet<string> = new Set([
  'https://authgear.com/claims/login_id/type',
  'https://authgear.com/claims/login_id/key',
  'https://authgear.com/claims/oauth/provider_type',
  'https://authgear.com/claims/oauth/provider_alias',
  'https://authgear.com/claims/siwe/chain_id',
  'https://authgear.com/claims/ldap/server_name',
  'https://authgear.com/claims/ldap/user_id_attribute_name',
  'email_verified',
  'phone_number_verified',
  'updated_at',
  'locale',
  'zoneinfo',
]);

/**
 * Log field names that announce personal data, compared without case and punctuation
 * (`emailAddress`, `email_address` and `E-Mail-Address` are one name). A handler's field with
 * such a name is redacted whatever its value.
 */
const PERSONAL_FIELD_NAMES: ReadonlySet<string> = new Set([
  'email',
  'emailaddress',
  'mail',
  'phone',
  'phonenumber',
  'mobile',
  'username',
  'preferredusername',
  'loginid',
  'fullname',
  'firstname',
  'lastname',
  'givenname',
  'familyname',
  'middlename',
  'nickname',
  'birthdate',
  'dateofbirth',
  'dob',
  'address',
  'streetaddress',
  'postalcode',
  'ip',
  'ipaddress',
  'useragent',
  'userid',
  'sub',
  'password',
  'token',
  'idtoken',
  'accesstoken',
  'refreshtoken',
]);

/** Shorter values are left alone: a one-letter "name" would blank out every stray letter. */
const MIN_VALUE_LENGTH = 2;
const MAX_DEPTH = 32;
const MAX_NODES = 20_000;

/**
 * True for a log field name that announces personal data.
 *
 * @example
 * ```ts
 * isPersonalKey('emailAddress'); // true
 * isPersonalKey('plan');         // false
 * ```
 */
export function isPersonalKey(key: string): boolean {
  return PERSONAL_FIELD_NAMES.has(key.toLowerCase().replace(/[^a-z0-9]/g, '')) || PERSONAL_EVENT_KEYS.has(key);
}

/**
 * Every personal string value of an event (payload and context), distinct, longest first so that
 * `ana@example.com` is replaced before `ana`.
 *
 * @example
 * ```ts
 * collectPersonalValues({ payload: { user: { id: 'u1x', standard_attributes: { email: 'ana@example.com' } } }, context: {} });
 * // ['ana@example.com', 'u1x']
 * ```
 */
export function collectPersonalValues(event: unknown): string[] {
  const found = new Set<string>();
  let nodes = 0;
  const add = (value: unknown): void => {
    if (typeof value === 'string' && value.length >= MIN_VALUE_LENGTH) found.add(value);
  };
  /** Every string under a personal container, but for descriptive keys. */
  const addAll = (value: unknown, depth: number): void => {
    if (++nodes > MAX_NODES || depth > MAX_DEPTH) return;
    if (typeof value === 'string') add(value);
    if (typeof value !== 'object' || value === null) return;
    for (const [key, item] of Object.entries(value)) if (!DESCRIPTIVE_KEYS.has(key)) addAll(item, depth + 1);
  };
  const walk = (value: unknown, parentKey: string, depth: number): void => {
    if (++nodes > MAX_NODES || depth > MAX_DEPTH || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const item of value) walk(item, parentKey, depth + 1);
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      if (PERSONAL_CONTAINERS.has(key)) addAll(item, depth + 1);
      else if (PERSONAL_EVENT_KEYS.has(key) && !(key === 'name' && parentKey === 'authentication_flow')) add(item);
      // A user object's own id is its user id.
      else if (key === 'id' && parentKey === 'user') add(item);
      else walk(item, key, depth + 1);
    }
  };
  if (typeof event === 'object' && event !== null) {
    const { payload, context } = event as { payload?: unknown; context?: unknown };
    walk(payload, 'payload', 0);
    walk(context, 'context', 0);
  }
  return [...found].sort((a, b) => b.length - a.length);
}
