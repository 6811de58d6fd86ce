import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { VECTOR_SECRET, vector } from '../../test/fixtures/authgear-vectors';
import { authgearHeaders } from '../../test/fixtures/go-json';
import { defineBlockingHandler } from '../core/handler';
import { createJsonLogger } from '../core/logger';
import type { SecretSource } from '../core/secret';
import { createLambdaHandler } from './lambda';
import { lambdaRequestBody } from './lambda-body';

const logger = createJsonLogger({ level: 'silent' });
const allowPreCreate = defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }));
const modules = [
  { file: 'functions/blocking/user.pre_create.ts', kind: 'blocking' as const, eventType: 'user.pre_create', exported: allowPreCreate },
];
const env = { BLOCKING_DEADLINE_MS: '200', MAX_EVENT_AGE_SECONDS: '0' };

/** A secret source that counts its calls; `fetch` decides how each call ends. */
function countingSource(fetch: () => Promise<string>): SecretSource & { calls: number } {
  const source = {
    kind: 'lambda-test-source',
    calls: 0,
    fetch: () => {
      source.calls += 1;
      return fetch();
    },
  };
  return source;
}

function apiEvent(body: string, isBase64Encoded = false): APIGatewayProxyEventV2 {
  const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/blocking/user.pre_create',
    rawQueryString: '',
    headers: authgearHeaders(text, VECTOR_SECRET),
    requestContext: {
      http: { method: 'POST', path: '/blocking/user.pre_create', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
    },
    body,
    isBase64Encoded,
  } as unknown as APIGatewayProxyEventV2;
}

describe('createLambdaHandler: ready', () => {
  it('settles once the init fetch is done; the first request then needs no other fetch', async () => {
    // Prepare
    const source = countingSource(async () => VECTOR_SECRET);
    const handler = createLambdaHandler({ serve: 'blocking', modules, env, logger, secretSource: source });

    // Act
    await handler.ready;
    const response = await handler(apiEvent(vector('user.pre_create').body));

    // Assess
    expect(response).toMatchObject({ statusCode: 200, body: '{"is_allowed":true}' });
    expect(source.calls).toBe(1);
  });

  it('settles without rejecting when the fetch fails; the request is refused with 503 and nothing is fetched twice', async () => {
    // Prepare
    const source = countingSource(async () => {
      throw new Error('AccessDeniedException');
    });
    const handler = createLambdaHandler({ serve: 'blocking', modules, env, logger, secretSource: source });

    // Act
    const outcome = await handler.ready.then(() => 'settled');
    const response = await handler(apiEvent(vector('user.pre_create').body));

    // Assess
    expect(outcome).toBe('settled');
    expect(response.statusCode).toBe(503);
    expect(source.calls).toBe(1);
  });

  it('gives up waiting at BLOCKING_DEADLINE_MS when Secrets Manager hangs; the first request awaits that same call', async () => {
    // Prepare
    const source = countingSource(() => new Promise<string>(() => {}));
    const handler = createLambdaHandler({ serve: 'blocking', modules, env, logger, secretSource: source });
    const started = performance.now();

    // Act
    await handler.ready;
    const waited = performance.now() - started;
    const response = await handler(apiEvent(vector('user.pre_create').body));

    // Assess
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(1_000);
    expect(response.statusCode).toBe(503);
    expect(source.calls).toBe(1);
  });
});

describe('lambdaRequestBody', () => {
  it('passes a text body on as the string, decodes a base64 one to bytes, and gives no bytes for none', () => {
    // Prepare
    const text = vector('user.pre_create').body;

    // Act
    const asText = lambdaRequestBody({ body: text, isBase64Encoded: false });
    const fromBase64 = lambdaRequestBody({ body: Buffer.from(text).toString('base64'), isBase64Encoded: true });
    const none = lambdaRequestBody({ body: undefined, isBase64Encoded: false });

    // Assess
    expect(asText).toBe(text);
    expect(Buffer.from(fromBase64 as Uint8Array).toString('utf8')).toBe(text);
    expect(none).toEqual(new Uint8Array(0));
  });

  it('answers the same request the same, sent as text or base64-encoded', async () => {
    // Prepare
    const handler = createLambdaHandler({
      serve: 'blocking',
      modules,
      env,
      logger,
      secretSource: countingSource(async () => VECTOR_SECRET),
    });
    const text = vector('user.pre_create').body;

    // Act
    const responses = [await handler(apiEvent(text)), await handler(apiEvent(Buffer.from(text).toString('base64'), true))];

    // Assess
    expect(responses[1]).toEqual(responses[0]);
    expect(responses[0]).toMatchObject({ statusCode: 200 });
  });
});
