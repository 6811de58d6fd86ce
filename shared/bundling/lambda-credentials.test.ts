import { describe, expect, it } from 'vitest';
import { credentialsFromEnv, defaultProvider } from './lambda-credentials';

describe('credentialsFromEnv', () => {
  it('reads the key pair, session token and optional fields like the SDK fromEnv provider', () => {
    // Prepare
    const env = {
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEKEY000001',
      AWS_SECRET_ACCESS_KEY: 'example/secret/access/key',
      AWS_SESSION_TOKEN: 'session-token',
      AWS_CREDENTIAL_EXPIRATION: '2026-11-26T22:00:00Z',
      AWS_ACCOUNT_ID: '123456789012',
    };

    // Act
    const credentials = credentialsFromEnv(env);

    // Assess
    expect(credentials).toEqual({
      accessKeyId: 'ASIAEXAMPLEKEY000001',
      secretAccessKey: 'example/secret/access/key',
      sessionToken: 'session-token',
      expiration: new Date('2026-11-26T22:00:00Z'),
      accountId: '123456789012',
      $source: { CREDENTIALS_ENV_VARS: 'g' },
    });
  });

  it('leaves out what the environment does not set', () => {
    // Act
    const credentials = credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'AKIA1', AWS_SECRET_ACCESS_KEY: 's' });

    // Assess
    expect(Object.keys(credentials).sort()).toEqual(['$source', 'accessKeyId', 'secretAccessKey']);
  });

  it.each([
    ['the key id', { AWS_SECRET_ACCESS_KEY: 's' }],
    ['the secret key', { AWS_ACCESS_KEY_ID: 'AKIA1' }],
    ['both', {}],
  ])('throws a message naming the variables when %s is missing', (_name, env) => {
    // Act
    const read = () => credentialsFromEnv(env);

    // Assess
    expect(read).toThrow(/AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY/);
  });
});

describe('defaultProvider', () => {
  it('returns the same credentials object on every call, as the SDK memoizes environment credentials', async () => {
    // Prepare
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = 'AKIAFIRST';
    process.env.AWS_SECRET_ACCESS_KEY = 'first';
    const provider = defaultProvider();

    try {
      // Act
      const first = await provider();
      process.env.AWS_ACCESS_KEY_ID = 'AKIASECOND';
      const second = await provider();

      // Assess
      expect(first.accessKeyId).toBe('AKIAFIRST');
      expect(second).toBe(first);
    } finally {
      process.env = saved;
    }
  });
});
