/**
 * The answer header (`x-authgear-webhooks-answer`) through the Lambda adapter, as API Gateway
 * passes it on: set on answers to verified requests, saying whether the handler or the error
 * policy answered; never on refused requests.
 */
import { describe, expect, it } from 'vitest';
import { apiGatewayEvent } from '../../test/support/api-gateway-event';
import { ANSWER_HEADER } from '../core/answer-header';
import { defineBlockingHandler, defineNonBlockingHandler } from '../core/handler';
import { createJsonLogger } from '../core/logger';
import type { NonBlockingQueue } from '../core/queued';
import { staticSecretSource } from '../core/secret';
import { sampleBody, signedRequest } from '../testing';
import { createLambdaHandler, type LambdaHandlerOptions } from './lambda';

const SECRET = 'answer-header-secret-7c1d';
const logger = createJsonLogger({ level: 'silent' });
const env = { BLOCKING_DEADLINE_MS: '100', NON_BLOCKING_DEADLINE_MS: '100' };

/** A Lambda function serving one handler file, signed deliveries of `type` to it, and its answer header. */
async function answerHeaderOf(
  exported: unknown,
  type: string,
  options: { secret?: string; body?: string; queue?: NonBlockingQueue } = {},
): Promise<{ status: number | undefined; header: unknown }> {
  const blocking = (exported as { kind: string }).kind === 'blocking';
  const modules: LambdaHandlerOptions['modules'] = [
    {
      file: `functions/${blocking ? 'blocking' : 'non-blocking'}/${type}.ts`,
      kind: blocking ? 'blocking' : 'non-blocking',
      eventType: type,
      exported,
    },
  ];
  const handler = createLambdaHandler({
    serve: blocking ? 'blocking' : 'non-blocking',
    modules,
    env,
    logger,
    secretSource: staticSecretSource(SECRET),
    ...(options.queue ? { nonBlockingQueue: options.queue } : {}),
  });
  await handler.ready;
  const body = options.body ?? sampleBody(type as 'user.pre_create');
  const signed = signedRequest(body, options.secret ?? SECRET);
  const path = blocking ? `/blocking/${type}` : '/non-blocking';
  const response = await handler(apiGatewayEvent({ path, headers: signed.headers, body: signed.body }));
  return { status: response.statusCode, header: response.headers?.[ANSWER_HEADER] };
}

describe('the answer header through the Lambda adapter', () => {
  it.each([
    ['a valid plain allow', () => ({ is_allowed: true }), 'handler'],
    ['a valid deny', () => ({ is_allowed: false, title: 'No', reason: 'Not today.' }), 'handler'],
    [
      'a throw',
      () => {
        throw new Error('boom');
      },
      'error-policy',
    ],
    ['an invalid answer (true)', () => true, 'error-policy'],
    ['an answer Authgear would reject (reason on an allow)', () => ({ is_allowed: true, reason: '' }), 'error-policy'],
    ['a hang past the deadline', () => new Promise(() => {}), 'error-policy'],
  ])('says who answered a verified blocking delivery: %s', async (_name, handle, expected) => {
    // Prepare
    const handler = defineBlockingHandler('user.pre_create', handle as never);

    // Act
    const answer = await answerHeaderOf(handler, 'user.pre_create');

    // Assess
    expect(answer).toEqual({ status: 200, header: expected });
  });

  it('says the error policy answered also when the policy is allow', async () => {
    // Prepare
    const handler = defineBlockingHandler(
      'user.pre_create',
      () => {
        throw new Error('boom');
      },
      { onError: 'allow' },
    );

    // Act
    const answer = await answerHeaderOf(handler, 'user.pre_create');

    // Assess
    expect(answer).toEqual({ status: 200, header: 'error-policy' });
  });

  it('is absent from refused requests: a wrong signature, a stale event, a body that is not an event', async () => {
    // Prepare
    const handler = defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }));
    const stale = sampleBody('user.pre_create', { timestamp: Math.floor(Date.now() / 1000) - 3_600 });

    // Act
    const forged = await answerHeaderOf(handler, 'user.pre_create', { secret: 'not-the-secret' });
    const old = await answerHeaderOf(handler, 'user.pre_create', { body: stale });
    const notAnEvent = await answerHeaderOf(handler, 'user.pre_create', { body: '{"hello":"world"}' });

    // Assess
    expect(forged).toEqual({ status: 401, header: undefined });
    expect(old).toEqual({ status: 401, header: undefined });
    expect(notAnEvent).toEqual({ status: 400, header: undefined });
  });

  it('says whether a non-blocking event was queued or had no handler (its handler runs later, from the queue)', async () => {
    // Prepare
    const ok = defineNonBlockingHandler('user.created', () => {});
    const stored: string[] = [];
    const queue: NonBlockingQueue = {
      enqueue: async (event) => {
        stored.push(event.id);
      },
    };

    // Act
    const queued = await answerHeaderOf(ok, 'user.created', { queue });
    const noHandler = await answerHeaderOf(ok, 'user.created', { queue, body: sampleBody('user.deleted') });

    // Assess
    expect(queued).toEqual({ status: 200, header: 'queued' });
    expect(stored).toHaveLength(1);
    expect(noHandler).toEqual({ status: 200, header: 'no-handler' });
  });
});
