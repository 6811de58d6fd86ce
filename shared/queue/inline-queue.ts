/**
 * A queue that runs each event through the production queue processor at once, as its first
 * attempt: what the test kit uses, so a non-blocking handler is tested on the path it runs on
 * when deployed (receive, queue, process), minus the wait.
 */
import type { AdminApiFactory } from '../admin-api/types';
import { bodyString } from '../core/body';
import type { RuntimeConfig } from '../core/config';
import type { HandlerSet } from '../core/handler';
import type { Logger } from '../core/logger';
import { createQueuedEventProcessor, type NonBlockingQueue, type QueuedResult } from '../core/queued';
import { retrySchedule, type RetrySchedule } from '../core/retry';

export interface InlineQueueOptions {
  readonly handlers: HandlerSet;
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  /** Default: the deployed default schedule, so a failure reports when it would be retried. */
  readonly schedule?: RetrySchedule;
  readonly now?: () => number;
  /** Makes each handler's `context.adminApi`. */
  readonly adminApi?: AdminApiFactory;
}

/** A {@link NonBlockingQueue} that has processed each event by the time `enqueue` resolves. */
export interface InlineQueue extends NonBlockingQueue {
  /** How each queued event's first attempt ended, in order. */
  readonly results: readonly QueuedResult[];
}

/**
 * Creates a queue whose `enqueue` runs the event's first attempt before it resolves. It resolves
 * whether or not the handler succeeded (a deployed queue would have stored the event and retried it).
 *
 * @example
 * ```ts
 * const queue = createInlineQueue({ handlers, config, logger });
 * const app = createWebhookApp({ handlers, secrets, config, logger, nonBlockingQueue: queue });
 * await app.handle(request);
 * queue.results[0]?.status; // 'handled'
 * ```
 */
export function createInlineQueue(options: InlineQueueOptions): InlineQueue {
  const schedule = options.schedule ?? retrySchedule();
  const processEvent = createQueuedEventProcessor({
    handlers: options.handlers,
    config: options.config,
    logger: options.logger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.adminApi ? { adminApi: options.adminApi } : {}),
  });
  const results: QueuedResult[] = [];
  return {
    eventTypes: [...(options.handlers.nonBlocking?.keys() ?? [])],
    results,
    async enqueue(_event, rawBody) {
      results.push(
        await processEvent(bodyString(rawBody), { attempt: 1, maxAttempts: schedule.maxAttempts, retryInMs: schedule.delayAfter(1) }),
      );
    },
  };
}
