/**
 * `npm run redrive` against a fake SQS through the real SDK: listing without moving, moving (all,
 * or by type), a redrive soon after the original send, where the URLs come from, and failures.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runRedriveCli } from '../infra/redrive-cli';
import { fakeSqsClient } from './support/sqs-event-source';
import { startFakeSqs, type FakeSqs, type FakeSqsQueue } from './support/sqs-server';

const event = (id: string, type: string): string =>
  JSON.stringify({ id, seq: 1, type, payload: { user: { id: 'u' } }, context: { timestamp: 1787217331, user_id: 'u' } });

describe('npm run redrive', () => {
  let fake: FakeSqs;
  let client: SQSClient;
  let queue: FakeSqsQueue;
  let dead: FakeSqsQueue;
  let cwd: string;
  let n = 0;
  const out: string[] = [];
  const err: string[] = [];

  const run = (...argv: string[]) =>
    runRedriveCli(argv, { cwd, env: {}, client, print: (l) => out.push(l), printError: (l) => err.push(l) });
  const withUrls = (...argv: string[]) => run('--queue-url', queue.url, '--dlq-url', dead.url, ...argv);
  const deadLetter = (body: string, key: string) =>
    client.send(new SendMessageCommand({ QueueUrl: dead.url, MessageBody: body, MessageGroupId: key, MessageDeduplicationId: key }));

  beforeAll(async () => {
    fake = await startFakeSqs();
    client = fakeSqsClient(fake);
    cwd = mkdtempSync(join(tmpdir(), 'redrive-test-'));
  });

  beforeEach(async () => {
    n += 1;
    dead = fake.createQueue(`dead-${n}.fifo`);
    queue = fake.createQueue(`events-${n}.fifo`, { deadLetterQueue: dead.name, maxReceiveCount: 9, deduplicationScope: 'messageGroup' });
    out.length = 0;
    err.length = 0;
    fake.failAll('SendMessage', false);
    await deadLetter(event('000000000000c101', 'user.created'), 'a');
    await deadLetter(event('000000000000c102', 'user.deleted'), 'b');
    await deadLetter(event('000000000000c103', 'user.created'), 'c');
    await deadLetter('this is not an Authgear event', 'd');
  });

  afterAll(async () => {
    await fake?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('--dry-run lists the events by type and id, moves nothing, and leaves them visible', async () => {
    // Act
    const code = await withUrls('--dry-run');

    // Assess
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(
      / {2}user\.created +000000000000c101\n {2}user\.deleted +000000000000c102\n {2}user\.created +000000000000c103/,
    );
    expect(out).toContain(
      '3 events (user.created: 2, user.deleted: 1). Dry run: nothing was moved. Run again without --dry-run to process them again.',
    );
    expect(out.at(-1)).toBe('1 messages are not Authgear events and stay in the dead-letter queue; delete them in the SQS console.');
    expect(fake.messages(queue.name)).toEqual([]);
    expect(fake.messages(dead.name)).toHaveLength(4);
    for (const m of fake.messages(dead.name)) expect(m.visibleAt).toBeLessThanOrEqual(Date.now());
    expect(fake.count('SendMessage')).toBeGreaterThan(0);
    expect(fake.calls.filter((c) => c.operation === 'SendMessage' && c.input.QueueUrl === queue.url)).toEqual([]);
  });

  it('moves every event back to the event queue, keyed by its id, and deletes it from the dead-letter queue', async () => {
    // Act
    const code = await withUrls();

    // Assess
    expect(code).toBe(0);
    const moved = fake.messages(queue.name);
    expect(moved.map((m) => JSON.parse(m.body).id)).toEqual(['000000000000c101', '000000000000c102', '000000000000c103']);
    for (const m of moved) {
      const id = (JSON.parse(m.body) as { id: string }).id;
      expect(m.groupId).toBe(id);
      expect(m.deduplicationId).toMatch(new RegExp(`^redrive-[0-9a-f]{12}-${id}$`));
    }
    expect(fake.messages(dead.name).map((m) => m.body)).toEqual(['this is not an Authgear event']);
    expect(out).toContain(`3 of 3 events moved to ${queue.url} (user.created: 2, user.deleted: 1); each gets a fresh retry window.`);
  });

  it('moves only the events of the given type, or with the given id', async () => {
    // Act
    const byType = await withUrls('--type', 'user.created');
    const afterType = fake.messages(queue.name).length;
    const byId = await withUrls('--id', '000000000000c102');

    // Assess
    expect([byType, byId]).toEqual([0, 0]);
    expect(afterType).toBe(2);
    expect(fake.messages(queue.name).map((m) => JSON.parse(m.body).id)).toEqual([
      '000000000000c101',
      '000000000000c103',
      '000000000000c102',
    ]);
    expect(fake.messages(dead.name)).toHaveLength(1);
  });

  it('is not swallowed by deduplication when it runs right after the event was first sent, nor when run twice', async () => {
    // Prepare: the event was sent under its id a moment ago and is in the dead-letter queue already.
    await client.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: event('000000000000c101', 'user.created'),
        MessageGroupId: '000000000000c101',
        MessageDeduplicationId: '000000000000c101',
      }),
    );
    await client.send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));

    // Act
    await withUrls('--id', '000000000000c101');
    const first = fake.messages(queue.name).length;
    await client.send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    await deadLetter(event('000000000000c101', 'user.created'), 'again');
    await withUrls('--id', '000000000000c101');

    // Assess
    expect(first).toBe(2);
    expect(fake.messages(queue.name)).toHaveLength(3);
  });

  it('--limit stops after that many events', async () => {
    // Act
    const code = await withUrls('--limit', '2');

    // Assess
    expect(code).toBe(0);
    expect(fake.messages(queue.name)).toHaveLength(2);
    expect(fake.messages(dead.name)).toHaveLength(2);
  });

  it('leaves an event in the dead-letter queue and exits 1 when it cannot be sent', async () => {
    // Prepare
    fake.failAll('SendMessage', true);

    // Act
    const code = await withUrls('--id', '000000000000c102');

    // Assess
    expect(code).toBe(1);
    expect(out.some((l) => l.startsWith('  failed 000000000000c102: could not send it to the event queue'))).toBe(true);
    expect(fake.messages(dead.name)).toHaveLength(4);
    expect(fake.messages(queue.name)).toEqual([]);
  });

  it('reads the queue URLs from the stack outputs that cdk deploy wrote', async () => {
    // Prepare
    writeFileSync(join(cwd, 'cdk.json'), JSON.stringify({ context: { stackName: 'MyHooks' } }));
    writeFileSync(
      join(cwd, 'cdk-outputs.json'),
      JSON.stringify({ MyHooks: { NonBlockingQueueUrl: queue.url, DeadLetterQueueUrl: dead.url, NonBlockingUrl: 'https://x' } }),
    );

    // Act
    const code = await run('--dry-run', '--region', 'us-east-1');

    // Assess
    expect(code).toBe(0);
    expect(out[0]).toBe(`Dead-letter queue ${dead.url}: about 4 events`);
  });

  it("with --stage, reads that stage's stack from its own outputs file, not another stage's", async () => {
    // Prepare
    writeFileSync(join(cwd, 'cdk.json'), JSON.stringify({ context: { stackName: 'MyHooks' } }));
    const other = 'https://sqs.eu-west-1.amazonaws.com/123456789012/other.fifo';
    writeFileSync(
      join(cwd, 'cdk-outputs.staging.json'),
      JSON.stringify({ 'MyHooks-staging': { NonBlockingQueueUrl: queue.url, DeadLetterQueueUrl: dead.url } }),
    );
    writeFileSync(
      join(cwd, 'cdk-outputs.json'),
      JSON.stringify({ 'MyHooks-production': { NonBlockingQueueUrl: other, DeadLetterQueueUrl: other } }),
    );

    // Act
    const code = await run('--dry-run', '--stage', 'staging', '--region', 'us-east-1');

    // Assess
    expect(code).toBe(0);
    expect(out[0]).toBe(`Dead-letter queue ${dead.url}: about 4 events`);
  });

  it('with --stage, falls back to cdk-outputs.json when npx cdk deploy -c stage=... wrote it there', async () => {
    // Prepare
    writeFileSync(join(cwd, 'cdk.json'), JSON.stringify({ context: {} }));
    writeFileSync(
      join(cwd, 'cdk-outputs.json'),
      JSON.stringify({ 'AuthgearWebhooks-qa': { NonBlockingQueueUrl: queue.url, DeadLetterQueueUrl: dead.url } }),
    );

    // Act
    const code = await run('--dry-run', '--stage', 'qa', '--region', 'us-east-1');

    // Assess
    expect(code).toBe(0);
    expect(out[0]).toBe(`Dead-letter queue ${dead.url}: about 4 events`);
  });

  it.each([
    [['--dry-run', '--stage', 'Prod!'], /--stage must be a stage name such as production \(got "Prod!"\)/],
    [
      ['--dry-run', '--stage', 'nowhere'],
      /cdk-outputs\.nowhere\.json and .*cdk-outputs\.json do not exist: deploy with npm run deploy -- nowhere|has no outputs of stack AuthgearWebhooks-nowhere/,
    ],
    [
      ['--dry-run', '--outputs-file', 'missing.json'],
      /missing\.json does not exist: deploy with npm run deploy \(it writes the file\), or pass --queue-url and --dlq-url/,
    ],
    [
      [
        '--limit',
        'ten',
        '--queue-url',
        'https://sqs.eu-west-1.amazonaws.com/1/q.fifo',
        '--dlq-url',
        'https://sqs.eu-west-1.amazonaws.com/1/d.fifo',
      ],
      /--limit must be a positive integer \(got "ten"\)/,
    ],
    [['--dry-rum'], /Unknown option '--dry-rum'/],
  ])('refuses %j with exit code 2, the reason and the usage', async (argv, message) => {
    // Act
    const code = await run(...argv);

    // Assess
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(message);
    expect(err.join('\n')).toContain('Usage: npm run redrive -- [--dry-run] [options]');
  });

  it('says which stack outputs are missing', async () => {
    // Prepare
    writeFileSync(join(cwd, 'cdk-outputs.json'), JSON.stringify({ Other: {} }));

    // Act
    const code = await run('--stack', 'AuthgearWebhooks');

    // Assess
    expect(code).toBe(2);
    expect(err[0]).toMatch(/has no outputs of stack AuthgearWebhooks \(it has: Other\); pass --stack/);
  });
});
