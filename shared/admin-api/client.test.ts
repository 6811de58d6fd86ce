/**
 * The client over real HTTP against a local Admin API that checks the JWT as Authgear does.
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testAdminApiKey } from '../../test/support/admin-api-keys';
import { type FakeAdminApiServer, startFakeAdminApi } from '../../test/support/admin-api-server';
import { listenOnLoopback } from '../../test/support/listen';
import { sampleAdminApiUser } from '../devtools/fake-admin-api';
import { createAdminApiClient } from './client';
import { readAdminApiConfig, type AdminApiSettings } from './config';
import { AdminApiConfigError, AdminApiError } from './errors';
import { AdminApiKeyStore } from './key-store';
import { userNodeId } from './node-id';

const USER_ID = '5a2f4e7c-9b1d-4c3e-8f6a-0d2b7e9c1a34';
const primary = testAdminApiKey('primary');
const secondary = testAdminApiKey('secondary');

function settingsFor(endpoint: string, projectId = 'myapp'): AdminApiSettings {
  const config = readAdminApiConfig({
    AUTHGEAR_ENDPOINT: endpoint,
    AUTHGEAR_PROJECT_ID: projectId,
    AUTHGEAR_ADMIN_API_KEY_ID: primary.keyId,
    AUTHGEAR_ADMIN_API_PRIVATE_KEY: 'loaded by the store',
  });
  if (config.status !== 'configured') throw new Error(config.problem);
  return config.settings;
}

/** A client whose key store reads `stored.value` and counts the reads. */
function clientFor(
  endpoint: string,
  options: { projectId?: string; keyId?: string; stored?: { value: string }; refreshIntervalMs?: number } = {},
) {
  const stored = options.stored ?? { value: primary.privatePem };
  const loads = { count: 0 };
  const keys = new AdminApiKeyStore({
    keyId: options.keyId ?? primary.keyId,
    ttlMs: 300_000,
    refreshIntervalMs: options.refreshIntervalMs ?? 0,
    where: 'the test key',
    load: async () => {
      loads.count++;
      return stored.value;
    },
  });
  const debug: Record<string, unknown>[] = [];
  const client = createAdminApiClient({ settings: settingsFor(endpoint, options.projectId), keys });
  const adminApi = (scope: { deadline?: number; signal?: AbortSignal } = {}) =>
    client.forRun({ deadline: Date.now() + 5_000, logger: { debug: (msg, fields) => debug.push({ msg, ...fields }) }, ...scope });
  return { adminApi, loads, stored, debug };
}

async function failure(promise: Promise<unknown>): Promise<AdminApiError> {
  try {
    await promise;
  } catch (error) {
    return error as AdminApiError;
  }
  throw new Error('expected the call to fail');
}

describe('the Admin API client against an Authgear-like server', () => {
  let server: FakeAdminApiServer;
  let clockOffset = 0;

  beforeAll(async () => {
    server = await startFakeAdminApi({
      projectId: 'myapp',
      keys: { [primary.keyId]: primary.publicKey },
      nowSeconds: () => Math.floor(Date.now() / 1000) + clockOffset,
    });
  });
  afterAll(() => server?.close());
  beforeEach(() => {
    clockOffset = 0;
    server.delayMs = 0;
    server.setKeys({ [primary.keyId]: primary.publicKey });
    server.respond('getUser', { data: { node: { __typename: 'User', ...sampleAdminApiUser(USER_ID) } } });
  });

  it('sends a JWT Authgear accepts, reads the key once at the first call, and reuses the token', async () => {
    // Prepare
    const { adminApi, loads, debug } = clientFor(server.endpoint);
    const before = server.requests.length;
    const loadsBeforeCall = loads.count;

    // Act
    const user = await adminApi().getUser(USER_ID);
    const again = await adminApi().getUser(userNodeId(USER_ID));

    // Assess
    const sent = server.requests.slice(before);
    expect(loadsBeforeCall).toBe(0);
    expect(loads.count).toBe(1);
    expect(user).toMatchObject({ id: USER_ID, nodeId: userNodeId(USER_ID) });
    expect(again?.id).toBe(USER_ID);
    expect(sent.map((r) => [r.status, r.refusal, r.operation])).toEqual([
      [200, undefined, 'getUser'],
      [200, undefined, 'getUser'],
    ]);
    expect(sent[0]?.jwtHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: primary.keyId });
    expect(sent[0]?.jwtPayload).toMatchObject({ aud: ['myapp'] });
    expect(sent[1]?.authorization).toBe(sent[0]?.authorization);
    expect(sent[0]?.variables).toEqual({ id: userNodeId(USER_ID) });
    expect(debug).toHaveLength(2);
    expect(JSON.stringify(debug)).not.toContain(sent[0]?.authorization?.slice(7, 40) ?? 'none');
  });

  it('is refused with a 403 for a key the project does not have, a wrong audience, an expired token and one issued in the future', async () => {
    // Prepare
    const cases = [
      { name: 'unknown key id', client: clientFor(server.endpoint, { keyId: 'not-in-the-portal' }), offset: 0, refusal: 'unknown_kid' },
      {
        name: 'signed with another key under a known id',
        client: clientFor(server.endpoint, { stored: { value: secondary.privatePem } }),
        offset: 0,
        refusal: 'bad_signature',
      },
      { name: 'another project', client: clientFor(server.endpoint, { projectId: 'otherapp' }), offset: 0, refusal: 'wrong_audience' },
      { name: 'expired', client: clientFor(server.endpoint), offset: 301, refusal: 'expired' },
      { name: 'issued in the future', client: clientFor(server.endpoint), offset: -31, refusal: 'issued_in_future' },
    ];
    for (const { name, client, offset, refusal } of cases) {
      clockOffset = offset;
      const before = server.requests.length;

      // Act
      const error = await failure(client.adminApi().getUser(USER_ID));

      // Assess
      const sent = server.requests.slice(before);
      expect(error, name).toBeInstanceOf(AdminApiError);
      expect(error.kind, name).toBe('http_status');
      expect(error.status, name).toBe(403);
      expect(error.message, name).toMatch(/HTTP 403: the token was refused; check that the key id/);
      expect(sent.at(-1)?.refusal, name).toBe(refusal);
      const token = sent.at(-1)?.authorization?.slice('Bearer '.length) ?? '';
      expect(token.length, name).toBeGreaterThan(100);
      expect(`${error.message} ${JSON.stringify(error)} ${String(error.stack)}`, name).not.toContain(token.split('.')[2]);
    }
  });

  it('is accepted when the server clock is up to 30 s behind, thanks to the backdated iat', async () => {
    // Prepare
    clockOffset = -29;
    const { adminApi } = clientFor(server.endpoint);

    // Act
    const user = await adminApi().getUser(USER_ID);

    // Assess
    expect(user?.id).toBe(USER_ID);
    expect(server.requests.at(-1)?.status).toBe(200);
  });

  it('is accepted with either key while the project lists two (a rotation in progress)', async () => {
    // Prepare
    server.setKeys({ [primary.keyId]: primary.publicKey, [secondary.keyId]: secondary.publicKey });
    const old = clientFor(server.endpoint);
    const rotated = clientFor(server.endpoint, { keyId: secondary.keyId, stored: { value: secondary.privatePem } });
    const before = server.requests.length;

    // Act
    const users = await Promise.all([old.adminApi().getUser(USER_ID), rotated.adminApi().getUser(USER_ID)]);

    // Assess
    expect(users.map((u) => u?.id)).toEqual([USER_ID, USER_ID]);
    expect(
      server.requests
        .slice(before)
        .map((r) => [r.status, r.jwtHeader?.kid])
        .sort(),
    ).toEqual(
      [
        [200, primary.keyId],
        [200, secondary.keyId],
      ].sort(),
    );
  });

  it('re-reads a rotated key after a 403 and repeats the request once with it', async () => {
    // Prepare: the client has the old key cached; the portal now lists only the new one, stored as JSON with its id.
    const { adminApi, stored, loads } = clientFor(server.endpoint);
    await adminApi().getUser(USER_ID);
    server.setKeys({ [secondary.keyId]: secondary.publicKey });
    stored.value = JSON.stringify({ keyId: secondary.keyId, privateKey: secondary.privatePem });
    const before = server.requests.length;

    // Act
    const user = await adminApi().getUser(USER_ID);

    // Assess
    const sent = server.requests.slice(before);
    expect(user?.id).toBe(USER_ID);
    expect(sent.map((r) => [r.status, r.refusal ?? null, r.jwtHeader?.kid])).toEqual([
      [403, 'unknown_kid', primary.keyId],
      [200, null, secondary.keyId],
    ]);
    expect(loads.count).toBe(2);
  });

  it('does not repeat a refused request when the stored key is unchanged', async () => {
    // Prepare
    const { adminApi, loads } = clientFor(server.endpoint, { keyId: 'not-in-the-portal' });
    const before = server.requests.length;

    // Act
    const error = await failure(adminApi().getUser(USER_ID));

    // Assess
    expect(error.status).toBe(403);
    expect(server.requests.length - before).toBe(1);
    expect(loads.count).toBe(2); // the first read, and one re-read that found the same key
  });

  it('reports GraphQL errors with message, path and extensions, and keeps partial data', async () => {
    // Prepare
    server.respond('addUserToGroups', {
      data: null,
      errors: [{ message: 'group not found', path: ['addUserToGroups'], extensions: { errorName: 'NotFound', reason: 'GroupNotFound' } }],
    });
    const { adminApi } = clientFor(server.endpoint);

    // Act
    const error = await failure(adminApi().addUserToGroups(USER_ID, ['no-such-group']));

    // Assess
    expect(error.kind).toBe('graphql_errors');
    expect(error.status).toBe(200);
    expect(error.operation).toBe('addUserToGroups');
    expect(error.errors).toEqual([
      { message: 'group not found', path: ['addUserToGroups'], extensions: { errorName: 'NotFound', reason: 'GroupNotFound' } },
    ]);
    expect(error.message).toBe('the Admin API reported an error for addUserToGroups: group not found (GroupNotFound)');
    expect(server.requests.at(-1)?.variables).toEqual({ input: { userID: userNodeId(USER_ID), groupKeys: ['no-such-group'] } });
  });

  it('reports a query the schema refuses as GraphQL errors', async () => {
    // Prepare
    const { adminApi } = clientFor(server.endpoint);

    // Act
    const error = await failure(adminApi().graphql('query typo { nodez(id: "x") { id } }'));

    // Assess
    expect(error.kind).toBe('graphql_errors');
    expect(error.errors[0]?.message).toMatch(/Cannot query field "nodez"/);
  });

  it('says the endpoint is wrong on a 404, and names a body that is not GraphQL', async () => {
    // Prepare
    const wrongPath = clientFor(`${server.endpoint}/wrong`);
    server.respond('getUser', { status: 200, body: '<html>login</html>', contentType: 'text/html' });
    const { adminApi } = clientFor(server.endpoint);

    // Act
    const notFound = await failure(wrongPath.adminApi().getUser(USER_ID));
    const notGraphQL = await failure(adminApi().getUser(USER_ID));

    // Assess
    expect(notFound).toMatchObject({ kind: 'http_status', status: 404 });
    expect(notFound.message).toMatch(/no Admin API at http:\/\/127\.0\.0\.1:\d+\/wrong\/_api\/admin\/graphql; check AUTHGEAR_ENDPOINT/);
    expect(notGraphQL).toMatchObject({ kind: 'invalid_response', status: 200 });
  });

  it("stops at the handler's deadline, and when the handler's signal aborts", async () => {
    // Prepare
    server.delayMs = 1_000;
    const { adminApi } = clientFor(server.endpoint);
    const controller = new AbortController();

    // Act
    const started = Date.now();
    const late = await failure(adminApi({ deadline: Date.now() + 150 }).getUser(USER_ID));
    const elapsed = Date.now() - started;
    const pending = failure(adminApi({ signal: controller.signal }).getUser(USER_ID));
    setTimeout(() => controller.abort(), 50);
    const aborted = await pending;
    const past = await failure(adminApi({ deadline: Date.now() - 1 }).getUser(USER_ID));

    // Assess
    expect(late.kind).toBe('timeout');
    expect(late.message).toMatch(/did not answer getUser before the handler's deadline/);
    expect(elapsed).toBeLessThan(900);
    expect(aborted.kind).toBe('aborted');
    expect(past.kind).toBe('timeout');
  });

  it('names an unreachable endpoint as a network failure', async () => {
    // Prepare: a port that was just free.
    const probe = createServer();
    const endpoint = await listenOnLoopback(probe);
    await new Promise((resolve) => probe.close(resolve));
    const { adminApi } = clientFor(endpoint);

    // Act
    const error = await failure(adminApi().getUser(USER_ID));

    // Assess
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(/could not be reached \(ECONNREFUSED\)/);
  });

  it('fails with a configuration error, and sends nothing, when the key cannot be loaded', async () => {
    // Prepare
    const { adminApi } = clientFor(server.endpoint, { stored: { value: 'not a key' } });
    const before = server.requests.length;

    // Act
    const error = await failure(adminApi().getUser(USER_ID));

    // Assess
    expect(error).toBeInstanceOf(AdminApiConfigError);
    expect(error.message).toMatch(/the test key is not a PEM/);
    expect(server.requests.length).toBe(before);
  });
});
