import { isNonBlockingEventType } from '../constants';
import type { BlockingHandler } from '../handler';
import type { LogFields } from '../logger';
import { runHandler } from '../run-handler';
import { enqueue } from './enqueue';
import { guardAnswer } from './guard-answer';
import { ANSWERS } from './outcomes';
import type { Delivery, Outcome, Pipeline } from './types';

/**
 * Step 4: a blocking event runs its handler under `BLOCKING_DEADLINE_MS`, then goes through
 * {@link guardAnswer}; a non-blocking event of a handled type goes to the queue, any other is
 * acknowledged. A synchronous handler's outcome comes back without a promise.
 *
 * @example
 * ```ts
 * const outcome = dispatch(delivery, pipeline, started, log);
 * const done = outcome instanceof Promise ? await outcome : outcome;
 * ```
 */
export function dispatch(delivery: Delivery, pipeline: Pipeline, started: number, log: LogFields): Outcome | Promise<Outcome> {
  const { route, event } = delivery;
  const { config, logger, now } = pipeline;
  if (route.kind === 'blocking') {
    const handler = pipeline.handlers.blocking?.get(route.eventType) as BlockingHandler;
    const run = runHandler((context) => handler.handle(event as never, context), started + config.blockingDeadlineMs, log, {
      logger,
      now,
      event,
      logPersonalData: config.logPersonalData,
      adminApi: pipeline.adminApi,
    });
    return run instanceof Promise
      ? run.then((settled) => guardAnswer(handler, event, settled, config))
      : guardAnswer(handler, event, run, config);
  }
  const { queue } = pipeline;
  if (!queue || !pipeline.queuedTypes.has(event.type)) {
    return {
      response: ANSWERS.noHandler,
      outcome: 'ignored',
      level: 'debug',
      message: isNonBlockingEventType(event.type) ? 'no handler for this event type' : 'unknown event type acknowledged',
    };
  }
  return enqueue(queue, delivery, pipeline, started + config.nonBlockingDeadlineMs);
}
