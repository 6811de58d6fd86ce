/** Step 2, authenticate: the secret and the HMAC, through the app. */
import { describe, expect, it } from 'vitest';
import { VECTOR_SECRET, vector } from '../../../test/fixtures/authgear-vectors';
import type { WebhookRequest } from '../app';
import { defineBlockingHandler } from '../handler';
import { SecretStore, type SecretSource } from '../secret';
import { CountingSource, harness, utf8, signedRequest, deliver, never, allowPreCreate } from '../../../test/support/app-harness';

// ---------------------------------------------------------------------------------------------
// Signature and secret
// ---------------------------------------------------------------------------------------------

describe('createWebhookApp: signature and secret', () => {
  const body = vector('user.pre_create').body;
  const good = vector('user.pre_create').signature;

  it.each([
    ['missing', {}, 'signature_missing'],
    ['empty', { 'x-authgear-body-signature': '' }, 'signature_missing'],
    ['sent twice', { 'x-authgear-body-signature': [good, good] }, 'signature_header_duplicated'],
    ['not hex', { 'x-authgear-body-signature': 'z'.repeat(64) }, 'signature_not_hex'],
    ['63 characters long', { 'x-authgear-body-signature': good.slice(1) }, 'signature_wrong_length'],
    ['65 characters long', { 'x-authgear-body-signature': `${good}0` }, 'signature_wrong_length'],
  ])('answers 401 without touching the secret store when the signature header is %s', async (_name, headers, reason) => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate] });
    const request: WebhookRequest = { method: 'POST', path: '/blocking/user.pre_create', headers, body: utf8(body) };

    // Act
    const response = await h.app.handle(request);

    // Assess
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: 'unauthorized' });
    expect(h.source.calls).toBe(0);
    expect(h.outcome()).toMatchObject({ status: 401, reason, outcome: 'rejected' });
  });

  it('answers 401 to a well-formed signature made with another secret, after one secret fetch', async () => {
    // Prepare
    let called = false;
    const spy = defineBlockingHandler('user.pre_create', () => {
      called = true;
      return { is_allowed: true };
    });
    const h = harness({ blocking: [spy] });

    // Act
    const response = await h.app.handle(signedRequest('/blocking/user.pre_create', body, 'someone-else-s-secret-0123456789'));

    // Assess
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: 'unauthorized' });
    expect(h.source.calls).toBe(1);
    expect(called).toBe(false);
    expect(h.outcome()).toMatchObject({ reason: 'signature_mismatch' });
  });

  it('accepts the signature written in uppercase hex (hex case is not significant)', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate] });
    const request: WebhookRequest = {
      method: 'POST',
      path: '/blocking/user.pre_create',
      headers: { 'X-Authgear-Body-Signature': good.toUpperCase() },
      body: utf8(body),
    };

    // Act
    const response = await h.app.handle(request);

    // Assess
    expect(response.status).toBe(200);
  });

  it("answers 503 at the blocking deadline when the secret source hangs, instead of running out Authgear's 5 s", async () => {
    // Prepare
    const hanging: SecretSource = { kind: 'hanging-test-source', fetch: () => never() };
    const h = harness({
      blocking: [allowPreCreate],
      env: { BLOCKING_DEADLINE_MS: '50' },
      store: (_source, logger) => new SecretStore({ source: hanging, logger, ttlMs: 300_000, refreshIntervalMs: 30_000 }),
    });
    const started = performance.now();

    // Act
    const response = await deliver(h, 'user.pre_create');
    const elapsed = performance.now() - started;

    // Assess
    expect(response.status).toBe(503);
    expect(elapsed).toBeLessThan(50 + 200);
    expect(h.outcome()).toMatchObject({ status: 503, reason: 'secret_unavailable' });
    expect(String(h.outcome().msg)).toContain('deadline');
  });

  it('answers 503 with a generic body when the secret source fails and nothing is cached', async () => {
    // Prepare
    const source = new CountingSource(VECTOR_SECRET);
    source.failWith(new Error('AccessDeniedException: arn:aws:secretsmanager:eu-west-1:123456789012:secret:hook'));
    const h = harness({ blocking: [allowPreCreate], source });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body)).toEqual({ error: 'service unavailable' });
    expect(response.body).not.toContain('AccessDenied');
    expect(response.headers['retry-after']).toBe('5');
    expect(source.calls).toBe(1);
    expect(h.outcome()).toMatchObject({ status: 503, reason: 'secret_unavailable', level: 'error' });
  });

  it('accepts a request signed with a rotated secret after exactly one refresh of the cached one', async () => {
    // Prepare
    const OLD = 'oldOldOldOldOldOldOldOldOldOld_1';
    const NEW = 'newNewNewNewNewNewNewNewNewNew_2';
    let clock = 1_000_000;
    const source = new CountingSource(OLD);
    const h = harness({
      blocking: [allowPreCreate],
      source,
      store: (s, logger) => new SecretStore({ source: s, logger, ttlMs: 300_000, refreshIntervalMs: 30_000, now: () => clock }),
    });
    const first = await h.app.handle(signedRequest('/blocking/user.pre_create', body, OLD));
    source.setValue(NEW);
    clock += 31_000;

    // Act
    const rotated = await h.app.handle(signedRequest('/blocking/user.pre_create', body, NEW));
    const again = await h.app.handle(signedRequest('/blocking/user.pre_create', body, NEW));

    // Assess
    expect(first.status).toBe(200);
    expect(rotated.status).toBe(200);
    expect(again.status).toBe(200);
    expect(source.calls).toBe(2);
  });

  it('does not re-fetch the secret on a mismatch within the refresh interval', async () => {
    // Prepare
    const source = new CountingSource(VECTOR_SECRET);
    const h = harness({ blocking: [allowPreCreate], source, env: { SECRET_REFRESH_INTERVAL_SECONDS: '30' } });
    await deliver(h, 'user.pre_create');

    // Act
    const forged = await h.app.handle(signedRequest('/blocking/user.pre_create', body, 'forged-forged-forged-forged-0000'));

    // Assess
    expect(forged.status).toBe(401);
    expect(source.calls).toBe(1);
  });

  it('answers 500 with a generic body and logs internal_error when the secret store itself breaks', async () => {
    // Prepare
    class BrokenStore extends SecretStore {
      override get(): Promise<readonly string[]> {
        return Promise.reject(new Error('store exploded at line 42'));
      }
    }
    const h = harness({
      blocking: [allowPreCreate],
      store: (source, logger) => new BrokenStore({ source, logger, ttlMs: 1000, refreshIntervalMs: 1000 }),
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: 'internal error' });
    expect(h.outcome()).toMatchObject({ reason: 'internal_error', error_message: 'store exploded at line 42' });
  });
});
