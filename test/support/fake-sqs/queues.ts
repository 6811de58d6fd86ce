/**
 * The fake SQS's queue model: FIFO deduplication (5 minutes, per queue or per message group),
 * message-group locking, visibility timeouts, receive counts and the redrive policy (a message
 * received `maxReceiveCount` times goes to the dead-letter queue on its next receive), all on a
 * replaceable clock. It knows nothing of HTTP or the wire format.
 */
import { randomUUID } from 'node:crypto';
import type { FakeSqsMessage, FakeSqsQueue, FakeSqsQueueOptions } from './types';
import { ACCOUNT_ID, DUMMY_ACCESS_KEY_ID, errors, md5, REGION, visibilitySeconds } from './wire';

const DEDUPLICATION_WINDOW_MS = 5 * 60_000;
/** Attributes SQS gives only for messages of FIFO queues. */
const FIFO_ONLY_ATTRIBUTES = ['MessageGroupId', 'MessageDeduplicationId', 'SequenceNumber'];

export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5: string;
  readonly groupId: string | undefined;
  readonly deduplicationId: string | undefined;
  readonly sequenceNumber: string | undefined;
  readonly sentAt: number;
  readonly deadLetterSourceArn: string | undefined;
  receiveCount: number;
  firstReceiveAt: number | undefined;
  visibleAt: number;
  receiptHandle: string | undefined;
}

export interface Queue extends FakeSqsQueue {
  readonly fifo: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly deadLetter: { readonly queue: Queue; readonly maxReceiveCount: number } | undefined;
  readonly deduplicationScope: 'queue' | 'messageGroup';
  readonly messages: StoredMessage[];
  /** Deduplication key → the message it stands for and the end of its window. */
  readonly recent: Map<string, { readonly messageId: string; readonly sequenceNumber: string | undefined; readonly until: number }>;
}

/** What SendMessage answers: the original's id and sequence number for a duplicate. */
export interface Enqueued {
  readonly messageId: string;
  readonly sequenceNumber: string | undefined;
}

/** A message as first stored: never received, with no receipt handle. */
const fresh = (
  fields: Omit<StoredMessage, 'md5' | 'receiveCount' | 'firstReceiveAt' | 'receiptHandle' | 'visibleAt'> & { visibleAt: number },
): StoredMessage => ({ ...fields, md5: md5(fields.body), receiveCount: 0, firstReceiveAt: undefined, receiptHandle: undefined });

const isVisible = (message: StoredMessage, now: number): boolean => message.visibleAt <= now;

/**
 * The queues of one fake SQS and the messages in them.
 *
 * @example
 * ```ts
 * const store = new QueueStore('http://127.0.0.1:43121');
 * const queue = store.create('events.fifo');
 * store.enqueue(store.named(queue.name)!, { body: '{}', groupId: 'g', deduplicationId: 'd', delaySeconds: 0 });
 * ```
 */
export class QueueStore {
  /** The time for visibility, deduplication and timestamps. */
  clock: () => number = Date.now;
  readonly #queues = new Map<string, Queue>();
  readonly #byHandle = new Map<string, { queue: Queue; message: StoredMessage }>();
  #sequence = 0n;

  constructor(readonly endpoint: string) {}

  /** Creates a queue; a name ending in `.fifo` makes a FIFO queue. Throws (a test's mistake) on a bad redrive setup. */
  create(name: string, options: FakeSqsQueueOptions = {}): FakeSqsQueue {
    if (this.#queues.has(name)) throw new Error(`queue ${name} exists already`);
    const fifo = name.endsWith('.fifo');
    let deadLetter: Queue['deadLetter'];
    if (options.deadLetterQueue !== undefined) {
      const target = this.#queues.get(options.deadLetterQueue);
      if (!target) throw new Error(`create the dead-letter queue ${options.deadLetterQueue} first`);
      if (target.fifo !== fifo) throw new Error('a FIFO queue needs a FIFO dead-letter queue, and a standard queue a standard one');
      if (!options.maxReceiveCount) throw new Error('maxReceiveCount is required with deadLetterQueue');
      deadLetter = { queue: target, maxReceiveCount: options.maxReceiveCount };
    }
    const queue: Queue = {
      name,
      url: `${this.endpoint}/${ACCOUNT_ID}/${name}`,
      arn: `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${name}`,
      fifo,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
      deadLetter,
      deduplicationScope: options.deduplicationScope ?? 'queue',
      messages: [],
      recent: new Map(),
    };
    this.#queues.set(name, queue);
    return { name: queue.name, url: queue.url, arn: queue.arn };
  }

  named(name: string): Queue | undefined {
    return this.#queues.get(name);
  }

  /** The queue a request's `QueueUrl` names; SQS errors when it is missing or names no queue. */
  fromUrl(url: unknown): Queue {
    if (typeof url !== 'string') throw errors.missing('QueueUrl');
    // Match on the path, as SQS does whatever host the SDK sent the request to.
    const name = url.split('/').pop() ?? '';
    const queue = this.#queues.get(name);
    if (!queue || !url.endsWith(`/${ACCOUNT_ID}/${name}`)) throw errors.noQueue(url);
    return queue;
  }

  /** A snapshot of a queue's messages, oldest first. */
  snapshot(queueName: string): readonly FakeSqsMessage[] {
    const queue = this.#queues.get(queueName);
    if (!queue) throw new Error(`no queue ${queueName}`);
    return queue.messages.map((m) => ({
      messageId: m.messageId,
      body: m.body,
      groupId: m.groupId,
      deduplicationId: m.deduplicationId,
      receiveCount: m.receiveCount,
      sentAt: m.sentAt,
      visibleAt: m.visibleAt,
      deadLetterSourceArn: m.deadLetterSourceArn,
    }));
  }

  nextVisibleAt(queueName: string): number | undefined {
    const queue = this.#queues.get(queueName);
    if (!queue || queue.messages.length === 0) return undefined;
    return Math.min(...queue.messages.map((m) => m.visibleAt));
  }

  /**
   * Stores a message. FIFO: a deduplication id seen within 5 minutes (in the queue, or in the
   * group) is accepted and answered like the original, but not stored again.
   */
  enqueue(
    queue: Queue,
    input: { body: string; groupId: string | undefined; deduplicationId: string | undefined; delaySeconds: number },
  ): Enqueued {
    const now = this.clock();
    const { body, groupId, deduplicationId } = input;
    if (!queue.fifo) {
      const messageId = randomUUID();
      queue.messages.push(
        fresh({
          messageId,
          body,
          groupId: undefined,
          deduplicationId: undefined,
          sequenceNumber: undefined,
          sentAt: now,
          deadLetterSourceArn: undefined,
          visibleAt: now + input.delaySeconds * 1_000,
        }),
      );
      return { messageId, sequenceNumber: undefined };
    }
    for (const [key, entry] of queue.recent) if (entry.until <= now) queue.recent.delete(key);
    const key = queue.deduplicationScope === 'messageGroup' ? `${groupId}\u0000${deduplicationId}` : String(deduplicationId);
    const earlier = queue.recent.get(key);
    if (earlier) return { messageId: earlier.messageId, sequenceNumber: earlier.sequenceNumber };
    const messageId = randomUUID();
    const sequenceNumber = this.#nextSequenceNumber();
    queue.recent.set(key, { messageId, sequenceNumber, until: now + DEDUPLICATION_WINDOW_MS });
    queue.messages.push(
      fresh({ messageId, body, groupId, deduplicationId, sequenceNumber, sentAt: now, deadLetterSourceArn: undefined, visibleAt: now }),
    );
    return { messageId, sequenceNumber };
  }

  /**
   * Up to `max` visible messages, each hidden for `visibilitySeconds` under a new receipt handle.
   * FIFO: a group with a message in flight yields nothing; otherwise its messages come in order.
   * A message whose receive count ran out moves to the dead-letter queue instead.
   */
  receive(queue: Queue, max: number, visibilitySeconds: number): readonly StoredMessage[] {
    const now = this.clock();
    const blocked = new Set<string>();
    if (queue.fifo) for (const m of queue.messages) if (m.groupId && m.receiptHandle && !isVisible(m, now)) blocked.add(m.groupId);
    const picked: StoredMessage[] = [];
    for (const message of [...queue.messages]) {
      if (picked.length >= max) break;
      const group = message.groupId;
      if (queue.fifo && group && blocked.has(group)) continue;
      if (!isVisible(message, now)) {
        if (queue.fifo && group) blocked.add(group);
        continue;
      }
      if (queue.deadLetter && message.receiveCount >= queue.deadLetter.maxReceiveCount) {
        this.#moveToDeadLetter(queue, message, now);
        continue;
      }
      picked.push(message);
    }
    for (const message of picked) {
      if (message.receiptHandle) this.#byHandle.delete(message.receiptHandle);
      message.receiveCount += 1;
      message.firstReceiveAt ??= now;
      message.visibleAt = now + visibilitySeconds * 1_000;
      message.receiptHandle = `${message.messageId}#${randomUUID()}`;
      this.#byHandle.set(message.receiptHandle, { queue, message });
    }
    return picked;
  }

  /** Deletes the message a receipt handle of this queue stands for. */
  delete(queue: Queue, handle: unknown): void {
    const found = this.#received(queue, handle);
    this.#byHandle.delete(handle as string);
    const index = queue.messages.indexOf(found);
    if (index >= 0) queue.messages.splice(index, 1);
  }

  /** Hides an in-flight message for `seconds` (a request's `VisibilityTimeout`) from now. */
  changeVisibility(queue: Queue, handle: unknown, seconds: unknown): void {
    const found = this.#received(queue, handle);
    const timeout = visibilitySeconds(seconds, 'VisibilityTimeout');
    const now = this.clock();
    if (isVisible(found, now)) throw errors.notInFlight();
    found.visibleAt = now + timeout * 1_000;
  }

  /** The message attributes SQS returns, limited to `wanted` (or all for `All`). */
  messageAttributes(queue: Queue, message: StoredMessage, wanted: readonly string[]): Record<string, string> {
    const all: Record<string, string | undefined> = {
      SenderId: DUMMY_ACCESS_KEY_ID,
      SentTimestamp: String(message.sentAt),
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: message.firstReceiveAt === undefined ? undefined : String(message.firstReceiveAt),
      MessageGroupId: message.groupId,
      MessageDeduplicationId: message.deduplicationId,
      SequenceNumber: message.sequenceNumber,
      DeadLetterQueueSourceArn: message.deadLetterSourceArn,
    };
    const names = wanted.includes('All') ? Object.keys(all) : wanted;
    const out: Record<string, string> = {};
    for (const name of names) {
      const value = all[name];
      if (value !== undefined && (queue.fifo || !FIFO_ONLY_ATTRIBUTES.includes(name))) out[name] = value;
    }
    return out;
  }

  /** The queue attributes SQS returns, those without a value left out. */
  queueAttributes(queue: Queue): Record<string, string | undefined> {
    const now = this.clock();
    return {
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(queue.messages.filter((m) => isVisible(m, now)).length),
      ApproximateNumberOfMessagesNotVisible: String(queue.messages.filter((m) => !isVisible(m, now)).length),
      VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
      FifoQueue: queue.fifo ? 'true' : undefined,
      RedrivePolicy: queue.deadLetter
        ? JSON.stringify({ deadLetterTargetArn: queue.deadLetter.queue.arn, maxReceiveCount: queue.deadLetter.maxReceiveCount })
        : undefined,
    };
  }

  #nextSequenceNumber(): string {
    this.#sequence += 1n;
    return String(this.#sequence).padStart(20, '0');
  }

  #received(queue: Queue, handle: unknown): StoredMessage {
    const found = typeof handle === 'string' ? this.#byHandle.get(handle) : undefined;
    if (!found || found.queue !== queue) throw errors.badHandle();
    return found.message;
  }

  #moveToDeadLetter(from: Queue, message: StoredMessage, now: number): void {
    const target = from.deadLetter?.queue;
    if (!target) return;
    from.messages.splice(from.messages.indexOf(message), 1);
    if (message.receiptHandle) this.#byHandle.delete(message.receiptHandle);
    // As SQS: same message id and body; for FIFO the enqueue time restarts and the message id
    // becomes the deduplication id, so two moved messages never deduplicate each other.
    target.messages.push(
      fresh({
        messageId: message.messageId,
        body: message.body,
        groupId: message.groupId,
        deduplicationId: from.fifo ? message.messageId : message.deduplicationId,
        sequenceNumber: from.fifo ? this.#nextSequenceNumber() : undefined,
        sentAt: from.fifo ? now : message.sentAt,
        deadLetterSourceArn: from.arn,
        visibleAt: now,
      }),
    );
  }
}
