import { describe, expect, it } from 'vitest';
import { defineBlockingHandler, defineNonBlockingHandler } from './handler';
import {
  bindHandlerSecrets,
  checkSecretNames,
  createHandlerSecretRegistry,
  environmentSecretSources,
  localSecretVariable,
  noSecretSources,
  secretNameOf,
} from './handler-secrets';
import { createJsonLogger } from './logger';
import { runHandler } from './run-handler';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm/api-key-AbC123';

/** A logger that keeps its lines, and a registry over sources the test controls. */
function setup(fetchers: Record<string, () => Promise<string>>, clock = { now: 0 }) {
  const lines: string[] = [];
  const logger = createJsonLogger({ level: 'debug', sink: (_level, line) => lines.push(line) });
  const fetches: string[] = [];
  const registry = createHandlerSecretRegistry({
    sources: (name) => ({
      kind: 'test-source',
      fetch: () => {
        fetches.push(name);
        const fetcher = fetchers[name];
        if (!fetcher) throw new Error(`no fetcher for ${name}`);
        return fetcher();
      },
    }),
    logger,
    ttlMs: 300_000,
    refreshIntervalMs: 30_000,
    now: () => clock.now,
  });
  return { registry, lines, fetches, clock };
}

describe('checkSecretNames', () => {
  it('accepts names and complete ARNs, once each', () => {
    // Act
    const names = checkSecretNames(['crm/api-key', ARN, 'crm/api-key']);

    // Assess
    expect(names).toEqual(['crm/api-key', ARN]);
    expect(Object.isFrozen(names)).toBe(true);
  });

  it.each([
    ['a string instead of a list', 'crm/api-key', /must be a list/],
    ['a number in the list', [42], /must list strings/],
    ['a name with a space', ['crm api key'], /not a Secrets Manager secret name/],
    ['an empty name', [''], /not a Secrets Manager secret name/],
    ['an ARN without the 6-character suffix', ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm/api-key'], /complete/],
  ])('refuses %s', (_name, value, message) => {
    // Act
    const check = () => checkSecretNames(value);

    // Assess
    expect(check).toThrow(message);
  });

  it('is applied by both define functions, which keep the declared list on the handler', () => {
    // Act
    const blocking = defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }), { secrets: ['a/b'] });
    const nonBlocking = defineNonBlockingHandler('user.created', () => undefined, { secrets: [ARN] });
    const none = defineNonBlockingHandler('user.created', () => undefined);
    const bad = () => defineNonBlockingHandler('user.created', () => undefined, { secrets: ['no spaces allowed'] });

    // Assess
    expect(blocking.secrets).toEqual(['a/b']);
    expect(nonBlocking.secrets).toEqual([ARN]);
    expect(none.secrets).toEqual([]);
    expect(bad).toThrow(TypeError);
  });
});

describe('local names', () => {
  it.each([
    ['crm/api-key', 'SECRET_CRM_API_KEY'],
    ['prod/stripe.key', 'SECRET_PROD_STRIPE_KEY'],
    [ARN, 'SECRET_CRM_API_KEY'],
  ])('%s is read from %s', (name, variable) => {
    // Act
    const found = localSecretVariable(name);

    // Assess
    expect(found).toBe(variable);
  });

  it('finds the name inside an ARN, and leaves a name alone', () => {
    // Assess
    expect(secretNameOf(ARN)).toBe('crm/api-key');
    expect(secretNameOf('crm/api-key')).toBe('crm/api-key');
  });

  it('reads values from the environment and names the variable to set when one is missing', async () => {
    // Prepare
    const sources = environmentSecretSources({ SECRET_CRM_API_KEY: 'k-123' });

    // Act
    const value = await sources('crm/api-key').fetch();
    const missing = () => sources('crm/other');

    // Assess
    expect(value).toBe('k-123');
    expect(missing).toThrow('the handler secret "crm/other" has no local value: set SECRET_CRM_OTHER in .env or the environment');
  });
});

describe('the registry', () => {
  it('fetches on first use only, once for concurrent reads and for two handlers declaring the same secret', async () => {
    // Prepare
    const { registry, fetches } = setup({ 'crm/api-key': async () => 'k-1' });
    const a = registry.secretsFor(['crm/api-key'], 'user.created');
    const b = registry.secretsFor(['crm/api-key'], 'user.deleted');

    // Act
    const before = [...fetches];
    const values = await Promise.all([a.get('crm/api-key'), a.get('crm/api-key'), b.get('crm/api-key')]);

    // Assess
    expect(before).toEqual([]);
    expect(values).toEqual(['k-1', 'k-1', 'k-1']);
    expect(fetches).toEqual(['crm/api-key']);
  });

  it('keeps JSON and surrounding whitespace as stored (handler secrets are not webhook secrets)', async () => {
    // Prepare
    const stored = ' {"key":"k-1","region":"eu"}\n';
    const { registry } = setup({ json: async () => stored });

    // Act
    const value = await registry.secretsFor(['json'], 'user.created').get('json');

    // Assess
    expect(value).toBe(stored);
  });

  it('refreshes after the TTL in the background, and keeps the last good value when the refresh fails', async () => {
    // Prepare
    let answer: () => Promise<string> = async () => 'v1';
    const { registry, fetches, clock, lines } = setup({ s: () => answer() });
    const secrets = registry.secretsFor(['s'], 'user.created');
    await secrets.get('s');

    // Act
    clock.now = 300_001;
    answer = async () => {
      throw new Error('AccessDeniedException');
    };
    const during = await secrets.get('s');
    await new Promise((resolve) => setImmediate(resolve));
    const after = await secrets.get('s');
    clock.now = 300_001 + 30_001;
    answer = async () => 'v2';
    await secrets.get('s');
    await new Promise((resolve) => setImmediate(resolve));
    const refreshed = await secrets.get('s');

    // Assess
    expect([during, after, refreshed]).toEqual(['v1', 'v1', 'v2']);
    expect(fetches).toEqual(['s', 's', 's']);
    expect(lines.some((l) => l.includes('handler secret \\"s\\" refresh failed; using the last good value'))).toBe(true);
  });

  it('fails a read with nothing cached, logs why without the value, and tries again on a later read', async () => {
    // Prepare
    let fail = true;
    const { registry, clock, lines } = setup({
      s: async () => {
        if (fail) throw new Error('ResourceNotFoundException');
        return 'value-9f2c';
      },
    });
    const secrets = registry.secretsFor(['s'], 'user.created');

    // Act
    const first = await secrets.get('s').then(
      () => undefined,
      (error: unknown) => error,
    );
    fail = false;
    clock.now = 1_001;
    const second = await secrets.get('s');

    // Assess
    expect(String(first)).toContain('no handler secret "s" could be loaded from test-source');
    expect(second).toBe('value-9f2c');
    expect(lines.join('\n')).toContain('ResourceNotFoundException');
    expect(lines.join('\n')).not.toContain('value-9f2c');
  });

  it('refuses an undeclared name, naming the handler, what it declares and the fix', async () => {
    // Prepare
    const { registry, fetches } = setup({ other: async () => 'x' });

    // Act
    const outcome = await registry
      .secretsFor(['crm/api-key'], 'user.created')
      .get('other')
      .catch((error: unknown) => error);

    // Assess
    expect((outcome as Error).message).toBe(
      'the user.created handler reads the secret "other" without declaring it (it declares "crm/api-key"); add it to the handler\'s options: { secrets: ["other"] }',
    );
    expect(fetches).toEqual([]);
  });

  it('passes on the error of a source that cannot give a value, and asks it again next time', async () => {
    // Prepare
    let calls = 0;
    const registry = createHandlerSecretRegistry({
      sources: (name) => {
        calls++;
        return noSecretSources('not configured here')(name);
      },
      logger: createJsonLogger({ level: 'silent' }),
      ttlMs: 1,
      refreshIntervalMs: 1,
    });
    const secrets = registry.secretsFor(['s'], 'user.created');

    // Act
    const outcomes = await Promise.all([secrets.get('s').catch(String), secrets.get('s').catch(String)]);

    // Assess
    expect(outcomes).toEqual([
      'Error: the handler secret "s" cannot be read here: not configured here',
      'Error: the handler secret "s" cannot be read here: not configured here',
    ]);
    expect(calls).toBe(2);
  });
});

describe('bindHandlerSecrets', () => {
  const run = <R>(call: (context: never) => R) =>
    runHandler(
      call as never,
      Date.now() + 1_000,
      { event_type: 'user.created' },
      { logger: createJsonLogger({ level: 'silent' }), now: Date.now },
    );

  it("gives a declaring handler its secrets in the context, and leaves others' context refusing every name", async () => {
    // Prepare
    const { registry } = setup({ 'crm/api-key': async () => 'k-1' });
    const reads = defineNonBlockingHandler('user.created', async (_e, { secrets }) => void (seen = await secrets.get('crm/api-key')), {
      secrets: ['crm/api-key'],
    });
    const plain = defineNonBlockingHandler('user.deleted', async (_e, { secrets }) => {
      await (secrets as { get(name: string): Promise<string> }).get('crm/api-key');
    });
    let seen: string | undefined;
    const bound = bindHandlerSecrets(
      {
        nonBlocking: new Map<never, never>([
          [reads.event as never, reads as never],
          [plain.event as never, plain as never],
        ]),
      },
      registry,
    );

    // Act
    const boundReads = bound.nonBlocking?.get('user.created');
    const boundPlain = bound.nonBlocking?.get('user.deleted');
    const first = await run((context) => boundReads?.handle({} as never, context));
    const second = await run((context) => boundPlain?.handle({} as never, context));

    // Assess
    expect(first).toEqual({ ok: true, value: undefined });
    expect(seen).toBe('k-1');
    expect(boundPlain).toBe(plain);
    expect(second.ok).toBe(false);
    expect(String((second as { error: unknown }).error)).toContain(
      'the user.created handler reads the secret "crm/api-key" without declaring it',
    );
  });
});
