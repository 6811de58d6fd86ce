/**
 * The webhook secret path end to end, minus AWS: the real `@aws-sdk/client-secrets-manager`
 * (through `secretsManagerSource`) and `SecretStore`, talking to a local fake of the
 * Secrets Manager JSON protocol.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it, vi } from 'vitest';
import { SecretUnavailableError } from '../shared/core/errors';
import { SecretStore } from '../shared/core/secret';
import { secretsManagerSource } from '../shared/aws/secrets-manager';
import type { FakeSecretsManager } from './support/secrets-manager-server';
import { useFakeSecretsManager } from './support/use-fake-secrets-manager';
import { type CapturedLogs, captureLogs } from './support/capture-logs';

const WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:authgear-webhook-AbCdEf';
const WEBHOOK_SECRET_NAME = 'authgear-webhook';
const TTL_MS = 300_000;
const REFRESH_INTERVAL_MS = 30_000;

let fake: FakeSecretsManager;
useFakeSecretsManager((started) => (fake = started));

/** GetSecretValue calls the fake received for `secretId` (each test uses its own secret, so counts do not mix). */
const callsFor = (secretId: string) => fake.calls.filter((call) => call.secretId === secretId);

/** A clock the test moves by hand. */
const manualClock = (start = 1_787_217_331_000) => {
  let current = start;
  return {
    now: () => current,
    advance: (ms: number) => {
      current += ms;
    },
  };
};

/** Asserts that exactly one error line was logged, and that it has `fields`. */
const expectOneError = (logs: CapturedLogs, fields: Record<string, unknown>): void => {
  const errors = logs.entries().filter((entry) => entry.level === 'error');
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject(fields);
};

const newStore = (secretId: string, logger = captureLogs().logger, now?: () => number) =>
  new SecretStore({ source: secretsManagerSource(secretId), logger, ttlMs: TTL_MS, refreshIntervalMs: REFRESH_INTERVAL_MS, now });

describe('secretsManagerSource with the real AWS SDK', () => {
  it('reads a secret stored by ARN, by its ARN, with one signed GetSecretValue call', async () => {
    // Prepare
    fake.setSecret(WEBHOOK_SECRET_ARN, 'k3Y9mP2qR7sT1vW5xZ8aB4cD6eF0gH_j');
    const source = secretsManagerSource(WEBHOOK_SECRET_ARN);

    // Act
    const value = await source.fetch();

    // Assess
    expect(value).toBe('k3Y9mP2qR7sT1vW5xZ8aB4cD6eF0gH_j');
    const calls = callsFor(WEBHOOK_SECRET_ARN);
    expect(calls).toHaveLength(1);
    const headers = calls[0]!.headers;
    expect(headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    expect(headers.authorization).toContain(`Credential=${fake.env().AWS_ACCESS_KEY_ID}/`);
    expect(headers.authorization).toContain('/us-east-1/secretsmanager/aws4_request');
  });

  it('reads the same secret by its plain name', async () => {
    // Prepare
    fake.setSecret(WEBHOOK_SECRET_ARN, 'by-name-value-7Qx');
    const source = secretsManagerSource(WEBHOOK_SECRET_NAME);

    // Act
    const value = await source.fetch();

    // Assess
    expect(value).toBe('by-name-value-7Qx');
    const calls = callsFor(WEBHOOK_SECRET_NAME);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
  });

  it('returns a JSON array value unchanged, and SecretStore turns it into both candidates', async () => {
    // Prepare
    fake.setSecret('rotation-overlap', '["new","old"]');
    const source = secretsManagerSource('rotation-overlap');
    const store = newStore('rotation-overlap');

    // Act
    const raw = await source.fetch();
    const candidates = await store.get();

    // Assess
    expect(raw).toBe('["new","old"]');
    expect(candidates).toEqual(['new', 'old']);
  });

  it('surfaces the SDK error for a secret that does not exist', async () => {
    // Prepare
    const source = secretsManagerSource('no-such-secret');

    // Act
    const result = source.fetch();

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
      $metadata: { httpStatusCode: 400 },
    });
    expect(callsFor('no-such-secret')).toHaveLength(1); // a 400 is not retried
  });

  it('retries one server error itself: failNext(1) still gives the value', async () => {
    // Prepare
    // The source creates its client with maxAttempts 2, and the SDK's standard retry strategy
    // treats an HTTP 500 (InternalServiceError) as transient, so one failed attempt is followed
    // by a second attempt of the same invocation (after a backoff of at most ~50 ms).
    fake.setSecret('retry-once', 'value-after-retry');
    fake.failNext(1);
    const source = secretsManagerSource('retry-once');

    // Act
    const value = await source.fetch();

    // Assess
    expect(value).toBe('value-after-retry');
    const calls = callsFor('retry-once');
    expect(calls).toHaveLength(2);
    expect(calls.map((call) => call.headers['amz-sdk-request'])).toEqual(['attempt=1; max=2', 'attempt=2; max=2']);
    expect(calls[1]!.headers['amz-sdk-invocation-id']).toBe(calls[0]!.headers['amz-sdk-invocation-id']);
  });

  // KNOWN BUG (kept visible on purpose): in @smithy/node-http-handler 4.x `requestTimeout` only
  // logs a warning ("a request has exceeded the configured 2000 ms requestTimeout") unless
  // `throwOnRequestTimeout: true` is also set, so the source waits for a hung answer as long as
  // the server takes, well past Authgear's 5 s budget. When the source sets
  // `throwOnRequestTimeout: true`, this test starts failing: turn `it.fails` into `it`.
  it('abandons an answer slower than requestTimeout (1 s) and retries it', async () => {
    // Prepare
    fake.setSecret('slow-answer', 'slow-answer-value');
    fake.setDelay(2_300);
    const source = secretsManagerSource('slow-answer');
    const startedAt = Date.now();

    // Act
    const pending = source.fetch();
    await vi.waitFor(() => expect(callsFor('slow-answer')).toHaveLength(1), { timeout: 1_000, interval: 5 });
    fake.setDelay(0); // only the first attempt hangs
    const value = await pending;
    const elapsedMs = Date.now() - startedAt;

    // Assess
    expect(value).toBe('slow-answer-value');
    expect(callsFor('slow-answer')).toHaveLength(2);
    expect(elapsedMs).toBeLessThan(2_300);
  });

  it('gives up after two attempts (maxAttempts 2, not the SDK default of 3)', async () => {
    // Prepare
    // With the SDK default (3 attempts) the third attempt would succeed; with 2 it must fail.
    fake.setSecret('retry-twice', 'unreachable-value');
    fake.failNext(2);
    const source = secretsManagerSource('retry-twice');

    // Act
    const result = source.fetch();

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InternalServiceError', $metadata: { httpStatusCode: 500, attempts: 2 } });
    expect(callsFor('retry-twice')).toHaveLength(2);
  });
});

describe('SecretStore over Secrets Manager', () => {
  it('prime() and 5 concurrent get() calls share one delayed fetch; 1,000 more get() calls within the TTL fetch nothing', async () => {
    // Prepare
    fake.setSecret('single-flight', 'single-flight-value');
    fake.setDelay(200);
    const store = newStore('single-flight');

    // Act
    store.prime();
    // The fetch started by prime() reaches the server before any get() (calls are recorded on arrival).
    await vi.waitFor(() => expect(callsFor('single-flight')).toHaveLength(1), { timeout: 1_000, interval: 5 });
    const arrivedAt = callsFor('single-flight')[0]!.at;
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => store.get()));
    const answeredAt = Date.now();
    const callsAfterFirstLoad = callsFor('single-flight').length;
    const later: (readonly string[])[] = [];
    for (let i = 0; i < 1_000; i += 1) later.push(await store.get());

    // Assess
    expect(answeredAt - arrivedAt).toBeGreaterThanOrEqual(190); // the get() calls really waited on the slow fetch
    expect(concurrent).toEqual(Array.from({ length: 5 }, () => ['single-flight-value']));
    expect(callsAfterFirstLoad).toBe(1);
    expect(later.every((secrets) => secrets.length === 1 && secrets[0] === 'single-flight-value')).toBe(true);
    expect(callsFor('single-flight')).toHaveLength(1);
  });

  it('fetches again exactly once when the TTL has expired', async () => {
    // Prepare
    fake.setSecret('ttl-expiry', 'ttl-first');
    const clock = manualClock();
    const store = newStore('ttl-expiry', undefined, clock.now);
    const first = await store.get();
    fake.setSecret('ttl-expiry', 'ttl-second');

    // Act
    clock.advance(TTL_MS - 1);
    const justBeforeExpiry = await store.get();
    const callsBeforeExpiry = callsFor('ttl-expiry').length;
    clock.advance(1);
    // The expired value is still served at once; the refresh runs behind it.
    const atExpiry = await store.get();
    await vi.waitFor(async () => expect(await store.get()).toEqual(['ttl-second']), { timeout: 2_000, interval: 5 });
    for (let i = 0; i < 10; i += 1) await store.get();

    // Assess
    expect(first).toEqual(['ttl-first']);
    expect(justBeforeExpiry).toEqual(['ttl-first']);
    expect(callsBeforeExpiry).toBe(1);
    expect(atExpiry).toEqual(['ttl-first']);
    expect(callsFor('ttl-expiry')).toHaveLength(2);
  });

  it('rejects with SecretUnavailableError when Secrets Manager fails at cold start', async () => {
    // Prepare
    fake.setSecret('cold-outage', 'never-delivered');
    fake.failAll(true);
    const logs = captureLogs();
    const store = newStore('cold-outage', logs.logger);

    // Act
    const result = store.get();

    // Assess
    await expect(result).rejects.toBeInstanceOf(SecretUnavailableError);
    await expect(result).rejects.toThrow('no webhook secret could be loaded from secrets-manager');
    expect(callsFor('cold-outage')).toHaveLength(2); // one fetch = two SDK attempts
    expectOneError(logs, {
      msg: 'webhook secret could not be loaded',
      reason: 'secret_fetch_failed',
      source: 'secrets-manager',
      error_name: 'InternalServiceError',
    });
  });

  it('keeps serving the last good value when Secrets Manager fails after the TTL, and stays quiet for refreshIntervalMs', async () => {
    // Prepare
    fake.setSecret('warm-outage', 'last-good');
    const clock = manualClock();
    const logs = captureLogs();
    const store = newStore('warm-outage', logs.logger, clock.now);
    await store.get();
    fake.failAll(true);
    clock.advance(TTL_MS);

    // Act
    const duringOutage = await store.get();
    await vi.waitFor(() => expect(logs.entries().some((entry) => entry.level === 'error')).toBe(true), { timeout: 2_000, interval: 5 });
    const callsAfterFailedRefresh = callsFor('warm-outage').length;
    const inQuietPeriod: (readonly string[])[] = [];
    for (let i = 0; i < 100; i += 1) {
      clock.advance(299);
      inQuietPeriod.push(await store.get());
    }
    clock.advance(REFRESH_INTERVAL_MS - 100 * 299 - 1);
    inQuietPeriod.push(await store.get());
    const callsAtEndOfQuietPeriod = callsFor('warm-outage').length;
    fake.failAll(false);
    fake.setSecret('warm-outage', 'after-recovery');
    clock.advance(1);
    const firstAfterQuietPeriod = await store.get();
    await vi.waitFor(async () => expect(await store.get()).toEqual(['after-recovery']), { timeout: 2_000, interval: 5 });

    // Assess
    expect(duringOutage).toEqual(['last-good']);
    expect(firstAfterQuietPeriod).toEqual(['last-good']); // served while the refresh runs
    expect(callsAfterFailedRefresh).toBe(3); // initial load + one failed refresh of two attempts
    expect(inQuietPeriod.every((secrets) => secrets.length === 1 && secrets[0] === 'last-good')).toBe(true);
    expect(callsAtEndOfQuietPeriod).toBe(3);
    expect(callsFor('warm-outage')).toHaveLength(4);
    expectOneError(logs, {
      msg: 'webhook secret refresh failed; using the last good value',
      reason: 'secret_fetch_failed',
      error_name: 'InternalServiceError',
    });
  });

  it('refreshAfterMismatch() picks up a rotated secret, is rate-limited, and reports no change as undefined', async () => {
    // Prepare
    fake.setSecret('rotated', 'before-rotation');
    const clock = manualClock();
    const store = newStore('rotated', undefined, clock.now);
    await store.get();
    clock.advance(1_000);
    const tooSoonAfterLoad = await store.refreshAfterMismatch();
    fake.setSecret('rotated', 'after-rotation');
    clock.advance(REFRESH_INTERVAL_MS);

    // Act
    const refreshed = await store.refreshAfterMismatch();
    const current = await store.get();
    const callsAfterRefresh = callsFor('rotated').length;
    clock.advance(REFRESH_INTERVAL_MS - 1);
    const secondWithinInterval = await store.refreshAfterMismatch();
    const callsAfterSecond = callsFor('rotated').length;
    clock.advance(1);
    const unchanged = await store.refreshAfterMismatch();

    // Assess
    expect(tooSoonAfterLoad).toBeUndefined();
    expect(refreshed).toEqual(['after-rotation']);
    expect(current).toEqual(['after-rotation']);
    expect(callsAfterRefresh).toBe(2);
    expect(secondWithinInterval).toBeUndefined();
    expect(callsAfterSecond).toBe(2);
    expect(unchanged).toBeUndefined();
    expect(callsFor('rotated')).toHaveLength(3); // it did fetch, and found the same value
  });

  it('trims surrounding whitespace, warns once, and never logs the value', async () => {
    // Prepare
    const secret = 'Ws7-padded-SECRET-q4Lz';
    fake.setSecret('padded', `  ${secret}\n`);
    const clock = manualClock();
    const logs = captureLogs();
    const store = newStore('padded', logs.logger, clock.now);

    // Act
    const first = await store.get();
    clock.advance(TTL_MS);
    const afterExpiry = await store.get();
    await vi.waitFor(() => expect(callsFor('padded')).toHaveLength(2), { timeout: 2_000, interval: 5 });
    await vi.waitFor(() => expect(logs.lines.filter((line) => line.includes('webhook secret loaded'))).toHaveLength(2), {
      timeout: 2_000,
      interval: 5,
    });

    // Assess
    expect(first).toEqual([secret]);
    expect(afterExpiry).toEqual([secret]);
    const warnings = logs.entries().filter((entry) => entry.level === 'warn');
    expect(warnings).toHaveLength(1); // not repeated for an unchanged value
    expect(warnings[0]).toMatchObject({ reason: 'secret_whitespace', source: 'secrets-manager' });
    expect(warnings[0]!.msg).toContain('whitespace');
    expect(logs.lines.length).toBeGreaterThan(1); // the debug "loaded" lines were captured too
    for (const line of logs.lines) expect(line).not.toContain(secret);
  });

  it('rejects with SecretUnavailableError for a secret that has no value yet, and logs what to do', async () => {
    // Prepare
    // A secret created without --secret-string has no AWSCURRENT version. Secrets Manager then
    // answers GetSecretValue with ResourceNotFoundException; it does not return an empty value.
    fake.setSecret('empty-secret', undefined);
    const logs = captureLogs();
    const store = newStore('empty-secret', logs.logger);

    // Act
    const result = store.get();

    // Assess
    await expect(result).rejects.toBeInstanceOf(SecretUnavailableError);
    expect(callsFor('empty-secret')).toHaveLength(1); // a 400 is not retried
    expectOneError(logs, {
      msg: 'webhook secret could not be loaded',
      reason: 'secret_fetch_failed',
      source: 'secrets-manager',
      error_name: 'Error',
      error_message: 'the secret empty-secret has no value yet; store the Authgear webhook secret with put-secret-value',
    });
  });
});

describe('the fake Secrets Manager itself', () => {
  it('answers in a shape the SDK fully deserialises (ARN, name, version, epoch-seconds CreatedDate)', async () => {
    // Prepare
    fake.setSecret(WEBHOOK_SECRET_ARN, 'wire-format-value');
    const client = new SecretsManagerClient({});

    // Act
    const output = await client.send(new GetSecretValueCommand({ SecretId: WEBHOOK_SECRET_NAME })).finally(() => client.destroy());

    // Assess
    expect(output).toMatchObject({
      ARN: WEBHOOK_SECRET_ARN,
      Name: WEBHOOK_SECRET_NAME,
      SecretString: 'wire-format-value',
      VersionStages: ['AWSCURRENT'],
      $metadata: { httpStatusCode: 200, attempts: 1 },
    });
    expect(output.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(output.CreatedDate).toBeInstanceOf(Date);
    expect(Math.abs(output.CreatedDate!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(output.$metadata.requestId).toBeTruthy();
  });

  it('rejects an unsigned request, so a successful SDK call proves the SDK signed it', async () => {
    // Prepare
    fake.setSecret('unsigned-probe', 'should-not-leak');

    // Act
    const response = await fetch(fake.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ SecretId: 'unsigned-probe' }),
    });
    const body = await response.text();

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(JSON.parse(body)).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    expect(body).not.toContain('should-not-leak');
  });

  it('answers an unknown operation with UnknownOperationException', async () => {
    // Prepare
    const request = {
      method: 'POST',
      headers: {
        'x-amz-target': 'secretsmanager.ListSecrets',
        'content-type': 'application/x-amz-json-1.1',
        authorization: 'AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/secretsmanager/aws4_request',
      },
      body: '{}',
    };

    // Act
    const response = await fetch(fake.endpoint, request);

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});
