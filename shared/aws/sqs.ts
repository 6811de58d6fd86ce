/**
 * The receiver's side of the SQS queue: stores each verified non-blocking event as one message of
 * a FIFO queue, keyed by its Authgear event id.
 */
import { createHash } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { bodyString } from '../core/body';
import type { EventEnvelope } from '../core/events';
import type { NonBlockingQueue } from '../core/queued';

/** FIFO deduplication and group ids: 1–128 characters, letters, digits and ASCII punctuation. */
const FIFO_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The FIFO keys of an event. The deduplication id is the Authgear event id, so SQS drops a second
 * copy sent within 5 minutes (a retried SendMessage, a replayed request). The group is the event
 * id too: every event is its own group, so a failing event never holds up any other one (see the
 * docs/durable-events.md). Ids that SQS would refuse are replaced by their SHA-256.
 *
 * @example
 * ```ts
 * fifoKeys({ id: '000000000000bc56' } as EventEnvelope); // { deduplicationId: '000000000000bc56', groupId: '000000000000bc56' }
 * ```
 */
export function fifoKeys(event: Pick<EventEnvelope, 'id'>): { readonly deduplicationId: string; readonly groupId: string } {
  const key = FIFO_ID.test(event.id) ? event.id : `sha256-${createHash('sha256').update(event.id, 'utf8').digest('hex')}`;
  return { deduplicationId: key, groupId: key };
}

/**
 * An SQS client for the functions: short timeouts, since a hung connection must turn into a 503
 * (receiver) or a retry (worker) well before the function's own timeout, and 3 attempts, since
 * FIFO deduplication makes a retried SendMessage harmless. The endpoint follows the SDK's usual
 * configuration, so `AWS_ENDPOINT_URL_SQS` points it at a local server in tests.
 *
 * @example
 * ```ts
 * const client = createSqsClient();
 * ```
 */
export function createSqsClient(): SQSClient {
  return new SQSClient({
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
    maxAttempts: 3,
  });
}

export interface SqsQueueOptions {
  readonly queueUrl: string;
  /** Types with a handler in the worker; others are acknowledged without queueing. */
  readonly eventTypes: readonly string[];
  /** Default: {@link createSqsClient}, created on first use. */
  readonly client?: SQSClient;
}

/**
 * A {@link NonBlockingQueue} on an SQS FIFO queue. `enqueue` resolves once SQS has stored the
 * message (including when SQS recognised it as a duplicate of one it already has) and rejects
 * otherwise. The body is the raw request body, byte for byte.
 *
 * @example
 * ```ts
 * const queue = sqsNonBlockingQueue({ queueUrl: process.env.NON_BLOCKING_QUEUE_URL!, eventTypes: ['user.created'] });
 * const app = createWebhookApp({ handlers, secrets, config, logger, nonBlockingQueue: queue });
 * ```
 */
export function sqsNonBlockingQueue(options: SqsQueueOptions): NonBlockingQueue {
  let client = options.client;
  return {
    eventTypes: options.eventTypes,
    async enqueue(event, rawBody) {
      client ??= createSqsClient();
      const { deduplicationId, groupId } = fifoKeys(event);
      await client.send(
        new SendMessageCommand({
          QueueUrl: options.queueUrl,
          // The envelope check already decoded these bytes as strict UTF-8, so this is lossless.
          MessageBody: bodyString(rawBody),
          MessageDeduplicationId: deduplicationId,
          MessageGroupId: groupId,
        }),
      );
    },
  };
}
