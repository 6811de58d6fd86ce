import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testAdminApiKey } from '../../test/support/admin-api-keys';
import { AdminApiConfigError } from './errors';
import { parseAdminApiKey } from './key';

describe('parseAdminApiKey', () => {
  const key = testAdminApiKey();

  it('reads the PEM as downloaded, and as one .env line with \\n escapes', () => {
    // Prepare
    const oneLine = key.privatePem.trim().replaceAll('\n', '\\n');

    // Act
    const fromFile = parseAdminApiKey(key.privatePem, 'kid-1');
    const fromEnvLine = parseAdminApiKey(oneLine, ' kid-1 ');

    // Assess
    expect(oneLine).not.toContain('\n');
    for (const parsed of [fromFile, fromEnvLine]) {
      expect(parsed.keyId).toBe('kid-1');
      expect(parsed.privateKey.asymmetricKeyType).toBe('rsa');
      expect(parsed.privateKey.type).toBe('private');
    }
  });

  it('reads JSON that carries its own key id, which wins over the one given apart', () => {
    // Act
    const parsed = parseAdminApiKey(JSON.stringify({ keyId: 'kid-2', privateKey: key.privatePem }), 'kid-1');

    // Assess
    expect(parsed.keyId).toBe('kid-2');
    expect(parsed.privateKey.asymmetricKeyType).toBe('rsa');
  });

  it('explains each wrong value without quoting it', () => {
    // Prepare
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const broken = key.privatePem.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!');
    const cases: [string, string | undefined, RegExp][] = [
      ['', 'kid', /is not a PEM/],
      ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'kid', /is not a PEM/],
      [broken, 'kid', /could not be read as a PEM private key/],
      [ec, 'kid', /is a ec key; the Admin API signs with RS256/],
      ['{not json', 'kid', /starts with "\{" but is not JSON/],
      [JSON.stringify({ privateKey: key.privatePem }), undefined, /without a string "keyId"/],
      [key.privatePem, undefined, /set AUTHGEAR_ADMIN_API_KEY_ID/],
    ];
    for (const [raw, keyId, message] of cases) {
      // Act
      let thrown: unknown;
      try {
        parseAdminApiKey(raw, keyId);
      } catch (error) {
        thrown = error;
      }

      // Assess
      expect(thrown, String(message)).toBeInstanceOf(AdminApiConfigError);
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toContain('MII');
    }
  });
});
