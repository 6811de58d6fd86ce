/** Step 3, checkEnvelope: the envelope, its freshness, repeats, and the route of its type, through the app. */
import { describe, expect, it } from 'vitest';
import { vector } from '../../../test/fixtures/authgear-vectors';
import { defineBlockingHandler, defineNonBlockingHandler } from '../handler';
import { harness, utf8, signedRequest, deliver, envelope, allowPreCreate } from '../../../test/support/app-harness';

// ---------------------------------------------------------------------------------------------
// Envelope and route/type match
// ---------------------------------------------------------------------------------------------

describe('createWebhookApp: envelope', () => {
  // Valid JSON except for two bytes that are not UTF-8 inside a string.
  const invalidUtf8 = Buffer.concat([
    utf8('{"id":"000000000000bd10","type":"user.created","payload":{"name":"'),
    Buffer.from([0xff, 0xfe]),
    utf8('"},"context":{}}'),
  ]);

  it.each([
    ['invalid JSON', utf8('{"id":"000000000000bd10","type":"user.created"')],
    ['a JSON array', utf8(`[${envelope('user.created')}]`)],
    ['a JSON string', utf8('"user.created"')],
    ['JSON null', utf8('null')],
    ['an empty body', utf8('')],
    ['an envelope without type', utf8(envelope('user.created', { type: undefined }))],
    ['an envelope with an empty type', utf8(envelope(''))],
    ['an envelope with a numeric type', utf8(envelope('user.created', { type: 7 }))],
    ['an envelope with a numeric id', utf8(envelope('user.created', { id: 48400 }))],
    ['an envelope without payload', utf8(envelope('user.created', { payload: undefined }))],
    ['an envelope whose payload is null', utf8(envelope('user.created', { payload: null }))],
    ['an envelope without context', utf8(envelope('user.created', { context: undefined }))],
    ['an envelope whose context is an array', utf8(envelope('user.created', { context: [] }))],
    ['a body that is not valid UTF-8', invalidUtf8],
  ])('answers 400 to a correctly signed body that is %s', async (_name, body) => {
    // Prepare
    let called = false;
    const h = harness({ nonBlocking: [defineNonBlockingHandler('user.created', () => void (called = true))] });

    // Act
    const response = await h.app.handle(signedRequest('/non-blocking', body));

    // Assess
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'body is not an Authgear event' });
    expect(called).toBe(false);
    expect(h.outcome()).toMatchObject({ status: 400, reason: 'invalid_envelope' });
  });

  it('builds the invalid UTF-8 body so that a lenient decoder would have accepted it', () => {
    // Prepare
    const lenient = new TextDecoder('utf-8');

    // Act
    const parsed = JSON.parse(lenient.decode(invalidUtf8)) as { type: string; payload: { name: string } };

    // Assess
    expect(parsed.type).toBe('user.created');
    expect(parsed.payload.name).toContain('\ufffd');
  });

  it('answers 400 to a user.created event posted to the user.pre_create URL and logs that the URL is wrong', async () => {
    // Prepare
    let called = false;
    const spy = defineBlockingHandler('user.pre_create', () => {
      called = true;
      return { is_allowed: true };
    });
    const h = harness({ blocking: [spy] });

    // Act
    const response = await deliver(h, 'user.created', '/blocking/user.pre_create');

    // Assess
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'event type does not match this URL' });
    expect(called).toBe(false);
    const line = h.outcome();
    expect(line).toMatchObject({ reason: 'route_type_mismatch', event_type: 'user.created', route: 'user.pre_create' });
    expect(line.msg).toMatch(/user\.pre_create/);
    expect(line.msg).toMatch(/user\.created/);
    expect(line.msg).toMatch(/wrong URL/);
  });

  it('answers 400 to a blocking event posted to the non-blocking URL and logs the URL it belongs to', async () => {
    // Prepare
    const h = harness({ nonBlocking: [defineNonBlockingHandler('user.created', () => undefined)] });

    // Act
    const response = await deliver(h, 'user.pre_create', '/non-blocking');

    // Assess
    expect(response.status).toBe(400);
    expect(h.outcome()).toMatchObject({ reason: 'route_type_mismatch', event_type: 'user.pre_create' });
    expect(h.outcome().msg).toContain('/blocking/user.pre_create');
  });
});

describe('createWebhookApp: freshness and replays', () => {
  /** Seconds of `context.timestamp` in the vectors. */
  const stamped = (type: string): number => (JSON.parse(vector(type).body) as { context: { timestamp: number } }).context.timestamp;

  it('accepts a signed event within MAX_EVENT_AGE_SECONDS of its timestamp', async () => {
    // Prepare
    const sentAt = stamped('user.pre_create') * 1000;
    const h = harness({ blocking: [allowPreCreate], env: { MAX_EVENT_AGE_SECONDS: '300' }, now: () => sentAt + 299_000 });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(200);
  });

  it('refuses a signed event older than MAX_EVENT_AGE_SECONDS with 401 and reason timestamp_stale, before the handler runs', async () => {
    // Prepare
    let ran = false;
    const sentAt = stamped('user.pre_create') * 1000;
    const h = harness({
      blocking: [defineBlockingHandler('user.pre_create', () => ((ran = true), { is_allowed: true }))],
      env: { MAX_EVENT_AGE_SECONDS: '300' },
      now: () => sentAt + 301_000,
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(401);
    expect(response.body).toBe('{"error":"unauthorized"}');
    expect(ran).toBe(false);
    expect(h.outcome()).toMatchObject({ reason: 'timestamp_stale', event_id: '000000000000bc55' });
  });

  it('refuses a signed event stamped beyond MAX_CLOCK_SKEW_SECONDS in the future with reason timestamp_in_future', async () => {
    // Prepare
    const sentAt = stamped('user.created') * 1000;
    const h = harness({ env: { MAX_EVENT_AGE_SECONDS: '300', MAX_CLOCK_SKEW_SECONDS: '60' }, now: () => sentAt - 61_000 });

    // Act
    const response = await deliver(h, 'user.created', '/non-blocking');

    // Assess
    expect(response.status).toBe(401);
    expect(h.outcome()).toMatchObject({ reason: 'timestamp_in_future' });
  });

  it('answers a repeated blocking event id only once when REJECT_REPEATED_BLOCKING_EVENTS is on', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate], env: { REJECT_REPEATED_BLOCKING_EVENTS: 'true' } });

    // Act
    const first = await deliver(h, 'user.pre_create');
    const second = await deliver(h, 'user.pre_create');

    // Assess
    expect(first.status).toBe(200);
    expect(second.status).toBe(401);
    expect(h.outcome()).toMatchObject({ reason: 'replayed_event' });
  });

  it('answers a repeated blocking event id again by default', async () => {
    // Prepare
    const h = harness({ blocking: [allowPreCreate] });

    // Act
    const statuses = [(await deliver(h, 'user.pre_create')).status, (await deliver(h, 'user.pre_create')).status];

    // Assess
    expect(statuses).toEqual([200, 200]);
  });

  it('refuses a signed envelope whose context has no numeric timestamp with 400', async () => {
    // Prepare
    const h = harness();
    const body = JSON.stringify({
      id: '0000000000000001',
      seq: 1,
      type: 'user.created',
      payload: {},
      context: { timestamp: '1787217331' },
    });

    // Act
    const response = await h.app.handle(signedRequest('/non-blocking', body));

    // Assess
    expect(response.status).toBe(400);
    expect(h.outcome()).toMatchObject({ reason: 'invalid_envelope' });
  });
});
