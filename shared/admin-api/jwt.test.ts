import { verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testAdminApiKey } from '../../test/support/admin-api-keys';
import { ISSUED_AT_BACKDATE_SECONDS, signAdminApiJwt, TOKEN_LIFETIME_SECONDS, TOKEN_RENEW_BEFORE_SECONDS, TokenCache } from './jwt';
import { parseAdminApiKey } from './key';

const decode = (part: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('the Admin API JWT', () => {
  const material = testAdminApiKey();
  const key = parseAdminApiKey(material.privatePem, material.keyId);

  it('is RS256 with the key id, the project as audience, and a five-minute lifetime, verifiable with the public key', () => {
    // Prepare
    const now = 1_787_280_000;

    // Act
    const token = signAdminApiJwt(key, 'myapp', now);
    const [header = '', payload = '', signature = ''] = token.split('.');

    // Assess
    expect(token.split('.')).toHaveLength(3);
    expect(decode(header)).toEqual({ alg: 'RS256', typ: 'JWT', kid: material.keyId });
    expect(decode(payload)).toEqual({ aud: ['myapp'], iat: now - ISSUED_AT_BACKDATE_SECONDS, exp: now + TOKEN_LIFETIME_SECONDS });
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), material.publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
    expect(verify('sha256', Buffer.from(`${header}.${payload}x`), material.publicKey, Buffer.from(signature, 'base64url'))).toBe(false);
    expect(TOKEN_LIFETIME_SECONDS).toBe(300);
  });

  it('is reused until shortly before it expires, and renewed for a new key', () => {
    // Prepare
    const cache = new TokenCache();
    const other = parseAdminApiKey(testAdminApiKey('rotated').privatePem, 'kid-new');
    const t0 = 1_787_280_000_000;

    // Act
    const first = cache.token(key, 'myapp', t0);
    const stillValid = cache.token(key, 'myapp', t0 + (TOKEN_LIFETIME_SECONDS - TOKEN_RENEW_BEFORE_SECONDS - 1) * 1000);
    const renewed = cache.token(key, 'myapp', t0 + (TOKEN_LIFETIME_SECONDS - TOKEN_RENEW_BEFORE_SECONDS) * 1000);
    const forNewKey = cache.token(other, 'myapp', t0 + (TOKEN_LIFETIME_SECONDS - TOKEN_RENEW_BEFORE_SECONDS) * 1000);
    cache.clear();
    const afterClear = cache.token(other, 'myapp', t0 + (TOKEN_LIFETIME_SECONDS - TOKEN_RENEW_BEFORE_SECONDS) * 1000);

    // Assess
    expect(stillValid).toBe(first);
    expect(renewed).not.toBe(first);
    expect(decode(renewed.split('.')[1] ?? '').exp).toBe(t0 / 1000 + 2 * TOKEN_LIFETIME_SECONDS - TOKEN_RENEW_BEFORE_SECONDS);
    expect(decode(forNewKey.split('.')[0] ?? '').kid).toBe('kid-new');
    expect(afterClear).toBe(forNewKey); // same second, same key: the same bytes, but signed again
  });
});
