/**
 * The queue seam of the core. The `/non-blocking` route can hand verified events to a
 * {@link NonBlockingQueue} instead of running handlers; whatever consumes that queue (the SQS
 * worker in Lambda, the in-process queue of `npm start`) runs them through
 * {@link createQueuedEventProcessor}, with the same handlers, deadline and log fields as the
 * HTTP path.
 */
import type { AdminApiFactory } from '../admin-api/types';
import type { RawBody } from './body';
import { type ClaimedRun, type EventClaims, MemoryEventClaims } from './claims';
import type { RuntimeConfig } from './config';
import { isNonBlockingEventType } from './constants';
import { parseEnvelope } from './envelope';
import type { EventEnvelope } from './events';
import type { HandlerSet } from './handler';
import { describeError, type LogFields, type Logger } from './logger';
import { isPastLastAttempt } from './retry';
import { type NonBlockingRun, runNonBlockingHandler } from './run-handler';

/** Where the `/non-blocking` route puts verified events when processing is decoupled from receiving. */
export interface NonBlockingQueue {
  /**
   * Event types worth queueing: those with a handler where the queue is consumed. Other types are
   * acknowledged with 200 and not queued, as before. Default: the types in `handlers.nonBlocking`.
   */
  readonly eventTypes?: readonly string[];
  /**
   * Stores one verified event. Resolves only once the event is stored durably; rejects when it
   * could not be, and the route then answers 503 so the failure shows in Authgear's logs.
   *
   * @param rawBody the signed body as received: bytes, or the string that stands for them
   * (see `body.ts`); `bodyString` gives it as a message body.
   */
  enqueue(event: EventEnvelope, rawBody: RawBody): Promise<void>;
}

/** One delivery of a queued message, as its consumer sees it. */
export interface QueuedDelivery {
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Delay before the next attempt should this one fail; `undefined` on the last attempt. */
  readonly retryInMs: number | undefined;
  /** Shown in the log instead of the formatted delay, e.g. "1 s (1 min when deployed)". */
  readonly retryInLabel?: string;
  /** Added to each log line of this delivery, e.g. the SQS message id. */
  readonly logFields?: LogFields;
  /**
   * How long this delivery's claim on the event holds should the process die before releasing it:
   * in Lambda, the invocation's remaining time. Default: the handler deadline plus 30 s.
   */
  readonly claimMs?: number;
}

export type QueuedStatus = 'handled' | 'ignored' | 'duplicate' | 'failed' | 'busy' | 'unavailable' | 'invalid' | 'exhausted';

/** What became of one delivery, and what the consumer must do with the message. */
export interface QueuedResult {
  readonly status: QueuedStatus;
  /** The message is done with: delete it. Otherwise keep it for a retry. */
  readonly done: boolean;
  /** Retrying cannot help (not an Authgear event, or no attempts left): dead-letter it now. */
  readonly permanent: boolean;
  readonly eventId?: string;
  readonly eventType?: string;
}

/** Event ids whose handler already succeeded; a repeated delivery of one is acknowledged without running it again. */
export interface HandledEvents {
  has(id: string): boolean;
  add(id: string): void;
}

/**
 * A bounded, in-memory {@link HandledEvents}. Memory is per process (per warm Lambda container):
 * it catches a message delivered again to the same process, not one that reaches another.
 *
 * @example
 * ```ts
 * const handled = new RecentEventIds(10_000, 24 * 3_600_000);
 * handled.add('000000000000bc56');
 * handled.has('000000000000bc56'); // true
 * ```
 */
export class RecentEventIds implements HandledEvents {
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** Insertion-ordered, so the oldest entries come first. */
  readonly #expires = new Map<string, number>();

  constructor(maxEntries = 10_000, ttlMs = 24 * 3_600_000, now: () => number = Date.now) {
    this.#maxEntries = maxEntries;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  has(id: string): boolean {
    const until = this.#expires.get(id);
    return until !== undefined && until > this.#now();
  }

  add(id: string): void {
    const now = this.#now();
    this.#expires.delete(id);
    this.#expires.set(id, now + this.#ttlMs);
    for (const [oldId, until] of this.#expires) {
      if (until > now && this.#expires.size <= this.#maxEntries) break;
      this.#expires.delete(oldId);
    }
  }
}

export interface QueuedEventProcessorOptions {
  /** Only `nonBlocking` is used. */
  readonly handlers: HandlerSet;
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Default: a {@link RecentEventIds} of 10,000 ids kept for 24 hours. A fast first check, per process. */
  readonly handled?: HandledEvents;
  /**
   * The record that lets a handler succeed once across processes: each delivery claims the event
   * id before its handler runs. Default: a {@link MemoryEventClaims} (this process only).
   */
  readonly claims?: EventClaims;
  /** Makes each handler's `context.adminApi` (see `shared/admin-api`). */
  readonly adminApi?: AdminApiFactory;
}

/** Processes one queued message body (the raw event JSON). Never throws. */
export type QueuedEventProcessor = (body: Uint8Array | string, delivery: QueuedDelivery) => Promise<QueuedResult>;

/**
 * Creates the processor that the SQS worker and the local queue share: parse the queued event,
 * dispatch it to its non-blocking handler under `NON_BLOCKING_DEADLINE_MS`, and write one log line
 * that says how the attempt ended and what happens next (next retry in …, or dead-lettered).
 *
 * The body is not verified again: only the receiver, after checking the signature, can put
 * messages on the queue.
 *
 * A delivery numbered beyond `maxAttempts` does not run the handler: SQS allows one receive more
 * than there are attempts, so that a message whose last successful attempt was not deleted is
 * recognised here as a repeat (and acknowledged) instead of being dead-lettered; any other such
 * delivery is handed back for dead-lettering.
 *
 * @example
 * ```ts
 * const processEvent = createQueuedEventProcessor({ handlers, config, logger });
 * const result = await processEvent(record.body, { attempt: 2, maxAttempts: 8, retryInMs: 60_000 });
 * if (!result.done) scheduleRetry(result.permanent ? 0 : 60_000);
 * ```
 */
export function createQueuedEventProcessor(options: QueuedEventProcessorOptions): QueuedEventProcessor {
  const { handlers, config, logger } = options;
  const now = options.now ?? Date.now;
  const handled = options.handled ?? new RecentEventIds();
  const claims = options.claims ?? new MemoryEventClaims();
  const inFlight = new Set<string>();

  return async (body, delivery) => {
    const started = now();
    const log: LogFields = { ...delivery.logFields, attempt: delivery.attempt, max_attempts: delivery.maxAttempts };
    const event = parseEnvelope(body);
    if (!event) {
      logger.error('queued message is not an Authgear event; released without delay, so it reaches the dead-letter queue quickly', {
        ...log,
        reason: 'invalid_envelope',
        outcome: 'dead_lettered',
      });
      return { status: 'invalid', done: false, permanent: true };
    }
    const ids = { eventId: event.id, eventType: event.type };
    log.event_id = event.id;
    log.event_type = event.type;
    if (config.logPersonalData) log.user_id = (event.context as { user_id?: unknown }).user_id;

    const handler = isNonBlockingEventType(event.type) ? handlers.nonBlocking?.get(event.type) : undefined;
    if (!handler) {
      // The receiver queues only types with a handler; this one was removed since.
      logger.warn('no handler for this queued event type; acknowledged without processing', {
        ...log,
        reason: 'no_handler',
        outcome: 'ignored',
      });
      return { status: 'ignored', done: true, permanent: false, ...ids };
    }
    if (handled.has(event.id)) {
      logger.info('event already handled by this process; this repeated delivery is acknowledged without running the handler', {
        ...log,
        reason: 'duplicate_delivery',
        outcome: 'duplicate',
      });
      return { status: 'duplicate', done: true, permanent: false, ...ids };
    }
    if (isPastLastAttempt(delivery.attempt, delivery.maxAttempts)) {
      // The delete of a successful last attempt may have been lost in another container.
      if (await isRecordedDone(claims, event.id, log, logger)) {
        handled.add(event.id);
        return notRun({ outcome: 'done' }, { log, logger, delivery, last: true, ids });
      }
      logger.info(
        `no attempts left (delivery ${delivery.attempt}, ${delivery.maxAttempts} attempts); released so that SQS moves the event to the dead-letter queue`,
        {
          ...log,
          reason: 'attempts_exhausted',
          outcome: 'released',
        },
      );
      return { status: 'exhausted', done: false, permanent: true, ...ids };
    }
    if (inFlight.has(event.id)) {
      // Acknowledging now would lose the event if the running attempt fails.
      logger.warn(`the same event is being handled right now; this delivery is retried${describeNext(delivery)}`, {
        ...log,
        reason: 'duplicate_in_flight',
        outcome: 'retry_scheduled',
      });
      return { status: 'busy', done: false, permanent: false, ...ids };
    }

    inFlight.add(event.id);
    let claimed: ClaimedRun<NonBlockingRun>;
    try {
      claimed = await claims.run(
        event.id,
        async () =>
          runNonBlockingHandler(handler, event, {
            deadline: started + config.nonBlockingDeadlineMs,
            deadlineMs: config.nonBlockingDeadlineMs,
            log,
            logger,
            now,
            adminApi: options.adminApi,
            logPersonalData: config.logPersonalData,
          }),
        { claimMs: delivery.claimMs ?? config.nonBlockingDeadlineMs + DEFAULT_CLAIM_MARGIN_MS },
      );
    } catch (error) {
      // Claims never throw unless the work did, and runNonBlockingHandler never throws.
      claimed = { outcome: 'unavailable', error };
    } finally {
      inFlight.delete(event.id);
    }
    const last = delivery.retryInMs === undefined;
    if (claimed.outcome === 'done') handled.add(event.id);
    if (claimed.outcome !== 'ran') return notRun(claimed, { log, logger, delivery, last, ids });
    const run = claimed.result;
    if (run.ok) {
      handled.add(event.id);
      if (claimed.recordError !== undefined)
        logger.warn(
          'the handler succeeded but the shared record could not be marked done; a copy of this event arriving after the claim expires would run again',
          { ...log, reason: 'record_not_marked_done', ...describeError(claimed.recordError) },
        );
      logger.info('non-blocking event handled', { ...log, outcome: 'handled', latency_ms: now() - started });
      return { status: 'handled', done: true, permanent: false, ...ids };
    }
    if (claimed.recordError !== undefined)
      logger.warn(
        "the handler failed and its claim could not be released; the retry waits until the claim expires (the invocation's timeout)",
        {
          ...log,
          reason: 'claim_not_released',
          ...describeError(claimed.recordError),
        },
      );
    const attempt = `attempt ${delivery.attempt} of ${delivery.maxAttempts}`;
    if (last) {
      logger.error(`non-blocking handler failed (${attempt}); no attempts left: the event goes to the dead-letter queue`, {
        ...log,
        ...run.fields,
        outcome: 'dead_lettered',
        latency_ms: now() - started,
      });
    } else {
      logger.warn(`non-blocking handler failed (${attempt}); next retry${describeNext(delivery)}`, {
        ...log,
        ...run.fields,
        outcome: 'retry_scheduled',
        retry_in_ms: delivery.retryInMs,
        latency_ms: now() - started,
      });
    }
    return { status: 'failed', done: false, permanent: false, ...ids };
  };
}

/** Without a Lambda context, a claim holds this long past the handler's deadline. */
const DEFAULT_CLAIM_MARGIN_MS = 30_000;

/** Reads the shared record for an exhausted delivery; an unreadable record counts as not done. */
async function isRecordedDone(claims: EventClaims, eventId: string, log: LogFields, logger: Logger): Promise<boolean> {
  try {
    return await claims.isDone(eventId);
  } catch (error) {
    logger.warn('could not read the shared record of this event; treated as not handled', {
      ...log,
      reason: 'claim_store_unavailable',
      ...describeError(error),
    });
    return false;
  }
}

/** The result and log line of a delivery whose handler did not run because of the shared record. */
function notRun(
  claimed: Exclude<ClaimedRun<unknown>, { outcome: 'ran' }>,
  context: {
    readonly log: LogFields;
    readonly logger: Logger;
    readonly delivery: QueuedDelivery;
    readonly last: boolean;
    readonly ids: { readonly eventId: string; readonly eventType: string };
  },
): QueuedResult {
  const { log, logger, delivery, last, ids } = context;
  const next = last
    ? { outcome: 'dead_lettered', whatNext: 'no attempts left: the event goes to the dead-letter queue' }
    : { outcome: 'retry_scheduled', whatNext: `retried${describeNext(delivery)}` };
  switch (claimed.outcome) {
    case 'done':
      logger.info('event already handled (shared record); this repeated delivery is acknowledged without running the handler', {
        ...log,
        reason: 'duplicate_delivery',
        outcome: 'duplicate',
      });
      return { status: 'duplicate', done: true, permanent: false, ...ids };
    case 'busy':
      // Acknowledging now would lose the event if the running attempt fails.
      logger.warn(`another delivery of this event holds its claim (it is being handled right now); this one is ${next.whatNext}`, {
        ...log,
        reason: 'claimed_elsewhere',
        outcome: next.outcome,
        ...(last ? {} : { retry_in_ms: delivery.retryInMs }),
      });
      return { status: 'busy', done: false, permanent: false, ...ids };
    case 'unavailable':
      logger.error(`could not claim the event in the shared record, so the handler did not run; ${next.whatNext}`, {
        ...log,
        reason: 'claim_store_unavailable',
        outcome: next.outcome,
        ...(last ? {} : { retry_in_ms: delivery.retryInMs }),
        ...describeError(claimed.error),
      });
      return { status: 'unavailable', done: false, permanent: false, ...ids };
  }
}

function describeNext(delivery: QueuedDelivery): string {
  if (delivery.retryInMs === undefined) return ' never: no attempts left';
  return ` in ${delivery.retryInLabel ?? formatDuration(delivery.retryInMs)}`;
}

/**
 * A short human duration for log lines and CLI output.
 *
 * @example
 * ```ts
 * formatDuration(500);       // '500 ms'
 * formatDuration(30_000);    // '30 s'
 * formatDuration(900_000);   // '15 min'
 * formatDuration(5_400_000); // '1 h 30 min'
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1_000);
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3_600) {
    const rest = seconds % 60;
    return rest === 0 ? `${seconds / 60} min` : `${Math.floor(seconds / 60)} min ${rest} s`;
  }
  const minutes = Math.round(seconds / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${minutes / 60} h` : `${Math.floor(minutes / 60)} h ${rest} min`;
}
