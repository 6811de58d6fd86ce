/** Attack tests (what they prove: model.ts): generated hostile deliveries in process and through the Lambda adapter. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLambdaHandler, type LambdaHandler } from '../../shared/adapters/lambda';
import { createReceiverHandler } from '../../shared/adapters/lambda-receiver';
import { createInlineQueue } from '../../shared/queue/inline-queue';
import { createWebhookApp, type WebhookApp } from '../../shared/core/app';
import { readConfig } from '../../shared/core/config';
import { VECTORS } from '../fixtures/authgear-vectors';
import { apiGatewayEvent } from '../support/api-gateway-event';
import { secretStoreFor } from '../support/app-harness';
import {
  SEED,
  NUM_RUNS,
  MIN_DEFAULT_RUNS,
  SECRET,
  SIGNATURE_HEADER,
  MAX_BODY_BYTES,
  MAX_AGE_MS,
  MAX_SKEW_MS,
  recorded,
  SERVED_BLOCKING,
  HANDLED_NON_BLOCKING,
  blockingHandlers,
  nonBlockingHandlers,
  modulesOf,
  countingSource,
  logAudit,
  auditingLogger,
  type Served,
  type Expected,
  model,
  Tally,
  type Answer,
  judge,
  documentedFor,
} from './model';
import { attackArb, categoryOf } from './attacks';
import { T0_SECONDS, VECTOR_EVENTS, bodyOf } from './bodies';
import { pathFor } from './delivery';
import { applyCasing } from './headers';
import type { LambdaBody } from './lambda-events';
import { mutate } from './mutations';
import { signatureHeaders } from './signatures';

// ---------------------------------------------------------------------------------------------
// In process and through the Lambda adapter
// ---------------------------------------------------------------------------------------------

describe('attack: generated hostile deliveries through the core and the Lambda adapter', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it(`answers ${NUM_RUNS} generated requests exactly as documented, never runs a handler on an unverified body, and leaks nothing`, async () => {
    // Prepare
    let clock = T0_SECONDS * 1000;
    const config = readConfig({ LOG_LEVEL: 'info' });
    const logger = auditingLogger();
    const coreSource = countingSource(SECRET);
    const coreHandlers = {
      blocking: new Map(blockingHandlers.map((h) => [h.event, h])),
      nonBlocking: new Map(nonBlockingHandlers.map((h) => [h.event, h])),
    };
    // Non-blocking events go through the queue processor within the request, so a handler call
    // shows up as it would from the worker.
    const core: WebhookApp = createWebhookApp({
      handlers: coreHandlers,
      nonBlockingQueue: createInlineQueue({ handlers: coreHandlers, config, logger, now: () => clock }),
      secrets: secretStoreFor(coreSource, config, logger),
      config,
      logger,
      now: () => clock,
    });
    const lambdaSources = { blocking: countingSource(SECRET), nonBlocking: countingSource(SECRET) };
    const lambdaEnv = { LOG_LEVEL: 'info' };
    const lambdas: Record<'blocking' | 'non-blocking', LambdaHandler> = {
      blocking: createLambdaHandler({
        serve: 'blocking',
        modules: modulesOf(blockingHandlers),
        env: lambdaEnv,
        logger,
        secretSource: lambdaSources.blocking,
      }),
      'non-blocking': createReceiverHandler({
        eventTypes: HANDLED_NON_BLOCKING,
        env: lambdaEnv,
        logger,
        secretSource: lambdaSources.nonBlocking,
        queue: createInlineQueue({ handlers: { nonBlocking: coreHandlers.nonBlocking }, config: readConfig(lambdaEnv), logger }),
      }),
    };
    const served = {
      core: { blocking: new Set<string>(SERVED_BLOCKING), nonBlocking: true, handled: new Set<string>(HANDLED_NON_BLOCKING) },
      blocking: { blocking: new Set<string>(SERVED_BLOCKING), nonBlocking: false, handled: new Set<string>() },
      'non-blocking': { blocking: new Set<string>(), nonBlocking: true, handled: new Set<string>(HANDLED_NON_BLOCKING) },
    } satisfies Record<string, Served>;
    const byCategory = new Tally();
    const byTransport = new Tally();
    const byOutcome = new Tally();
    const undocumented: string[] = [];
    let handlerCalls = 0;
    const startedAt = Date.now();

    // Act
    const run = fc.asyncProperty(attackArb, fc.nat(), async (attack, pick) => {
      const lambda = attack.transport === 'lambda';
      // The core run gets a clock set exactly relative to the event; the Lambda adapter reads the
      // real clock, so its events are stamped relative to it, away from the window's edges.
      const realNow = Date.now();
      const ageMs = lambda ? lambdaSafeAge(attack.ageMs) : attack.ageMs;
      const timestamp = lambda ? Math.floor(realNow / 1000) - Math.round(ageMs / 1000) : T0_SECONDS + (pick % 1000);
      const vectorTimestamp =
        attack.template.kind === 'vector' ? (VECTOR_EVENTS[attack.template.index]!.context.timestamp as number) : undefined;
      const base = bodyOf(attack.template, timestamp, lambda);
      const eventTimestamp = vectorTimestamp !== undefined && !lambda ? vectorTimestamp : timestamp;
      clock = eventTimestamp * 1000 + ageMs;

      const body = mutate(base.bytes, attack.mutations);
      const storedSignature = attack.template.kind === 'vector' && !lambda ? VECTORS[attack.template.index]!.signature : undefined;
      const name = applyCasing(SIGNATURE_HEADER, attack.casing);
      const signatureLines = signatureHeaders(attack.signature, name, body, base.bytes, storedSignature);
      const path = pathFor(attack.route, base.type, pick);
      const category = categoryOf(attack);
      // Only this request's calls are kept: the deep bodies would otherwise pile up in memory.
      recorded.length = 0;
      const before = 0;

      let answer: Answer;
      let expected: Expected;
      let target: string;
      if (!lambda) {
        target = 'core (in process)';
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of [...attack.junkHeaders, ...signatureLines]) {
          const existing = headers[k];
          headers[k] = existing === undefined ? v : [...(Array.isArray(existing) ? existing : [existing]), v];
        }
        const signatures = Object.entries(headers)
          .filter(([k]) => k.toLowerCase() === SIGNATURE_HEADER)
          .flatMap(([, v]) => (Array.isArray(v) ? v : [v]));
        expected = model(
          { method: attack.method, path, signatures, body, tooLarge: base.tooLarge === true, nowMs: clock, maxBodyBytes: MAX_BODY_BYTES },
          served.core,
        );
        const response = await core.handle({
          method: attack.method,
          path,
          headers,
          body,
          ...(base.tooLarge ? { bodyTooLarge: true } : {}),
        });
        answer = { status: response.status, contentType: response.headers['content-type'], body: response.body };
      } else {
        // API Gateway routes /non-blocking to one function and each blocking path to the other;
        // a path it has no route for would never reach either, but both must still refuse it.
        const fn = path === '/non-blocking' || (attack.route.to === 'unknown' && pick % 2 === 0) ? 'non-blocking' : 'blocking';
        target = `lambda ${fn}`;
        // API Gateway joins repeated headers with commas.
        const headers: Record<string, string> = {};
        for (const [k, v] of [...attack.junkHeaders, ...signatureLines]) headers[k] = headers[k] === undefined ? v : `${headers[k]},${v}`;
        const { payload, isBase64Encoded, received } = lambdaBody(attack.lambdaBody, body);
        const signatures = Object.entries(headers)
          .filter(([k]) => k.toLowerCase() === SIGNATURE_HEADER)
          .map(([, v]) => v);
        expected = model(
          { method: attack.method, path, signatures, body: received, tooLarge: false, nowMs: Date.now(), maxBodyBytes: MAX_BODY_BYTES },
          served[fn],
        );
        const result = await lambdas[fn](apiGatewayEvent({ method: attack.method, path, headers, body: payload, isBase64Encoded }));
        answer = lambdaAnswer(result);
      }

      handlerCalls += recorded.length;
      const problem = judge(expected, answer, recorded.slice(before));
      if (!documentedFor(path, answer.status)) undocumented.push(`${answer.status} on ${path}`);
      byCategory.add(category, answer.status);
      byTransport.add(target, answer.status);
      byOutcome.add(expected.kind === 'refused' ? `refused: ${expected.why}` : `verified ${expected.kind}`, answer.status);
      if (problem) throw new Error(`${target}, ${category}: ${problem}`);
    });
    await fc.assert(run, { numRuns: NUM_RUNS, seed: SEED });
    const elapsedMs = Date.now() - startedAt;

    // Assess
    console.log(
      [
        `attack run: ${byCategory.total} requests, seed ${SEED} (FC_SEED), ${NUM_RUNS} runs (FC_NUM_RUNS), ${elapsedMs} ms`,
        byCategory.render('category'),
        byTransport.render('transport'),
        byOutcome.render('model verdict'),
        `handler calls: ${handlerCalls}; log lines: ${logAudit.lines}; secret fetches: core ${coreSource.calls}, lambda ${lambdaSources.blocking.calls}+${lambdaSources.nonBlocking.calls}`,
      ].join('\n\n'),
    );
    expect(byCategory.total).toBe(NUM_RUNS);
    expect(undocumented).toEqual([]);
    expect(unhandled).toEqual([]);
    expect(logAudit.withSecret).toBe(0);
    expect(logAudit.internalErrors).toBe(0);
    // Forged requests may trigger a re-fetch for a rotated secret, but at most one per refresh interval.
    const allowedFetches = 1 + Math.ceil(elapsedMs / config.secretRefreshIntervalMs);
    for (const calls of [coreSource.calls, lambdaSources.blocking.calls, lambdaSources.nonBlocking.calls])
      expect(calls).toBeLessThanOrEqual(allowedFetches);
    // The generator really covered what it claims (only checked at the default size).
    if (NUM_RUNS >= MIN_DEFAULT_RUNS) {
      expect(byTransport.requests('lambda blocking') + byTransport.requests('lambda non-blocking')).toBeGreaterThan(NUM_RUNS / 5);
      expect(byOutcome.requests('verified blocking')).toBeGreaterThan(NUM_RUNS / 20);
      expect(byOutcome.requests('verified non-blocking')).toBeGreaterThan(NUM_RUNS / 20);
      for (const why of [
        'stale',
        'future',
        'not JSON',
        'not an envelope',
        'signature mismatch',
        'signature malformed',
        'signature header repeated',
        'type does not match route',
        'size',
        'method',
        'no route',
      ]) {
        expect(byOutcome.requests(`refused: ${why}`), why).toBeGreaterThan(0);
      }
    }
  }, 180_000);
});

/** The same kind of age, moved at least 5 s away from the window's edges (the real clock ticks on). */
function lambdaSafeAge(ageMs: number): number {
  if (ageMs > MAX_AGE_MS) return Math.max(ageMs, MAX_AGE_MS + 5_000);
  if (ageMs < -MAX_SKEW_MS) return Math.min(ageMs, -MAX_SKEW_MS - 5_000);
  return Math.min(Math.max(ageMs, -MAX_SKEW_MS + 5_000), MAX_AGE_MS - 5_000);
}

/** What API Gateway would put in the event for `body`, and the bytes the adapter must decode from it. */
function lambdaBody(mode: LambdaBody, body: Uint8Array): { payload: string | undefined; isBase64Encoded: boolean; received: Uint8Array } {
  const base64 = Buffer.from(body).toString('base64');
  const text = Buffer.from(body).toString('utf8');
  const validUtf8 = Buffer.from(text, 'utf8').equals(body);
  switch (mode) {
    case 'truthful':
      return validUtf8
        ? { payload: text, isBase64Encoded: false, received: body }
        : { payload: base64, isBase64Encoded: true, received: body };
    case 'base64':
      return { payload: base64, isBase64Encoded: true, received: body };
    case 'flag says base64, body is text':
      return { payload: text, isBase64Encoded: true, received: Buffer.from(text, 'base64') };
    case 'flag says text, body is base64':
      return { payload: base64, isBase64Encoded: false, received: Buffer.from(base64, 'utf8') };
    case 'no body':
      return { payload: undefined, isBase64Encoded: false, received: new Uint8Array(0) };
  }
}

function lambdaAnswer(result: APIGatewayProxyStructuredResultV2): Answer {
  const headers = result.headers ?? {};
  const contentType = headers['content-type'];
  return {
    status: result.statusCode ?? 0,
    contentType: typeof contentType === 'string' ? contentType : undefined,
    body: result.body ?? '',
  };
}

// ---------------------------------------------------------------------------------------------
