import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RawBody } from './body';

/** Request headers as both adapters see them: names in any case, values possibly repeated. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Why a signature was accepted or refused. The reason goes to logs only; every refusal is the
 * same 401 to the caller so a forger learns nothing.
 */
export type SignatureVerdict = 'valid' | 'missing' | 'duplicated' | 'not_hex' | 'wrong_length' | 'mismatch';

const SIGNATURE_HEX_LENGTH = 64;
const EXPECTED_DIGEST = Buffer.alloc(SIGNATURE_HEX_LENGTH / 2);
const HEX = /^[0-9a-f]*$/i;

/**
 * Finds a header case-insensitively. A header sent twice is reported as `duplicated`
 * rather than guessed at.
 *
 * @example
 * ```ts
 * readHeader({ 'X-Authgear-Body-Signature': 'ab' }, 'x-authgear-body-signature'); // { value: 'ab' }
 * ```
 */
export function readHeader(headers: HeaderBag, lowerCaseName: string): { value?: string; duplicated?: true } {
  // Every key must be looked at: a second spelling of the name is a duplicate. Counting instead
  // of collecting, and comparing the exact (lowercase) spelling before lowercasing, keeps this
  // free of allocations for the headers Lambda and node:http deliver.
  let count = 0;
  let value: string | undefined;
  for (const key of Object.keys(headers)) {
    if (key.length !== lowerCaseName.length || (key !== lowerCaseName && key.toLowerCase() !== lowerCaseName)) continue;
    const found = headers[key];
    if (found === undefined) continue;
    if (typeof found === 'string') {
      count += 1;
      value = found;
    } else if (found.length > 0) {
      count += found.length;
      value = found[0];
    }
  }
  if (count > 1) return { duplicated: true };
  return count === 1 ? { value: value as string } : {};
}

/**
 * Checks the form of a signature header before any secret is needed, so junk never costs a
 * Secrets Manager call.
 */
export function checkSignatureFormat(signature: string | undefined): Exclude<SignatureVerdict, 'mismatch' | 'duplicated'> {
  if (signature === undefined || signature === '') return 'missing';
  if (!HEX.test(signature)) return 'not_hex';
  if (signature.length !== SIGNATURE_HEX_LENGTH) return 'wrong_length';
  return 'valid';
}

/**
 * Verifies Authgear's `x-authgear-body-signature`: lowercase hex HMAC-SHA256 of the raw body
 * bytes, keyed with the UTF-8 bytes of the secret the portal shows. Any of `secrets` may match,
 * so an old and a new secret can overlap during a rotation.
 *
 * The body must be the bytes exactly as received: Authgear's bodies are Go-escaped
 * (`\u003c`, `\u0026`, …), so parsing and re-serialising them changes the bytes.
 *
 * @example
 * ```ts
 * const verdict = verifySignature(rawBody, headerValue, ['k3Y9mP2qR7sT1vW5xZ8aB4cD6eF0gH_j']);
 * if (verdict !== 'valid') return unauthorized();
 * ```
 */
export function verifySignature(body: RawBody, signature: string | undefined, secrets: readonly string[]): SignatureVerdict {
  const format = checkSignatureFormat(signature);
  if (format !== 'valid') return format;
  return signatureMatches(body, signature as string, secrets) ? 'valid' : 'mismatch';
}

/**
 * The comparison of {@link verifySignature} alone, for a signature that already passed
 * {@link checkSignatureFormat} (64 hex characters; anything else never matches).
 * A string body is hashed as its UTF-8 bytes: the same bytes `Buffer.from(body, 'utf8')` gives.
 */
export function signatureMatches(body: RawBody, signature: string, secrets: readonly string[]): boolean {
  // Decoded into one reused buffer instead of a new one per request: this function runs to the
  // end without yielding, so no other call can overwrite it meanwhile.
  const expected = EXPECTED_DIGEST;
  // Anything but 32 decoded bytes would compare against part of an earlier request's: refuse.
  if (signature.length !== SIGNATURE_HEX_LENGTH || expected.write(signature, 'hex') !== expected.byteLength) return false;
  for (const secret of secrets) {
    const actual = createHmac('sha256', secret).update(body).digest();
    // Both are 32 bytes here, as timingSafeEqual requires.
    if (timingSafeEqual(actual, expected)) return true;
  }
  return false;
}

/**
 * Signs a body the way Authgear does. Used by the local tools and tests.
 *
 * @example
 * ```ts
 * const signature = signBody('{"id":"000000000000bc55",…}', secret);
 * ```
 */
export function signBody(body: string | Uint8Array, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}
