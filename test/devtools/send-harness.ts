/**
 * Shared by the `npm run send` tests: temporary folders, the local server and a fake receiver
 * they deliver to, and the CLI run as a developer runs it (tsx), in a child process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { LocalServer } from '../../shared/local/server';
import { startFixtureServer } from '../support/fixture-server';
import { listenOnLoopback } from '../support/listen';
import { REPO_ROOT } from '../support/paths';

export const SECRET = 'send-test-secret-92b1f04c';
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(REPO_ROOT, 'shared', 'devtools', 'send-cli.ts');

/** Configuration a developer's shell may hold, removed so that only what a test passes applies. */
const CONFIGURATION = [
  'AUTHGEAR_WEBHOOK_SECRET',
  'AUTHGEAR_WEBHOOK_SECRET_ID',
  'PORT',
  'AWS_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_ENDPOINT_URL',
];

/** What the fake receiver answers, by path; anything else gets 200 `{"is_allowed":true}`. */
const FAKE_ANSWERS: ReadonlyMap<string, { status: number; body: string; headers?: Record<string, string> }> = new Map([
  ['/blocking/user.pre_create', { status: 200, body: '{"is_allowed":true,"reason":""}' }],
  ['/blocking/authentication.pre_authenticated', { status: 200, body: '{"is_allowed":true,"bot_protection":{"mode":"always"}}' }],
  ['/blocking/user.profile.pre_update', { status: 200, body: '<html>Hello</html>' }],
  ['/non-blocking', { status: 500, body: '{"error":"boom"}' }],
  // A deployment whose handler failed: only the answer header tells.
  [
    '/blocking/user.pre_schedule_deletion',
    {
      status: 200,
      body: '{"is_allowed":false,"title":"Temporarily unavailable","reason":"Try again."}',
      headers: { 'x-authgear-webhooks-answer': 'error-policy' },
    },
  ],
]);

/**
 * A function that makes a temporary folder; every folder it made is removed after the test file.
 *
 * @example
 * ```ts
 * const tempDir = useTempDirs();
 * it('…', () => writeFileSync(join(tempDir(), 'a.json'), '{}'));
 * ```
 */
export function useTempDirs(): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'send-test-'));
    dirs.push(dir);
    return dir;
  };
}

/** The servers the CLI tests deliver to, and a folder without .env to run it in. */
export interface SendServers {
  /** The local server with the fixture handlers, signing with {@link SECRET}. */
  readonly server: LocalServer;
  /** A receiver answering as `FAKE_ANSWERS` says: rejected answers, a failed delivery, the error policy. */
  readonly fakeUrl: string;
  /** Holds `broken.json`, a payload file that is not JSON. */
  readonly workDir: string;
}

/**
 * Starts the servers before the test file's tests and stops them after; read the fields inside tests.
 *
 * @example
 * ```ts
 * const servers = useSendServers();
 * it('…', async () => runCli(['user.created', '--url', servers.server.url, '--secret', SECRET], servers.workDir));
 * ```
 */
export function useSendServers(): SendServers {
  const tempDir = useTempDirs();
  let server: LocalServer | undefined;
  let fake: Server | undefined;
  let fakeUrl = '';
  let workDir = '';

  beforeAll(async () => {
    // The fixture's user.profile.pre_update reads this secret; with it, every handler succeeds.
    server = await startFixtureServer({
      AUTHGEAR_WEBHOOK_SECRET: SECRET,
      LOG_LEVEL: 'silent',
      SECRET_FIXTURE_DENIED_DOMAIN: 'denied.example',
    });
    fake = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const answer = FAKE_ANSWERS.get(req.url ?? '') ?? { status: 200, body: '{"is_allowed":true}' };
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body);
      });
    });
    fakeUrl = await listenOnLoopback(fake);
    workDir = tempDir();
    writeFileSync(join(workDir, 'broken.json'), '{"user":');
  });

  afterAll(async () => {
    await server?.close();
    await new Promise<void>((done) => (fake ? fake.close(() => done()) : done()));
  });

  return {
    get server() {
      if (!server) throw new Error('the send servers start in beforeAll');
      return server;
    },
    get fakeUrl() {
      return fakeUrl;
    },
    get workDir() {
      return workDir;
    },
  };
}

/**
 * Runs `npm run send -- …` (tsx on the CLI) in `cwd`, asynchronously so the servers of the test
 * file keep answering.
 */
export function runCli(
  args: readonly string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIGURATION) delete env[name];
  Object.assign(env, extraEnv);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(TSX, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}
