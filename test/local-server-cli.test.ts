/**
 * The local development server over real HTTP: the `npm start` CLI as a child process (the
 * in-process server is in local-server.test.ts).
 */
import { readFileSync, symlinkSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localStatePath, readLocalState } from '../shared/devtools/local-state';
import { VECTOR_SECRET, vector } from './fixtures/authgear-vectors';
import { authgearHeaders } from './fixtures/go-json';
import { startFakeSecretsManager } from './support/secrets-manager-server';
import { FIXTURE_FUNCTIONS_DIR } from './support/fixture-handlers';
import { READY, startNpmStart, type NpmStart } from './support/npm-start';
import { removeTemporaryDirs, REPO, UNAUTHORIZED, tempProject, post, freePort, type Reply } from './support/local-server';

afterAll(removeTemporaryDirs);

/** Runs `npm start`'s command in `cwd`; MAX_EVENT_AGE_SECONDS=0 because the signed vectors are from August 2026. */
const startCli = (cwd: string, env: Record<string, string>): NpmStart => startNpmStart(cwd, { MAX_EVENT_AGE_SECONDS: '0', ...env });

/** The bytes of a project's state file, or undefined; read only, so a running npm start is never disturbed. */
function stateOf(root: string): string | undefined {
  try {
    return readFileSync(localStatePath(root), 'utf8');
  } catch {
    return undefined;
  }
}

describe('npm start (CLI)', () => {
  const running: NpmStart[] = [];
  afterAll(() => {
    for (const cli of running) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  });
  /** A project whose functions/ is the fixture handlers. */
  const project = (files: Readonly<Record<string, string>> = {}): string => {
    const root = tempProject(['shared', 'node_modules', 'package.json'], files);
    symlinkSync(FIXTURE_FUNCTIONS_DIR, join(root, 'functions'));
    return root;
  };
  /** Runs npm start in a fixture project with `env` on a free port, posts it the signed user.pre_create vector, and stops it. */
  async function answerToPreCreate(env: Record<string, string>): Promise<{ reply: Reply; cli: NpmStart }> {
    const port = await freePort();
    const cli = startCli(project(), { PORT: String(port), ...env });
    running.push(cli);
    await cli.waitFor(READY);
    const v = vector('user.pre_create');
    const reply = await post(`http://127.0.0.1:${port}/blocking/user.pre_create`, v.body, { 'x-authgear-body-signature': v.signature });
    cli.child.kill('SIGTERM');
    await cli.exited;
    return { reply, cli };
  }

  it('generates and prints a secret when none is configured, serves with it, and stops on SIGTERM', async () => {
    // Prepare
    const port = await freePort();
    // The temporary project shares the repository's node_modules, where npm start leaves its state.
    const repoState = stateOf(REPO);
    const root = project();
    const cli = startCli(root, { PORT: String(port) });
    running.push(cli);
    await cli.waitFor(READY);

    // Act
    const secret = /Webhook secret \(generated for this run\): (\S+)\n/.exec(cli.stdout())?.[1] ?? '';
    const v = vector('user.pre_create');
    const reply = await post(`http://127.0.0.1:${port}/blocking/user.pre_create`, v.body, authgearHeaders(v.body, secret));
    const whileRunning = readLocalState(root);
    cli.child.kill('SIGTERM');
    const code = await cli.exited;

    // Assess: its own state, gone once stopped; a running npm start of the repository undisturbed
    expect(whileRunning).toEqual({ url: `http://127.0.0.1:${port}`, pid: expect.any(Number), secret });
    expect(readLocalState(root)).toBeUndefined();
    expect(stateOf(REPO)).toEqual(repoState);
    // Every URL printed (routes, inspector, hook YAML) names the same host.
    expect(new Set([...cli.stdout().matchAll(/https?:\/\/([^/\s]+)/g)].map((m) => m[1]))).toEqual(new Set([`127.0.0.1:${port}`]));
    expect(secret).toMatch(/^[0-9A-Za-z_]{32}$/);
    expect(cli.stdout()).toContain(`AUTHGEAR_WEBHOOK_SECRET=${secret}\n`);
    expect(cli.stdout()).toContain('Authgear portal');
    expect(cli.stdout()).toContain(`  POST http://127.0.0.1:${port}/blocking/user.pre_create`);
    expect(cli.stdout()).toContain(`url: http://127.0.0.1:${port}/blocking/user.pre_create\n`);
    expect(reply.status).toBe(200);
    expect(cli.stdout()).toMatch(/^\{"level":"info".*"event_type":"user.pre_create".*"status":200/m);
    expect(code).toBe(0);
  });

  it('reads .env, lets the environment win, and applies .env to handlers', async () => {
    // Prepare
    const envSecret = 'env_secret_0123456789abcdefghijk';
    const fileSecret = 'file_secret_0123456789abcdefghij';
    const port = await freePort();
    const cli = startCli(project({ '.env': `AUTHGEAR_WEBHOOK_SECRET=${fileSecret}\nDENIED_EMAIL_DOMAINS=example.com\n` }), {
      PORT: String(port),
      AUTHGEAR_WEBHOOK_SECRET: envSecret,
    });
    running.push(cli);
    await cli.waitFor(READY);
    const v = vector('user.pre_create');
    const url = `http://127.0.0.1:${port}/blocking/user.pre_create`;

    // Act
    const withEnvSecret = await post(url, v.body, authgearHeaders(v.body, envSecret));
    const withFileSecret = await post(url, v.body, authgearHeaders(v.body, fileSecret));
    cli.child.kill('SIGINT');
    const code = await cli.exited;

    // Assess
    expect(withEnvSecret.status).toBe(200);
    expect(JSON.parse(withEnvSecret.body)).toMatchObject({ is_allowed: false, title: expect.any(String), reason: expect.any(String) });
    expect(withFileSecret.status).toBe(401);
    expect(withFileSecret.body).toBe(UNAUTHORIZED);
    expect(cli.stdout()).not.toContain(envSecret);
    expect(code).toBe(0);
  });

  it('denies a sign-up from a domain in DENIED_EMAIL_DOMAINS', async () => {
    // Prepare
    const env = { AUTHGEAR_WEBHOOK_SECRET: VECTOR_SECRET, DENIED_EMAIL_DOMAINS: 'mailinator.com, Example.com' };

    // Act
    const { reply } = await answerToPreCreate(env);

    // Assess
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({
      is_allowed: false,
      title: 'Sign-up not allowed',
      reason: 'Please sign up with a different e-mail address.',
    });
  });

  it('reads the secret from Secrets Manager when only AUTHGEAR_WEBHOOK_SECRET_ID is set', async () => {
    // Prepare
    const fake = await startFakeSecretsManager();
    fake.setSecret('authgear-webhook', VECTOR_SECRET);

    // Act
    const { reply, cli } = await answerToPreCreate({ ...fake.env(), AUTHGEAR_WEBHOOK_SECRET_ID: 'authgear-webhook' }).finally(() =>
      fake.close(),
    );

    // Assess
    expect(reply.status).toBe(200);
    expect(fake.calls.map((c) => c.secretId)).toContain('authgear-webhook');
    expect(cli.stdout()).toContain('Webhook secret: read from AWS Secrets Manager');
    expect(cli.stdout()).not.toContain(VECTOR_SECRET);
  });

  it('exits 1 with a one-line message when the port is in use', async () => {
    // Prepare
    const blocker = createNetServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const { port } = blocker.address() as AddressInfo;

    // Act
    const cli = startCli(project(), { PORT: String(port), AUTHGEAR_WEBHOOK_SECRET: VECTOR_SECRET });
    running.push(cli);
    const code = await cli.exited;
    await new Promise<void>((done) => blocker.close(() => done()));

    // Assess
    expect(code).toBe(1);
    expect(cli.stderr()).toBe(`Port ${port} is already in use. Stop the other process or start with PORT=${port + 1} npm start.\n`);
  });

  it('exits 1 naming a misnamed handler file and listing the valid types', async () => {
    // Prepare
    const root = tempProject(['shared', 'node_modules', 'package.json'], {
      'functions/blocking/user.precreate.ts': "export default 'not loaded';\n",
    });

    // Act
    const cli = startCli(root, { PORT: String(await freePort()) });
    running.push(cli);
    const code = await cli.exited;

    // Assess
    expect(code).toBe(1);
    expect(cli.stderr()).toContain('functions/blocking/user.precreate.ts');
    expect(cli.stderr()).toContain('Valid blocking event types');
    expect(cli.stderr()).toContain('user.pre_create');
    expect(cli.stderr()).not.toMatch(/^\s+at /m);
    expect(cli.stdout()).toBe('');
  });
});
