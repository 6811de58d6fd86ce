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
 *
 * The pieces, under `fake-sqs/`: `wire.ts` (protocol facts and errors), `queues.ts` (the queue
 * model), `operations.ts` (each operation's input and output), `http.ts` (requests, faults, calls).
 */
import { createServer } from 'node:http';
import { Faults, sqsRequestListener } from './fake-sqs/http';
import { sqsOperations } from './fake-sqs/operations';
import { QueueStore } from './fake-sqs/queues';
import type { FakeSqs, FakeSqsCall } from './fake-sqs/types';
import { DUMMY_ACCESS_KEY_ID, DUMMY_SECRET_ACCESS_KEY, REGION } from './fake-sqs/wire';
import { fakeServiceControls, listenOnLoopback } from './listen';

export type {
  FakeSqs,
  FakeSqsCall,
  FakeSqsFaultMode,
  FakeSqsMessage,
  FakeSqsOperation,
  FakeSqsQueue,
  FakeSqsQueueOptions,
} from './fake-sqs/types';

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
  const server = createServer();
  // Queue URLs name the endpoint, so the store is made once the port is known; nothing can call before.
  const endpoint = await listenOnLoopback(server);
  const store = new QueueStore(endpoint);
  const faults = new Faults();
  const calls: FakeSqsCall[] = [];
  server.on('request', sqsRequestListener(sqsOperations(store), faults, calls));

  return {
    endpoint,
    createQueue: (name, options) => store.create(name, options),
    messages: (queueName) => store.snapshot(queueName),
    get calls() {
      return calls.slice();
    },
    count: (operation) => (operation ? calls.filter((c) => c.operation === operation).length : calls.length),
    failNext: (operation, n, mode = 'error') => faults.failNext(operation, n, mode),
    failAll: (operation, on, mode = 'error') => faults.failAll(operation, on, mode),
    setClock(now) {
      store.clock = now;
    },
    nextVisibleAt: (queueName) => store.nextVisibleAt(queueName),
    ...fakeServiceControls(server, {
      endpoint,
      endpointVariable: 'AWS_ENDPOINT_URL_SQS',
      region: REGION,
      accessKeyId: DUMMY_ACCESS_KEY_ID,
      secretAccessKey: DUMMY_SECRET_ACCESS_KEY,
    }),
  };
}
