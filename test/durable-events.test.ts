/**
 * The headline guarantee of the durable non-blocking path, end to end through the real SDK and a
 * fake SQS FIFO queue: 1,000 signed events go through the receiver (createWebhookApp with the SQS
 * queue), a driver plays Lambda's event source mapping, and the real worker adapter runs a handler
 * that fails the first N attempts of many events and every attempt of some. Meanwhile events are
 * sent twice, SendMessage responses are lost (so the SDK sends again), and deletions after success
 * are lost (so SQS delivers those messages a second time). Time is simulated: the driver jumps the
 * fake's clock to the next message that becomes visible, so the 60-minute schedule takes no time.
 *
 * Each poll goes to one of several worker instances in turn, as Lambda spreads batches over its
 * environments, so a redelivered message usually reaches another instance than the one that ran it.
 * The instances share one idempotency table (dynalite, a DynamoDB-compatible server, through the
 * real SDK), as deployed.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookApp, type WebhookApp } from '../shared/core/app';
import { readConfig } from '../shared/core/config';
import { defineNonBlockingHandler } from '../shared/core/handler';
import { createJsonLogger } from '../shared/core/logger';
import { SecretStore, staticSecretSource } from '../shared/core/secret';
import { createSqsWorkerHandler, type SqsWorkerHandler } from '../shared/adapters/sqs-worker';
import { retrySchedule } from '../shared/core/retry';
import { sqsNonBlockingQueue } from '../shared/aws/sqs';
import { authgearHeaders } from './fixtures/go-json';
import { useAwsEnv } from './support/aws-env';
import { startFakeDynamoDb, type FakeDynamoDb } from './support/dynamodb-server';
import { fakeSqsClient, pollOnce } from './support/sqs-event-source';
import { startFakeSqs, type FakeSqs, type FakeSqsQueue } from './support/sqs-server';

const SECRET = 'durable-events-test-secret-0123456789';
const EVENTS = 1_000;
/** Worker instances (Lambda environments), each with its own memory and DynamoDB client. */
const WORKERS = 3;
const TABLE = 'durable-events-idempotency';
const SCHEDULE = retrySchedule(60);
const silent = createJsonLogger({ level: 'silent' });

/** A small seeded generator, so every run injects the same failures. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const eventId = (i: number): string => (0xa000 + i).toString(16).padStart(16, '0');

function userCreatedBody(i: number): string {
  return JSON.stringify({
    id: eventId(i),
    seq: 0xa000 + i,
    type: 'user.created',
    payload: { user: { id: `user-${i}`, standard_attributes: {} }, identities: [] },
    context: {
      timestamp: Math.floor(Date.now() / 1000),
      user_id: `user-${i}`,
      triggered_by: 'user',
      audit_context: {},
      preferred_languages: [],
      language: 'en',
      geo_location_code: null,
    },
  });
}

describe(`durable non-blocking events: ${EVENTS} events, failing handlers, duplicate deliveries`, () => {
  let fake: FakeSqs;
  let client: SQSClient;
  let queue: FakeSqsQueue;
  let deadLetters: FakeSqsQueue;
  let receiver: WebhookApp;
  let workers: SqsWorkerHandler[] = [];
  let dynamo: FakeDynamoDb;
  let restoreEnv: () => void = () => undefined;
  let simulatedNow = Date.now();
  const started = simulatedNow;

  /** How many attempts of each event fail; Infinity for events that never succeed. */
  const failures = new Map<string, number>();
  const attempts = new Map<string, number[]>();
  const successes = new Map<string, number>();
  /** The worker instance whose handler run succeeded, per event. */
  const handledBy = new Map<string, number>();
  const workerLines: Record<string, unknown>[] = [];
  const receiverStatuses: number[] = [];
  let lostDeletes = 0;
  let polls = 0;

  beforeAll(async () => {
    // Prepare
    fake = await startFakeSqs();
    fake.setClock(() => simulatedNow);
    dynamo = await startFakeDynamoDb();
    await dynamo.createTable(TABLE);
    restoreEnv = useAwsEnv(dynamo.env());
    deadLetters = fake.createQueue('authgear-dead-letters.fifo');
    queue = fake.createQueue('authgear-events.fifo', {
      visibilityTimeoutSeconds: 540,
      deadLetterQueue: 'authgear-dead-letters.fifo',
      maxReceiveCount: SCHEDULE.maxAttempts + 1,
      deduplicationScope: 'messageGroup',
    });
    client = fakeSqsClient(fake);

    const random = seeded(20_261_126);
    for (let i = 0; i < EVENTS; i++) {
      const roll = random();
      const n =
        i % 10 === 0 ? Number.POSITIVE_INFINITY : roll < 0.3 ? 1 + Math.floor(random() * 3) : roll < 0.35 ? SCHEDULE.maxAttempts - 1 : 0;
      failures.set(eventId(i), n);
    }
    const handlerFor = (instance: number) =>
      defineNonBlockingHandler('user.created', (event) => {
        const times = attempts.get(event.id) ?? [];
        times.push(simulatedNow);
        attempts.set(event.id, times);
        if (times.length <= (failures.get(event.id) ?? 0)) throw new Error('the CRM is down');
        successes.set(event.id, (successes.get(event.id) ?? 0) + 1);
        handledBy.set(event.id, instance);
      });

    const config = readConfig({ LOG_LEVEL: 'silent' });
    const secrets = new SecretStore({ source: staticSecretSource(SECRET), logger: silent, ttlMs: 300_000, refreshIntervalMs: 30_000 });
    receiver = createWebhookApp({
      handlers: {},
      secrets,
      config,
      logger: silent,
      nonBlockingQueue: sqsNonBlockingQueue({ queueUrl: queue.url, eventTypes: ['user.created'], client }),
    });
    workers = Array.from({ length: WORKERS }, (_, instance) =>
      createSqsWorkerHandler({
        modules: [
          {
            file: 'functions/non-blocking/user.created.ts',
            kind: 'non-blocking',
            eventType: 'user.created',
            exported: handlerFor(instance),
          },
        ],
        env: { NON_BLOCKING_QUEUE_URL: queue.url, RETRY_WINDOW_MINUTES: '60', LOG_LEVEL: 'info', IDEMPOTENCY_TABLE_NAME: TABLE },
        logger: createJsonLogger({
          level: 'info',
          sink: (_level, line) => workerLines.push({ ...(JSON.parse(line) as Record<string, unknown>), instance }),
        }),
        client,
      }),
    );

    // Act: Authgear delivers every event; every 20th twice (a replay), and every 25th SendMessage
    // answer is lost after SQS stored the message, so the SDK sends it again.
    const send = async (i: number): Promise<void> => {
      const body = userCreatedBody(i);
      if (i % 25 === 3) fake.failNext('SendMessage', 1, 'lose-response');
      const response = await receiver.handle({
        method: 'POST',
        path: '/non-blocking',
        headers: authgearHeaders(body, SECRET),
        body: Buffer.from(body),
      });
      receiverStatuses.push(response.status);
    };
    for (let i = 0; i < EVENTS; i++) await send(i);
    simulatedNow += 120_000;
    for (let i = 0; i < EVENTS; i += 20) await send(i);

    // The event source mapping, until the queue is empty. Every 30th successful delete is lost
    // (once per message: a deletion that fails again and again is not what this test is about).
    let successfulRecords = 0;
    const lostOnce = new Set<string>();
    for (;;) {
      if (++polls > 5_000) throw new Error('the queue did not drain');
      const worker = workers[polls % WORKERS]!;
      const { event } = await pollOnce({
        client,
        queue,
        worker: (received) => worker(received, { getRemainingTimeInMillis: () => 90_000 }),
        loseDelete: (record) => {
          successfulRecords += 1;
          if (successfulRecords % 30 !== 0 || lostOnce.has(record.messageId)) return false;
          lostOnce.add(record.messageId);
          lostDeletes += 1;
          return true;
        },
      });
      if (event.Records.length > 0) continue;
      const next = fake.nextVisibleAt(queue.name);
      if (next === undefined) break;
      simulatedNow = Math.max(simulatedNow + 1, next);
    }
  }, 180_000);

  afterAll(async () => {
    restoreEnv();
    await dynamo?.close();
    await fake?.close();
  });

  it('acknowledged every delivery with 200 once SQS had stored it, the duplicates included', () => {
    // Assess
    expect(receiverStatuses).toHaveLength(EVENTS + EVENTS / 20);
    expect(new Set(receiverStatuses)).toEqual(new Set([200]));
    // The lost answers were sent again, and the replays too: SQS saw more sends than events.
    expect(fake.count('SendMessage')).toBe(EVENTS + EVENTS / 20 + EVENTS / 25);
  });

  it('processed every event exactly once or left it in the dead-letter queue: none lost, none twice', () => {
    // Prepare
    const deadIds = fake.messages(deadLetters.name).map((m) => (JSON.parse(m.body) as { id: string }).id);

    // Act
    const problems: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const id = eventId(i);
      const done = successes.get(id) ?? 0;
      const dead = deadIds.filter((d) => d === id).length;
      if (!((done === 1 && dead === 0) || (done === 0 && dead === 1)))
        problems.push(`${id}: handled ${done} times, ${dead} times in the dead-letter queue`);
    }

    // Assess
    expect(problems).toEqual([]);
    expect(fake.messages(queue.name)).toEqual([]);
    expect(successes.size + deadIds.length).toBe(EVENTS);
  });

  it('dead-lettered exactly the events that failed every attempt, after the last attempt of the schedule', () => {
    // Prepare
    const expectedDead = [...failures].filter(([, n]) => n >= SCHEDULE.maxAttempts).map(([id]) => id);

    // Act
    const deadIds = fake.messages(deadLetters.name).map((m) => (JSON.parse(m.body) as { id: string }).id);

    // Assess
    expect(deadIds.sort()).toEqual(expectedDead.sort());
    expect(expectedDead.length).toBeGreaterThanOrEqual(EVENTS / 10);
    for (const id of expectedDead) expect(attempts.get(id)).toHaveLength(SCHEDULE.maxAttempts);
  });

  it('retried each failing event after 30 s, 1, 2, 4, 8 and 15 min, then every 15 min', () => {
    // Prepare
    const permanent = [...failures].filter(([, n]) => n === Number.POSITIVE_INFINITY).map(([id]) => id);

    // Act
    const gaps = permanent.map((id) => {
      const times = attempts.get(id) ?? [];
      return times.slice(1).map((t, i) => t - (times[i] ?? 0));
    });

    // Assess
    expect(SCHEDULE.delaysMs).toEqual([30, 60, 120, 240, 480, 900, 900].map((s) => s * 1_000));
    for (const g of gaps) expect(g).toEqual(SCHEDULE.delaysMs);
    const lastAttempt = Math.max(...permanent.map((id) => attempts.get(id)?.at(-1) ?? 0));
    expect(lastAttempt - started).toBeLessThanOrEqual(60 * 60_000 + 120_000);
  });

  it('ran each transiently failing event until its first success, and no further', () => {
    for (const [id, n] of failures) {
      if (n >= SCHEDULE.maxAttempts) continue;
      // Assess
      expect(attempts.get(id)?.length, id).toBe(n + 1);
    }
    expect([...failures.values()].filter((n) => n === SCHEDULE.maxAttempts - 1).length).toBeGreaterThan(0);
  });

  it('recognised each redelivery after a lost delete and did not run the handler again', () => {
    // Act
    const duplicates = workerLines.filter((l) => l.reason === 'duplicate_delivery');

    // Assess
    expect(lostDeletes).toBeGreaterThan(10);
    expect(duplicates).toHaveLength(lostDeletes);
    // The repeat arrives as the delivery after the successful attempt.
    for (const line of duplicates)
      expect(line).toMatchObject({ outcome: 'duplicate', attempt: (attempts.get(String(line.event_id))?.length ?? 0) + 1 });
    expect(duplicates.some((l) => l.attempt === SCHEDULE.maxAttempts + 1)).toBe(true);
  });

  it('recognised most of those redeliveries in another worker instance than the one that ran the handler', () => {
    // Act
    const duplicates = workerLines.filter((l) => l.reason === 'duplicate_delivery');
    const elsewhere = duplicates.filter((l) => l.instance !== handledBy.get(String(l.event_id)));

    // Assess: with a shared record, where the copy lands makes no difference.
    expect(elsewhere.length).toBeGreaterThan(duplicates.length / 2);
    for (const line of elsewhere) expect(line.msg).toMatch(/shared record/);
  });

  it('left one record per handled event in the shared table, marked done, and none for dead-lettered ones', async () => {
    // Act
    const items = await dynamo.items(TABLE);

    // Assess
    expect(items).toHaveLength(successes.size);
    expect(new Set(items.map((i) => i.status))).toEqual(new Set(['COMPLETED']));
  });

  it('logged every failed attempt with its number, the next retry or the dead-lettering', () => {
    // Act
    const retried = workerLines.filter((l) => l.outcome === 'retry_scheduled');
    const dead = workerLines.filter((l) => l.outcome === 'dead_lettered');

    // Assess
    expect(retried[0]?.msg).toMatch(/^non-blocking handler failed \(attempt 1 of 8\); next retry in 30 s$/);
    expect(dead.length).toBe(fake.messages(deadLetters.name).length);
    for (const line of dead) expect(line.msg).toMatch(/attempt 8 of 8\); no attempts left: the event goes to the dead-letter queue$/);
  });
});
