/**
 * JSON exactly as Go's `encoding/json` writes Authgear's events, so that samples are signed over
 * the same kind of bytes a receiver gets from Authgear.
 */

/** Go's encoder HTML-escapes these; a receiver that re-serialises the body changes the bytes. */
const GO_ESCAPED = /[<>&\u2028\u2029]/g;
/** A surrogate half without its partner: Go can only hold valid UTF-8 and writes U+FFFD instead. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

function goValue(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return value.replace(LONE_SURROGATE, '\uFFFD');
  if (typeof value === 'number' && !Number.isFinite(value)) {
    // Go refuses to encode these; JSON.stringify would quietly write null.
    throw new TypeError(`${String(value)} cannot be encoded as JSON (Go's encoder refuses it)`);
  }
  return value;
}

/**
 * Serialises `value` the way Go's `json.Marshal` does: compact, no trailing newline, with `<`, `>`,
 * `&`, U+2028 and U+2029 written as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`. Keys keep the
 * object's own order (Go's struct order); sort Go maps first with {@link sortGoMap}.
 *
 * @throws TypeError for `NaN` or an infinite number, which Go cannot encode either.
 * @example
 * ```ts
 * goJson({ http_url: 'https://a.example/?x=1&y=<2>' });
 * // '{"http_url":"https://a.example/?x=1\\u0026y=\\u003c2\\u003e"}'
 * ```
 */
export function goJson(value: unknown): string {
  const text = JSON.stringify(value, goValue);
  if (text === undefined) throw new TypeError('only JSON values can be serialised (got undefined or a function)');
  return text.replace(GO_ESCAPED, escapeChar);
}

/**
 * Byte order of the UTF-8 encodings, which is how Go sorts map keys (not UTF-16 code units).
 *
 * @example
 * ```ts
 * ['😀', '｡'].sort(compareGoKeys); // ['｡', '😀'] (UTF-16 order would be the reverse)
 * ```
 */
export function compareGoKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Returns a copy of a Go map (`standard_attributes`, `claims`, token payloads, `audit_context`…)
 * with its keys in the order Go writes them: sorted by their UTF-8 bytes. Nested objects are
 * left as they are.
 *
 * @example
 * ```ts
 * Object.keys(sortGoMap({ updated_at: 1, email: 'a@b.c' })); // ['email', 'updated_at']
 * ```
 */
export function sortGoMap<T extends Record<string, unknown>>(map: T): T {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(map).sort(compareGoKeys)) sorted[key] = map[key];
  return sorted as T;
}

/**
 * Formats a time the way Go writes a `time.Time` in JSON for Authgear (RFC 3339 in UTC, with the
 * fraction's trailing zeros dropped): `2026-08-20T09:15:31.482913Z`.
 *
 * @param epochMicros - microseconds since the Unix epoch (Authgear's database keeps microseconds).
 * @example
 * ```ts
 * goTime(1787217331482913); // '2026-08-20T09:15:31.482913Z'
 * goTime(1787217331000000); // '2026-08-20T09:15:31Z'
 * ```
 */
export function goTime(epochMicros: number): string {
  if (!Number.isSafeInteger(epochMicros)) throw new RangeError(`goTime needs whole microseconds (got ${epochMicros})`);
  const seconds = Math.floor(epochMicros / 1e6);
  const fraction = String(epochMicros - seconds * 1e6)
    .padStart(6, '0')
    .replace(/0+$/, '');
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  return `${whole}${fraction === '' ? '' : `.${fraction}`}Z`;
}

/**
 * Reads a Go/RFC 3339 time back as whole Unix seconds (floor), e.g. for `standard_attributes.updated_at`.
 *
 * @example
 * ```ts
 * unixSeconds('2026-08-20T09:15:31.482913Z'); // 1787217331
 * ```
 */
export function unixSeconds(time: string): number {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new RangeError(`"${time}" is not an RFC 3339 time such as 2026-08-20T09:15:31.482913Z`);
  return Math.floor(ms / 1000);
}
