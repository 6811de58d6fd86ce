/**
 * The runtime check of a blocking answer: what Authgear's server accepts for each event, plus the
 * rule that a token mutation must keep every original claim. The types of `responses.ts` are a
 * little stricter, to steer handlers; this check is exact, so it never refuses what Authgear takes.
 */
import type { BlockingEventType } from './constants';
import { AMR_CONSTRAINT_VALUES, RATE_LIMIT_KEYS } from './responses';

/** One reason Authgear would reject a response (or fail the operation because of it). */
export interface ResponseViolation {
  /** Where the problem is, e.g. `mutations.user.roles[1]`; `""` means the response itself. */
  readonly path: string;
  /** One sentence saying what to change. */
  readonly rule: string;
}

export type ResponseCheck = { readonly ok: true } | { readonly ok: false; readonly violations: readonly ResponseViolation[] };

type AllowKey = 'mutations' | 'constraints' | 'bot_protection' | 'rate_limits';
type TokenKey = 'jwt' | 'id_token';

interface EventRules {
  readonly keys: ReadonlySet<string>;
  /** For messages: "mutations" or "constraints, bot_protection, rate_limits". */
  readonly listed: string;
  /** The token whose claims `mutations.<token>.payload` replaces, if any. */
  readonly token: TokenKey | undefined;
}

const ALLOWED_KEYS_BY_EVENT = {
  'user.pre_create': ['mutations'],
  'user.profile.pre_update': ['mutations'],
  'user.pre_schedule_deletion': ['mutations'],
  'user.pre_schedule_anonymization': ['mutations'],
  'oidc.jwt.pre_create': ['mutations'],
  'oidc.id_token.pre_create': ['mutations'],
  'authentication.pre_initialize': ['constraints', 'bot_protection', 'rate_limits'],
  'authentication.post_identified': ['constraints', 'bot_protection', 'rate_limits'],
  'authentication.pre_authenticated': ['constraints', 'rate_limits'],
} as const satisfies Record<BlockingEventType, readonly AllowKey[]>;

const TOKEN_BY_EVENT: Partial<Record<BlockingEventType, TokenKey>> = {
  'oidc.jwt.pre_create': 'jwt',
  'oidc.id_token.pre_create': 'id_token',
};

const RULES_BY_EVENT: ReadonlyMap<string, EventRules> = new Map(
  (Object.keys(ALLOWED_KEYS_BY_EVENT) as BlockingEventType[]).map((type) => {
    const keys: readonly string[] = ALLOWED_KEYS_BY_EVENT[type];
    return [type, { keys: new Set(keys), listed: keys.join(', '), token: TOKEN_BY_EVENT[type] }] as const;
  }),
);

const ALLOW_KEYS: ReadonlySet<string> = new Set<AllowKey>(['mutations', 'constraints', 'bot_protection', 'rate_limits']);
const AMR_SET: ReadonlySet<string> = new Set(AMR_CONSTRAINT_VALUES);
const AMR_LISTED = AMR_CONSTRAINT_VALUES.join(', ');
const RATE_LIMIT_SET: ReadonlySet<string> = new Set(RATE_LIMIT_KEYS);
const RATE_LIMIT_LISTED = RATE_LIMIT_KEYS.join(', ');

/** Keys that can be written as `a.b` in a path; anything else is written as `a["b.c"]`. */
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const OK: ResponseCheck = Object.freeze({ ok: true });

type JsonObject = Record<string, unknown>;
type Violations = ResponseViolation[];

const hasOwn = Object.prototype.hasOwnProperty;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Values that `JSON.stringify` leaves out of an object, so Authgear never sees the key. */
const isOmitted = (value: unknown): boolean => value === undefined || typeof value === 'function' || typeof value === 'symbol';

const quote = (key: string): string => JSON.stringify(key);

const childPath = (base: string, key: string): string => {
  if (!PLAIN_KEY.test(key)) return `${base}[${quote(key)}]`;
  return base === '' ? key : `${base}.${key}`;
};

const describe = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return Number.isFinite(value) ? 'a number' : `${String(value)} (sent as null)`;
    case 'boolean':
      return 'a boolean';
    default:
      return `a ${typeof value}`;
  }
};

const add = (out: Violations, path: string, rule: string): void => {
  out.push({ path, rule });
};

/**
 * Checks a blocking handler's answer against what Authgear's server accepts for `eventType`.
 *
 * The response is judged as `JSON.stringify` would send it (properties whose value is `undefined`
 * count as absent). Beyond Authgear's JSON schema this also reports what makes Go's decoding fail
 * (`roles` / `groups` that are not string lists) and, for `oidc.jwt.pre_create` and
 * `oidc.id_token.pre_create`, every original claim that a replacement token payload dropped or
 * changed. All problems are reported, not just the first.
 *
 * @param eventType - the blocking event being answered.
 * @param response - the value the handler returned.
 * @param original - the event (or anything with its `payload`); needed only for the token-claims
 *   rule, which is skipped when it is omitted.
 * @returns `{ ok: true }`, or `{ ok: false, violations }` with one entry per problem.
 *
 * @example
 * const check = checkBlockingResponse('user.pre_create', { is_allowed: true, title: 'Hi' });
 * if (!check.ok) console.log(check.violations);
 * // [{ path: 'title', rule: 'title is not allowed when is_allowed is true' }]
 *
 * @example
 * // Token claims: `event` is the parsed oidc.jwt.pre_create request body.
 * const payload = { ...event.payload.jwt.payload, 'https://example.com/tenant': 'acme' };
 * checkBlockingResponse('oidc.jwt.pre_create', { is_allowed: true, mutations: { jwt: { payload } } }, event);
 * // { ok: true }
 */
export function checkBlockingResponse(
  eventType: BlockingEventType,
  response: unknown,
  original?: { readonly payload?: unknown },
): ResponseCheck {
  if (!isObject(response)) {
    return {
      ok: false,
      violations: [{ path: '', rule: `the response must be a JSON object such as {"is_allowed": true}, not ${describe(response)}` }],
    };
  }

  const keys = Object.keys(response);
  const allowed = hasOwn.call(response, 'is_allowed') ? response.is_allowed : undefined;

  // Fast paths for the everyday answers.
  if (allowed === true) {
    if (keys.length === 1) return OK;
  } else if (allowed === false && isPlainDeny(response, keys)) {
    return OK;
  }

  const out: Violations = [];
  if (isOmitted(allowed)) {
    add(out, 'is_allowed', 'is_allowed is required; set it to true or false');
  } else if (typeof allowed !== 'boolean') {
    add(out, 'is_allowed', `is_allowed must be the boolean true or false, not ${describe(allowed)}`);
  } else if (allowed) {
    checkAllow(out, eventType, response, keys, original);
  } else {
    checkDeny(out, response, keys);
  }
  return out.length === 0 ? OK : { ok: false, violations: out };
}

function isPlainDeny(response: JsonObject, keys: readonly string[]): boolean {
  for (const key of keys) {
    if (key === 'is_allowed') continue;
    const value = response[key];
    if (key === 'title' || key === 'reason') {
      if (typeof value !== 'string' && !isOmitted(value)) return false;
    } else if (!isOmitted(value)) {
      return false;
    }
  }
  return true;
}

function checkDeny(out: Violations, response: JsonObject, keys: readonly string[]): void {
  for (const key of keys) {
    if (key === 'is_allowed') continue;
    const value = response[key];
    if (isOmitted(value)) continue;
    if (key === 'title' || key === 'reason') {
      if (typeof value !== 'string') add(out, key, `${key} must be a string, not ${describe(value)}`);
    } else {
      add(out, childPath('', key), `${quote(key)} is not allowed when is_allowed is false (allowed: title, reason)`);
    }
  }
}

function checkAllow(
  out: Violations,
  eventType: BlockingEventType,
  response: JsonObject,
  keys: readonly string[],
  original: { readonly payload?: unknown } | undefined,
): void {
  const rules = RULES_BY_EVENT.get(eventType);
  if (rules === undefined) {
    add(out, '', `${quote(String(eventType))} is not a blocking event type`);
    return;
  }
  for (const key of keys) {
    if (key === 'is_allowed') continue;
    const value = response[key];
    if (isOmitted(value)) continue;
    if (key === 'title' || key === 'reason') {
      add(out, key, `${key} is not allowed when is_allowed is true`);
    } else if (!ALLOW_KEYS.has(key)) {
      add(
        out,
        childPath('', key),
        `${quote(key)} is not a response key (allowed for ${eventType} when is_allowed is true: ${rules.listed})`,
      );
    } else if (!rules.keys.has(key)) {
      add(out, key, `${quote(key)} is not accepted for ${eventType} (allowed: ${rules.listed})`);
    } else if (key === 'mutations') {
      checkMutations(out, value);
    } else if (key === 'constraints') {
      checkConstraints(out, value);
    } else if (key === 'bot_protection') {
      checkBotProtection(out, value);
    } else {
      checkRateLimits(out, value);
    }
  }
  if (rules.token !== undefined && original !== undefined) {
    checkTokenClaims(out, rules.token, response.mutations, original.payload);
  }
}

// --- mutations -------------------------------------------------------------------------------

const USER_OBJECT_FIELDS: ReadonlySet<string> = new Set(['standard_attributes', 'custom_attributes']);
const USER_LIST_FIELDS: ReadonlySet<string> = new Set(['roles', 'groups']);

function checkMutations(out: Violations, mutations: unknown): void {
  if (!isObject(mutations)) {
    add(out, 'mutations', `mutations must be an object, not ${describe(mutations)}`);
    return;
  }
  for (const key of Object.keys(mutations)) {
    const value = mutations[key];
    if (isOmitted(value)) continue;
    if (key === 'user') {
      checkUserMutation(out, value);
    } else if (key === 'jwt' || key === 'id_token') {
      checkTokenMutation(out, `mutations.${key}`, value);
    } else {
      add(out, childPath('mutations', key), `${quote(key)} is not allowed in mutations (allowed: user, jwt, id_token)`);
    }
  }
}

function checkUserMutation(out: Violations, user: unknown): void {
  if (!isObject(user)) {
    add(out, 'mutations.user', `mutations.user must be an object, not ${describe(user)}`);
    return;
  }
  for (const key of Object.keys(user)) {
    const value = user[key];
    if (isOmitted(value)) continue;
    // Go decodes JSON keys into struct fields case-insensitively, so "Roles" is still the roles field.
    const field = USER_OBJECT_FIELDS.has(key) || USER_LIST_FIELDS.has(key) ? key : key.toLowerCase();
    const path = childPath('mutations.user', key);
    if (USER_OBJECT_FIELDS.has(field)) {
      if (!isObject(value)) {
        add(out, path, `${key} must be an object (it replaces all ${field.replace('_', ' ')}), not ${describe(value)}`);
      }
    } else if (USER_LIST_FIELDS.has(field)) {
      checkStringList(out, path, key, value);
    }
    // Other keys are accepted and ignored by Authgear.
  }
}

function checkStringList(out: Violations, path: string, name: string, value: unknown): void {
  // null decodes to "no change" in Go, so Authgear accepts it.
  if (value === null) return;
  if (!Array.isArray(value)) {
    add(out, path, `${name} must be an array of strings, not ${describe(value)}`);
    return;
  }
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (typeof item !== 'string') add(out, `${path}[${i}]`, `each entry of ${name} must be a string, not ${describe(item)}`);
  }
}

function checkTokenMutation(out: Violations, path: string, token: unknown): void {
  if (!isObject(token)) {
    add(out, path, `${path} must be an object such as {"payload": {...}}, not ${describe(token)}`);
    return;
  }
  for (const key of Object.keys(token)) {
    if (key !== 'payload' && key.toLowerCase() !== 'payload') continue;
    const value = token[key];
    if (!isOmitted(value) && !isObject(value)) {
      add(out, childPath(path, key), `${key} must be an object of claims, not ${describe(value)}`);
    }
  }
}

/** The payload Go would decode from `mutations.<token>`: the exact key, else a case variant. */
function replacementPayload(token: JsonObject): unknown {
  if (hasOwn.call(token, 'payload') && !isOmitted(token.payload)) return token.payload;
  for (const key of Object.keys(token)) {
    if (key.toLowerCase() === 'payload' && !isOmitted(token[key])) return token[key];
  }
  return undefined;
}

function checkTokenClaims(out: Violations, token: TokenKey, mutations: unknown, eventPayload: unknown): void {
  if (!isObject(mutations)) return;
  const mutation = mutations[token];
  if (!isObject(mutation)) return;
  const replacement = replacementPayload(mutation);
  if (!isObject(replacement)) return;
  if (!isObject(eventPayload)) return;
  const originalToken = eventPayload[token];
  if (!isObject(originalToken)) return;
  const claims = originalToken.payload;
  if (!isObject(claims)) return;

  const base = `mutations.${token}.payload`;
  for (const claim of Object.keys(claims)) {
    const present = hasOwn.call(replacement, claim) && !isOmitted(replacement[claim]);
    if (!present) {
      add(out, childPath(base, claim), `claim ${quote(claim)} of the original token was removed; echo every original claim`);
    } else if (!jsonEqual(claims[claim], replacement[claim])) {
      add(out, childPath(base, claim), `claim ${quote(claim)} of the original token was changed; echo every original claim unchanged`);
    }
  }
}

// --- constraints, bot protection, rate limits -----------------------------------------------

function checkConstraints(out: Violations, constraints: unknown): void {
  if (!isObject(constraints)) {
    add(out, 'constraints', `constraints must be an object such as {"amr": ["mfa"]}, not ${describe(constraints)}`);
    return;
  }
  for (const key of Object.keys(constraints)) {
    const value = constraints[key];
    if (isOmitted(value)) continue;
    if (key !== 'amr') {
      add(out, childPath('constraints', key), `${quote(key)} is not allowed in constraints (allowed: amr)`);
      continue;
    }
    if (!Array.isArray(value)) {
      add(out, 'constraints.amr', `constraints.amr must be an array, not ${describe(value)}`);
      continue;
    }
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== 'string' || !AMR_SET.has(item)) {
        const shown = typeof item === 'string' ? quote(item) : describe(item);
        add(out, `constraints.amr[${i}]`, `${shown} is not a supported amr constraint (allowed: ${AMR_LISTED})`);
      }
    }
  }
}

function checkBotProtection(out: Violations, botProtection: unknown): void {
  if (!isObject(botProtection)) {
    add(out, 'bot_protection', `bot_protection must be an object such as {"mode": "always"}, not ${describe(botProtection)}`);
    return;
  }
  for (const key of Object.keys(botProtection)) {
    const value = botProtection[key];
    if (isOmitted(value)) continue;
    if (key !== 'mode') {
      add(out, childPath('bot_protection', key), `${quote(key)} is not allowed in bot_protection (allowed: mode)`);
    } else if (value !== 'never' && value !== 'always') {
      const shown = typeof value === 'string' ? quote(value) : describe(value);
      add(out, 'bot_protection.mode', `bot_protection.mode must be "never" or "always", not ${shown}`);
    }
  }
}

function checkRateLimits(out: Violations, rateLimits: unknown): void {
  if (!isObject(rateLimits)) {
    add(out, 'rate_limits', `rate_limits must be an object keyed by rate limit name, not ${describe(rateLimits)}`);
    return;
  }
  for (const key of Object.keys(rateLimits)) {
    const value = rateLimits[key];
    if (isOmitted(value)) continue;
    const path = childPath('rate_limits', key);
    if (!RATE_LIMIT_SET.has(key)) {
      add(out, path, `${quote(key)} is not a rate limit a hook can adjust (allowed: ${RATE_LIMIT_LISTED})`);
      continue;
    }
    if (!isObject(value)) {
      add(out, path, `each rate limit must be an object such as {"weight": 1}, not ${describe(value)}`);
      continue;
    }
    for (const field of Object.keys(value)) {
      const setting = value[field];
      if (isOmitted(setting)) continue;
      if (field !== 'weight') {
        add(out, childPath(path, field), `${quote(field)} is not allowed in a rate limit (allowed: weight)`);
      } else if (typeof setting !== 'number' || !Number.isFinite(setting) || setting < 0) {
        const shown = typeof setting === 'number' && Number.isFinite(setting) ? String(setting) : describe(setting);
        add(out, `${path}.weight`, `weight must be a number >= 0, not ${shown}`);
      }
    }
  }
}

// --- JSON equality -------------------------------------------------------------------------

/** Equality of two values as JSON: objects ignore key order, arrays keep it, numbers compare by value. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const aIsArray = Array.isArray(a);
  if (aIsArray !== Array.isArray(b)) return false;
  if (aIsArray) {
    const left = a as readonly unknown[];
    const right = b as readonly unknown[];
    if (left.length !== right.length) return false;
    for (let i = 0; i < left.length; i++) {
      // JSON.stringify writes omitted array entries as null.
      const x = isOmitted(left[i]) ? null : left[i];
      const y = isOmitted(right[i]) ? null : right[i];
      if (!jsonEqual(x, y)) return false;
    }
    return true;
  }
  const left = a as JsonObject;
  const right = b as JsonObject;
  let leftCount = 0;
  for (const key of Object.keys(left)) {
    const value = left[key];
    if (isOmitted(value)) continue;
    leftCount++;
    if (!hasOwn.call(right, key) || !jsonEqual(value, right[key])) return false;
  }
  let rightCount = 0;
  for (const key of Object.keys(right)) {
    if (!isOmitted(right[key])) rightCount++;
  }
  return leftCount === rightCount;
}
