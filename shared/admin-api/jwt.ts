import { sign } from 'node:crypto';
import type { AdminApiKey } from './key';

/** How long a token is valid: what Authgear's own examples use. */
export const TOKEN_LIFETIME_SECONDS = 300;
/**
 * `iat` is set this far in the past. Authgear refuses a token issued "in the future" by its clock,
 * with no tolerance, so a token made on a machine whose clock is a second ahead would be refused.
 */
export const ISSUED_AT_BACKDATE_SECONDS = 30;
/** A cached token is replaced once it has less than this left, so none expires in flight. */
export const TOKEN_RENEW_BEFORE_SECONDS = 60;

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/**
 * Signs the Admin API's bearer token: RS256, `kid` of the key, audience the project id.
 *
 * @param nowSeconds Unix time in seconds.
 * @example
 * ```ts
 * const token = signAdminApiJwt(key, 'myapp', Math.floor(Date.now() / 1000));
 * await fetch(url, { headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export function signAdminApiJwt(key: AdminApiKey, projectId: string, nowSeconds: number): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: key.keyId }));
  const payload = base64url(
    JSON.stringify({ aud: [projectId], iat: nowSeconds - ISSUED_AT_BACKDATE_SECONDS, exp: nowSeconds + TOKEN_LIFETIME_SECONDS }),
  );
  const input = `${header}.${payload}`;
  // RSASSA-PKCS1-v1_5 with SHA-256 is RS256; it is node:crypto's default padding for RSA keys.
  return `${input}.${base64url(sign('sha256', Buffer.from(input), key.privateKey))}`;
}

/**
 * One token per key, reused until {@link TOKEN_RENEW_BEFORE_SECONDS} before it expires: signing
 * costs about a millisecond of CPU, which a warm handler need not pay on every call.
 */
export class TokenCache {
  #key: AdminApiKey | undefined;
  #token = '';
  #expiresAt = 0;

  /** The cached token for `key`, or a new one. `nowMs` is epoch milliseconds. */
  token(key: AdminApiKey, projectId: string, nowMs: number): string {
    const now = Math.floor(nowMs / 1000);
    if (key !== this.#key || now >= this.#expiresAt - TOKEN_RENEW_BEFORE_SECONDS) {
      this.#token = signAdminApiJwt(key, projectId, now);
      this.#key = key;
      this.#expiresAt = now + TOKEN_LIFETIME_SECONDS;
    }
    return this.#token;
  }

  /** Forgets the token, e.g. after Authgear refused it. */
  clear(): void {
    this.#key = undefined;
    this.#expiresAt = 0;
  }
}
