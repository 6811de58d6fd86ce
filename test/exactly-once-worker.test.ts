/**
 * The SQS worker across containers: several worker instances (each with its own memory and
 * DynamoDB client, as separate Lambda environments have) share one idempotency table in dynalite,
 * found through `IDEMPOTENCY_TABLE_NAME` and `AWS_ENDPOINT_URL_DYNAMODB` as deployed, and consume a
 * fake SQS FIFO queue through the real SDKs. Each scenario is one way SQS delivers a message again.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSqsWorkerHandler, type SqsWorkerHandler } from '../shared/adapters/sqs-worker';
import { defineNonBlockingHandler } from '../shared/core/handler';
import { createJsonLogger } from '../shared/core/logger';
import { retrySchedule } from '../shared/core/retry';
import { useAwsEnv } from './support/aws-env';
import { type FakeDynamoDb, startFakeDynamoDb } from './support/dynamodb-server';
import { fakeSqsClient, pollOnce } from './support/sqs-event-source';
import { type FakeSqs, type FakeSqsQueue, startFakeSqs } from './support/sqs-server';

const TABLE = 'worker-idempotency-test';
const SCHEDULE = retrySchedule(60);
const context = (remainingMs = 90_000) => ({ getRemainingTimeInMillis: () => remainingMs });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const body = (id: string): string =>
  JSON.stringify({
    id,
    seq: 1,
    type: 'user.created',
    payload: { user: { id: `u-${id}` }, identities: [] },
    context: { timestamp: Math.floor(Date.now() / 1000), user_id: `u-${id}`, triggered_by: 'user' },
  });

describe('exactly once across worker containers (fake SQS, DynamoDB through dynalite)', () => {
  let sqs: FakeSqs;
  let dynamo: FakeDynamoDb;
  let client: SQSClient;
  let queue: FakeSqsQueue;
  let restoreEnv: () => void = () => undefined;
  let now = Date.now();
  let n = 0;
  /** Ids whose handler fails on its next run; a gate makes a run wait until the test opens it. */
  const failOnce = new Set<string>();
  const gates = new Map<string, Promise<void>>();
  const runs: { id: string; worker: string }[] = [];
  const lines: Record<string, unknown>[] = [];

  const worker = (name: string, env: Record<string, string> = {}): SqsWorkerHandler => {
    const handler = defineNonBlockingHandler('user.created', async (event) => {
      runs.push({ id: event.id, worker: name });
      await gates.get(event.id);
      if (failOnce.delete(event.id)) throw new Error('the CRM is down');
    });
    return createSqsWorkerHandler({
      modules: [{ file: 'functions/non-blocking/user.created.ts', kind: 'non-blocking', eventType: 'user.created', exported: handler }],
      env: { NON_BLOCKING_QUEUE_URL: queue.url, RETRY_WINDOW_MINUTES: '60', IDEMPOTENCY_TABLE_NAME: TABLE, ...env },
      logger: createJsonLogger({
        level: 'debug',
        sink: (_l, line) => lines.push({ ...(JSON.parse(line) as Record<string, unknown>), worker: name }),
      }),
      client,
    });
  };
  const send = async (id: string) =>
    client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body(id), MessageGroupId: id, MessageDeduplicationId: id }));
  const poll = (w: SqsWorkerHandler, options: { loseDelete?: boolean } = {}) =>
    pollOnce({ client, queue, worker: (event) => w(event, context()), loseDelete: () => options.loseDelete ?? false });
  /** Jumps the queue's clock to when its next message is visible again. */
  const waitForRedelivery = () => {
    now = Math.max(now + 1, sqs.nextVisibleAt(queue.name) ?? now);
  };
  const nextId = () => (0xd100 + ++n).toString(16).padStart(16, '0');

  beforeAll(async () => {
    sqs = await startFakeSqs();
    sqs.setClock(() => now);
    client = fakeSqsClient(sqs);
    dynamo = await startFakeDynamoDb();
    await dynamo.createTable(TABLE);
    // The workers build their DynamoDB client from the environment, as in Lambda.
    restoreEnv = useAwsEnv(dynamo.env());
  });
  beforeEach(() => {
    queue = sqs.createQueue(`exactly-once-${++n}.fifo`, {
      visibilityTimeoutSeconds: 540,
      maxReceiveCount: SCHEDULE.maxAttempts + 1,
      deduplicationScope: 'messageGroup',
    });
  });
  afterEach(() => {
    dynamo.reset();
    failOnce.clear();
    gates.clear();
    runs.length = 0;
    lines.length = 0;
  });
  afterAll(async () => {
    restoreEnv();
    await dynamo?.close();
    await sqs?.close();
  });

  it('runs a handled event once when its message reaches a new container after a lost delete', async () => {
    // Prepare
    const id = nextId();
    await send(id);
    await poll(worker('a'), { loseDelete: true });
    waitForRedelivery();

    // Act: the copy reaches a second container, and after another lost delete a third.
    const b = await poll(worker('b'), { loseDelete: true });
    waitForRedelivery();
    const c = await poll(worker('c'));

    // Assess
    expect(runs).toEqual([{ id, worker: 'a' }]);
    expect(b.event.Records).toHaveLength(1);
    expect(b.response?.batchItemFailures).toEqual([]);
    expect(c.response?.batchItemFailures).toEqual([]);
    expect(sqs.messages(queue.name)).toEqual([]);
    const duplicates = lines.filter((l) => l.reason === 'duplicate_delivery');
    expect(duplicates.map((l) => [l.worker, l.attempt, l.outcome])).toEqual([
      ['b', 2, 'duplicate'],
      ['c', 3, 'duplicate'],
    ]);
    expect(duplicates[0]?.msg).toMatch(/shared record/);
  });

  it('runs a failed event again on the retry, then never again', async () => {
    // Prepare
    const id = nextId();
    failOnce.add(id);
    await send(id);

    // Act: attempt 1 fails in container a, attempt 2 succeeds in b (its delete lost), the copy reaches c.
    const first = await poll(worker('a'));
    waitForRedelivery();
    await poll(worker('b'), { loseDelete: true });
    waitForRedelivery();
    const third = await poll(worker('c'));

    // Assess
    expect(first.response?.batchItemFailures).toHaveLength(1);
    expect(runs).toEqual([
      { id, worker: 'a' },
      { id, worker: 'b' },
    ]);
    expect(third.response?.batchItemFailures).toEqual([]);
    expect(lines.find((l) => l.worker === 'c' && l.event_id === id)).toMatchObject({ reason: 'duplicate_delivery' });
    expect(sqs.messages(queue.name)).toEqual([]);
  });

  it('runs an event once when two containers get it at the same time; the other reports a batch item failure', async () => {
    // Prepare: one message, received once, handed to two containers together (as when a visibility
    // timeout runs out during a slow handler). The first run waits until the test lets it finish.
    const id = nextId();
    await send(id);
    const received = await pollOnce({ client, queue, worker: async () => ({ batchItemFailures: [] }), loseDelete: () => true });
    const event: SQSEvent = { Records: received.event.Records.map((r) => ({ ...r })) };
    let open: () => void = () => undefined;
    gates.set(
      id,
      new Promise((resolve) => {
        open = resolve;
      }),
    );

    // Act
    const a = worker('a')(event, context());
    await sleep(100); // a holds the claim
    const b = await worker('b')(event, context());
    open();
    const aResponse = await a;

    // Assess
    expect(runs).toEqual([{ id, worker: 'a' }]);
    expect(aResponse.batchItemFailures).toEqual([]);
    expect(b.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(lines.find((l) => l.worker === 'b' && l.event_id === id)).toMatchObject({
      reason: 'claimed_elsewhere',
      outcome: 'retry_scheduled',
      retry_in_ms: 30_000,
    });
    // b's copy comes back after its retry delay and is then acknowledged as handled.
    expect(sqs.calls.filter((c) => c.operation === 'ChangeMessageVisibilityBatch').at(-1)?.input.Entries).toEqual([
      expect.objectContaining({ VisibilityTimeout: 30 }),
    ]);
  });

  it('runs an event again once the claim of a container that never finished has expired', async () => {
    // Prepare: container a takes the claim with 300 ms left in its invocation and never finishes
    // within it (as when it crashed or was timed out).
    const id = nextId();
    await send(id);
    const { event } = await pollOnce({ client, queue, worker: async () => ({ batchItemFailures: [] }), loseDelete: () => true });
    let open: () => void = () => undefined;
    gates.set(
      id,
      new Promise((resolve) => {
        open = resolve;
      }),
    );
    const a = worker('a')(event, context(300));
    await sleep(100);

    // Act
    const early = await worker('b')(event, context());
    gates.delete(id);
    await sleep(300);
    const late = await worker('c')(event, context());
    open();
    await a;

    // Assess
    expect(early.batchItemFailures).toHaveLength(1);
    expect(late.batchItemFailures).toEqual([]);
    expect(runs).toEqual([
      { id, worker: 'a' },
      { id, worker: 'c' },
    ]);
  });

  it('never runs a handler while DynamoDB is down: the message is reported failed and retried, then runs once', async () => {
    // Prepare
    const id = nextId();
    await send(id);
    dynamo.setDown(true);

    // Act
    const during = await poll(worker('a'));
    const visibleAfter = (sqs.messages(queue.name)[0]?.visibleAt ?? 0) - now;
    dynamo.setDown(false);
    waitForRedelivery();
    const after = await poll(worker('b'));

    // Assess
    expect(during.response?.batchItemFailures).toEqual([{ itemIdentifier: during.event.Records[0]?.messageId }]);
    expect(visibleAfter).toBe(30_000);
    expect(lines.find((l) => l.worker === 'a' && l.event_id === id)).toMatchObject({
      level: 'error',
      reason: 'claim_store_unavailable',
      outcome: 'retry_scheduled',
    });
    expect(runs).toEqual([{ id, worker: 'b' }]);
    expect(after.response?.batchItemFailures).toEqual([]);
    expect(sqs.messages(queue.name)).toEqual([]);
  });

  it('acknowledges, instead of dead-lettering, the extra receive of an event another container handled', async () => {
    // Prepare: handled by container a; its delete lost; the copy arrives as receive 9 of 8 attempts.
    const id = nextId();
    await send(id);
    const { event } = await poll(worker('a'), { loseDelete: true });
    const last = { Records: event.Records.map((r) => ({ ...r, attributes: { ...r.attributes, ApproximateReceiveCount: '9' } })) };

    // Act
    const response = await worker('b')(last, context());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(runs).toEqual([{ id, worker: 'a' }]);
    expect(lines.find((l) => l.worker === 'b')).toMatchObject({ reason: 'duplicate_delivery', attempt: 9 });
  });

  it('guards within one container only, and says so, when no table is configured', async () => {
    // Prepare
    const id = nextId();
    await send(id);

    // Act
    await poll(worker('a', { IDEMPOTENCY_TABLE_NAME: '' }), { loseDelete: true });
    waitForRedelivery();
    await poll(worker('b', { IDEMPOTENCY_TABLE_NAME: '' }));

    // Assess
    expect(lines.find((l) => l.reason === 'no_idempotency_table')).toMatchObject({ level: 'warn' });
    expect(runs.map((r) => r.worker)).toEqual(['a', 'b']);
    expect(dynamo.count('PutItem')).toBe(0);
  });
});
