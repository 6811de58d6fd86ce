/**
 * The local development server over real HTTP, in process through startLocalServer (the
 * `npm start` CLI as a child process is in local-server-cli.test.ts).
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/core/config';
import { findHandlerFiles } from '../shared/discovery/handler-files';
import { createJsonLogger } from '../shared/core/logger';
import { signBody } from '../shared/core/verify';
import { loadEnvFile } from '../shared/devtools/env-file';
import { startLocalServer, type LocalServer } from '../shared/local/server';
import { VECTORS, VECTOR_SECRET, vector } from './fixtures/authgear-vectors';
import { authgearHeaders, trickyPreCreateBody } from './fixtures/go-json';
import { FIXTURE_FUNCTIONS_DIR, FIXTURE_ROUTES } from './support/fixture-handlers';
import { SHARED_FROM_HANDLER } from './support/paths';
import {
  removeTemporaryDirs,
  REPO,
  MAX_BODY_BYTES,
  UNAUTHORIZED,
  EMAIL,
  IP_ADDRESS,
  tempProject,
  send,
  post,
  routeOf,
} from './support/local-server';

afterAll(removeTemporaryDirs);

describe('local server, in process', () => {
  let server: LocalServer;
  /** Serves the blocking vector types that have no fixture handler. */
  let extraServer: LocalServer;
  const lines: string[] = [];
  const logger = createJsonLogger({ level: 'debug', sink: (_level, line) => lines.push(line) });
  // The signed vectors are from August 2026, older than the default MAX_EVENT_AGE_SECONDS.
  const env = { AUTHGEAR_WEBHOOK_SECRET: VECTOR_SECRET, MAX_BODY_BYTES: String(MAX_BODY_BYTES), MAX_EVENT_AGE_SECONDS: '0' };

  /** Log lines written while `act` ran, parsed. */
  async function logsOf<T>(act: () => Promise<T>): Promise<{ result: T; logs: Record<string, unknown>[]; raw: string[] }> {
    const from = lines.length;
    const result = await act();
    const raw = lines.slice(from);
    return { result, raw, logs: raw.map((line) => JSON.parse(line) as Record<string, unknown>) };
  }

  beforeAll(async () => {
    server = await startLocalServer({ projectRoot: REPO, functionsDir: FIXTURE_FUNCTIONS_DIR, port: 0, env, logger });
    const served = new Set(findHandlerFiles(REPO, FIXTURE_FUNCTIONS_DIR).blocking.map((f) => f.eventType));
    const files: Record<string, string> = {};
    for (const { type } of VECTORS) {
      if (routeOf(type) !== '/non-blocking' && !served.has(type)) {
        files[`functions/blocking/${type}.ts`] =
          `import { defineBlockingHandler } from '${SHARED_FROM_HANDLER}';\nexport default defineBlockingHandler('${type}', () => ({ is_allowed: true }));\n`;
      }
    }
    extraServer = await startLocalServer({ projectRoot: tempProject(['shared'], files), port: 0, env, logger });
  });

  afterAll(async () => {
    await server?.close();
    await extraServer?.close();
  });

  it('lists both route families and renders the hook config for localhost', () => {
    // Prepare
    const { port } = server;

    // Act
    const paths = server.routes.map((r) => r.path);

    // Assess
    expect(paths).toEqual(FIXTURE_ROUTES);
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    expect(server.secret).toEqual({ value: VECTOR_SECRET, generated: false });
    expect(server.hookYaml).toContain(`url: http://127.0.0.1:${port}/blocking/user.pre_create`);
    expect(server.hookYaml).toContain(`url: http://127.0.0.1:${port}/non-blocking`);
  });

  it.each(VECTORS.map((v) => [v.type, v] as const))('accepts the signed %s vector on its route', async (type, v) => {
    // Prepare
    const route = routeOf(type);
    const target = route === '/non-blocking' || server.routes.some((r) => r.path === route) ? server : extraServer;

    // Act
    const reply = await post(`${target.url}${route}`, v.body, {
      'content-type': 'application/json',
      'x-authgear-body-signature': v.signature,
    });

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    if (route === '/non-blocking') {
      expect(reply.body).toBe('{"received":true}');
    } else {
      expect(reply.body.startsWith('{"is_allowed":true')).toBe(true);
      expect((JSON.parse(reply.body) as { is_allowed: unknown }).is_allowed).toBe(true);
    }
  });

  it('accepts a signed body with Go escapes, non-ASCII text and U+2028', async () => {
    // Prepare
    const body = trickyPreCreateBody();

    // Act
    const reply = await post(`${server.url}/blocking/user.pre_create`, body, authgearHeaders(body, VECTOR_SECRET));

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('{"is_allowed":true}');
  });

  it('ignores the query string when routing', async () => {
    // Prepare
    const v = vector('user.pre_create');

    // Act
    const reply = await post(`${server.url}/blocking/user.pre_create?source=test`, v.body, { 'x-authgear-body-signature': v.signature });

    // Assess
    expect(reply.status).toBe(200);
  });

  it('finds the signature header whatever its case', async () => {
    // Prepare
    const v = vector('user.pre_create');

    // Act
    const reply = await send(`${server.url}/blocking/user.pre_create`, {
      headers: ['Content-Type', 'application/json', 'X-AUTHGEAR-BODY-SIGNATURE', v.signature],
      body: v.body,
    });

    // Assess
    expect(reply.status).toBe(200);
  });

  describe('refuses a bad signature with the same 401', () => {
    const v = vector('user.pre_create');
    const wrong = signBody(v.body, 'not-the-secret');
    const cases: [string, readonly string[], string][] = [
      ['missing header', ['content-type', 'application/json'], 'signature_missing'],
      ['wrong signature', ['x-authgear-body-signature', wrong], 'signature_mismatch'],
      ['upper-case hex of a wrong signature', ['x-authgear-body-signature', wrong.toUpperCase()], 'signature_mismatch'],
      ['not hex', ['x-authgear-body-signature', 'z'.repeat(64)], 'signature_not_hex'],
      ['wrong length', ['x-authgear-body-signature', v.signature.slice(0, 62)], 'signature_wrong_length'],
      // Twice with the valid value: still refused, and seen as a repeat (not as one joined value).
      [
        'header sent twice',
        ['x-authgear-body-signature', v.signature, 'x-authgear-body-signature', v.signature],
        'signature_header_duplicated',
      ],
    ];

    it.each(cases)('%s', async (_name, headers, reason) => {
      // Prepare
      const url = `${server.url}/blocking/user.pre_create`;

      // Act
      const { result: reply, logs } = await logsOf(() => send(url, { headers, body: v.body }));

      // Assess
      expect(reply.status).toBe(401);
      expect(reply.body).toBe(UNAUTHORIZED);
      expect(logs.at(-1)).toMatchObject({ status: 401, outcome: 'rejected', reason });
    });
  });

  describe('refuses a signed body that is not the right event with 400', () => {
    const signed = (body: string | Uint8Array) => ({
      body,
      headers: { 'content-type': 'application/json', 'x-authgear-body-signature': signBody(body, VECTOR_SECRET) },
    });
    const notAnEvent = '{"error":"body is not an Authgear event"}';
    const cases: [string, string, ReturnType<typeof signed>, string][] = [
      ['not JSON', '/blocking/user.pre_create', signed('hello'), notAnEvent],
      ['a JSON array', '/blocking/user.pre_create', signed('[1,2]'), notAnEvent],
      ['an empty object', '/blocking/user.pre_create', signed('{}'), notAnEvent],
      ['truncated JSON', '/blocking/user.pre_create', signed(vector('user.pre_create').body.slice(0, 200)), notAnEvent],
      ['invalid UTF-8', '/blocking/user.pre_create', signed(Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), notAnEvent],
      [
        'a blocking event on /non-blocking',
        '/non-blocking',
        signed(vector('user.pre_create').body),
        '{"error":"event type does not match this URL"}',
      ],
    ];

    it.each(cases)('%s', async (_name, path, { body, headers }, expected) => {
      // Prepare
      const url = `${server.url}${path}`;

      // Act
      const reply = await post(url, body, headers);

      // Assess
      expect(reply.status).toBe(400);
      expect(reply.body).toBe(expected);
    });

    it('an event of another type on a blocking route, and logs that the URL is wrong', async () => {
      // Prepare
      const v = vector('oidc.jwt.pre_create');

      // Act
      const { result: reply, logs } = await logsOf(() =>
        post(`${server.url}/blocking/user.pre_create`, v.body, { 'x-authgear-body-signature': v.signature }),
      );

      // Assess
      expect(reply.status).toBe(400);
      expect(reply.body).toBe('{"error":"event type does not match this URL"}');
      expect(logs.at(-1)).toMatchObject({ status: 400, reason: 'route_type_mismatch' });
      expect(String(logs.at(-1)?.msg)).toContain('wrong URL');
    });
  });

  it('answers 405 to GET on a route', async () => {
    // Prepare
    const url = `${server.url}/blocking/user.pre_create`;

    // Act
    const reply = await fetch(url);

    // Assess
    expect(reply.status).toBe(405);
    expect(reply.headers.get('allow')).toBe('POST');
  });

  it('answers 404 to an unknown path', async () => {
    // Prepare
    const v = vector('user.pre_create');

    // Act
    const reply = await post(`${server.url}/blocking/user.precreate`, v.body, { 'x-authgear-body-signature': v.signature });

    // Assess
    expect(reply.status).toBe(404);
    expect(reply.body).toBe('{"error":"not found"}');
  });

  describe('body limit', () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1000, 'a');
    const followUp = async (): Promise<number> => {
      const v = vector('user.pre_create');
      return (await post(`${server.url}/blocking/user.pre_create`, v.body, { 'x-authgear-body-signature': v.signature })).status;
    };

    it('refuses a content-length over MAX_BODY_BYTES with 413, then serves the next request', async () => {
      // Prepare
      const headers = {
        'content-type': 'application/json',
        'content-length': String(big.length),
        'x-authgear-body-signature': signBody(big, VECTOR_SECRET),
      };

      // Act
      const { result: reply, logs } = await logsOf(() => send(`${server.url}/blocking/user.pre_create`, { headers, body: big }));
      const next = await followUp();

      // Assess
      expect(reply.status).toBe(413);
      expect(reply.headers.connection).toBe('close');
      expect(reply.body).toBe('{"error":"payload too large"}');
      expect(logs.at(-1)).toMatchObject({ status: 413, reason: 'body_too_large' });
      expect(next).toBe(200);
    });

    it('answers a declared length over the limit before the body is sent', async () => {
      // Prepare
      const req = request(`${server.url}/blocking/user.pre_create`, {
        method: 'POST',
        headers: { 'content-length': String(10 * MAX_BODY_BYTES) },
        agent: false,
      });
      req.on('error', () => {});
      req.flushHeaders();

      // Act
      const res = await new Promise<import('node:http').IncomingMessage>((done) => req.once('response', done));
      res.resume();
      req.destroy();

      // Assess
      expect(res.statusCode).toBe(413);
      expect(await followUp()).toBe(200);
    });

    it('refuses a chunked body as soon as it passes the limit, closes that connection, then serves the next request', async () => {
      // Prepare
      const req = request(`${server.url}/blocking/user.pre_create`, {
        method: 'POST',
        headers: { 'transfer-encoding': 'chunked' },
        agent: false,
      });
      req.on('error', () => {});
      const responded = new Promise<import('node:http').IncomingMessage>((done) => req.once('response', done));

      // Act
      req.write(big.subarray(0, 3000));
      req.write(big.subarray(3000)); // past the limit; the request is not ended yet
      const res = await responded;
      const body = await new Promise<string>((done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(Buffer.concat(chunks).toString()));
      });
      const socketClosed = new Promise<void>((done) => req.socket?.once('close', () => done()));
      req.end(big.subarray(0, 500));
      await socketClosed;

      // Assess
      expect(res.statusCode).toBe(413);
      expect(res.headers.connection).toBe('close');
      expect(body).toBe('{"error":"payload too large"}');
      expect(await followUp()).toBe(200);
    });

    it('survives a client that disconnects in the middle of a body', async () => {
      // Prepare
      const req = request(`${server.url}/blocking/user.pre_create`, {
        method: 'POST',
        headers: { 'content-length': '1000' },
        agent: false,
      });
      req.on('error', () => {});

      // Act
      const { logs } = await logsOf(async () => {
        req.write('{"id":');
        await new Promise((done) => setTimeout(done, 50));
        req.destroy();
        await new Promise((done) => setTimeout(done, 50));
      });

      // Assess
      expect(logs.at(-1)).toMatchObject({ reason: 'client_aborted' });
      expect(await followUp()).toBe(200);
    });
  });

  it('logs one line per request with ids and outcome but no e-mail or IP address', async () => {
    // Prepare
    const blocking = vector('user.pre_create');
    const nonBlocking = vector('user.created');

    // Act
    const { raw, logs } = await logsOf(async () => {
      await post(`${server.url}/blocking/user.pre_create`, blocking.body, { 'x-authgear-body-signature': blocking.signature });
      await post(`${server.url}/non-blocking`, nonBlocking.body, { 'x-authgear-body-signature': nonBlocking.signature });
      // The non-blocking handler runs from the local queue, after the answer.
      await server.queue.idle();
    });

    // Assess
    const requestLines = logs.filter((l) => 'status' in l);
    expect(requestLines).toHaveLength(2);
    expect(requestLines[0]).toMatchObject({ event_id: '000000000000bc55', event_type: 'user.pre_create', status: 200, outcome: 'allowed' });
    expect(requestLines[1]).toMatchObject({ event_id: '000000000000bc56', event_type: 'user.created', status: 200, outcome: 'queued' });
    // Handled now, or dropped as a copy when an earlier test already sent this vector within 5 minutes.
    expect(
      logs.find((l) => l.event_id === '000000000000bc56' && (l.outcome === 'handled' || l.reason === 'duplicate_enqueue')),
    ).toBeDefined();
    for (const line of requestLines) expect(typeof line.latency_ms).toBe('number');
    for (const line of raw) {
      expect(line).not.toContain(EMAIL);
      expect(line).not.toContain(IP_ADDRESS);
    }
  });
});

describe('loadEnvFile', () => {
  it('adds the variables of the file; the environment wins; a missing file changes nothing', () => {
    // Prepare
    const root = tempProject([], { '.env': '# local settings\nA=from-file\nB="two words"\nexport C=3\n' });

    // Act
    const env = loadEnvFile(join(root, '.env'), { A: 'from-env' });
    const none = loadEnvFile(join(root, 'missing.env'), { A: 'x' });

    // Assess
    expect(env).toEqual({ A: 'from-env', B: 'two words', C: '3' });
    expect(none).toEqual({ A: 'x' });
  });

  it.each([
    ['a line without "="', 'A=1\nAUTHGEAR_WEBHOOK_SECRET\n', /line 2 has no "="/],
    ['an invalid name', 'MY VAR=1\n', /"MY VAR" is not a valid variable name|line 1/],
    ['an unclosed quote', 'A="open\nB=2\n', /line 1 opens a " quote/],
  ])('refuses a file with %s, naming the file', (_name, text, message) => {
    // Prepare
    const file = join(tempProject([], { '.env': text }), '.env');

    // Act
    const load = () => loadEnvFile(file, {});

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(file);
    expect(load).toThrow(message);
  });
});
