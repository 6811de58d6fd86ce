import { describeError } from '../logger';
import type { NonBlockingQueue } from '../queued';
import { withTimeout } from '../run-handler';
import { ANSWERS } from './outcomes';
import type { Delivery, Outcome, Pipeline } from './types';

/**
 * Stores a verified non-blocking event for the queue's consumer: 200 only once it is stored, 503
 * when the queue fails or does not answer by `deadline` (Authgear logs the failure).
 *
 * @example
 * ```ts
 * const outcome = await enqueue(queue, delivery, pipeline, started + config.nonBlockingDeadlineMs);
 * ```
 */
export async function enqueue(queue: NonBlockingQueue, delivery: Delivery, pipeline: Pipeline, deadline: number): Promise<Outcome> {
  const { config, now } = pipeline;
  try {
    // A microtask, so a synchronous throw is handled like a rejection.
    await withTimeout(
      Promise.resolve().then(() => queue.enqueue(delivery.event, delivery.body)),
      deadline - now(),
      () => new Error(`the queue did not answer within NON_BLOCKING_DEADLINE_MS (${config.nonBlockingDeadlineMs} ms)`),
    );
    return { response: ANSWERS.queued, outcome: 'queued', level: 'info', message: 'non-blocking event queued' };
  } catch (error) {
    return {
      response: ANSWERS.unavailable,
      outcome: 'rejected',
      level: 'error',
      message: 'the event could not be queued, so it was refused with 503 (Authgear logs the failure and does not resend)',
      fields: { reason: 'queue_unavailable', ...describeError(error) },
    };
  }
}
