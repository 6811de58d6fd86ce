/**
 * Slow and idle clients against the local server over real sockets: a body trickled byte by byte,
 * headers that never end, silent sockets, idle keep-alive connections and a flood of connections.
 * The limits are set to a few hundred milliseconds here (LOCAL_*_TIMEOUT_MS), so every case ends
 * within about a second; by default they are 10 s, 10 s, 5 s and 256 connections.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createJsonLogger } from '../shared/core/logger';
import { signBody } from '../shared/core/verify';
import { startLocalServer, type LocalServer } from '../shared/local/server';
import { DEFAULT_SERVER_LIMITS, readServerLimits } from '../shared/local/server-limits';
import { VECTOR_SECRET, vector } from './fixtures/authgear-vectors';
import { REPO_ROOT, SHARED_FROM_HANDLER } from './support/paths';

const FAST_LIMITS = {
  LOCAL_HEADERS_TIMEOUT_MS: '300',
  LOCAL_BODY_TIMEOUT_MS: '300',
  LOCAL_KEEP_ALIVE_TIMEOUT_MS: '300',
  LOCAL_MAX_CONNECTIONS: '20',
};

const temporaryDirs: string[] = [];
const servers: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

/** A project whose user.pre_create handler waits `waitMs` before allowing. */
function project(waitMs: number): string {
  const root = mkdtempSync(join(tmpdir(), 'slow-clients-'));
  temporaryDirs.push(root);
  symlinkSync(join(REPO_ROOT, 'shared'), join(root, 'shared'));
  const file = join(root, 'functions/blocking/user.pre_create.ts');
  mkdirSync(resolve(file, '..'), { recursive: true });
  writeFileSync(
    file,
    `import { defineBlockingHandler } from '${SHARED_FROM_HANDLER}';\n` +
      `export default defineBlockingHandler('user.pre_create', async () => {\n` +
      `  await new Promise((done) => setTimeout(done, ${waitMs}));\n  return { is_allowed: true };\n});\n`,
  );
  return root;
}

async function start(env: Record<string, string> = {}, waitMs = 0) {
  const lines: Record<string, unknown>[] = [];
  const server = await startLocalServer({
    projectRoot: project(waitMs),
    port: 0,
    env: { AUTHGEAR_WEBHOOK_SECRET: VECTOR_SECRET, MAX_EVENT_AGE_SECONDS: '0', LOG_LEVEL: 'debug', ...FAST_LIMITS, ...env },
    logger: createJsonLogger({ level: 'debug', sink: (_l, line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
  });
  servers.push(server);
  return { server, lines };
}

interface Conversation {
  readonly socket: Socket;
  /** Everything the server sent. */
  readonly received: () => string;
  /** Resolves once the server closed the connection. */
  readonly closed: Promise<void>;
}

function open(port: number): Promise<Conversation> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('error', () => {});
    socket.once('connect', () => resolvePromise({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

/** Writes `bytes` one at a time, every `everyMs`, while the socket is open; returns how many went out. */
async function trickle(socket: Socket, bytes: string, everyMs: number): Promise<number> {
  let sent = 0;
  for (const byte of bytes) {
    if (socket.destroyed || !socket.writable) break;
    socket.write(byte);
    sent += 1;
    await sleep(everyMs);
  }
  return sent;
}

const preCreate = vector('user.pre_create');
const head = (body: string) =>
  `POST /blocking/user.pre_create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-authgear-body-signature: ${signBody(body, VECTOR_SECRET)}\r\n\r\n`;

describe('slow clients against the local server', () => {
  it('answers a body trickled byte by byte with 408 once LOCAL_BODY_TIMEOUT_MS passes, logs it, and closes the connection', async () => {
    // Prepare
    const { server, lines } = await start();
    const c = await open(server.port);
    c.socket.write(head(preCreate.body));

    // Act
    const sent = await trickle(c.socket, preCreate.body, 20);
    await c.closed;

    // Assess
    expect(sent).toBeLessThan(preCreate.body.length); // cut off long before the whole body was sent
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(c.received()).toContain('connection: close');
    expect(c.received()).toMatch(/\r\n\r\n\{"error":"request timeout"\}$/);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', reason: 'body_timeout', status: 408, path: '/blocking/user.pre_create' }),
    );
  });

  it('answers headers that never end, and a socket that sends nothing, with 408 and a log line', async () => {
    // Prepare
    const { server, lines } = await start();
    const silent = await open(server.port);
    const slowHeaders = await open(server.port);

    // Act
    const sent = await trickle(
      slowHeaders.socket,
      'POST /blocking/user.pre_create HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      20,
    );
    await Promise.all([silent.closed, slowHeaders.closed]);

    // Assess
    expect(sent).toBeLessThan(90);
    expect(silent.received()).toBe('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    expect(slowHeaders.received()).toBe('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    expect(lines.filter((l) => l.reason === 'request_timeout')).toHaveLength(2);
  });

  it('closes an idle keep-alive connection after LOCAL_KEEP_ALIVE_TIMEOUT_MS', async () => {
    // Prepare
    const { server } = await start();
    const c = await open(server.port);

    // Act
    c.socket.write(head(preCreate.body) + preCreate.body);
    await c.closed;

    // Assess
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(c.received()).not.toMatch(/connection: close/i); // kept alive after the answer, then closed as idle
    expect(c.received()).toMatch(/\{"is_allowed":true\}$/);
  });

  it('refuses connections over LOCAL_MAX_CONNECTIONS, logs them, and serves again once the silent ones timed out', async () => {
    // Prepare
    const { server, lines } = await start();

    // Act
    const flood = await Promise.all(Array.from({ length: 40 }, () => open(server.port)));
    await Promise.all(flood.map((c) => c.closed));
    const after = await open(server.port);
    after.socket.write(head(preCreate.body) + preCreate.body);
    await sleep(50);
    after.socket.end();
    await after.closed;

    // Assess
    const refused = flood.filter((c) => c.received() === '').length;
    const timedOut = flood.filter((c) => c.received().startsWith('HTTP/1.1 408')).length;
    expect(timedOut).toBe(20);
    expect(refused).toBe(20);
    expect(lines.filter((l) => l.reason === 'connection_limit')).toHaveLength(20);
    expect(after.received()).toMatch(/\{"is_allowed":true\}$/);
  });

  it('starts the blocking deadline when the request arrives: a body that took longer than the deadline is answered by the error policy', async () => {
    // Prepare
    const { server, lines } = await start({ LOCAL_BODY_TIMEOUT_MS: '5000', BLOCKING_DEADLINE_MS: '300' });
    const c = await open(server.port);
    c.socket.write(head(preCreate.body));

    // Act
    const half = Math.floor(preCreate.body.length / 2);
    c.socket.write(preCreate.body.slice(0, half));
    await sleep(500);
    c.socket.write(preCreate.body.slice(half));
    await sleep(100);
    c.socket.end();
    await c.closed;

    // Assess
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(c.received()).toContain('"is_allowed":false');
    const outcome = lines.find((l) => l.status === 200);
    expect(outcome).toMatchObject({ outcome: 'error_policy_deny', reason: 'deadline_exceeded' });
    // Counted from arrival: it spans the 500 ms pause, not only the ~100 ms after the body ended.
    // Timers and Date.now() are millisecond-grained, so the pause itself can measure 499 ms.
    expect(outcome?.latency_ms).toBeGreaterThanOrEqual(450);
  });

  it("lets a handler take longer than the header and body limits together: they bound only the request's arrival", async () => {
    // Prepare
    const { server } = await start({ LOCAL_HEADERS_TIMEOUT_MS: '100', LOCAL_BODY_TIMEOUT_MS: '100', BLOCKING_DEADLINE_MS: '4000' }, 1_500);
    const c = await open(server.port);

    // Act
    c.socket.write(head(preCreate.body) + preCreate.body);
    for (let i = 0; i < 40 && !c.received().includes('is_allowed'); i += 1) await sleep(100);
    c.socket.end();
    await c.closed;

    // Assess
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(c.received()).toMatch(/\{"is_allowed":true\}$/);
  });
});

describe('readServerLimits', () => {
  it('has 10 s for headers and for the body, 5 s of keep-alive and 256 connections by default, and reads each variable', () => {
    // Act
    const defaults = readServerLimits({});
    const set = readServerLimits({ ...FAST_LIMITS });

    // Assess
    expect(defaults).toEqual(DEFAULT_SERVER_LIMITS);
    expect(defaults).toEqual({ headersTimeoutMs: 10_000, bodyTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000, maxConnections: 256 });
    expect(set).toEqual({ headersTimeoutMs: 300, bodyTimeoutMs: 300, keepAliveTimeoutMs: 300, maxConnections: 20 });
    expect(() => readServerLimits({ LOCAL_BODY_TIMEOUT_MS: 'slow' })).toThrow(/LOCAL_BODY_TIMEOUT_MS/);
  });
});
