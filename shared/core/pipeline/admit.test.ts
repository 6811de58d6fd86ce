/** Step 1, admit: route, method, size and the signature header's form, through the app. */
import { describe, expect, it } from 'vitest';
import { VECTOR_SECRET, vector } from '../../../test/fixtures/authgear-vectors';
import type { WebhookRequest } from '../app';
import { defineBlockingHandler, defineNonBlockingHandler } from '../handler';
import { harness, signedRequest, deliver, allowPreCreate } from '../../../test/support/app-harness';

// ---------------------------------------------------------------------------------------------
// Routing, method and size
// ---------------------------------------------------------------------------------------------

describe('createWebhookApp: routes, method and size', () => {
  it('lists one route per blocking handler and one for the non-blocking URL', () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], nonBlocking: [defineNonBlockingHandler('user.created', () => undefined)] });

    // Act
    const paths = h.app.routes.map((r) => `${r.method} ${r.path}`);

    // Assess
    expect(paths).toEqual(['POST /blocking/user.pre_create', 'POST /non-blocking']);
  });

  it.each([
    ['an unknown path', '/nope'],
    ['a blocking event without a handler', '/blocking/user.profile.pre_update'],
    ['a path that only differs by a trailing slash', '/blocking/user.pre_create/'],
  ])('answers 404 for %s without fetching the secret', async (_name, path) => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate] });

    // Act
    const response = await h.app.handle(signedRequest(path, vector('user.pre_create').body));

    // Assess
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body)).toEqual({ error: 'not found' });
    expect(h.source.calls).toBe(0);
    expect(h.outcome()).toMatchObject({ status: 404, reason: 'not_found', outcome: 'rejected' });
  });

  it('answers 404 on the non-blocking URL when this process serves only blocking events', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], serveNonBlocking: false });

    // Act
    const response = await deliver(h, 'user.created', '/non-blocking');

    // Assess
    expect(response.status).toBe(404);
  });

  it.each(['GET', 'PUT', 'HEAD', 'post'])('answers 405 with "allow: POST" to %s on a served path', async (method) => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate] });
    const request = { ...signedRequest('/blocking/user.pre_create', vector('user.pre_create').body), method };

    // Act
    const response = await h.app.handle(request);

    // Assess
    expect(response.status).toBe(405);
    expect(response.headers).toMatchObject({ allow: 'POST', 'content-type': 'application/json' });
    expect(h.source.calls).toBe(0);
    expect(h.outcome()).toMatchObject({ reason: 'method_not_allowed', route: 'user.pre_create' });
  });

  it('answers 413 to a body one byte over MAX_BODY_BYTES before looking at the signature', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], env: { MAX_BODY_BYTES: '100' } });
    const request: WebhookRequest = { method: 'POST', path: '/blocking/user.pre_create', headers: {}, body: new Uint8Array(101) };

    // Act
    const response = await h.app.handle(request);

    // Assess
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ error: 'payload too large' });
    expect(h.source.calls).toBe(0);
    expect(h.outcome()).toMatchObject({ status: 413, reason: 'body_too_large' });
  });

  it('lets a body of exactly MAX_BODY_BYTES through to the signature check', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], env: { MAX_BODY_BYTES: '100' } });
    const request: WebhookRequest = { method: 'POST', path: '/blocking/user.pre_create', headers: {}, body: new Uint8Array(100) };

    // Act
    const response = await h.app.handle(request);

    // Assess
    expect(response.status).toBe(401);
  });

  it('answers 413 when the adapter flags bodyTooLarge, whatever the body it passes', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate] });
    const request: WebhookRequest = { ...signedRequest('/blocking/user.pre_create', vector('user.pre_create').body), bodyTooLarge: true };

    // Act
    const response = await h.app.handle(request);

    // Assess
    expect(response.status).toBe(413);
    expect(h.source.calls).toBe(0);
  });
});

describe('createWebhookApp: a string body stands for its UTF-8 bytes', () => {
  /** The same delivery with the body as bytes and as the string the Lambda adapter passes on. */
  const both = async (body: string, secret = VECTOR_SECRET) => {
    const seen: unknown[] = [];
    const handler = defineBlockingHandler('user.pre_create', (event) => {
      seen.push(event);
      return { is_allowed: true };
    });
    const results = [];
    for (const form of ['bytes', 'string'] as const) {
      const h = harness({ blocking: [handler] });
      const request = signedRequest('/blocking/user.pre_create', body, secret);
      const response = await h.app.handle(form === 'string' ? { ...request, body } : request);
      results.push({ status: response.status, body: response.body, reason: h.outcome().reason });
    }
    return { results, seen };
  };

  it.each([
    ['a signed vector', vector('user.pre_create').body],
    ['a body that starts with a byte-order mark', `\ufeff${vector('user.pre_create').body}`],
    ['a body with a lone surrogate (sent as U+FFFD)', vector('user.pre_create').body.replace('"payload":{', '"payload":{"odd":"\ud800",')],
    ['a signed body that is not JSON', 'not JSON \ud83d\ude00'],
  ])('answers %s the same way and hands over the same event', async (_name, body) => {
    // Act
    const { results, seen } = await both(body);

    // Assess
    expect(results[1]).toEqual(results[0]);
    expect(seen).toHaveLength(results[0]!.status === 200 ? 2 : 0);
    if (seen.length === 2) expect(seen[1]).toEqual(seen[0]);
  });

  it('counts a string body by its UTF-8 bytes against MAX_BODY_BYTES', async () => {
    // Prepare: 6 characters, 12 bytes
    const h = harness({ blocking: [allowPreCreate], env: { MAX_BODY_BYTES: '11' } });
    const body = 'éééééé';

    // Act
    const response = await h.app.handle({ ...signedRequest('/blocking/user.pre_create', body), body });

    // Assess
    expect(response.status).toBe(413);
  });
});
