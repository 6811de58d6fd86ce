/**
 * Handler secrets on a developer's machine: the test kit takes values directly or from the
 * environment, and `npm start`'s server reads `SECRET_<NAME>` from the environment merged with
 * `.env`, over real HTTP, with the fixture handler that declares `fixture/denied-domain`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createJsonLogger } from '../shared/core/logger';
import { startLocalServer, type LocalServer } from '../shared/local/server';
import { invokeHandler, sampleEvent } from '../shared/testing';
import deniesStoredDomain from './fixtures/handlers/blocking/user.profile.pre_update';
import { VECTOR_SECRET, vector } from './fixtures/authgear-vectors';
import { FIXTURE_FUNCTIONS_DIR } from './support/fixture-handlers';
import { REPO_ROOT } from './support/paths';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('invokeHandler with handler secrets', () => {
  const event = sampleEvent('user.profile.pre_update', { email: 'ana@blocked.example' });

  it('uses a value passed by the test', async () => {
    // Act
    const result = await invokeHandler(deniesStoredDomain, { event, secrets: { 'fixture/denied-domain': 'blocked.example' } });

    // Assess
    expect(result.outcome).toBe('denied');
    expect(result.answer).toEqual({ is_allowed: false, title: 'Domain not allowed' });
    expect(JSON.stringify(result.logs)).not.toContain('blocked.example');
  });

  it('falls back to SECRET_<NAME> from the environment', async () => {
    // Prepare
    vi.stubEnv('SECRET_FIXTURE_DENIED_DOMAIN', 'blocked.example');

    // Act
    const result = await invokeHandler(deniesStoredDomain, { event });

    // Assess
    expect(result.outcome).toBe('denied');
  });

  it('without a value, fails the handler with a message naming the variable and the option (here its allow policy answers)', async () => {
    // Prepare
    vi.stubEnv('SECRET_FIXTURE_DENIED_DOMAIN', '');

    // Act
    const result = await invokeHandler(deniesStoredDomain, { event });

    // Assess
    expect(result.outcome).toBe('error_policy_allow');
    expect(result.reason).toBe('handler_threw');
    expect(result.errorMessage).toContain(
      'the handler secret "fixture/denied-domain" has no local value: set SECRET_FIXTURE_DENIED_DOMAIN in',
    );
    expect(result.errorMessage).toContain('invokeHandler: { secrets: { "fixture/denied-domain": \'…\' } }');
  });
});

describe('the local server with handler secrets', () => {
  let server: LocalServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function answerTo(env: Record<string, string>): Promise<{ body: unknown; logs: string }> {
    const lines: string[] = [];
    server = await startLocalServer({
      projectRoot: REPO_ROOT,
      functionsDir: FIXTURE_FUNCTIONS_DIR,
      port: 0,
      env: { AUTHGEAR_WEBHOOK_SECRET: VECTOR_SECRET, MAX_EVENT_AGE_SECONDS: '0', ...env },
      logger: createJsonLogger({ level: 'debug', sink: (_level, line) => lines.push(line) }),
    });
    const v = vector('user.profile.pre_update');
    const res = await fetch(`${server.url}/blocking/user.profile.pre_update`, {
      method: 'POST',
      headers: { 'x-authgear-body-signature': v.signature },
      body: v.body,
    });
    return { body: await res.json(), logs: lines.join('\n') };
  }

  it('reads SECRET_FIXTURE_DENIED_DOMAIN for fixture/denied-domain and never logs the value', async () => {
    // Act
    const { body, logs } = await answerTo({ SECRET_FIXTURE_DENIED_DOMAIN: 'example.com' });

    // Assess
    expect(body).toEqual({ is_allowed: false, title: 'Domain not allowed' });
    expect(logs).toContain('"outcome":"denied"');
    expect(logs).not.toContain('example.com');
  });

  it('says which variable to set when the value is missing', async () => {
    // Act
    const { body, logs } = await answerTo({});

    // Assess
    expect(body).toEqual({ is_allowed: true });
    expect(logs).toContain('set SECRET_FIXTURE_DENIED_DOMAIN in .env or the environment');
  });
});
