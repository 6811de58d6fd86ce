import { describe, expect, it } from 'vitest';
import { describeAdminApi } from './describe';
import { readAdminApiConfig } from './config';

const PEM = '-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----';

describe('readAdminApiConfig', () => {
  it('reads a local configuration and takes the project id from the host', () => {
    // Act
    const config = readAdminApiConfig({
      AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud/',
      AUTHGEAR_ADMIN_API_KEY_ID: 'kid-1',
      AUTHGEAR_ADMIN_API_PRIVATE_KEY: PEM,
    });

    // Assess
    expect(config).toEqual({
      status: 'configured',
      settings: {
        endpoint: 'https://myapp.authgear.cloud',
        graphqlUrl: 'https://myapp.authgear.cloud/_api/admin/graphql',
        projectId: 'myapp',
        keyId: 'kid-1',
        key: { pem: PEM },
      },
    });
    expect(describeAdminApi(config)).toContain('https://myapp.authgear.cloud/_api/admin/graphql, project myapp');
    expect(describeAdminApi(config)).not.toContain('MIIE');
  });

  it('reads a deployed configuration with the key in Secrets Manager and an explicit project id', () => {
    // Act
    const config = readAdminApiConfig({
      AUTHGEAR_ENDPOINT: 'https://auth.example.com',
      AUTHGEAR_PROJECT_ID: 'myapp',
      AUTHGEAR_ADMIN_API_PRIVATE_KEY_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin-AbC123',
    });

    // Assess
    expect(config.status).toBe('configured');
    expect(config.status === 'configured' && config.settings).toMatchObject({
      projectId: 'myapp',
      keyId: undefined,
      key: { secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin-AbC123' },
    });
  });

  it('says "not configured" with what to set when nothing is set', () => {
    // Act
    const config = readAdminApiConfig({ AUTHGEAR_ENDPOINT: '  ' });

    // Assess
    expect(config.status).toBe('not_configured');
    expect(config.status !== 'configured' && config.problem).toMatch(
      /AUTHGEAR_ENDPOINT.*AUTHGEAR_ADMIN_API_KEY_ID.*AUTHGEAR_ADMIN_API_PRIVATE_KEY/,
    );
    expect(describeAdminApi(config)).toMatch(/not configured/);
  });

  it('names what is missing or wrong in a partial or invalid configuration', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud' }, /set AUTHGEAR_ADMIN_API_PRIVATE_KEY and AUTHGEAR_ADMIN_API_KEY_ID/],
      [{ AUTHGEAR_ADMIN_API_PRIVATE_KEY: PEM, AUTHGEAR_ADMIN_API_KEY_ID: 'k' }, /set AUTHGEAR_ENDPOINT/],
      [{ AUTHGEAR_ENDPOINT: 'myapp.authgear.cloud', AUTHGEAR_ADMIN_API_PRIVATE_KEY: PEM, AUTHGEAR_ADMIN_API_KEY_ID: 'k' }, /must be a URL/],
      [
        { AUTHGEAR_ENDPOINT: 'ftp://myapp.authgear.cloud', AUTHGEAR_ADMIN_API_PRIVATE_KEY: PEM, AUTHGEAR_ADMIN_API_KEY_ID: 'k' },
        /http\(s\) URL/,
      ],
      [
        { AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud/?x=1', AUTHGEAR_ADMIN_API_PRIVATE_KEY: PEM, AUTHGEAR_ADMIN_API_KEY_ID: 'k' },
        /without query/,
      ],
      [
        { AUTHGEAR_ENDPOINT: 'http://localhost:3100', AUTHGEAR_ADMIN_API_PRIVATE_KEY: PEM, AUTHGEAR_ADMIN_API_KEY_ID: 'k' },
        /AUTHGEAR_PROJECT_ID is needed/,
      ],
      [
        { AUTHGEAR_ENDPOINT: 'http://127.0.0.1:3100', AUTHGEAR_ADMIN_API_PRIVATE_KEY: PEM, AUTHGEAR_ADMIN_API_KEY_ID: 'k' },
        /AUTHGEAR_PROJECT_ID is needed/,
      ],
    ];
    for (const [env, message] of cases) {
      // Act
      const config = readAdminApiConfig(env);

      // Assess
      expect(config.status, JSON.stringify(env)).toBe('invalid');
      expect(config.status !== 'configured' && config.problem).toMatch(message);
      expect(describeAdminApi(config)).toMatch(/NOT USABLE/);
    }
  });
});
