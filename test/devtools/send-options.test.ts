/** `npm run send`: building the event to send (samples, --set, --payload, routes) and choosing the signing secret. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localStatePath, readLocalState, removeLocalState, writeLocalState } from '../../shared/devtools/local-state';
import { sampleEvent } from '../../shared/devtools/samples';
import {
  SendError,
  applyAssignment,
  buildEvent,
  endpointFor,
  parseAssignment,
  requireEventType,
  resolveSecret,
} from '../../shared/devtools/send';
import { useTempDirs } from './send-harness';

const tempDir = useTempDirs();

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
