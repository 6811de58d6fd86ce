/**
 * Plays the part of Lambda's SQS event source mapping against the fake SQS, through the real SDK:
 * receive a batch, invoke the worker with an `SQSEvent`, then delete the messages it did not
 * report in `batchItemFailures`. Tests can make a deletion fail, as when the mapping's
 * DeleteMessage is lost: SQS then delivers the message again.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { FakeSqs, FakeSqsQueue } from './sqs-server';

/**
 * An SQS client for the fake: fixed endpoint, dummy credentials, the SDK's standard retries.
 *
 * @example
 * ```ts
 * const client = fakeSqsClient(fake);
 * await client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body, MessageGroupId: id, MessageDeduplicationId: id }));
 * ```
 */
export function fakeSqsClient(fake: FakeSqs, options: { maxAttempts?: number } = {}): SQSClient {
  const env = fake.env();
  return new SQSClient({
    endpoint: fake.endpoint,
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' },
    maxAttempts: options.maxAttempts ?? 3,
  });
}

/**
 * The record Lambda builds from a received message.
 *
 * @example
 * ```ts
 * const records = (await client.send(new ReceiveMessageCommand({ QueueUrl: queue.url }))).Messages?.map((m) => toSqsRecord(m, queue));
 * ```
 */
export function toSqsRecord(message: Message, queue: FakeSqsQueue): SQSRecord {
  const a = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? '0',
      SenderId: a.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '0',
      ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
      ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
      ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: 'us-east-1',
  };
}

export interface PollResult {
  /** The event the worker was invoked with; empty when the queue had nothing visible. */
  readonly event: SQSEvent;
  readonly response: SQSBatchResponse | undefined;
  /** Message ids deleted after the invocation. */
  readonly deleted: readonly string[];
}

/**
 * One poll of the event source mapping. `loseDelete` picks successful records whose deletion is
 * lost (the message stays and comes back after its visibility timeout).
 *
 * @example
 * ```ts
 * const { event, response } = await pollOnce({ client, queue, worker: createSqsWorkerHandler({ modules, env }) });
 * ```
 */
export async function pollOnce(options: {
  readonly client: SQSClient;
  readonly queue: FakeSqsQueue;
  readonly worker: (event: SQSEvent) => Promise<SQSBatchResponse>;
  readonly batchSize?: number;
  readonly loseDelete?: (record: SQSRecord) => boolean;
}): Promise<PollResult> {
  const { client, queue } = options;
  const received = await client.send(
    new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: options.batchSize ?? 10, MessageSystemAttributeNames: ['All'] }),
  );
  const event: SQSEvent = { Records: (received.Messages ?? []).map((m) => toSqsRecord(m, queue)) };
  if (event.Records.length === 0) return { event, response: undefined, deleted: [] };
  const response = await options.worker(event);
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const toDelete = event.Records.filter((r) => !failed.has(r.messageId) && !options.loseDelete?.(r));
  if (toDelete.length > 0) {
    const result = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: toDelete.map((r, i) => ({ Id: `d${i}`, ReceiptHandle: r.receiptHandle })),
      }),
    );
    if ((result.Failed ?? []).length > 0) throw new Error(`the fake refused deletions: ${JSON.stringify(result.Failed)}`);
  }
  return { event, response, deleted: toDelete.map((r) => r.messageId) };
}
