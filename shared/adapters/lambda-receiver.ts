import type { Logger } from '../core/logger';
import type { NonBlockingQueue } from '../core/queued';
import type { SecretSource } from '../core/secret';
import { readQueueUrl } from '../core/config';
import { sqsNonBlockingQueue } from '../aws/sqs';
import { createLambdaHandler, type LambdaHandler } from './lambda';

export interface ReceiverLambdaOptions {
  /** Non-blocking types with a handler file: only these are queued; other types are acknowledged. */
  readonly eventTypes: readonly string[];
  /** Defaults to `process.env` (`NON_BLOCKING_QUEUE_URL`, `AUTHGEAR_WEBHOOK_SECRET_ID`, …). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  readonly secretSource?: SecretSource;
  /** Defaults to the SQS queue at `NON_BLOCKING_QUEUE_URL`. */
  readonly queue?: NonBlockingQueue;
}

/**
 * The non-blocking receiver Lambda behind `POST /non-blocking`: verifies the signature, then
 * answers 200 only once the raw event is stored in SQS, or 503 when it cannot be. It imports no
 * handler file (the worker runs them), which keeps its bundle and its cold start small.
 *
 * @example
 * ```ts
 * // generated entry (see infra): the receiver function
 * export const handler = createReceiverHandler({ eventTypes: ['user.created'] });
 * ```
 */
export function createReceiverHandler(options: ReceiverLambdaOptions): LambdaHandler {
  const env = options.env ?? process.env;
  const queue = options.queue ?? sqsNonBlockingQueue({ queueUrl: readQueueUrl(env), eventTypes: options.eventTypes });
  return createLambdaHandler({
    serve: 'non-blocking',
    modules: [],
    env,
    nonBlockingQueue: queue,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.secretSource ? { secretSource: options.secretSource } : {}),
  });
}
