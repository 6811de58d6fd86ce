import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { assembleHandlers, type LoadedHandlerModule } from '../core/assemble';
import { bindHandlerSecretsFrom, noSecretSources, type HandlerSecretSources } from '../core/handler-secrets';
import { readQueueUrl, readRetryWindowMinutes } from '../core/config';
import type { EventClaims } from '../core/claims';
import { describeError, type Logger } from '../core/logger';
import { createQueuedEventProcessor, type HandledEvents, type QueuedResult } from '../core/queued';
import { retrySchedule } from '../core/retry';
import { createSqsClient } from '../aws/sqs';
import { runtimeSettings } from '../runtime/settings';
import { claimsFromEnv } from '../runtime/claims-choice';
import { adminApiFromEnvironment } from './admin-api';

export interface SqsWorkerOptions {
  /** The non-blocking handler files (the generated entry lists them). */
  readonly modules: readonly LoadedHandlerModule[];
  /** Defaults to `process.env`: `NON_BLOCKING_QUEUE_URL`, `RETRY_WINDOW_MINUTES`, `NON_BLOCKING_DEADLINE_MS`, `LOG_LEVEL`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to a JSON-lines logger at `LOG_LEVEL`. */
  readonly logger?: Logger;
  /** For ChangeMessageVisibility; defaults to the same short-timeout client as the receiver's. */
  readonly client?: SQSClient;
  /**
   * Where handlers' declared secrets come from. The generated entry passes Secrets Manager
   * (`secretsManagerSources()`) when a handler declares one; without, no secret can be read, and
   * the bundle carries no Secrets Manager client.
   */
  readonly handlerSecretSources?: HandlerSecretSources;
  /** Defaults to a per-container memory of 10,000 handled event ids. */
  readonly handled?: HandledEvents;
  /** Defaults to the DynamoDB table at `IDEMPOTENCY_TABLE_NAME` (see `shared/runtime/claims-choice.ts`). */
  readonly claims?: EventClaims;
}

/** Lambda passes its context; only `getRemainingTimeInMillis` is used, for how long a claim holds. */
export type SqsWorkerHandler = (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<SQSBatchResponse>;

/** ChangeMessageVisibilityBatch takes at most 10 entries. */
const BATCH_LIMIT = 10;

/**
 * The worker Lambda: consumes the FIFO queue of non-blocking events (SQS event source with
 * `ReportBatchItemFailures`) and runs the handler files, with the same typed API as when they ran
 * behind HTTP.
 *
 * Every message of a batch is processed at once and independently. Each handler runs under a claim
 * on its event id in the idempotency table (`IDEMPOTENCY_TABLE_NAME`), so it succeeds once across
 * containers: a copy of a handled event is acknowledged, a copy meeting a live claim is retried. A message whose handler fails
 * is reported in `batchItemFailures`, so only it is retried, and its visibility timeout is set to
 * the retry schedule's next delay (30 s, then doubling up to 15 min) from its
 * `ApproximateReceiveCount`. After the last attempt the delay is 0: the next receive, one more than
 * the attempts, only acknowledges an event the shared record shows as handled (a lost delete) or
 * releases the message again, and SQS then moves it to the dead-letter queue (the queue's
 * `maxReceiveCount` is the schedule's attempts + 1).
 *
 * @example
 * ```ts
 * // generated entry (see infra): the worker function
 * import h0 from '../functions/non-blocking/user.created';
 * export const handler = createSqsWorkerHandler({
 *   modules: [{ file: 'functions/non-blocking/user.created.ts', kind: 'non-blocking', eventType: 'user.created', exported: h0 }],
 * });
 * ```
 */
export function createSqsWorkerHandler(options: SqsWorkerOptions): SqsWorkerHandler {
  const env = options.env ?? process.env;
  const { config, logger } = runtimeSettings(env, options);
  const handlers = bindHandlerSecretsFrom(
    assembleHandlers(options.modules, { blocking: false, nonBlocking: true }),
    options.handlerSecretSources ?? noSecretSources('no handler of this worker declared it when the stack was synthesized'),
    { logger, config },
  );
  const queueUrl = readQueueUrl(env);
  const schedule = retrySchedule(readRetryWindowMinutes(env));
  const claims = options.claims ?? claimsFromEnv(env, logger);
  const processEvent = createQueuedEventProcessor({
    handlers,
    config,
    logger,
    claims,
    adminApi: adminApiFromEnvironment(env, config),
    ...(options.handled ? { handled: options.handled } : {}),
  });
  let client = options.client;

  async function processRecord(
    record: SQSRecord,
    claimMs: number | undefined,
  ): Promise<{ record: SQSRecord; result: QueuedResult; retryInSeconds: number }> {
    const attempt = Math.max(1, Number.parseInt(record.attributes?.ApproximateReceiveCount ?? '', 10) || 1);
    const retryInMs = schedule.delayAfter(attempt);
    let result: QueuedResult;
    try {
      result = await processEvent(record.body, {
        attempt,
        maxAttempts: schedule.maxAttempts,
        retryInMs,
        logFields: { message_id: record.messageId },
        ...(claimMs === undefined ? {} : { claimMs }),
      });
    } catch (error) {
      // The processor never throws; if it did, retrying is the safe answer.
      logger.error('unexpected error while processing a queued event', {
        reason: 'internal_error',
        message_id: record.messageId,
        ...describeError(error),
      });
      result = { status: 'failed', done: false, permanent: false };
    }
    // Whole seconds: SQS counts visibility timeouts in seconds. 0 releases the message at once.
    const retryInSeconds = result.permanent || retryInMs === undefined ? 0 : Math.ceil(retryInMs / 1_000);
    return { record, result, retryInSeconds };
  }

  /** Sets each failed message's next delay. If that fails, SQS still retries it after the queue's visibility timeout. */
  async function setRetryDelays(failed: readonly { record: SQSRecord; retryInSeconds: number }[]): Promise<void> {
    client ??= createSqsClient();
    for (let start = 0; start < failed.length; start += BATCH_LIMIT) {
      const chunk = failed.slice(start, start + BATCH_LIMIT);
      try {
        const output = await client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((f, i) => ({
              Id: `m${start + i}`,
              ReceiptHandle: f.record.receiptHandle,
              VisibilityTimeout: f.retryInSeconds,
            })),
          }),
        );
        for (const entry of output.Failed ?? []) {
          logger.warn("could not set a failed message's retry delay; SQS retries it after the queue's visibility timeout instead", {
            reason: 'retry_delay_not_set',
            message_id: chunk[Number(entry.Id?.slice(1)) - start]?.record.messageId,
            error_code: entry.Code,
            error_message: entry.Message,
          });
        }
      } catch (error) {
        logger.warn("could not set the failed messages' retry delays; SQS retries them after the queue's visibility timeout instead", {
          reason: 'retry_delay_not_set',
          message_ids: chunk.map((f) => f.record.messageId),
          ...describeError(error),
        });
      }
    }
  }

  return async (event, context) => {
    // A claim holds until this invocation is over, whatever becomes of it (see EventClaims).
    const claimMs = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
    const outcomes = await Promise.all((event.Records ?? []).map((record) => processRecord(record, claimMs)));
    const failed = outcomes.filter((o) => !o.result.done);
    if (failed.length > 0) await setRetryDelays(failed);
    logger.debug('queue batch processed', { messages: outcomes.length, failed: failed.length });
    return { batchItemFailures: failed.map((f) => ({ itemIdentifier: f.record.messageId })) };
  };
}
