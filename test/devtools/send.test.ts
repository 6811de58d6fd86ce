/**
 * `npm run send` delivering: the sender against an in-process local server, and the CLI itself,
 * spawned with tsx against that server and a fake receiver.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BLOCKING_EVENT_TYPES } from '../../shared/core/constants';
import { findHandlerFiles } from '../../shared/discovery/handler-files';
import { Sender, buildEvent, endpointFor } from '../../shared/devtools/send';
import type { LocalServer } from '../../shared/local/server';
import { FIXTURE_FUNCTIONS_DIR } from '../support/fixture-handlers';
import { REPO_ROOT } from '../support/paths';
import { startFakeSecretsManager } from '../support/secrets-manager-server';
import { runCli as runCliIn, SECRET, useSendServers } from './send-harness';

const REPO = REPO_ROOT;
const servers = useSendServers();
let server: LocalServer;
let fakeUrl: string;
let workDir: string;
beforeAll(() => {
  // After the servers started (hooks run in order).
  ({ server, fakeUrl, workDir } = servers);
});

/** Runs the CLI in the folder without .env. */
const runCli = (args: readonly string[], extraEnv: Record<string, string> = {}) => runCliIn(args, workDir, extraEnv);

describe('delivering to the local server', () => {
  it('sends a signed sample and judges the answer', async () => {
    // Prepare
    const sender = new Sender();
    const built = buildEvent({ type: 'user.pre_create', sample: { email: 'zoë@example.com' } });

    // Act
    const report = await sender.deliver({ ...built, secret: SECRET, url: endpointFor(server.url, built.type) });
    sender.close();

    // Assess
    expect(report.reply?.status).toBe(200);
    expect(report.verdict).toEqual({ kind: 'accepted', allowed: true });
  });
});

// Each case is a separate tsx process; running them side by side keeps the file fast.
describe.concurrent('npm run send (the CLI)', () => {
  it('sends one event and says Authgear would accept the answer', async () => {
    // Act
    const result = await runCli(['user.pre_create', '--url', server.url, '--secret', SECRET]);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`POST ${server.url}/blocking/user.pre_create`);
    expect(result.stdout).toMatch(/HTTP 200 in \d+ ms/);
    expect(result.stdout).toContain("Authgear would accept this answer: the user's operation is allowed.");
  });

  it('--secret-id signs with the newest secret stored in Secrets Manager, found by ARN', async () => {
    // Prepare
    const secretsManager = await startFakeSecretsManager();
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:authgear-webhook-AbCdEf';
    secretsManager.setSecret(arn, JSON.stringify([SECRET, 'an-older-secret']));
    const awsEnv = {
      ...secretsManager.env(),
      AWS_CONFIG_FILE: join(workDir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-aws-credentials'),
    };

    // Act
    const result = await runCli(['user.created', '--url', server.url, '--secret-id', arn], awsEnv).finally(() => secretsManager.close());

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`signed with AWS Secrets Manager (${arn})`);
    expect(result.stdout).toContain('HTTP 200');
  });

  it('--all sends all 40 types and prints a table; blocking types without a handler are "not served", not failures', async () => {
    // Prepare
    const served = findHandlerFiles(REPO, FIXTURE_FUNCTIONS_DIR).blocking.length;

    // Act
    const result = await runCli(['--all', '--url', server.url, '--secret', SECRET]);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const rows = result.stdout.split('\n').filter((line) => /^[a-z]+\.[a-z_.]+\s+\d{3}\s/.test(line));
    expect(rows).toHaveLength(40);
    expect(result.stdout).toMatch(/^TYPE\s+STATUS\s+LATENCY\s+VERDICT$/m);
    const handled = findHandlerFiles(REPO, FIXTURE_FUNCTIONS_DIR).nonBlocking.length;
    expect(result.stdout).toContain(
      `40 events sent to ${server.url}: ${served} answered by their handler, 0 answered by the error policy, ${handled} handled, ${31 - handled} no handler, ${BLOCKING_EVENT_TYPES.length - served} not served, 0 failed`,
    );
  });

  it('exits 1 and lists the broken rule when a receiver answers something Authgear rejects', async () => {
    // Prepare: the fake receiver answers user.pre_create with {"is_allowed":true,"reason":""}

    // Act
    const result = await runCli(['user.pre_create', '--url', fakeUrl, '--secret', SECRET]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "Authgear would REJECT this answer, and the user's operation would fail:\n  - reason: reason is not allowed when is_allowed is true",
    );
  });

  it('exits 1 when a deployment says the error policy answered (its answer header), though Authgear would accept the answer', async () => {
    // Prepare: the fake receiver answers user.pre_schedule_deletion with a valid deny and x-authgear-webhooks-answer: error-policy

    // Act
    const result = await runCli(['user.pre_schedule_deletion', '--url', fakeUrl, '--secret', SECRET]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("Authgear would accept this answer: the user's operation is denied.");
    expect(result.stdout).toContain("FAILED: the handler failed and the error policy answered; the function's log says why.");
  });

  it('--all marks rejected answers and failed deliveries in the table and exits 1', async () => {
    // Prepare: the fake receiver answers pre_authenticated with bot_protection, and /non-blocking with 500

    // Act
    const result = await runCli(['--all', '--url', fakeUrl, '--secret', SECRET]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^authentication\.pre_authenticated\s+200\s+\d+ ms\s+REJECTED: bot_protection: "bot_protection" is not accepted/m,
    );
    expect(result.stdout).toMatch(/^user\.created\s+500\s+\d+ ms\s+FAILED: HTTP 500/m);
  });

  it.each([
    ['an unknown event type', ['user.create', '--secret', SECRET], /^error: unknown event type "user\.create"; did you mean user\.created/],
    [
      'an unreadable payload file',
      ['user.created', '--payload', 'missing.json', '--secret', SECRET],
      /^error: cannot read payload file missing\.json: no such file\n$/,
    ],
    [
      'a payload file that is not JSON',
      ['user.created', '--payload', 'broken.json', '--secret', SECRET],
      /^error: payload file broken\.json is not valid JSON/,
    ],
    [
      'a bad --set path',
      ['user.created', '--set', 'payload.usr.id=1', '--secret', SECRET],
      /^error: --set payload\.usr\.id=1: payload has no "usr"/,
    ],
    ['an unknown option', ['user.created', '--bogus'], /^error: Unknown option '--bogus'/],
    ['no secret at all', ['user.created', '--url', 'http://127.0.0.1:9'], /^error: no signing secret/],
    [
      'an unreachable URL',
      ['user.created', '--url', 'http://127.0.0.1:9', '--secret', SECRET],
      /^error: cannot reach http:\/\/127\.0\.0\.1:9: connection refused/,
    ],
    [
      'a non-JSON answer',
      ['user.profile.pre_update', '--url', 'FAKE', '--secret', SECRET],
      /^error: .*answered HTTP 200, but the body is not JSON/,
    ],
  ])('%s gives one line on stderr and a non-zero exit', async (_name, args, message) => {
    // Prepare
    const argv = args.map((arg) => (arg === 'FAKE' ? fakeUrl : arg));

    // Act
    const result = await runCli(argv);

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.stderr.endsWith('\n')).toBe(true);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
