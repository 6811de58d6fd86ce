import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VECTOR_SECRET, vector } from './fixtures/authgear-vectors';
import { authgearHeaders } from './fixtures/go-json';
import { startFakeDynamoDb, type FakeDynamoDb } from './support/dynamodb-server';
import { fakeSqsClient, toSqsRecord } from './support/sqs-event-source';
import type { FakeSqsQueue } from './support/sqs-server';
import { goJson } from '../shared/devtools/go-json';
import { sampleEvent } from '../shared/devtools/samples';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  NON_BLOCKING_SECRET_ARN,
  CRM_TOKEN_SECRET,
  CRM_TOKEN,
  type ProcessRun,
  httpApiEvent,
  STACK_FRAME,
  useBundles,
} from './support/bundle';

describe('the bundled non-blocking receiver and worker (real esbuild bundle, fake Secrets Manager and SQS)', () => {
  const bundles = useBundles();

  /**
   * Queues `events` on a new FIFO queue, receives them as the worker's event source does, and runs
   * the worker bundle on them; FIXTURE_CRM_URL is the fixture handler's setting (handlerEnv when deployed).
   */
  const runWorkerOn = async (queueName: string, events: readonly unknown[], crmUrl: string): Promise<ProcessRun> => {
    const queue = bundles.sqs.createQueue(queueName, { visibilityTimeoutSeconds: 540 });
    const client = fakeSqsClient(bundles.sqs);
    for (const [i, event] of events.entries()) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queue.url,
          MessageBody: goJson(event),
          MessageGroupId: `d${i}`,
          MessageDeduplicationId: `d${i}`,
        }),
      );
    }
    const received = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
    );
    client.destroy();
    return bundles.run('worker', {
      secretId: undefined,
      events: [{ Records: (received.Messages ?? []).map((m) => toSqsRecord(m, queue)) }],
      env: { ...bundles.sqs.env(), NON_BLOCKING_QUEUE_URL: queue.url, RETRY_WINDOW_MINUTES: '60', FIXTURE_CRM_URL: crmUrl },
    });
  };

  describe('non-blocking receiver bundle', () => {
    const created = vector('user.created');
    const future = JSON.stringify({
      id: '000000000000bd99',
      seq: 48537,
      type: 'something.new',
      payload: { anything: [1, 2, 3] },
      context: { timestamp: 1787290000, user_id: null },
    });
    const signedCreated = () =>
      httpApiEvent({ path: '/non-blocking', body: created.body, headers: { 'x-authgear-body-signature': created.signature } });
    // The first SendMessage attempts fail (SQS unavailable); then SQS recovers.
    const requests = [
      signedCreated(),
      signedCreated(),
      httpApiEvent({ path: '/non-blocking', body: future, headers: authgearHeaders(future, VECTOR_SECRET) }),
      signedCreated(),
    ];
    let run: ProcessRun;
    let queue: FakeSqsQueue;

    beforeAll(async () => {
      // Prepare
      queue = bundles.sqs.createQueue('receiver-bundle.fifo', { deduplicationScope: 'messageGroup' });
      bundles.sqs.failNext('SendMessage', 3);

      // Act
      run = await bundles.run('nonBlocking', {
        secretId: NON_BLOCKING_SECRET_ARN,
        events: requests,
        env: { ...bundles.sqs.env(), NON_BLOCKING_QUEUE_URL: queue.url },
      });
    }, 60_000);

    it('answers 503 while SQS cannot store the event, after the SDK tried three times', () => {
      // Assess
      expect(run.invocations[0]?.response).toMatchObject({ statusCode: 503, body: '{"error":"service unavailable"}' });
      expect(run.output).toContain('"reason":"queue_unavailable"');
    });

    it('answers 200 to a signed user.created only after a SendMessage with the raw body, keyed by the event id', () => {
      // Act
      const sends = bundles.sqs.calls.filter((c) => c.operation === 'SendMessage' && c.input.QueueUrl === queue.url);

      // Assess
      expect(run.invocations[1]?.response?.statusCode).toBe(200);
      expect(sends.map((c) => c.status)).toEqual([500, 500, 500, 200, 200]);
      expect(sends[3]?.input).toMatchObject({
        MessageBody: created.body,
        MessageDeduplicationId: '000000000000bc56',
        MessageGroupId: '000000000000bc56',
      });
      expect(sends[3]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
      expect(bundles.sqs.messages(queue.name).map((m) => m.body)).toEqual([created.body]);
    });

    it('acknowledges an unknown future event type with 200 without queueing it, and a repeat without storing it twice', () => {
      // Assess
      expect(run.invocations.slice(2).map((i) => i.response?.statusCode)).toEqual([200, 200]);
      expect(bundles.sqs.messages(queue.name)).toHaveLength(1);
      for (const invocation of run.invocations) expect(invocation.response?.body).not.toMatch(STACK_FRAME);
    });

    it('fetched the secret exactly once, during init', () => {
      // Act
      const calls = bundles.fake.calls.filter((c) => c.secretId === NON_BLOCKING_SECRET_ARN);

      // Assess
      expect(calls).toHaveLength(1);
      expect(run.firstFetchAt).toBeLessThanOrEqual(run.invocations[0]?.startedAt ?? 0);
      expect(run.firstFetchAt).toBeLessThan(run.invocations[0]?.completedAt ?? 0);
    });
  });

  describe('non-blocking worker bundle', () => {
    const created = vector('user.created');
    let run: ProcessRun;
    let queue: FakeSqsQueue;
    let records: ReturnType<typeof toSqsRecord>[];
    let secretCallsBefore = 0;

    beforeAll(async () => {
      // Prepare: two queued messages, received as Lambda's event source would receive them.
      queue = bundles.sqs.createQueue('worker-bundle.fifo', { visibilityTimeoutSeconds: 540 });
      const client = fakeSqsClient(bundles.sqs);
      await client.send(
        new SendMessageCommand({ QueueUrl: queue.url, MessageBody: created.body, MessageGroupId: 'a', MessageDeduplicationId: 'a' }),
      );
      await client.send(
        new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'not an event', MessageGroupId: 'b', MessageDeduplicationId: 'b' }),
      );
      const received = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
      );
      records = (received.Messages ?? []).map((m) => toSqsRecord(m, queue));
      client.destroy();
      secretCallsBefore = bundles.fake.calls.length;

      // Act
      run = await bundles.run('worker', {
        secretId: undefined,
        events: [{ Records: records }],
        env: { ...bundles.sqs.env(), NON_BLOCKING_QUEUE_URL: queue.url, RETRY_WINDOW_MINUTES: '60' },
      });
    }, 60_000);

    it('runs the user.created handler file on the queued event and reports only the broken message as failed', () => {
      // Assess
      expect(records).toHaveLength(2);
      expect(run.invocations[0]?.thrown).toBeUndefined();
      expect(run.invocations[0]?.response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.messageId }] });
      expect(run.output).toContain('"msg":"new user"');
      expect(run.output).toContain('"outcome":"handled"');
    });

    it('releases the broken message at once so SQS dead-letters it, and reads no secret', () => {
      // Act
      const changes = bundles.sqs.calls.filter((c) => c.operation === 'ChangeMessageVisibilityBatch' && c.input.QueueUrl === queue.url);

      // Assess
      expect(changes).toHaveLength(1);
      expect(changes[0]?.input.Entries).toEqual([{ Id: 'm0', ReceiptHandle: records[1]?.receiptHandle, VisibilityTimeout: 0 }]);
      expect(bundles.sqs.messages(queue.name).find((m) => m.body === 'not an event')?.visibleAt).toBeLessThanOrEqual(Date.now());
      expect(bundles.fake.calls).toHaveLength(secretCallsBefore);
    });
  });

  describe('non-blocking worker bundle, a handler with a declared secret and a setting', () => {
    const crmCalls: { headers: IncomingHttpHeaders; body: string }[] = [];
    const crm = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        crmCalls.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    const disabled = [sampleEvent('user.disabled'), sampleEvent('user.disabled')];
    let run: ProcessRun;

    beforeAll(async () => {
      // Prepare: a CRM that records what it is sent.
      await new Promise<void>((done) => crm.listen(0, '127.0.0.1', done));
      const crmUrl = `http://127.0.0.1:${(crm.address() as AddressInfo).port}/users/disabled`;

      // Act: two user.disabled events through the worker.
      run = await runWorkerOn('worker-secret-bundle.fifo', disabled, crmUrl);
    }, 60_000);

    afterAll(() => new Promise<void>((done) => crm.close(() => done())));

    it('reads the secret from Secrets Manager once for both events, sends it to the CRM, and never logs it', () => {
      // Act
      const calls = bundles.fake.calls.filter((c) => c.secretId === CRM_TOKEN_SECRET);

      // Assess
      expect(run.invocations[0]?.response).toEqual({ batchItemFailures: [] });
      expect(crmCalls.map((c) => c.headers.authorization)).toEqual([`Bearer ${CRM_TOKEN}`, `Bearer ${CRM_TOKEN}`]);
      expect(crmCalls.map((c) => JSON.parse(c.body) as unknown)).toEqual(
        expect.arrayContaining(disabled.map((e) => ({ user_id: e.payload.user.id }))),
      );
      expect(calls).toHaveLength(1);
      expect(run.output).toContain('"msg":"user disabled in CRM"');
      expect(run.output).not.toContain(CRM_TOKEN);
    });
  });

  describe('non-blocking worker bundle in two containers sharing the idempotency table', () => {
    const created = vector('user.created');
    const table = 'bundle-idempotency';
    let dynamo: FakeDynamoDb;
    let first: ProcessRun;
    let second: ProcessRun;

    beforeAll(async () => {
      // Prepare: one queued message; its delete after the first run is lost, so SQS delivers it again.
      dynamo = await startFakeDynamoDb();
      await dynamo.createTable(table);
      const queue = bundles.sqs.createQueue('worker-bundle-twice.fifo', { visibilityTimeoutSeconds: 540 });
      const client = fakeSqsClient(bundles.sqs);
      await client.send(
        new SendMessageCommand({ QueueUrl: queue.url, MessageBody: created.body, MessageGroupId: 'c', MessageDeduplicationId: 'c' }),
      );
      const received = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
      );
      client.destroy();
      const record = toSqsRecord(received.Messages![0]!, queue);
      const again = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } };
      const env = { ...bundles.sqs.env(), ...dynamo.env(), NON_BLOCKING_QUEUE_URL: queue.url, IDEMPOTENCY_TABLE_NAME: table };

      // Act: each run is a fresh process, as a new Lambda environment is.
      const run = (records: unknown[]) =>
        bundles.run('worker', {
          secretId: undefined,
          events: [{ Records: records }],
          env,
        });
      first = await run([record]);
      second = await run([again]);
    }, 60_000);

    afterAll(async () => {
      await dynamo?.close();
    });

    it('runs the handler file in the first container and marks the event done in DynamoDB', async () => {
      // Assess
      expect(first.invocations[0]?.response).toEqual({ batchItemFailures: [] });
      expect(first.output).toContain('"msg":"new user"');
      const items = await dynamo.items(table);
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ status: 'COMPLETED' });
    });

    it('acknowledges the copy in the second container without running the handler file again', () => {
      // Assess
      expect(second.invocations[0]?.response).toEqual({ batchItemFailures: [] });
      expect(second.output).not.toContain('"msg":"new user"');
      expect(second.output).toContain('"reason":"duplicate_delivery"');
      expect(dynamo.count('PutItem')).toBe(2);
      expect(dynamo.count('UpdateItem')).toBe(1);
    });
  });

  describe('non-blocking worker bundle, a handler that throws (deployed without --enable-source-maps)', () => {
    // Answers 503: the fixture then throws `the CRM answered 503` (test/fixtures/handlers/non-blocking/user.disabled.ts, line 20).
    const crm = createServer((_req, res) => res.writeHead(503).end());
    let run: ProcessRun;

    beforeAll(async () => {
      // Prepare
      await new Promise<void>((done) => crm.listen(0, '127.0.0.1', done));
      const crmUrl = `http://127.0.0.1:${(crm.address() as AddressInfo).port}/users/disabled`;

      // Act
      run = await runWorkerOn('worker-throws-bundle.fifo', [sampleEvent('user.disabled')], crmUrl);
    }, 60_000);

    afterAll(() => new Promise<void>((done) => crm.close(() => done())));

    it("logs the handler's stack with its source file and line, read from the bundle's source map on demand", () => {
      // Prepare
      const lines = run.output.split('\n').filter((line) => line.includes('the CRM answered 503'));
      const logged = lines.map((line) => JSON.parse(line) as { error_stack?: string }).find((l) => l.error_stack);

      // Assess
      expect(run.invocations[0]?.response).toMatchObject({ batchItemFailures: [{}] });
      expect(logged?.error_stack).toMatch(
        /^Error: the CRM answered 503\n\s+at .+\(test\/fixtures\/handlers\/non-blocking\/user\.disabled\.ts:20:\d+\)/,
      );
      expect(logged?.error_stack).not.toContain('index.mjs');
    });
  });
});
