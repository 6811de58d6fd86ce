/**
 * The receiver and the worker against a fake SQS, through the real @aws-sdk/client-sqs: what the
 * receiver sends and when it answers 503, FIFO deduplication, and the worker's partial batch
 * responses and retry delays.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSqsWorkerHandler } from '../shared/adapters/sqs-worker';
import { createWebhookApp, type WebhookApp } from '../shared/core/app';
import { readConfig } from '../shared/core/config';
import { defineNonBlockingHandler } from '../shared/core/handler';
import { createJsonLogger, type Logger } from '../shared/core/logger';
import { SecretStore, staticSecretSource } from '../shared/core/secret';
import { retrySchedule } from '../shared/core/retry';
import { sqsNonBlockingQueue } from '../shared/aws/sqs';
import { authgearHeaders, trickyPreCreateBody } from './fixtures/go-json';
import { fakeSqsClient, pollOnce } from './support/sqs-event-source';
import { startFakeSqs, type FakeSqs, type FakeSqsQueue } from './support/sqs-server';

const SECRET = 'sqs-queue-test-secret-0123456789abcd';
const SCHEDULE = retrySchedule(60);

const body = (id: string, type = 'user.created', extra = ''): string =>
  `{"id":"${id}","seq":1,"type":"${type}","payload":{"user":{"id":"u-${id}","standard_attributes":{"name":"A \\u003cb\\u003e \\u0026 Zoë"}},"identities":[]${extra}},"context":{"timestamp":${Math.floor(Date.now() / 1000)},"user_id":"u-${id}","triggered_by":"user"}}`;

describe('receiver and worker over the SQS wire protocol', () => {
  let fake: FakeSqs;
  let client: SQSClient;
  let queue: FakeSqsQueue;
  let dead: FakeSqsQueue;
  let receiver: WebhookApp;
  const receiverLines: Record<string, unknown>[] = [];
  let now = Date.now();
  let n = 0;

  /** The receiver: no handlers, user.created events queued to `queueUrl` through the real SDK client. */
  const receiverApp = (queueUrl: string, logger: Logger): WebhookApp =>
    createWebhookApp({
      handlers: {},
      secrets: new SecretStore({
        source: staticSecretSource(SECRET),
        logger: createJsonLogger({ level: 'silent' }),
        ttlMs: 300_000,
        refreshIntervalMs: 30_000,
      }),
      config: readConfig({}),
      logger,
      nonBlockingQueue: sqsNonBlockingQueue({ queueUrl, eventTypes: ['user.created'], client }),
    });

  const post = (text: string) =>
    receiver.handle({ method: 'POST', path: '/non-blocking', headers: authgearHeaders(text, SECRET), body: Buffer.from(text, 'utf8') });

  beforeAll(async () => {
    fake = await startFakeSqs();
    fake.setClock(() => now);
    client = fakeSqsClient(fake);
  });

  beforeEach(() => {
    // A fresh pair of queues, and a receiver on them, for each test.
    n += 1;
    dead = fake.createQueue(`dead-${n}.fifo`);
    queue = fake.createQueue(`events-${n}.fifo`, {
      visibilityTimeoutSeconds: 540,
      deadLetterQueue: dead.name,
      maxReceiveCount: SCHEDULE.maxAttempts + 1,
      deduplicationScope: 'messageGroup',
    });
    receiver = receiverApp(
      queue.url,
      createJsonLogger({ level: 'debug', sink: (_l, line) => receiverLines.push(JSON.parse(line) as Record<string, unknown>) }),
    );
    fake.failAll('SendMessage', false);
    fake.failAll('ChangeMessageVisibilityBatch', false);
    receiverLines.length = 0;
  });

  afterAll(async () => {
    await fake?.close();
  });

  describe('receiver', () => {
    it('answers 200 after one SendMessage carrying the raw body byte for byte, keyed by the event id', async () => {
      // Prepare
      const text = body('000000000000c001');
      const sendsBefore = fake.count('SendMessage');

      // Act
      const response = await post(text);

      // Assess
      expect(response.status).toBe(200);
      expect(fake.count('SendMessage') - sendsBefore).toBe(1);
      const [message] = fake.messages(queue.name);
      expect(message?.body).toBe(text);
      expect(message?.body).toContain('\\u003cb\\u003e \\u0026 Zoë');
      expect(message).toMatchObject({ groupId: '000000000000c001', deduplicationId: '000000000000c001' });
      expect(fake.calls.at(-1)?.headers['x-amz-target']).toBe('AmazonSQS.SendMessage');
      expect(fake.calls.at(-1)?.headers['content-type']).toBe('application/x-amz-json-1.0');
      expect(receiverLines.at(-1)).toMatchObject({ outcome: 'queued', status: 200, event_id: '000000000000c001' });
    });

    it('keeps the bytes of a body with Go escapes and non-ASCII text', async () => {
      // Prepare: the tricky body, as a user.created event stamped now.
      const text = trickyPreCreateBody()
        .replace('"user.pre_create"', '"user.created"')
        .replace('"timestamp":1787217331', `"timestamp":${Math.floor(Date.now() / 1000)}`);

      // Act
      const response = await post(text);

      // Assess
      expect(response.status).toBe(200);
      expect(fake.messages(queue.name)[0]?.body).toBe(text);
    });

    it('answers 503 when SQS keeps failing, after the SDK tried three times, and logs queue_unavailable', async () => {
      // Prepare
      fake.failAll('SendMessage', true);
      const sendsBefore = fake.count('SendMessage');

      // Act
      const response = await post(body('000000000000c002'));

      // Assess
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.body).toBe('{"error":"service unavailable"}');
      expect(fake.count('SendMessage') - sendsBefore).toBe(3);
      expect(fake.messages(queue.name)).toEqual([]);
      expect(receiverLines.at(-1)).toMatchObject({
        level: 'error',
        status: 503,
        reason: 'queue_unavailable',
        event_id: '000000000000c002',
      });
    });

    it('answers 503 at once when the queue does not exist (no retry can help)', async () => {
      // Prepare
      const broken = receiverApp(`${fake.endpoint}/123456789012/no-such-queue.fifo`, createJsonLogger({ level: 'silent' }));
      const text = body('000000000000c003');
      const sendsBefore = fake.count('SendMessage');

      // Act
      const response = await broken.handle({
        method: 'POST',
        path: '/non-blocking',
        headers: authgearHeaders(text, SECRET),
        body: Buffer.from(text),
      });

      // Assess
      expect(response.status).toBe(503);
      expect(fake.count('SendMessage') - sendsBefore).toBe(1);
    });

    it('stores an event once when the SendMessage answer is lost and the SDK sends it again', async () => {
      // Prepare
      fake.failNext('SendMessage', 1, 'lose-response');
      const sendsBefore = fake.count('SendMessage');

      // Act
      const response = await post(body('000000000000c004'));

      // Assess
      expect(response.status).toBe(200);
      expect(fake.count('SendMessage') - sendsBefore).toBe(2);
      expect(fake.messages(queue.name)).toHaveLength(1);
    });

    it('stores an event once when it arrives twice within 5 minutes, and again after the window', async () => {
      // Prepare
      const text = body('000000000000c005');

      // Act
      const first = await post(text);
      now += 4 * 60_000;
      const second = await post(text);
      const within = fake.messages(queue.name).length;
      now += 2 * 60_000;
      await post(body('000000000000c005'));
      const after = fake.messages(queue.name).length;

      // Assess
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(within).toBe(1);
      expect(after).toBe(2);
    });

    it('acknowledges an unknown type and a type without a handler without queueing them', async () => {
      // Prepare
      const sendsBefore = fake.count('SendMessage');

      // Act
      const unknown = await post(body('000000000000c006', 'something.new'));
      const unhandled = await post(body('000000000000c007', 'user.deleted'));

      // Assess
      expect([unknown.status, unhandled.status]).toEqual([200, 200]);
      expect(fake.count('SendMessage') - sendsBefore).toBe(0);
    });

    it('never queues an unsigned or wrongly signed body', async () => {
      // Prepare
      const text = body('000000000000c008');
      const sendsBefore = fake.count('SendMessage');

      // Act
      const unsigned = await receiver.handle({ method: 'POST', path: '/non-blocking', headers: {}, body: Buffer.from(text) });
      const forged = await receiver.handle({
        method: 'POST',
        path: '/non-blocking',
        headers: authgearHeaders(text, 'not-the-secret'),
        body: Buffer.from(text),
      });

      // Assess
      expect([unsigned.status, forged.status]).toEqual([401, 401]);
      expect(fake.count('SendMessage') - sendsBefore).toBe(0);
    });
  });

  describe('worker', () => {
    const failing = new Set<string>();
    const runs: string[] = [];
    const workerLines: Record<string, unknown>[] = [];
    const handler = defineNonBlockingHandler('user.created', (event) => {
      runs.push(event.id);
      if (failing.has(event.id)) throw new Error(`cannot sync ${event.id}`);
    });
    const makeWorker = () =>
      createSqsWorkerHandler({
        modules: [{ file: 'functions/non-blocking/user.created.ts', kind: 'non-blocking', eventType: 'user.created', exported: handler }],
        env: { NON_BLOCKING_QUEUE_URL: queue.url, RETRY_WINDOW_MINUTES: '60' },
        logger: createJsonLogger({ level: 'debug', sink: (_l, line) => workerLines.push(JSON.parse(line) as Record<string, unknown>) }),
        client,
      });

    beforeEach(() => {
      failing.clear();
      runs.length = 0;
      workerLines.length = 0;
    });

    it('reports only the failed message of a batch; its neighbours are deleted and never retried', async () => {
      // Prepare
      for (const id of ['000000000000d001', '000000000000d002', '000000000000d003']) await post(body(id));
      failing.add('000000000000d002');
      const worker = makeWorker();

      // Act
      const first = await pollOnce({ client, queue, worker });
      const left = fake.messages(queue.name);

      // Assess
      expect(first.event.Records).toHaveLength(3);
      expect(first.response?.batchItemFailures).toEqual([{ itemIdentifier: first.event.Records[1]?.messageId }]);
      expect(runs).toEqual(['000000000000d001', '000000000000d002', '000000000000d003']);
      expect(left).toHaveLength(1);
      expect(JSON.parse(left[0]?.body ?? '{}')).toMatchObject({ id: '000000000000d002' });
      // The first retry delay: visible again 30 s from now, not after the queue's 540 s.
      expect(left[0]?.visibleAt).toBe(now + 30_000);
      expect(workerLines.find((l) => l.outcome === 'retry_scheduled')).toMatchObject({
        event_id: '000000000000d002',
        attempt: 1,
        max_attempts: 8,
        retry_in_ms: 30_000,
        reason: 'handler_threw',
        error_message: 'cannot sync 000000000000d002',
        msg: 'non-blocking handler failed (attempt 1 of 8); next retry in 30 s',
      });
    });

    it('sets the delay from the receive count, and after the last attempt lets SQS dead-letter the event', async () => {
      // Prepare
      await post(body('000000000000d010'));
      failing.add('000000000000d010');
      const worker = makeWorker();
      const visibleAfter: number[] = [];

      // Act
      for (let i = 0; i < 20 && fake.messages(queue.name).length > 0; i++) {
        const before = now;
        const { event } = await pollOnce({ client, queue, worker });
        if (event.Records.length > 0) visibleAfter.push((fake.messages(queue.name)[0]?.visibleAt ?? before) - before);
        now = Math.max(now, fake.nextVisibleAt(queue.name) ?? now);
      }

      // Assess
      expect(runs).toHaveLength(8);
      expect(visibleAfter).toEqual([...SCHEDULE.delaysMs, 0, 0]);
      expect(fake.messages(queue.name)).toEqual([]);
      expect(fake.messages(dead.name).map((m) => JSON.parse(m.body).id)).toEqual(['000000000000d010']);
      expect(workerLines.filter((l) => l.outcome === 'dead_lettered')).toHaveLength(1);
      expect(workerLines.filter((l) => l.outcome === 'released')).toHaveLength(1);
    });

    it('releases a message that is not an Authgear event without delay', async () => {
      // Prepare
      await post(body('000000000000d020'));
      const [record] = (await pollOnce({ client, queue, worker: async () => ({ batchItemFailures: [] }), loseDelete: () => true })).event
        .Records;
      now += 541_000;
      const worker = makeWorker();

      // Act
      const response = await worker({ Records: [{ ...record!, body: 'not json at all' }] });

      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record?.messageId }]);
      expect(workerLines.find((l) => l.reason === 'invalid_envelope')).toMatchObject({ level: 'error', outcome: 'dead_lettered' });
      expect(runs).toEqual([]);
    });

    it('still reports the failure when SQS refuses the new delay (the queue timeout applies instead)', async () => {
      // Prepare
      await post(body('000000000000d030'));
      failing.add('000000000000d030');
      fake.failAll('ChangeMessageVisibilityBatch', true);
      const worker = makeWorker();

      // Act
      const { response } = await pollOnce({ client, queue, worker });

      // Assess
      expect(response?.batchItemFailures).toHaveLength(1);
      expect(workerLines.find((l) => l.reason === 'retry_delay_not_set')).toMatchObject({ level: 'warn' });
      expect(fake.messages(queue.name)[0]?.visibleAt).toBe(now + 540_000);
    });

    it('acknowledges a redelivery of an event it already handled without running the handler again', async () => {
      // Prepare
      await post(body('000000000000d040'));
      const worker = makeWorker();
      await pollOnce({ client, queue, worker, loseDelete: () => true });
      now += 541_000;

      // Act
      const again = await pollOnce({ client, queue, worker });

      // Assess
      expect(again.event.Records).toHaveLength(1);
      expect(again.response?.batchItemFailures).toEqual([]);
      expect(runs).toEqual(['000000000000d040']);
      expect(fake.messages(queue.name)).toEqual([]);
      expect(workerLines.find((l) => l.outcome === 'duplicate')).toMatchObject({ event_id: '000000000000d040', attempt: 2 });
    });

    it('processes a batch side by side: a slow handler does not delay its neighbours', async () => {
      // Prepare
      const order: string[] = [];
      const slowHandler = defineNonBlockingHandler('user.created', async (event) => {
        if (event.id === '000000000000d051') await new Promise((r) => setTimeout(r, 100));
        order.push(event.id);
      });
      for (const id of ['000000000000d051', '000000000000d052']) await post(body(id));
      const worker = createSqsWorkerHandler({
        modules: [
          { file: 'functions/non-blocking/user.created.ts', kind: 'non-blocking', eventType: 'user.created', exported: slowHandler },
        ],
        env: { NON_BLOCKING_QUEUE_URL: queue.url, LOG_LEVEL: 'silent' },
        client,
      });

      // Act
      await pollOnce({ client, queue, worker });

      // Assess
      expect(order).toEqual(['000000000000d052', '000000000000d051']);
    });

    it('refuses to start without NON_BLOCKING_QUEUE_URL, saying what it is for', () => {
      // Act
      const start = () => createSqsWorkerHandler({ modules: [], env: {} });

      // Assess
      expect(start).toThrow(/NON_BLOCKING_QUEUE_URL is not set: it must be the URL of the SQS queue/);
    });
  });
});
