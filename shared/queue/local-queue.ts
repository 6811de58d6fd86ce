/**
 * The in-process queue of `npm start`: the same receive → queue → process path as the deployed
 * stack, with the same retry schedule played faster, so a developer can watch a failing handler
 * retry and end up dead-lettered. It lives in memory: stopping the server drops what it holds.
 */
import { bodyString } from '../core/body';
import type { RuntimeConfig } from '../core/config';
import type { HandlerSet } from '../core/handler';
import type { Logger } from '../core/logger';
import type { AdminApiFactory } from '../admin-api/types';
import { createQueuedEventProcessor, formatDuration, type NonBlockingQueue, type QueuedEventProcessor } from '../core/queued';
import type { RetrySchedule } from '../core/retry';

/** SQS FIFO drops a second message with the same deduplication id for 5 minutes; so does this queue. */
const DEDUPLICATION_WINDOW_MS = 5 * 60_000;

export interface LocalQueueOptions {
  /** Ignored when `processEvent` is given. */
  readonly handlers: HandlerSet;
  /** Runs each attempt instead of a processor made from `handlers` (`npm start` swaps handlers on reload). */
  readonly processEvent?: QueuedEventProcessor;
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  readonly schedule: RetrySchedule;
  /** Delays run this many times faster than deployed (`LOCAL_RETRY_SPEEDUP`); 1 for real time. */
  readonly speedup: number;
  /** Clock for the deduplication window, replaceable in tests. */
  readonly now?: () => number;
  /** Makes each handler's `context.adminApi`. */
  readonly adminApi?: AdminApiFactory;
}

/** An event whose attempts ran out. */
export interface LocalDeadLetter {
  readonly eventId: string;
  readonly eventType: string;
  /** The raw event JSON, as received. */
  readonly body: string;
  readonly attempts: number;
  readonly deadLetteredAt: number;
}

export interface LocalQueueStats {
  /** Events waiting for their first attempt or a retry, or running now. */
  readonly pending: number;
  readonly handled: number;
  readonly deadLettered: number;
  /** Copies dropped by the deduplication window. */
  readonly duplicatesDropped: number;
}

export interface LocalQueue extends NonBlockingQueue {
  /** The deployed schedule this queue plays. */
  readonly schedule: RetrySchedule;
  /** How many times faster than deployed. */
  readonly speedup: number;
  /** A snapshot of the dead-lettered events, oldest first. */
  readonly deadLetters: readonly LocalDeadLetter[];
  stats(): LocalQueueStats;
  /** Queues every dead-lettered event again with a fresh set of attempts; returns how many. */
  redrive(): number;
  /** Resolves once nothing is pending (for tests and scripts). */
  idle(): Promise<void>;
  /** Stops all timers; pending events are dropped (and counted in the log). Returns how many were pending. */
  close(): number;
}

interface Entry {
  readonly eventId: string;
  readonly eventType: string;
  readonly body: string;
  attempts: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Creates the in-process queue. Events are processed by the same core processor as the SQS worker
 * and retried on the same schedule, divided by `speedup`; the log says "attempt n of m",
 * "next retry in …" (with the deployed delay), or that the event was dead-lettered.
 *
 * @example
 * ```ts
 * const queue = createLocalQueue({ handlers, config, logger, schedule: retrySchedule(60), speedup: 60 });
 * const app = createWebhookApp({ handlers, secrets, config, logger, nonBlockingQueue: queue });
 * ```
 */
export function createLocalQueue(options: LocalQueueOptions): LocalQueue {
  const { schedule, speedup, logger } = options;
  if (!(speedup > 0)) throw new RangeError(`speedup must be a positive number (got ${speedup})`);
  const now = options.now ?? Date.now;
  const processEvent =
    options.processEvent ??
    createQueuedEventProcessor({
      handlers: options.handlers,
      config: options.config,
      logger,
      ...(options.adminApi ? { adminApi: options.adminApi } : {}),
    });
  const pending = new Set<Entry>();
  const deadLetters: LocalDeadLetter[] = [];
  /** Event id → end of its deduplication window. */
  const recentIds = new Map<string, number>();
  let handled = 0;
  let duplicatesDropped = 0;
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  const settleIfIdle = (): void => {
    if (pending.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  };

  const scheduleAttempt = (entry: Entry, delayMs: number): void => {
    entry.timer = setTimeout(() => void attempt(entry), delayMs);
    // The HTTP server keeps `npm start` alive; a pending retry alone should not.
    entry.timer.unref?.();
  };

  async function attempt(entry: Entry): Promise<void> {
    entry.timer = undefined;
    if (closed) return;
    entry.attempts += 1;
    const deployedDelay = schedule.delayAfter(entry.attempts);
    const localDelay = deployedDelay === undefined ? undefined : deployedDelay / speedup;
    const label =
      localDelay === undefined || speedup === 1
        ? undefined
        : `${formatDuration(localDelay)} (${formatDuration(deployedDelay ?? 0)} when deployed; LOCAL_RETRY_SPEEDUP=${speedup})`;
    const result = await processEvent(entry.body, {
      attempt: entry.attempts,
      maxAttempts: schedule.maxAttempts,
      retryInMs: localDelay,
      ...(label ? { retryInLabel: label } : {}),
      logFields: { queue: 'local' },
    });
    if (closed) return;
    if (result.done) {
      handled += 1;
      pending.delete(entry);
    } else if (result.permanent || localDelay === undefined) {
      pending.delete(entry);
      deadLetters.push({
        eventId: entry.eventId,
        eventType: entry.eventType,
        body: entry.body,
        attempts: entry.attempts,
        deadLetteredAt: now(),
      });
    } else {
      scheduleAttempt(entry, localDelay);
    }
    settleIfIdle();
  }

  const add = (eventId: string, eventType: string, body: string): void => {
    const entry: Entry = { eventId, eventType, body, attempts: 0, timer: undefined };
    pending.add(entry);
    scheduleAttempt(entry, 0);
  };

  return {
    schedule,
    speedup,
    get deadLetters() {
      return deadLetters.slice();
    },
    async enqueue(event, rawBody) {
      if (closed) throw new Error('the local queue is closed: the server is shutting down');
      const at = now();
      for (const [id, until] of recentIds) {
        if (until > at) break;
        recentIds.delete(id);
      }
      if ((recentIds.get(event.id) ?? 0) > at) {
        duplicatesDropped += 1;
        logger.info('event id already queued within the last 5 minutes; this copy is dropped, as SQS FIFO deduplication does', {
          event_id: event.id,
          event_type: event.type,
          reason: 'duplicate_enqueue',
        });
        return;
      }
      recentIds.set(event.id, at + DEDUPLICATION_WINDOW_MS);
      add(event.id, event.type, bodyString(rawBody));
    },
    stats: () => ({ pending: pending.size, handled, deadLettered: deadLetters.length, duplicatesDropped }),
    redrive() {
      const moved = deadLetters.splice(0, deadLetters.length);
      for (const letter of moved) add(letter.eventId, letter.eventType, letter.body);
      if (moved.length > 0) logger.info('dead-lettered events queued again', { count: moved.length, queue: 'local' });
      return moved.length;
    },
    idle() {
      if (pending.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    close() {
      if (closed) return 0;
      closed = true;
      const dropped = pending.size;
      for (const entry of pending) if (entry.timer) clearTimeout(entry.timer);
      pending.clear();
      if (dropped > 0)
        logger.warn('local queue stopped with events still pending; they are dropped (the local queue lives in memory)', {
          dropped,
          queue: 'local',
        });
      settleIfIdle();
      return dropped;
    },
  };
}
