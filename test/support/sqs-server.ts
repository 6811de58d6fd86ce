/**
 * A local stand-in for Amazon SQS that speaks the wire protocol of the pinned
 * `@aws-sdk/client-sqs` (3.1164): AWS JSON 1.0, `POST /` with `x-amz-target: AmazonSQS.<Operation>`
 * and `content-type: application/x-amz-json-1.0`; errors carry `__type` plus the query-compatible
 * `x-amzn-query-error` header the SDK reads. Answers carry the MD5 digests the SDK checks.
 *
 * It keeps what the durable-events tests depend on: FIFO deduplication (5 minutes, per queue or
 * per message group), message-group locking, visibility timeouts, receive counts and the redrive
 * policy (a message received `maxReceiveCount` times goes to the dead-letter queue on its next
 * receive). Time comes from a replaceable clock, so a test can jump through a retry schedule. Any
 * operation can fail on demand, either without doing its work or after doing it (a lost response,
 * which makes the SDK retry).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { fakeServiceControls, listenOnLoopback } from './listen';

const REGION = 'us-east-1';
const ACCOUNT_ID = '123456789012';
const AWS_JSON = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'AmazonSQS.';
const DEDUPLICATION_WINDOW_MS = 5 * 60_000;

/** Dummy credentials: the SDK needs some to sign with; the server only checks that a signature is present. */
const DUMMY_ACCESS_KEY_ID = 'AKIAFAKESQSLOCALTEST';
const DUMMY_SECRET_ACCESS_KEY = 'fake/sqs/secret/access/key/for/local/tests/only';

export type FakeSqsOperation =
  | 'SendMessage'
  | 'ReceiveMessage'
  | 'DeleteMessage'
  | 'DeleteMessageBatch'
  | 'ChangeMessageVisibility'
  | 'ChangeMessageVisibilityBatch'
  | 'GetQueueAttributes'
  | 'GetQueueUrl';

/** `error`: answer 500 without doing the work. `lose-response`: do the work, then answer 500 (the SDK retries). */
export type FakeSqsFaultMode = 'error' | 'lose-response';

export interface FakeSqsQueueOptions {
  /** Default 30, as SQS. */
  readonly visibilityTimeoutSeconds?: number;
  /** Name of an existing queue to receive messages whose receive count ran out. */
  readonly deadLetterQueue?: string;
  /** Required with `deadLetterQueue`. */
  readonly maxReceiveCount?: number;
  /** FIFO only. Default `queue`. */
  readonly deduplicationScope?: 'queue' | 'messageGroup';
}

export interface FakeSqsQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

/** A message as the queue holds it now. */
export interface FakeSqsMessage {
  readonly messageId: string;
  readonly body: string;
  readonly groupId: string | undefined;
  readonly deduplicationId: string | undefined;
  readonly receiveCount: number;
  readonly sentAt: number;
  /** Clock time from which it can be received; in the past when visible. */
  readonly visibleAt: number;
  /** Set on messages the redrive policy moved here. */
  readonly deadLetterSourceArn: string | undefined;
}

/** One request as the server saw it. */
export interface FakeSqsCall {
  readonly operation: string;
  /** `Date.now()` on arrival (wall clock, not the fake's clock). */
  readonly at: number;
  readonly input: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<IncomingHttpHeaders>;
  /** The HTTP status answered. */
  readonly status: number;
}

export interface FakeSqs {
  /** Base URL, e.g. `http://127.0.0.1:43121`. Queue URLs are `<endpoint>/123456789012/<name>`. */
  readonly endpoint: string;
  /** Creates a queue; a name ending in `.fifo` makes a FIFO queue. */
  createQueue(name: string, options?: FakeSqsQueueOptions): FakeSqsQueue;
  /** A snapshot of a queue's messages, oldest first. */
  messages(queueName: string): readonly FakeSqsMessage[];
  /** Requests received, oldest first, including refused ones. A snapshot. */
  readonly calls: readonly FakeSqsCall[];
  /** How many requests of this operation arrived (all operations when omitted). */
  count(operation?: FakeSqsOperation): number;
  /** Makes the next `n` requests of `operation` fail (replaces an earlier count; 0 clears it). */
  failNext(operation: FakeSqsOperation, n: number, mode?: FakeSqsFaultMode): void;
  /** While `on`, every request of `operation` fails. */
  failAll(operation: FakeSqsOperation, on: boolean, mode?: FakeSqsFaultMode): void;
  /** Replaces the clock used for visibility, deduplication and timestamps (default `Date.now`). */
  setClock(now: () => number): void;
  /** Earliest time a message of the queue becomes visible; `undefined` when the queue is empty. */
  nextVisibleAt(queueName: string): number | undefined;
  /**
   * Environment variables that point a real SDK client (or a child process) at this server:
   * `AWS_ENDPOINT_URL_SQS`, `AWS_REGION`, dummy credentials, `AWS_EC2_METADATA_DISABLED`.
   */
  env(): Record<string, string>;
  close(): Promise<void>;
}

interface StoredMessage {
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

interface Queue extends FakeSqsQueue {
  readonly fifo: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly deadLetter: { readonly queue: Queue; readonly maxReceiveCount: number } | undefined;
  readonly deduplicationScope: 'queue' | 'messageGroup';
  readonly messages: StoredMessage[];
  /** Deduplication key → the message it stands for and the end of its window. */
  readonly recent: Map<string, { readonly messageId: string; readonly sequenceNumber: string | undefined; readonly until: number }>;
}

class SqsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly queryCode: string,
    message: string,
  ) {
    super(message);
  }
}

const errors = {
  noQueue: (url: unknown) =>
    new SqsError(400, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', `The specified queue does not exist: ${String(url)}`),
  badHandle: () => new SqsError(404, 'ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', 'The input receipt handle is invalid.'),
  notInFlight: () =>
    new SqsError(400, 'MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight', 'The message referred to is not in flight.'),
  missing: (name: string) => new SqsError(400, 'MissingParameter', 'MissingParameter', `The request must contain the parameter ${name}.`),
  invalid: (message: string) => new SqsError(400, 'InvalidParameterValue', 'InvalidParameterValue', message),
  unknownOperation: (target: unknown) =>
    new SqsError(400, 'UnknownOperationException', 'UnknownOperation', `unknown operation ${String(target)}`),
  internal: () => new SqsError(500, 'InternalFailure', 'InternalFailure', 'We encountered an internal error. Please try again.'),
};

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/**
 * Starts a fake SQS on `127.0.0.1` with a free port.
 *
 * @example
 * ```ts
 * const fake = await startFakeSqs();
 * const dlq = fake.createQueue('dead.fifo');
 * const queue = fake.createQueue('events.fifo', { deadLetterQueue: 'dead.fifo', maxReceiveCount: 8 });
 * const client = new SQSClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
 * await client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: '{}', MessageGroupId: 'g', MessageDeduplicationId: 'd' }));
 * await fake.close();
 * ```
 */
export async function startFakeSqs(): Promise<FakeSqs> {
  const queues = new Map<string, Queue>();
  const byHandle = new Map<string, { queue: Queue; message: StoredMessage }>();
  const calls: FakeSqsCall[] = [];
  const faultsLeft = new Map<string, { n: number; mode: FakeSqsFaultMode }>();
  const faultAlways = new Map<string, FakeSqsFaultMode>();
  let clock: () => number = Date.now;
  let sequence = 0n;
  let endpoint = '';

  const queueOf = (input: Record<string, unknown>): Queue => {
    const url = input.QueueUrl;
    if (typeof url !== 'string') throw errors.missing('QueueUrl');
    // Match on the path, as SQS does whatever host the SDK sent the request to.
    const name = url.split('/').pop() ?? '';
    const queue = queues.get(name);
    if (!queue || !url.endsWith(`/${ACCOUNT_ID}/${name}`)) throw errors.noQueue(url);
    return queue;
  };

  const isVisible = (message: StoredMessage, now: number): boolean => message.visibleAt <= now;

  const moveToDeadLetter = (from: Queue, message: StoredMessage, now: number): void => {
    const target = from.deadLetter?.queue;
    if (!target) return;
    from.messages.splice(from.messages.indexOf(message), 1);
    if (message.receiptHandle) byHandle.delete(message.receiptHandle);
    // As SQS: same message id and body; for FIFO the enqueue time restarts and the message id
    // becomes the deduplication id, so two moved messages never deduplicate each other.
    target.messages.push({
      messageId: message.messageId,
      body: message.body,
      md5: message.md5,
      groupId: message.groupId,
      deduplicationId: from.fifo ? message.messageId : message.deduplicationId,
      sequenceNumber: from.fifo ? String(++sequence).padStart(20, '0') : undefined,
      sentAt: from.fifo ? now : message.sentAt,
      deadLetterSourceArn: from.arn,
      receiveCount: 0,
      firstReceiveAt: undefined,
      visibleAt: now,
      receiptHandle: undefined,
    });
  };

  const attributesOf = (queue: Queue, message: StoredMessage, wanted: readonly string[]): Record<string, string> => {
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
      if (value !== undefined && (queue.fifo || !['MessageGroupId', 'MessageDeduplicationId', 'SequenceNumber'].includes(name)))
        out[name] = value;
    }
    return out;
  };

  const visibilitySeconds = (value: unknown, name: string): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 43_200) {
      throw errors.invalid(`Value ${String(value)} for parameter ${name} is invalid. Reason: must be between 0 and 43200 seconds.`);
    }
    return value;
  };

  const operations: Record<FakeSqsOperation, (input: Record<string, unknown>) => unknown> = {
    SendMessage(input) {
      const queue = queueOf(input);
      const now = clock();
      const body = input.MessageBody;
      if (typeof body !== 'string' || body === '') throw errors.missing('MessageBody');
      const groupId = typeof input.MessageGroupId === 'string' ? input.MessageGroupId : undefined;
      const deduplicationId = typeof input.MessageDeduplicationId === 'string' ? input.MessageDeduplicationId : undefined;
      if (queue.fifo) {
        if (!groupId) throw errors.missing('MessageGroupId');
        if (!deduplicationId) {
          throw errors.invalid(
            'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
          );
        }
        if (typeof input.DelaySeconds === 'number' && input.DelaySeconds !== 0) {
          throw errors.invalid(
            'Value for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.',
          );
        }
        for (const [key, entry] of queue.recent) if (entry.until <= now) queue.recent.delete(key);
        const key = queue.deduplicationScope === 'messageGroup' ? `${groupId}\u0000${deduplicationId}` : deduplicationId;
        const earlier = queue.recent.get(key);
        // A duplicate is accepted and answered like the original, but not stored again.
        if (earlier) return { MD5OfMessageBody: md5(body), MessageId: earlier.messageId, SequenceNumber: earlier.sequenceNumber };
        const messageId = randomUUID();
        const sequenceNumber = String(++sequence).padStart(20, '0');
        queue.recent.set(key, { messageId, sequenceNumber, until: now + DEDUPLICATION_WINDOW_MS });
        queue.messages.push({
          messageId,
          body,
          md5: md5(body),
          groupId,
          deduplicationId,
          sequenceNumber,
          sentAt: now,
          deadLetterSourceArn: undefined,
          receiveCount: 0,
          firstReceiveAt: undefined,
          visibleAt: now,
          receiptHandle: undefined,
        });
        return { MD5OfMessageBody: md5(body), MessageId: messageId, SequenceNumber: sequenceNumber };
      }
      const delay = typeof input.DelaySeconds === 'number' ? input.DelaySeconds : 0;
      const messageId = randomUUID();
      queue.messages.push({
        messageId,
        body,
        md5: md5(body),
        groupId: undefined,
        deduplicationId: undefined,
        sequenceNumber: undefined,
        sentAt: now,
        deadLetterSourceArn: undefined,
        receiveCount: 0,
        firstReceiveAt: undefined,
        visibleAt: now + delay * 1_000,
        receiptHandle: undefined,
      });
      return { MD5OfMessageBody: md5(body), MessageId: messageId };
    },

    ReceiveMessage(input) {
      const queue = queueOf(input);
      const now = clock();
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
      const wanted = [
        ...((input.AttributeNames as string[] | undefined) ?? []),
        ...((input.MessageSystemAttributeNames as string[] | undefined) ?? []),
      ];
      // FIFO: a group with a message in flight yields nothing; otherwise its messages come in order.
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
          moveToDeadLetter(queue, message, now);
          continue;
        }
        picked.push(message);
      }
      if (picked.length === 0) return {};
      return {
        Messages: picked.map((message) => {
          if (message.receiptHandle) byHandle.delete(message.receiptHandle);
          message.receiveCount += 1;
          message.firstReceiveAt ??= now;
          message.visibleAt = now + visibility * 1_000;
          message.receiptHandle = `${message.messageId}#${randomUUID()}`;
          byHandle.set(message.receiptHandle, { queue, message });
          return {
            MessageId: message.messageId,
            ReceiptHandle: message.receiptHandle,
            MD5OfBody: message.md5,
            Body: message.body,
            Attributes: attributesOf(queue, message, wanted),
          };
        }),
      };
    },

    DeleteMessage(input) {
      deleteOne(queueOf(input), input.ReceiptHandle);
      return {};
    },

    DeleteMessageBatch(input) {
      const queue = queueOf(input);
      return batch(input, (entry) => deleteOne(queue, entry.ReceiptHandle));
    },

    ChangeMessageVisibility(input) {
      changeOne(queueOf(input), input.ReceiptHandle, input.VisibilityTimeout);
      return {};
    },

    ChangeMessageVisibilityBatch(input) {
      const queue = queueOf(input);
      return batch(input, (entry) => changeOne(queue, entry.ReceiptHandle, entry.VisibilityTimeout));
    },

    GetQueueAttributes(input) {
      const queue = queueOf(input);
      const now = clock();
      const all: Record<string, string | undefined> = {
        QueueArn: queue.arn,
        ApproximateNumberOfMessages: String(queue.messages.filter((m) => isVisible(m, now)).length),
        ApproximateNumberOfMessagesNotVisible: String(queue.messages.filter((m) => !isVisible(m, now)).length),
        VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
        FifoQueue: queue.fifo ? 'true' : undefined,
        RedrivePolicy: queue.deadLetter
          ? JSON.stringify({ deadLetterTargetArn: queue.deadLetter.queue.arn, maxReceiveCount: queue.deadLetter.maxReceiveCount })
          : undefined,
      };
      const wanted = (input.AttributeNames as string[] | undefined) ?? [];
      const names = wanted.includes('All') ? Object.keys(all) : wanted;
      return { Attributes: Object.fromEntries(names.flatMap((n) => (all[n] === undefined ? [] : [[n, all[n]]]))) };
    },

    GetQueueUrl(input) {
      const queue = queues.get(String(input.QueueName));
      if (!queue) throw errors.noQueue(input.QueueName);
      return { QueueUrl: queue.url };
    },
  };

  function deleteOne(queue: Queue, handle: unknown): void {
    const found = typeof handle === 'string' ? byHandle.get(handle) : undefined;
    if (!found || found.queue !== queue) throw errors.badHandle();
    byHandle.delete(handle as string);
    const index = queue.messages.indexOf(found.message);
    if (index >= 0) queue.messages.splice(index, 1);
  }

  function changeOne(queue: Queue, handle: unknown, seconds: unknown): void {
    const found = typeof handle === 'string' ? byHandle.get(handle) : undefined;
    if (!found || found.queue !== queue) throw errors.badHandle();
    const timeout = visibilitySeconds(seconds, 'VisibilityTimeout');
    const now = clock();
    if (isVisible(found.message, now)) throw errors.notInFlight();
    found.message.visibleAt = now + timeout * 1_000;
  }

  function batch(input: Record<string, unknown>, each: (entry: Record<string, unknown>) => void): unknown {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length === 0)
      throw new SqsError(
        400,
        'EmptyBatchRequest',
        'AWS.SimpleQueueService.EmptyBatchRequest',
        'There should be at least one entry in the request.',
      );
    if (entries.length > 10)
      throw new SqsError(
        400,
        'TooManyEntriesInBatchRequest',
        'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
        'Maximum number of entries per request are 10.',
      );
    const successful: { Id: string }[] = [];
    const failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
    for (const entry of entries as Record<string, unknown>[]) {
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

  /** Whether this request should fail, and how; consumes one of `failNext`'s count. */
  const faultFor = (operation: string): FakeSqsFaultMode | undefined => {
    const always = faultAlways.get(operation);
    if (always) return always;
    const next = faultsLeft.get(operation);
    if (!next || next.n <= 0) return undefined;
    next.n -= 1;
    return next.mode;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const target = req.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : String(target);
    let input: Record<string, unknown> = {};
    let result: unknown;
    let failure: SqsError | undefined;
    try {
      if (req.method !== 'POST' || req.url !== '/') throw errors.unknownOperation(`${String(req.method)} ${String(req.url)}`);
      const authorization = req.headers.authorization;
      if (typeof authorization !== 'string' || !authorization.startsWith('AWS4-HMAC-SHA256')) {
        throw new SqsError(403, 'MissingAuthenticationToken', 'MissingAuthenticationToken', 'Request is missing Authentication Token');
      }
      if (req.headers['content-type'] !== AWS_JSON) throw errors.invalid(`expected content-type ${AWS_JSON}`);
      input = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
      const run = Object.hasOwn(operations, operation) ? operations[operation as FakeSqsOperation] : undefined;
      if (!run) throw errors.unknownOperation(target);
      const fault = faultFor(operation);
      if (fault === 'error') throw errors.internal();
      result = run(input);
      if (fault === 'lose-response') throw errors.internal();
    } catch (error) {
      failure =
        error instanceof SqsError ? error : new SqsError(500, 'InternalFailure', 'InternalFailure', `fake server error: ${String(error)}`);
    }
    calls.push({ operation, at: Date.now(), input, headers: { ...req.headers }, status: failure?.status ?? 200 });
    const requestId = randomUUID();
    if (failure) {
      res.writeHead(failure.status, {
        'content-type': AWS_JSON,
        'x-amzn-requestid': requestId,
        'x-amzn-query-error': `${failure.queryCode};${failure.status < 500 ? 'Sender' : 'Receiver'}`,
      });
      res.end(JSON.stringify({ __type: `com.amazonaws.sqs#${failure.type}`, message: failure.message }));
      return;
    }
    res.writeHead(200, { 'content-type': AWS_JSON, 'x-amzn-requestid': requestId });
    res.end(JSON.stringify(result));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': AWS_JSON });
      res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#InternalFailure', message: `fake server error: ${String(error)}` }));
    });
  });
  endpoint = await listenOnLoopback(server);

  return {
    endpoint,
    createQueue(name, options = {}) {
      if (queues.has(name)) throw new Error(`queue ${name} exists already`);
      const fifo = name.endsWith('.fifo');
      let deadLetter: Queue['deadLetter'];
      if (options.deadLetterQueue !== undefined) {
        const target = queues.get(options.deadLetterQueue);
        if (!target) throw new Error(`create the dead-letter queue ${options.deadLetterQueue} first`);
        if (target.fifo !== fifo) throw new Error('a FIFO queue needs a FIFO dead-letter queue, and a standard queue a standard one');
        if (!options.maxReceiveCount) throw new Error('maxReceiveCount is required with deadLetterQueue');
        deadLetter = { queue: target, maxReceiveCount: options.maxReceiveCount };
      }
      const queue: Queue = {
        name,
        url: `${endpoint}/${ACCOUNT_ID}/${name}`,
        arn: `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${name}`,
        fifo,
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
        deadLetter,
        deduplicationScope: options.deduplicationScope ?? 'queue',
        messages: [],
        recent: new Map(),
      };
      queues.set(name, queue);
      return { name: queue.name, url: queue.url, arn: queue.arn };
    },
    messages(queueName) {
      const queue = queues.get(queueName);
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
    },
    get calls() {
      return calls.slice();
    },
    count: (operation) => (operation ? calls.filter((c) => c.operation === operation).length : calls.length),
    failNext(operation, n, mode = 'error') {
      faultsLeft.set(operation, { n: Math.max(0, Math.floor(n)), mode });
    },
    failAll(operation, on, mode = 'error') {
      if (on) faultAlways.set(operation, mode);
      else faultAlways.delete(operation);
    },
    setClock(now) {
      clock = now;
    },
    nextVisibleAt(queueName) {
      const queue = queues.get(queueName);
      if (!queue || queue.messages.length === 0) return undefined;
      return Math.min(...queue.messages.map((m) => m.visibleAt));
    },
    ...fakeServiceControls(server, {
      endpoint,
      endpointVariable: 'AWS_ENDPOINT_URL_SQS',
      region: REGION,
      accessKeyId: DUMMY_ACCESS_KEY_ID,
      secretAccessKey: DUMMY_SECRET_ACCESS_KEY,
    }),
  };
}
