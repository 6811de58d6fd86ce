import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { renderHookConfig } from './hook-config';

/**
 * The project has no YAML parser of its own; aws-cdk-lib (a pinned devDependency) bundles `yaml`.
 * It is used, when present, to check that the rendered text really is the YAML we mean.
 */
type YamlParse = (text: string) => unknown;
const parseYaml: YamlParse | undefined = (() => {
  try {
    const require = createRequire(import.meta.url);
    const fromCdk = createRequire(require.resolve('aws-cdk-lib/package.json'));
    const yaml = fromCdk('yaml') as { parse?: unknown };
    return typeof yaml.parse === 'function' ? (yaml.parse as YamlParse) : undefined;
  } catch {
    return undefined;
  }
})();

const BASE = 'https://abc123.execute-api.eu-west-1.amazonaws.com';

describe('renderHookConfig text', () => {
  it('renders blocking handlers one by one and subscribes the non-blocking URL to the named events', () => {
    // Prepare
    const blocking = ['user.pre_create', 'oidc.jwt.pre_create'];
    const nonBlocking = ['user.created', 'user.deleted'];

    // Act
    const text = renderHookConfig(BASE, blocking, nonBlocking);

    // Assess
    expect(text).toBe(
      [
        'hook:',
        '  blocking_handlers:',
        '    - event: user.pre_create',
        `      url: ${BASE}/blocking/user.pre_create`,
        '    - event: oidc.jwt.pre_create',
        `      url: ${BASE}/blocking/oidc.jwt.pre_create`,
        '  non_blocking_handlers:',
        '    - events: ["user.created", "user.deleted"]',
        `      url: ${BASE}/non-blocking`,
        '',
      ].join('\n'),
    );
  });

  it('subscribes to "*" when one of the types is only delivered to a wildcard subscription', () => {
    // Prepare
    const nonBlocking = ['user.created', 'identity.email.verified'];

    // Act
    const text = renderHookConfig(BASE, [], nonBlocking);

    // Assess
    expect(text).toContain('    - events: ["*"]\n');
    expect(text).not.toContain('identity.email.verified');
    expect(text).not.toContain('user.created');
  });

  it.each(['identity.email.unverified', 'identity.phone.verified', 'identity.phone.unverified'])(
    'also switches to "*" for the wildcard-only type %s',
    (type) => {
      // Prepare
      const nonBlocking = [type];

      // Act
      const text = renderHookConfig(BASE, [], nonBlocking);

      // Assess
      expect(text).toContain('events: ["*"]');
    },
  );

  it('renders empty lists as [] for both kinds', () => {
    // Prepare
    const none: string[] = [];

    // Act
    const text = renderHookConfig(BASE, none, none);

    // Assess
    expect(text).toBe('hook:\n  blocking_handlers: []\n  non_blocking_handlers: []\n');
  });

  it('renders blocking handlers with an empty non-blocking list', () => {
    // Prepare
    const blocking = ['authentication.pre_authenticated'];

    // Act
    const text = renderHookConfig(BASE, blocking, []);

    // Assess
    expect(text).toBe(
      [
        'hook:',
        '  blocking_handlers:',
        '    - event: authentication.pre_authenticated',
        `      url: ${BASE}/blocking/authentication.pre_authenticated`,
        '  non_blocking_handlers: []',
        '',
      ].join('\n'),
    );
  });

  it('drops a trailing slash of the base URL so no path contains //', () => {
    // Prepare
    const withSlash = `${BASE}/`;

    // Act
    const text = renderHookConfig(withSlash, ['user.pre_create'], ['user.created']);

    // Assess
    expect(text).toBe(renderHookConfig(BASE, ['user.pre_create'], ['user.created']));
    expect(text.replaceAll('https://', '')).not.toContain('//');
  });

  it('keeps a path prefix of the base URL, such as an API stage', () => {
    // Prepare
    const staged = `${BASE}/prod`;

    // Act
    const text = renderHookConfig(staged, ['user.pre_create'], []);

    // Assess
    expect(text).toContain(`url: ${BASE}/prod/blocking/user.pre_create\n`);
  });

  it('passes a CDK token through untouched, since it only concatenates strings', () => {
    // Prepare
    const token = '${Token[TOKEN.123]}';

    // Act
    const text = renderHookConfig(token, ['user.pre_create'], ['user.created']);

    // Assess
    expect(text).toContain('url: ${Token[TOKEN.123]}/blocking/user.pre_create\n');
    expect(text).toContain('url: ${Token[TOKEN.123]}/non-blocking\n');
  });
});

describe.skipIf(parseYaml === undefined)('renderHookConfig parsed back as YAML', () => {
  const parse = (text: string): unknown => (parseYaml as YamlParse)(text);

  it('parses to the hook block Authgear expects, with named events', () => {
    // Prepare
    const text = renderHookConfig(
      `${BASE}/`,
      ['user.pre_create', 'authentication.pre_initialize'],
      ['user.created', 'usage.alert.triggered'],
    );

    // Act
    const parsed = parse(text);

    // Assess
    expect(parsed).toEqual({
      hook: {
        blocking_handlers: [
          { event: 'user.pre_create', url: `${BASE}/blocking/user.pre_create` },
          { event: 'authentication.pre_initialize', url: `${BASE}/blocking/authentication.pre_initialize` },
        ],
        non_blocking_handlers: [{ events: ['user.created', 'usage.alert.triggered'], url: `${BASE}/non-blocking` }],
      },
    });
  });

  it('parses the wildcard subscription to the string "*"', () => {
    // Prepare
    const text = renderHookConfig(BASE, [], ['identity.email.verified']);

    // Act
    const parsed = parse(text);

    // Assess
    expect(parsed).toEqual({
      hook: { blocking_handlers: [], non_blocking_handlers: [{ events: ['*'], url: `${BASE}/non-blocking` }] },
    });
  });

  it('parses empty lists to empty arrays', () => {
    // Prepare
    const text = renderHookConfig(BASE, [], []);

    // Act
    const parsed = parse(text);

    // Assess
    expect(parsed).toEqual({ hook: { blocking_handlers: [], non_blocking_handlers: [] } });
  });
});
