/**
 * Secret hygiene: what the stored webhook secret may look like, told to the operator once, and a
 * bounded cold-start fetch. The Lambda adapter reads the secret with the real SDK from the fake
 * Secrets Manager (test/support/secrets-manager-server.ts).
 */
import { describe, expect, it } from 'vitest';
import { createLambdaHandler } from '../shared/adapters/lambda';
import { defineBlockingHandler } from '../shared/core/handler';
import { createJsonLogger } from '../shared/core/logger';
import { parseSecretValue } from '../shared/core/secret';
import { MAX_SECRET_CANDIDATES, decodeSecretBinary, unquote } from '../shared/core/secret-hygiene';
import { SECRET_FETCH_BUDGET_MS } from '../shared/aws/secrets-manager';
import { signBody } from '../shared/core/verify';
import { vector } from './fixtures/authgear-vectors';
import type { FakeSecretsManager } from './support/secrets-manager-server';
import { useFakeSecretsManager } from './support/use-fake-secrets-manager';
import { preCreateModule } from './support/fixture-handlers';

const SECRET = 'Hy9gKq2Wz7Rt4Lm1Vb8Nc3Xd6Fs0Pj5E';
const UNAVAILABLE = '{"error":"service unavailable"}';

let fake: FakeSecretsManager;
useFakeSecretsManager((started) => (fake = started));

function blockingFunction(secretId: string) {
  const lines: Record<string, unknown>[] = [];
  const handler = createLambdaHandler({
    serve: 'blocking',
    modules: [preCreateModule(defineBlockingHandler('user.pre_create', () => ({ is_allowed: true })))],
    env: { AUTHGEAR_WEBHOOK_SECRET_ID: secretId, MAX_EVENT_AGE_SECONDS: '0' },
    logger: createJsonLogger({ level: 'debug', sink: (_l, line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
  });
  return { handler, lines };
}

/** The user.pre_create vector signed with `secret`, as API Gateway hands it to Lambda. */
function delivery(secret: string) {
  const { body } = vector('user.pre_create');
  return {
    version: '2.0',
    rawPath: '/blocking/user.pre_create',
    headers: { 'x-authgear-body-signature': signBody(body, secret) },
    requestContext: { http: { method: 'POST', path: '/blocking/user.pre_create' }, timeEpoch: Date.now() },
    body,
    isBase64Encoded: false,
  };
}

describe('parseSecretValue hygiene', () => {
  it('removes surrounding quotes and warns, as it does for whitespace', () => {
    // Act
    const double = parseSecretValue(`"${SECRET}"`);
    const single = parseSecretValue(` '${SECRET}'\n`);

    // Assess
    expect(double.secrets).toEqual([SECRET]);
    expect(double.warnings.map((w) => w.reason)).toEqual(['secret_quoted']);
    expect(single.secrets).toEqual([SECRET]);
    expect(single.warnings.map((w) => w.reason)).toEqual(['secret_whitespace', 'secret_quoted']);
  });

  it('warns about a secret shorter than 16 characters, and a short entry of a rotation array', () => {
    // Act
    const one = parseSecretValue('x');
    const list = parseSecretValue(`["${SECRET}","s3cret"]`);
    const fine = parseSecretValue(SECRET);

    // Assess
    expect(one.secrets).toEqual(['x']);
    expect(one.warnings).toEqual([
      expect.objectContaining({ reason: 'secret_short', message: expect.stringContaining('1 characters long') }),
    ]);
    expect(list.warnings).toEqual([expect.objectContaining({ reason: 'secret_short', message: expect.stringContaining('6 characters') })]);
    expect(fine.warnings).toEqual([]);
  });

  it(`accepts a rotation array of up to ${MAX_SECRET_CANDIDATES} secrets, refuses more, and drops repeats`, () => {
    // Prepare
    const entries = (n: number) =>
      JSON.stringify(Array.from({ length: n }, (_, i) => `${SECRET.slice(0, 28)}${String(i).padStart(4, '0')}`));

    // Act
    const ten = parseSecretValue(entries(10));
    const repeated = parseSecretValue(JSON.stringify([SECRET, SECRET, `"${SECRET}"`]));

    // Assess
    expect(ten.secrets).toHaveLength(10);
    expect(() => parseSecretValue(entries(11))).toThrow(/lists 11 secrets; at most 10 are accepted/);
    expect(() => parseSecretValue(entries(10_000))).toThrow(/lists 10000 secrets/);
    expect(repeated.secrets).toEqual([SECRET]);
    expect(() => parseSecretValue('""')).toThrow(/empty quoted string/);
  });

  it('reads UTF-8 binary secrets and refuses other bytes with a message saying what to do', () => {
    // Act
    const text = decodeSecretBinary(new TextEncoder().encode(SECRET), 'authgear-webhook');
    const bad = () => decodeSecretBinary(new Uint8Array([0xff, 0xfe, 0x41]), 'authgear-webhook');

    // Assess
    expect(text).toBe(SECRET);
    expect(bad).toThrow('the secret authgear-webhook holds a SecretBinary value that is not UTF-8 text');
    expect(unquote("'a'")).toEqual({ value: 'a', quoted: true });
    expect(unquote('"a')).toEqual({ value: '"a', quoted: false });
  });
});

describe('secret hygiene in a deployed function (real SDK, fake Secrets Manager)', () => {
  it('serves with a quoted secret and warns once, not on every request', async () => {
    // Prepare
    fake.setSecret('hygiene-quoted', `"${SECRET}"`);
    const fn = blockingFunction('hygiene-quoted');
    await fn.handler.ready;

    // Act
    const answers = [];
    for (let i = 0; i < 3; i += 1) answers.push(await fn.handler(delivery(SECRET)));

    // Assess
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect(fn.lines.filter((l) => l.reason === 'secret_quoted')).toEqual([
      expect.objectContaining({ level: 'warn', source: 'secrets-manager' }),
    ]);
    for (const line of fn.lines) expect(JSON.stringify(line)).not.toContain(SECRET);
  });

  it('refuses a rotation array of more than 10 secrets: 503 and an error line that says why', async () => {
    // Prepare
    fake.setSecret('hygiene-many', JSON.stringify(Array.from({ length: 10_000 }, (_, i) => `${SECRET}${i}`)));
    const fn = blockingFunction('hygiene-many');
    await fn.handler.ready;

    // Act
    const answer = await fn.handler(delivery(SECRET));

    // Assess
    expect(answer).toMatchObject({ statusCode: 503, body: UNAVAILABLE });
    expect(fn.lines.find((l) => l.reason === 'secret_fetch_failed')?.error_message).toMatch(/lists 10000 secrets; at most 10 are accepted/);
    expect(fn.lines.at(-1)).toMatchObject({ status: 503, reason: 'secret_unavailable' });
  });

  it('answers 503 for a SecretBinary that is not UTF-8, with a log line saying so, and serves a UTF-8 one', async () => {
    // Prepare
    fake.setSecretBinary('hygiene-binary-bad', new Uint8Array([0xc3, 0x28, 0xa0, 0xa1]));
    fake.setSecretBinary('hygiene-binary-good', new TextEncoder().encode(SECRET));
    const bad = blockingFunction('hygiene-binary-bad');
    const good = blockingFunction('hygiene-binary-good');
    await Promise.all([bad.handler.ready, good.handler.ready]);

    // Act
    const refused = await bad.handler(delivery(SECRET));
    const served = await good.handler(delivery(SECRET));

    // Assess
    expect(refused).toMatchObject({ statusCode: 503, body: UNAVAILABLE });
    expect(String(bad.lines.find((l) => l.reason === 'secret_fetch_failed')?.error_message)).toContain(
      'SecretBinary value that is not UTF-8',
    );
    expect(served).toMatchObject({ statusCode: 200, body: '{"is_allowed":true}' });
  });

  it(`bounds the cold-start fetch of a hanging Secrets Manager to ${SECRET_FETCH_BUDGET_MS} ms, so the first answer comes well inside 5 s`, async () => {
    // Prepare
    fake.setSecret('hygiene-hang', SECRET);
    fake.setDelay(10_000);
    const started = performance.now();

    // Act
    const fn = blockingFunction('hygiene-hang');
    await fn.handler.ready;
    const readyMs = performance.now() - started;
    const first = await fn.handler(delivery(SECRET));
    const firstAnswerMs = performance.now() - started;

    // Assess
    expect(first).toMatchObject({ statusCode: 503, body: UNAVAILABLE });
    expect(readyMs).toBeGreaterThanOrEqual(SECRET_FETCH_BUDGET_MS - 100);
    expect(firstAnswerMs).toBeLessThan(SECRET_FETCH_BUDGET_MS + 1_000); // Authgear waits 5,000
    expect(fake.calls.filter((c) => c.secretId === 'hygiene-hang')).toHaveLength(2); // two attempts, then the budget
    expect(fn.lines.find((l) => l.reason === 'secret_fetch_failed')?.error_message).toBe(
      `Secrets Manager did not answer within ${SECRET_FETCH_BUDGET_MS} ms (at most two attempts)`,
    );
  });
});
