/**
 * The SQS operations the fake serves: each reads a request's JSON input, checks it as SQS does,
 * acts on the queue model and returns the JSON output the SDK expects (with the MD5 digests it
 * checks).
 */
import type { QueueStore } from './queues';
import type { FakeSqsOperation } from './types';
import { errors, md5, SqsError, visibilitySeconds } from './wire';

export type Input = Record<string, unknown>;
export type Operations = Record<FakeSqsOperation, (input: Input) => unknown>;

const optionalString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const stringList = (value: unknown): string[] => (value as string[] | undefined) ?? [];

/**
 * Runs `each` on every entry of a batch request, and answers which succeeded and which failed
 * with an SQS error; any other error fails the whole request.
 */
function batch(input: Input, each: (entry: Input) => void): unknown {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0) throw errors.emptyBatch();
  if (entries.length > 10) throw errors.tooManyEntries();
  const successful: { Id: string }[] = [];
  const failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
  for (const entry of entries as Input[]) {
    const id = String(entry.Id);
    try {
      each(entry);
      successful.push({ Id: id });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      failed.push({ Id: id, SenderFault: error.status < 500, Code: error.type, Message: error.message });
    }
  }
  return { Successful: successful, Failed: failed };
}

/** The parameters SendMessage needs for the queue's type, or the error SQS answers. */
function checkSend(fifo: boolean, input: Input): { body: string; groupId: string | undefined; deduplicationId: string | undefined } {
  const body = input.MessageBody;
  if (typeof body !== 'string' || body === '') throw errors.missing('MessageBody');
  const groupId = optionalString(input.MessageGroupId);
  const deduplicationId = optionalString(input.MessageDeduplicationId);
  if (fifo) {
    if (!groupId) throw errors.missing('MessageGroupId');
    if (!deduplicationId) {
      throw errors.invalid('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
    }
    if (typeof input.DelaySeconds === 'number' && input.DelaySeconds !== 0) {
      throw errors.invalid(
        'Value for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.',
      );
    }
  }
  return { body, groupId, deduplicationId };
}

/**
 * The operations over `store`, by name.
 *
 * @example
 * ```ts
 * const operations = sqsOperations(store);
 * operations.GetQueueUrl({ QueueName: 'events.fifo' }); // { QueueUrl: '…/123456789012/events.fifo' }
 * ```
 */
export function sqsOperations(store: QueueStore): Operations {
  return {
    SendMessage(input) {
      const queue = store.fromUrl(input.QueueUrl);
      const checked = checkSend(queue.fifo, input);
      const delaySeconds = typeof input.DelaySeconds === 'number' ? input.DelaySeconds : 0;
      const { messageId, sequenceNumber } = store.enqueue(queue, { ...checked, delaySeconds });
      return { MD5OfMessageBody: md5(checked.body), MessageId: messageId, ...(queue.fifo ? { SequenceNumber: sequenceNumber } : {}) };
    },

    ReceiveMessage(input) {
      const queue = store.fromUrl(input.QueueUrl);
      const max = input.MaxNumberOfMessages === undefined ? 1 : input.MaxNumberOfMessages;
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 10) {
        throw errors.invalid(
          `Value ${String(max)} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
        );
      }
      const visibility =
        input.VisibilityTimeout === undefined
          ? queue.visibilityTimeoutSeconds
          : visibilitySeconds(input.VisibilityTimeout, 'VisibilityTimeout');
      const wanted = [...stringList(input.AttributeNames), ...stringList(input.MessageSystemAttributeNames)];
      const picked = store.receive(queue, max, visibility);
      if (picked.length === 0) return {};
      return {
        Messages: picked.map((message) => ({
          MessageId: message.messageId,
          ReceiptHandle: message.receiptHandle,
          MD5OfBody: message.md5,
          Body: message.body,
          Attributes: store.messageAttributes(queue, message, wanted),
        })),
      };
    },

    DeleteMessage(input) {
      store.delete(store.fromUrl(input.QueueUrl), input.ReceiptHandle);
      return {};
    },

    DeleteMessageBatch(input) {
      const queue = store.fromUrl(input.QueueUrl);
      return batch(input, (entry) => store.delete(queue, entry.ReceiptHandle));
    },

    ChangeMessageVisibility(input) {
      store.changeVisibility(store.fromUrl(input.QueueUrl), input.ReceiptHandle, input.VisibilityTimeout);
      return {};
    },

    ChangeMessageVisibilityBatch(input) {
      const queue = store.fromUrl(input.QueueUrl);
      return batch(input, (entry) => store.changeVisibility(queue, entry.ReceiptHandle, entry.VisibilityTimeout));
    },

    GetQueueAttributes(input) {
      const all = store.queueAttributes(store.fromUrl(input.QueueUrl));
      const wanted = stringList(input.AttributeNames);
      const names = wanted.includes('All') ? Object.keys(all) : wanted;
      return { Attributes: Object.fromEntries(names.flatMap((n) => (all[n] === undefined ? [] : [[n, all[n]]]))) };
    },

    GetQueueUrl(input) {
      const queue = store.named(String(input.QueueName));
      if (!queue) throw errors.noQueue(input.QueueName);
      return { QueueUrl: queue.url };
    },
  };
}
