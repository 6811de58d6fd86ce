/**
 * A request body as the adapters hand it to the core: the raw bytes, or a string that stands for
 * its UTF-8 encoding. API Gateway gives Lambda a text body as a string; keeping it as one saves a
 * round trip through bytes (`Buffer.from` in the adapter, a UTF-8 decode in the core) on every
 * request, and HMAC-SHA256 and `JSON.parse` both take the string directly.
 *
 * Every function here gives for a string exactly what it gives for `Buffer.from(string, 'utf8')`,
 * so the core behaves the same whichever form an adapter passes.
 */
import { isUtf8 } from 'node:buffer';

export type RawBody = Uint8Array | string;

const BYTE_ORDER_MARK = 0xfeff;

/**
 * The string itself, or, when it holds a lone UTF-16 surrogate, the string its UTF-8 bytes decode
 * to: Node encodes a lone surrogate as U+FFFD. With this the HMAC, the parsed event and a queued
 * copy all see the same text.
 *
 * @example
 * ```ts
 * wellFormed('a\ud800b'); // 'a\ufffdb'
 * ```
 */
export function wellFormed(body: RawBody): RawBody {
  return typeof body === 'string' && !body.isWellFormed() ? body.toWellFormed() : body;
}

/** True when the body has more than `limit` bytes (for a string: in its UTF-8 encoding). */
export function isLongerThan(body: RawBody, limit: number): boolean {
  if (typeof body !== 'string') return body.byteLength > limit;
  // A UTF-16 code unit takes at most 3 bytes in UTF-8, so most strings need no counting.
  return body.length * 3 > limit && Buffer.byteLength(body, 'utf8') > limit;
}

/**
 * The body as text, as a strict UTF-8 decoder (`new TextDecoder('utf-8', { fatal: true })`) gives
 * it: one leading byte-order mark is dropped. `undefined` when the bytes are not UTF-8.
 *
 * `Buffer.isUtf8` plus `toString` does the same work as the fatal `TextDecoder` without its
 * per-call overhead; the byte-order mark is the one difference, handled here.
 *
 * @example
 * ```ts
 * bodyText(Buffer.from('\ufeff{"a":1}')); // '{"a":1}'
 * bodyText(new Uint8Array([0xff]));        // undefined
 * ```
 */
export function bodyText(body: RawBody): string | undefined {
  if (typeof body === 'string') return body.charCodeAt(0) === BYTE_ORDER_MARK ? body.slice(1) : body;
  if (!isUtf8(body)) return undefined;
  const skip = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  return Buffer.from(body.buffer, body.byteOffset + skip, body.byteLength - skip).toString('utf8');
}

/**
 * The body as a string, to store it (a queue message): the string itself, or the bytes read as
 * UTF-8. The core has already checked that a signed body is UTF-8 by then.
 */
export function bodyString(body: RawBody): string {
  return typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}
