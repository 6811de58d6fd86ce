/**
 * `npm run send` fails when the handler failed: against a local server with deliberately broken
 * handlers (one that throws, one that hangs, one that returns `true`, a JWT handler that drops
 * every original claim, a failing non-blocking handler), and against a deployment, through the
 * answer header alone. The CLI runs as a developer runs it (tsx), over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../shared/local/server';
import { handlerProject } from '../support/handler-project';
import { removeTemporaryDirs } from '../support/local-server';
import { runCli } from './send-harness';

const SECRET = 'send-truth-secret-61f0a2';

const HANDLERS: Readonly<Record<string, string>> = {
  'blocking/user.pre_create.ts': "export default defineBlockingHandler('user.pre_create', () => { throw new Error('boom'); });",
  'blocking/user.profile.pre_update.ts': "export default defineBlockingHandler('user.profile.pre_update', () => new Promise(() => {}));",
  'blocking/authentication.pre_initialize.ts':
    "export default defineBlockingHandler('authentication.pre_initialize', () => true as never);",
  'blocking/oidc.jwt.pre_create.ts':
    "export default defineBlockingHandler('oidc.jwt.pre_create', () => ({ is_allowed: true, mutations: { jwt: { payload: { plan: 'free' } } } }) as never);",
  'blocking/authentication.post_identified.ts':
    "export default defineBlockingHandler('authentication.post_identified', () => ({ is_allowed: true }));",
  'non-blocking/user.created.ts': "export default defineNonBlockingHandler('user.created', () => { throw new Error('crm down'); });",
  'non-blocking/user.authenticated.ts': "export default defineNonBlockingHandler('user.authenticated', () => {});",
  'non-blocking/user.disabled.ts':
    "export default defineNonBlockingHandler('user.disabled', () => new Promise((done) => setTimeout(done, 1_500)));",
};

let root: string;
let server: LocalServer;

beforeAll(async () => {
  root = handlerProject(HANDLERS);
  server = await startLocalServer({
    projectRoot: root,
    port: 0,
    env: { AUTHGEAR_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'silent', BLOCKING_DEADLINE_MS: '300' },
  });
});

afterAll(async () => {
  await server?.close();
  removeTemporaryDirs();
});

/** Runs the CLI in the project against its local server. */
const send = (args: readonly string[]) => runCli([...args, '--url', server.url, '--secret', SECRET], root);

describe.concurrent('npm run send against broken handlers', () => {
  it.each([
    ['throws', 'user.pre_create', 'FAILED: the handler threw (Error: boom); the error policy answered deny.'],
    [
      'hangs',
      'user.profile.pre_update',
      'FAILED: the handler did not answer within BLOCKING_DEADLINE_MS (300 ms); the error policy answered deny.',
    ],
    [
      'returns true',
      'authentication.pre_initialize',
      'FAILED: the handler returned a response Authgear would reject; the error policy answered deny.',
    ],
  ])('exits 1 and says so when the blocking handler %s', async (_name, type, line) => {
    // Act
    const result = await send([type]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain("Authgear would accept this answer: the user's operation is denied.");
    expect(result.stdout).toContain(line);
  });

  it('shows what a JWT handler that drops the original claims returned, and why it was refused', async () => {
    // Act
    const result = await send(['oidc.jwt.pre_create']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('  The handler returned: {"is_allowed":true,"mutations":{"jwt":{"payload":{"plan":"free"}}}}');
    expect(result.stdout).toMatch(/^ {4}- mutations\.jwt\.payload\.sub: claim "sub" of the original token was removed/m);
  });

  it('exits 0 for a handler that answers', async () => {
    // Act
    const result = await send(['authentication.post_identified']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Answered by your handler.');
  });

  it.each([
    ['fails', 'user.created', [], 1, /^FAILED: the handler failed \(attempt 1 of \d+\): Error: crm down; next retry in /m],
    ['succeeds', 'user.authenticated', [], 0, /^Handled: the queued handler ran and succeeded on its first attempt\.$/m],
    [
      'takes longer than --wait',
      'user.disabled',
      ['--wait', '0.3'],
      1,
      /^FAILED: queued; the handler's first attempt had not ended after 0\.3 s/m,
    ],
    ['is not waited for (--no-wait)', 'user.disabled', ['--no-wait'], 0, /^Queued: not waiting for the handler \(--no-wait\)\.$/m],
    ['does not exist', 'user.deleted', [], 0, /^No handler for user\.deleted here: acknowledged, not processed/m],
  ])('waits for the first attempt of a queued event whose handler %s', async (_name, type, extra, code, line) => {
    // Act
    const result = await send([type, ...extra]);

    // Assess
    expect(result.stdout).toMatch(line);
    expect(result.code).toBe(code);
  });

  it('--all counts each kind and exits 1', async () => {
    // Act
    const result = await send(['--all']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^user\.pre_create\s+200\s+\d+ ms\s+ERROR POLICY: the handler threw \(Error: boom\)/m);
    expect(result.stdout).toMatch(/^user\.created\s+200\s+\d+ ms\s+FAILED: the handler failed/m);
    expect(result.stdout).toMatch(/^user\.deleted\s+200\s+\d+ ms\s+no handler \(acknowledged, not processed\)$/m);
    expect(result.stdout).toContain(
      `40 events sent to ${server.url}: 1 answered by their handler, 4 answered by the error policy, 2 handled, 28 no handler, 4 not served, 1 failed`,
    );
  });
});
