import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VECTOR_SECRET, vector } from '../../test/fixtures/authgear-vectors';
import { defineBlockingHandler } from '../core/handler';
import { createJsonLogger } from '../core/logger';
import { staticSecretSource } from '../core/secret';
import { createLambdaHandler } from './lambda';
import { readLambdaEvent } from './lambda-event';
import { preCreateModule } from '../../test/support/fixture-handlers';

const preCreate = vector('user.pre_create');
const NOT_HTTP = '{"error":"not an API Gateway HTTP request"}';

function blockingFunction() {
  const lines: Record<string, unknown>[] = [];
  let calls = 0;
  const handler = createLambdaHandler({
    serve: 'blocking',
    modules: [
      preCreateModule(
        defineBlockingHandler('user.pre_create', () => {
          calls += 1;
          return { is_allowed: true };
        }),
      ),
    ],
    env: { MAX_EVENT_AGE_SECONDS: '0' },
    secretSource: staticSecretSource(VECTOR_SECRET),
    logger: createJsonLogger({ level: 'debug', sink: (_l, line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
  });
  return { handler, lines, calls: () => calls };
}

/** A REST API (payload 1.0) event as API Gateway sends it to a Lambda proxy integration. */
const restApiEvent = (headers: Record<string, string[]>, body: string | null = preCreate.body) => ({
  resource: '/blocking/{proxy+}',
  path: '/blocking/user.pre_create',
  httpMethod: 'POST',
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.at(-1)])),
  multiValueHeaders: headers,
  queryStringParameters: null,
  requestContext: { httpMethod: 'POST', path: '/prod/blocking/user.pre_create', stage: 'prod', requestTimeEpoch: Date.now() },
  body,
  isBase64Encoded: false,
});

describe('the Lambda adapter and events that are not HTTP API 2.0 requests', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'hello'],
    ['an array', [1, 2]],
    ['{}', {}],
    ['a 2.0 event without requestContext', { version: '2.0', rawPath: '/blocking/user.pre_create', body: preCreate.body }],
    ['a 2.0 event without requestContext.http', { version: '2.0', rawPath: '/blocking/user.pre_create', requestContext: {} }],
    ['a 2.0 event whose http.method is not a string', { version: '2.0', rawPath: '/x', requestContext: { http: { method: 7 } } }],
    ['a 2.0 event with a numeric body', { version: '2.0', rawPath: '/x', requestContext: { http: { method: 'POST' } }, body: 5 }],
    ['an SQS event', { Records: [{ messageId: 'm1', body: '{}' }] }],
    ['a 1.0 event without a path', { version: '1.0', httpMethod: 'POST' }],
  ])('answers %s with a logged 400 and runs no handler', async (_what, event) => {
    // Prepare
    const fn = blockingFunction();

    // Act
    const response = await fn.handler(event);

    // Assess
    expect(response).toEqual({ statusCode: 400, headers: { 'content-type': 'application/json' }, body: NOT_HTTP, isBase64Encoded: false });
    expect(fn.calls()).toBe(0);
    expect(fn.lines.at(-1)).toMatchObject({ level: 'warn', status: 400, outcome: 'rejected', reason: 'invalid_lambda_event' });
    expect(typeof fn.lines.at(-1)?.event_shape).toBe('string');
  });

  it('serves a REST API (payload 1.0) event like a 2.0 one, and refuses a doubled signature header in it', async () => {
    // Prepare
    const fn = blockingFunction();

    // Act
    const served = await fn.handler(restApiEvent({ 'X-Authgear-Body-Signature': [preCreate.signature] }));
    const doubled = await fn.handler(restApiEvent({ 'X-Authgear-Body-Signature': [preCreate.signature, preCreate.signature] }));
    const unsigned = await fn.handler(restApiEvent({}));

    // Assess
    expect(served).toMatchObject({ statusCode: 200, body: '{"is_allowed":true}' });
    expect(doubled).toMatchObject({ statusCode: 401, body: '{"error":"unauthorized"}' });
    expect(unsigned.statusCode).toBe(401);
    expect(fn.calls()).toBe(1);
    expect(fn.lines.filter((l) => 'status' in l).map((l) => l.reason)).toEqual([
      undefined,
      'signature_header_duplicated',
      'signature_missing',
    ]);
  });

  it('never throws and always answers a status for any generated event shape', async () => {
    // Prepare
    const fn = blockingFunction();
    const anyEvent = fc.oneof(
      fc.anything(),
      fc.record({
        version: fc.constantFrom('2.0', '1.0', undefined, 2),
        rawPath: fc.oneof(fc.string(), fc.anything()),
        httpMethod: fc.oneof(fc.constantFrom('POST', 'GET'), fc.anything()),
        path: fc.oneof(fc.constant('/blocking/user.pre_create'), fc.anything()),
        headers: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.anything())), fc.anything()),
        multiValueHeaders: fc.oneof(fc.dictionary(fc.string(), fc.array(fc.anything())), fc.anything()),
        requestContext: fc.oneof(fc.record({ http: fc.oneof(fc.record({ method: fc.anything() }), fc.anything()) }), fc.anything()),
        body: fc.oneof(fc.string(), fc.anything()),
        isBase64Encoded: fc.anything(),
      }),
    );

    // Act
    const statuses = await fc.sample(anyEvent, { numRuns: 500, seed: 11 }).reduce<Promise<number[]>>(async (acc, event) => {
      const list = await acc;
      list.push((await fn.handler(event)).statusCode ?? 0);
      return list;
    }, Promise.resolve([]));

    // Assess
    expect(statuses).toHaveLength(500);
    for (const status of statuses) expect([400, 401, 404, 405, 413]).toContain(status);
    expect(fn.lines.filter((l) => l.reason === 'internal_error')).toEqual([]);
  });
});

describe('readLambdaEvent', () => {
  it("takes API Gateway's arrival time only when it is a plausible time of this request", () => {
    // Prepare
    const now = 1_800_000_000_000;
    const event = (timeEpoch: unknown) => ({ version: '2.0', rawPath: '/p', requestContext: { http: { method: 'POST' }, timeEpoch } });

    // Act
    const times = [now - 1_200, now + 50, now - 31_000, '12', undefined].map((t) => {
      const reading = readLambdaEvent(event(t), now);
      return reading.ok ? reading.request.receivedAt : 'refused';
    });

    // Assess
    expect(times).toEqual([now - 1_200, undefined, undefined, undefined, undefined]);
  });

  it('describes what arrived by type and key names only, never by value', () => {
    // Act
    const reading = readLambdaEvent({ email: 'ana@example.com', a: 1 }, Date.now());

    // Assess
    expect(reading).toEqual({
      ok: false,
      problem: 'the event has neither requestContext.http (payload 2.0) nor httpMethod (payload 1.0)',
      shape: 'an object with keys email, a',
    });
  });
});
