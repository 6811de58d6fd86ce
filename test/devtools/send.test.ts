/**
 * `npm run send`: the logic (building, --set, secrets, judging answers as Authgear would) and the
 * CLI itself, spawned with tsx against an in-process local server and a fake receiver.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKING_EVENT_TYPES, type BlockingEventType } from '../../shared/core/constants';
import { findHandlerFiles } from '../../shared/discovery/handler-files';
import { describeVerdict, judgeAnswer } from '../../shared/devtools/check-response';
import { localStatePath, readLocalState, removeLocalState, writeLocalState } from '../../shared/devtools/local-state';
import { sampleEvent } from '../../shared/devtools/samples';
import {
  Sender,
  SendError,
  applyAssignment,
  buildEvent,
  endpointFor,
  parseAssignment,
  requireEventType,
  resolveSecret,
} from '../../shared/devtools/send';
import { startLocalServer, type LocalServer } from '../../shared/local/server';
import { startFakeSecretsManager } from '../support/secrets-manager-server';
import { FIXTURE_FUNCTIONS_DIR } from '../support/fixture-handlers';
import { REPO_ROOT } from '../support/paths';

const REPO = REPO_ROOT;
const TSX = join(REPO, 'node_modules', '.bin', 'tsx');
const CLI = join(REPO, 'shared', 'devtools', 'send-cli.ts');
const SECRET = 'send-test-secret-92b1f04c';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'send-test-'));
  dirs.push(dir);
  return dir;
};

let server: LocalServer;
let fake: Server;
let fakeUrl: string;
/** What the fake receiver answers, by path. */
const fakeAnswers = new Map<string, { status: number; body: string; headers?: Record<string, string> }>();
let workDir: string;

beforeAll(async () => {
  server = await startLocalServer({
    projectRoot: REPO,
    functionsDir: FIXTURE_FUNCTIONS_DIR,
    port: 0,
    // The fixture's user.profile.pre_update reads this secret; with it, every handler succeeds.
    env: { AUTHGEAR_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'silent', SECRET_FIXTURE_DENIED_DOMAIN: 'denied.example' },
  });
  fake = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = fakeAnswers.get(req.url ?? '') ?? { status: 200, body: '{"is_allowed":true}' };
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((done) => fake.listen(0, '127.0.0.1', done));
  fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  fakeAnswers.set('/blocking/user.pre_create', { status: 200, body: '{"is_allowed":true,"reason":""}' });
  fakeAnswers.set('/blocking/authentication.pre_authenticated', {
    status: 200,
    body: '{"is_allowed":true,"bot_protection":{"mode":"always"}}',
  });
  fakeAnswers.set('/blocking/user.profile.pre_update', { status: 200, body: '<html>Hello</html>' });
  fakeAnswers.set('/non-blocking', { status: 500, body: '{"error":"boom"}' });
  // A deployment whose handler failed: only the answer header tells.
  fakeAnswers.set('/blocking/user.pre_schedule_deletion', {
    status: 200,
    body: '{"is_allowed":false,"title":"Temporarily unavailable","reason":"Try again."}',
    headers: { 'x-authgear-webhooks-answer': 'error-policy' },
  });
  workDir = tempDir();
  writeFileSync(join(workDir, 'broken.json'), '{"user":');
});

afterAll(async () => {
  await server?.close();
  await new Promise<void>((done) => (fake ? fake.close(() => done()) : done()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs `npm run send -- …` (tsx on the CLI) in a folder without .env, asynchronously so the servers here keep answering. */
function runCli(
  args: readonly string[],
  extraEnv: Record<string, string> = {},
  cwd = workDir,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'AUTHGEAR_WEBHOOK_SECRET',
    'AUTHGEAR_WEBHOOK_SECRET_ID',
    'PORT',
    'AWS_PROFILE',
    'AWS_SESSION_TOKEN',
    'AWS_ENDPOINT_URL',
  ])
    delete env[name];
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

describe('judging answers as Authgear does', () => {
  // Every kind of answer Authgear's server refuses, with an event it is refused on.
  const rejected: readonly [string, BlockingEventType, string][] = [
    ['an empty object', 'user.pre_create', '{}'],
    ['is_allowed as a string', 'user.pre_create', '{"is_allowed":"true"}'],
    ['reason on an allow', 'user.pre_create', '{"is_allowed":true,"reason":""}'],
    ['mutations on a deny', 'user.pre_create', '{"is_allowed":false,"mutations":{}}'],
    ['an unknown amr constraint', 'authentication.pre_initialize', '{"is_allowed":true,"constraints":{"amr":["x_passkey"]}}'],
    ['constraints on user.pre_create', 'user.pre_create', '{"is_allowed":true,"constraints":{"amr":["mfa"]}}'],
    ['bot_protection on pre_authenticated', 'authentication.pre_authenticated', '{"is_allowed":true,"bot_protection":{"mode":"always"}}'],
    ['mutations on pre_initialize', 'authentication.pre_initialize', '{"is_allowed":true,"mutations":{}}'],
    ['mutations on post_identified', 'authentication.post_identified', '{"is_allowed":true,"mutations":{}}'],
    ['mutations on pre_authenticated', 'authentication.pre_authenticated', '{"is_allowed":true,"mutations":{}}'],
    [
      'an unknown rate limit',
      'authentication.pre_initialize',
      '{"is_allowed":true,"rate_limits":{"authentication.password":{"weight":1}}}',
    ],
    ['an unknown key', 'user.pre_create', '{"is_allowed":true,"extra":1}'],
    ['a JSON value that is not an object', 'user.pre_create', 'true'],
    ['a list', 'user.pre_create', '[]'],
  ];

  it.each(rejected)('flags %s', (_name, type, body) => {
    // Act
    const verdict = judgeAnswer(type, { status: 200, body });

    // Assess
    expect(verdict.kind).toBe('rejected');
    expect(describeVerdict(verdict)).toMatch(/^REJECTED: /);
  });

  it('flags a non-2xx status, a redirect and a body that is not JSON', () => {
    // Act
    const verdicts = [
      judgeAnswer('user.pre_create', { status: 500, body: '{"is_allowed":true}' }),
      judgeAnswer('user.pre_create', { status: 302, body: '' }),
      judgeAnswer('user.pre_create', { status: 200, body: '<html>ok</html>' }),
    ];

    // Assess
    expect(verdicts).toEqual([
      { kind: 'rejected', problems: ['HTTP 500: Authgear needs a 2xx status'] },
      { kind: 'rejected', problems: ['HTTP 302: Authgear does not follow redirects and needs a 2xx status'] },
      { kind: 'rejected', problems: [expect.stringMatching(/^the body is not JSON \(starts with "<html>ok<\/html>"\)/)], notJson: true },
    ]);
  });

  it('flags a token mutation that drops an original claim, naming the claim', () => {
    // Prepare
    const event = sampleEvent('oidc.jwt.pre_create');
    const { jti: _dropped, ...kept } = event.payload.jwt.payload;
    const body = JSON.stringify({ is_allowed: true, mutations: { jwt: { payload: kept } } });

    // Act
    const verdict = judgeAnswer('oidc.jwt.pre_create', { status: 200, body }, event);

    // Assess
    expect(verdict).toEqual({
      kind: 'rejected',
      problems: ['mutations.jwt.payload.jti: claim "jti" of the original token was removed; echo every original claim'],
    });
  });

  it('accepts the answers Authgear accepts, and judges non-blocking answers by status alone', () => {
    // Act
    const verdicts = [
      judgeAnswer('user.pre_create', {
        status: 200,
        body: '{"is_allowed":false,"title":"Sign-up blocked","reason":"Email domain is not allowed"}',
      }),
      judgeAnswer('user.pre_create', { status: 201, body: '{"is_allowed":true,"mutations":{"user":{"roles":["member"],"groups":[]}}}' }),
      judgeAnswer('authentication.post_identified', { status: 200, body: '{"is_allowed":true,"bot_protection":{"mode":"always"}}' }),
      judgeAnswer('user.created', { status: 204, body: 'whatever' }),
      judgeAnswer('user.created', { status: 503, body: '' }),
      judgeAnswer('user.pre_create', { status: 404, body: '{"message":"Not Found"}' }),
    ];

    // Assess
    expect(verdicts.map(describeVerdict)).toEqual([
      'accepted: denied',
      'accepted: allowed',
      'accepted: allowed',
      'delivered',
      'FAILED: HTTP 503: Authgear needs a 2xx status',
      'not served (no handler at this URL)',
    ]);
  });
});

describe('building what to send', () => {
  it('parses --set paths with dots, indices and quoted keys, and JSON or text values', () => {
    // Act
    const parsed = [
      parseAssignment('context.language=de'),
      parseAssignment('payload.identities[0].claims.email=a=b@example.com'),
      parseAssignment('payload.jwt.payload["https://example.com/plan"]={"tier":2}'),
      parseAssignment('payload.user.roles=["admin"]'),
      parseAssignment('seq=007x'),
    ];

    // Assess
    expect(parsed.map(({ path, value }) => ({ path, value }))).toEqual([
      { path: ['context', 'language'], value: 'de' },
      { path: ['payload', 'identities', '0', 'claims', 'email'], value: 'a=b@example.com' },
      { path: ['payload', 'jwt', 'payload', 'https://example.com/plan'], value: { tier: 2 } },
      { path: ['payload', 'user', 'roles'], value: ['admin'] },
      { path: ['seq'], value: '007x' },
    ]);
  });

  it.each([
    ['nothing=1', /"nothing" is not part of an event/],
    ['payload.usr.id=1', /payload has no "usr" \(it has: user, identities\)/],
    ['payload.user.id.x=1', /payload\.user\.id is a string, so it has no "x"/],
    ['payload.identities.5.id=1', /payload\.identities is a list of 1; "5" is not an index in it/],
  ])('refuses --set %s, saying why', (text, why) => {
    // Prepare
    const event = sampleEvent('user.created') as unknown as Record<string, unknown>;

    // Act
    const act = () => applyAssignment(event, parseAssignment(text));

    // Assess
    expect(act).toThrow(SendError);
    expect(act).toThrow(why);
  });

  it.each(['', 'payload', 'payload..x=1', 'payload[x]=1', '=1'])('refuses the malformed --set "%s"', (text) => {
    // Act
    const act = () => parseAssignment(text);

    // Assess
    expect(act).toThrow(SendError);
  });

  it('keeps id in step with a --set seq, and re-serialises with Go escapes', () => {
    // Act
    const built = buildEvent({ type: 'user.created', sets: ['seq=48213', 'payload.user.custom_attributes.note="a<b"'] });

    // Assess
    expect(built.event.id).toBe('000000000000bc55');
    expect(built.body).toContain('"note":"a\\u003cb"');
  });

  it('reads a full event from a file with a fresh timestamp, or a payload into the sample envelope', () => {
    // Prepare
    const dir = tempDir();
    const full = join(dir, 'full.json');
    const payloadOnly = join(dir, 'payload.json');
    writeFileSync(full, JSON.stringify({ ...sampleEvent('user.deleted', { seq: 9, timestamp: 1_000 }) }, null, 2));
    writeFileSync(payloadOnly, '{"user":{"id":"u1"},"identities":[]}');

    // Act
    const fromFull = buildEvent({ payloadFile: full, now: () => 1_787_217_331_000 });
    const fromPayload = buildEvent({ type: 'user.created', payloadFile: payloadOnly });

    // Assess
    expect(fromFull.type).toBe('user.deleted');
    expect(fromFull.event.id).toBe('0000000000000009');
    expect((fromFull.event.context as { timestamp: number }).timestamp).toBe(1_787_217_331);
    expect(fromFull.notes).toHaveLength(1);
    expect(fromPayload.event.payload).toEqual({ user: { id: 'u1' }, identities: [] });
    expect(fromPayload.body.startsWith('{"id":')).toBe(true);
  });

  it('names the closest types for a typo and builds route URLs', () => {
    // Act
    const typo = () => requireEventType('user.pre_creat');
    const urls = [
      endpointFor('https://abc.execute-api.eu-west-1.amazonaws.com/', 'user.pre_create'),
      endpointFor('http://localhost:3000', 'usage.alert.triggered'),
      endpointFor('http://localhost:3000/non-blocking', 'user.created'),
    ];

    // Assess
    expect(typo).toThrow(/did you mean user\.pre_create/);
    expect(urls).toEqual([
      'https://abc.execute-api.eu-west-1.amazonaws.com/blocking/user.pre_create',
      'http://localhost:3000/non-blocking',
      'http://localhost:3000/non-blocking',
    ]);
  });
});

describe('choosing the signing secret', () => {
  const target = 'http://localhost:3000';
  const fetchSecret = async (id: string): Promise<string> =>
    id === 'authgear-webhook' ? '["new-secret","old-secret"]' : Promise.reject(new Error('ResourceNotFoundException: no such secret'));

  it('prefers --secret, then --secret-id, then the environment, then a running npm start', async () => {
    // Prepare
    const local = { url: 'http://127.0.0.1:3000', pid: process.pid, secret: 'generated' };

    // Act
    const picks = await Promise.all([
      resolveSecret({ secret: 'flag', secretId: 'authgear-webhook', env: { AUTHGEAR_WEBHOOK_SECRET: 'env' }, target, fetchSecret }),
      resolveSecret({ secretId: 'authgear-webhook', env: { AUTHGEAR_WEBHOOK_SECRET: 'env' }, target, fetchSecret }),
      resolveSecret({ env: { AUTHGEAR_WEBHOOK_SECRET: 'env', AUTHGEAR_WEBHOOK_SECRET_ID: 'authgear-webhook' }, target, fetchSecret }),
      resolveSecret({ env: {}, localServer: local, target }),
    ]);

    // Assess
    expect(picks.map((p) => p.value)).toEqual(['flag', 'new-secret', 'env', 'generated']);
    expect(picks[1]?.source).toBe('AWS Secrets Manager (authgear-webhook)');
  });

  it("does not use a local server's secret for another target, and says what to do", async () => {
    // Prepare
    const local = { url: 'http://127.0.0.1:3000', pid: process.pid, secret: 'generated' };

    // Act
    const other = resolveSecret({ env: {}, localServer: local, target: 'https://abc.execute-api.eu-west-1.amazonaws.com' });
    const missing = resolveSecret({ secretId: 'nope', env: {}, target, fetchSecret });

    // Assess
    await expect(other).rejects.toThrow(/no signing secret: pass --secret or --secret-id/);
    await expect(missing).rejects.toThrow(
      /could not read the webhook secret nope \(--secret-id\) from AWS Secrets Manager: ResourceNotFoundException/,
    );
  });

  it('finds a running local server through its state file, and forgets it once removed', () => {
    // Prepare
    const root = tempDir();

    // Act
    const problem = writeLocalState(root, { url: 'http://127.0.0.1:3999', pid: process.pid, secret: 'generated' });
    const found = readLocalState(root);
    removeLocalState(root, process.pid);

    // Assess
    expect(problem).toBeUndefined();
    expect(found).toEqual({ url: 'http://127.0.0.1:3999', pid: process.pid, secret: 'generated' });
    expect(readLocalState(root)).toBeUndefined();
    expect(localStatePath(root)).toContain(join('node_modules', '.cache'));
  });

  it('keeps one state file per project folder, even where folders share node_modules', () => {
    // Prepare: two projects linking one node_modules, as the tests' temporary projects do
    const shared = tempDir();
    const [a, b] = [tempDir(), tempDir()];
    for (const root of [a, b]) symlinkSync(shared, join(root, 'node_modules'));

    // Act
    writeLocalState(a, { url: 'http://127.0.0.1:3001', pid: process.pid });
    writeLocalState(b, { url: 'http://127.0.0.1:3002', pid: process.pid });
    removeLocalState(b, process.pid);

    // Assess
    expect(readLocalState(a)).toEqual({ url: 'http://127.0.0.1:3001', pid: process.pid });
    expect(readLocalState(b)).toBeUndefined();
  });

  it('puts back the state of the server it replaced when that one still runs, and tidies files of dead servers', () => {
    // Prepare: a running server (this test's parent process) and the file of a server that died
    const root = tempDir();
    const first = { url: 'http://127.0.0.1:3001', pid: process.ppid };
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const deadFile = localStatePath(root).replace(/local-server-\w+\.json$/, 'local-server-0123456789ab.json');
    mkdirSync(dirname(deadFile), { recursive: true });
    writeFileSync(deadFile, JSON.stringify({ url: 'http://127.0.0.1:3004', pid: dead }));
    writeLocalState(root, first);

    // Act: a second server takes over, then stops
    writeLocalState(root, { url: 'http://127.0.0.1:3002', pid: process.pid });
    const takenOver = readLocalState(root);
    removeLocalState(root, process.pid, first);

    // Assess
    expect(takenOver?.url).toBe('http://127.0.0.1:3002');
    expect(existsSync(deadFile)).toBe(false);
    expect(readLocalState(root)).toEqual(first);
  });
});

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
