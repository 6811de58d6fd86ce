/**
 * The two EventClaims stores against one set of rules: the in-memory record of `npm start` and the
 * DynamoDB record of the deployed worker (Powertools' persistence layer, through the real
 * @aws-sdk/client-dynamodb, against dynalite, a server that speaks DynamoDB's API). Then what only
 * the DynamoDB store can meet: the record's shape, and a table that fails.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EventClaims, MemoryEventClaims } from '../shared/core/claims';
import { dynamoDbEventClaims } from '../shared/aws/dynamodb-claims';
import { IDEMPOTENCY_TABLE } from '../shared/core/idempotency';
import { type FakeDynamoDb, startFakeDynamoDb } from './support/dynamodb-server';

const TABLE = 'idempotency-claims-test';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const never = () => new Promise<{ ok: boolean }>(() => undefined);
/** Work that succeeds and notes that it ran, for the tests where it must not. */
const watchedWork = () => {
  const work = {
    called: false,
    run: async () => {
      work.called = true;
      return { ok: true };
    },
  };
  return work;
};
let dynamo: FakeDynamoDb;
let n = 0;
/** A fresh event id per test, so records of one test never meet another. */
const nextId = (): string => (0xc000 + ++n).toString(16).padStart(16, '0');

beforeAll(async () => {
  dynamo = await startFakeDynamoDb();
  await dynamo.createTable(TABLE);
});
afterEach(() => dynamo.reset());
afterAll(async () => {
  await dynamo?.close();
});

const stores: [string, () => EventClaims][] = [
  ['in memory', () => new MemoryEventClaims()],
  ['DynamoDB (dynalite)', () => dynamoDbEventClaims({ tableName: TABLE, retentionHours: 24, client: dynamo.client() })],
];

describe.each(stores)('EventClaims %s', (_name, makeClaims) => {
  it('runs the work once; a later run finds the event done (from another process, when the record is shared)', async () => {
    // Prepare: two processes (containers), each with its own client and memory.
    const [a, b] = [makeClaims(), makeClaims()];
    const shared = _name.startsWith('DynamoDB');
    const id = nextId();
    let calls = 0;
    const work = async () => ({ ok: true, call: ++calls });

    // Act
    const first = await a.run(id, work, { claimMs: 90_000 });
    const second = await (shared ? b : a).run(id, work, { claimMs: 90_000 });

    // Assess
    expect(first).toEqual({ outcome: 'ran', result: { ok: true, call: 1 } });
    expect(second).toEqual({ outcome: 'done' });
    expect(calls).toBe(1);
    expect(await (shared ? b : a).isDone(id)).toBe(true);
  });

  it('releases the claim after a failure: the retry runs, later copies do not', async () => {
    // Prepare
    const claims = makeClaims();
    const id = nextId();

    // Act
    const failed = await claims.run(id, async () => ({ ok: false }), { claimMs: 90_000 });
    const doneAfterFailure = await claims.isDone(id);
    const retried = await claims.run(id, async () => ({ ok: true }), { claimMs: 90_000 });
    const copy = await claims.run(id, async () => ({ ok: true }), { claimMs: 90_000 });

    // Assess
    expect(failed).toEqual({ outcome: 'ran', result: { ok: false } });
    expect(doneAfterFailure).toBe(false);
    expect(retried).toEqual({ outcome: 'ran', result: { ok: true } });
    expect(copy).toEqual({ outcome: 'done' });
  });

  it('answers busy to a second run while the first holds the claim, and never calls its work', async () => {
    // Prepare
    const claims = makeClaims();
    const id = nextId();
    let finish: (() => void) | undefined;
    const holding = claims.run(id, () => new Promise<{ ok: boolean }>((resolve) => (finish = () => resolve({ ok: true }))), {
      claimMs: 90_000,
    });
    await sleep(50); // the claim is written
    let secondCalled = false;

    // Act
    const second = await claims.run(
      id,
      async () => {
        secondCalled = true;
        return { ok: true };
      },
      { claimMs: 90_000 },
    );
    const inProgressIsDone = await claims.isDone(id);
    finish?.();
    const first = await holding;

    // Assess
    expect(second).toEqual({ outcome: 'busy' });
    expect(secondCalled).toBe(false);
    expect(inProgressIsDone).toBe(false);
    expect(first.outcome).toBe('ran');
  });

  it('lets a run take over a claim whose holder never came back, once the claim has expired', async () => {
    // Prepare: the first holder "crashes": its work never settles.
    const claims = makeClaims();
    const id = nextId();
    void claims.run(id, never, { claimMs: 150 });
    await sleep(30);

    // Act
    const early = await claims.run(id, async () => ({ ok: true }), { claimMs: 90_000 });
    await sleep(200);
    const late = await claims.run(id, async () => ({ ok: true }), { claimMs: 90_000 });

    // Assess
    expect(early).toEqual({ outcome: 'busy' });
    expect(late).toEqual({ outcome: 'ran', result: { ok: true } });
  });
});

describe('EventClaims on DynamoDB: the record and a failing table', () => {
  const claims = () => dynamoDbEventClaims({ tableName: TABLE, retentionHours: 24, client: dynamo.client() });
  const recordOf = async (id: string) => {
    const items = await dynamo.items(TABLE);
    const hashed = (await import('node:crypto')).createHash('md5').update(JSON.stringify(id)).digest('base64');
    return items.find((item) => item.id === `${IDEMPOTENCY_TABLE.keyPrefix}#${hashed}`);
  };

  it('writes one small record: a hashed key, the status and the expiries, nothing of the event', async () => {
    // Prepare
    const id = nextId();
    const before = Date.now();
    let during: Record<string, unknown> | undefined;

    // Act
    await claims().run(
      id,
      async () => {
        during = await recordOf(id);
        return { ok: true, secret: 'alice@example.com' };
      },
      { claimMs: 88_000 },
    );
    const after = await recordOf(id);

    // Assess
    expect(during).toEqual({
      id: expect.stringMatching(/^authgear-event#[A-Za-z0-9+/]{22}==$/),
      status: 'INPROGRESS',
      expiration: expect.any(Number),
      in_progress_expiration: expect.any(Number),
    });
    expect(Number(during?.in_progress_expiration)).toBeGreaterThanOrEqual(before + 88_000);
    expect(Number(during?.in_progress_expiration)).toBeLessThan(Date.now() + 88_000);
    expect(after).toMatchObject({ id: during?.id, status: 'COMPLETED' });
    expect(Number(after?.expiration)).toBeGreaterThanOrEqual(Math.floor(before / 1000) + 24 * 3_600 - 1);
    expect(Number(after?.expiration)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 24 * 3_600);
    expect(JSON.stringify(after)).not.toContain('alice');
    expect(JSON.stringify(after)).not.toContain(id);
  });

  it('runs an event again once its record is past the retention (TTL has not deleted it yet)', async () => {
    // Prepare: a handled event whose record expired a second ago.
    const id = nextId();
    await claims().run(id, async () => ({ ok: true }), { claimMs: 90_000 });
    const record = await recordOf(id);
    await dynamo.client().send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { id: { S: String(record?.id) } },
        UpdateExpression: 'SET expiration = :past',
        ExpressionAttributeValues: { ':past': { N: String(Math.floor(Date.now() / 1000) - 1) } },
      }),
    );

    // Act
    const isDone = await claims().isDone(id);
    const again = await claims().run(id, async () => ({ ok: true }), { claimMs: 90_000 });

    // Assess
    expect(isDone).toBe(false);
    expect(again.outcome).toBe('ran');
  });

  it('answers unavailable and never runs the work when the table cannot be reached', async () => {
    // Prepare
    const id = nextId();
    dynamo.setDown(true);
    const work = watchedWork();

    // Act
    const run = await claims().run(id, work.run, { claimMs: 90_000 });
    const read = await claims()
      .isDone(id)
      .then(
        () => 'answered',
        () => 'rejected',
      );

    // Assess
    expect(run.outcome).toBe('unavailable');
    expect(work.called).toBe(false);
    expect(read).toBe('rejected');
  });

  it('answers unavailable after the SDK’s three attempts when DynamoDB keeps answering 500', async () => {
    // Prepare
    const id = nextId();
    dynamo.failNext('PutItem', 3);

    // Act
    const run = await claims().run(id, async () => ({ ok: true }), { claimMs: 90_000 });

    // Assess
    expect(run.outcome).toBe('unavailable');
    expect(dynamo.count('PutItem')).toBe(3);
    expect(await recordOf(id)).toBeUndefined();
  });

  it('claims after a transient 500: the SDK retries the conditional write', async () => {
    // Prepare
    const id = nextId();
    dynamo.failNext('PutItem', 1);

    // Act
    const run = await claims().run(id, async () => ({ ok: true }), { claimMs: 90_000 });

    // Assess
    expect(run).toEqual({ outcome: 'ran', result: { ok: true } });
    expect(dynamo.count('PutItem')).toBe(2);
  });

  it.each([
    { title: 'reports a success it could not mark done; the claim then holds until it expires', failing: 'UpdateItem', ok: true },
    {
      title: 'reports a failure whose claim it could not release; the retry waits for the claim to expire',
      failing: 'DeleteItem',
      ok: false,
    },
  ] as const)('$title', async ({ failing, ok }) => {
    // Prepare
    const id = nextId();
    dynamo.failNext(failing, 3);

    // Act
    const run = await claims().run(id, async () => ({ ok }), { claimMs: 200 });
    const meanwhile = await claims().run(id, async () => ({ ok: true }), { claimMs: 90_000 });
    await sleep(250);
    const afterExpiry = await claims().run(id, async () => ({ ok: true }), { claimMs: 90_000 });

    // Assess
    expect(run).toMatchObject({ outcome: 'ran', result: { ok }, recordError: expect.any(Error) });
    expect(meanwhile).toEqual({ outcome: 'busy' });
    expect(afterExpiry.outcome).toBe('ran');
  });

  it('errs on the side of not running when the answer to its own claim is lost (the SDK’s retry meets that claim)', async () => {
    // Prepare
    const id = nextId();
    dynamo.failNext('PutItem', 1, 'lose-response');
    const work = watchedWork();

    // Act
    const run = await claims().run(id, work.run, { claimMs: 90_000 });

    // Assess: not run now; the message is retried, and runs once this claim expires.
    expect(run).toEqual({ outcome: 'busy' });
    expect(work.called).toBe(false);
    expect(await recordOf(id)).toMatchObject({ status: 'INPROGRESS' });
  });
});
