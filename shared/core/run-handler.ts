/**
 * Running a handler under a deadline, shared by the HTTP path (`app.ts`) and the queue path
 * (`queued.ts`), so a handler behaves the same whether its event arrived by HTTP or from a queue.
 */
import type { EventEnvelope } from './events';
import type { HandlerContext, NonBlockingHandler } from './handler';
import { describeError, type LogFields, type Logger } from './logger';

/** A handler did not settle by its deadline. */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

/**
 * Settles like `promise`, or rejects with `onTimeout()` after `ms`.
 *
 * @example
 * ```ts
 * await withTimeout(fetchSecret(), 1_000, () => new Error('the secret did not load within 1 s'));
 * ```
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * A logger whose lines carry the event id and type taken from `fields`.
 *
 * @example
 * ```ts
 * scopedLogger(logger, { event_id: '000000000000bc55', event_type: 'user.created' }).info('synced');
 * ```
 */
export function scopedLogger(logger: Logger, fields: LogFields): Logger {
  const base = { event_id: fields.event_id, event_type: fields.event_type };
  return {
    debug: (msg, extra) => logger.debug(msg, { ...base, ...extra }),
    info: (msg, extra) => logger.info(msg, { ...base, ...extra }),
    warn: (msg, extra) => logger.warn(msg, { ...base, ...extra }),
    error: (msg, extra) => logger.error(msg, { ...base, ...extra }),
  };
}

export interface RunOptions {
  readonly logger: Logger;
  readonly now: () => number;
}

/**
 * Runs a handler with a deadline. Resolves with its value, or rejects with what it threw or with
 * {@link DeadlineExceeded}. The context's signal aborts at the deadline or once the handler is done.
 * Sets `log.handler_ms`.
 *
 * @example
 * ```ts
 * const answer = await runHandler((context) => handler.handle(event, context), Date.now() + 4_000, log, { logger, now: Date.now });
 * ```
 */
export async function runHandler<R>(call: (context: HandlerContext) => R | Promise<R>, deadline: number, log: LogFields, options: RunOptions): Promise<R> {
  const { now } = options;
  const controller = new AbortController();
  const context: HandlerContext = { logger: scopedLogger(options.logger, log), signal: controller.signal, deadline };
  const handlerStarted = now();
  try {
    const remaining = deadline - handlerStarted;
    if (remaining <= 0) throw new DeadlineExceeded();
    // A microtask, so a synchronous throw is handled like a rejection.
    return await withTimeout(Promise.resolve().then(() => call(context)), remaining, () => {
      controller.abort(new DeadlineExceeded());
      return new DeadlineExceeded();
    });
  } finally {
    log.handler_ms = now() - handlerStarted;
    controller.abort();
  }
}

/** How a non-blocking handler ended; `fields` say why it failed, for the log line. */
export type NonBlockingRun = { readonly ok: true } | { readonly ok: false; readonly fields: LogFields };

/**
 * Runs a non-blocking handler under `deadline` and never throws.
 *
 * @param deadlineMs the configured budget, only for the failure message.
 * @example
 * ```ts
 * const run = await runNonBlockingHandler(handler, event, { deadline: Date.now() + 25_000, deadlineMs: 25_000, log, logger, now: Date.now });
 * if (!run.ok) logger.error('non-blocking handler failed', run.fields);
 * ```
 */
export async function runNonBlockingHandler(
  handler: NonBlockingHandler,
  event: EventEnvelope,
  options: RunOptions & { readonly deadline: number; readonly deadlineMs: number; readonly log: LogFields },
): Promise<NonBlockingRun> {
  try {
    await runHandler((context) => handler.handle(event as never, context), options.deadline, options.log, options);
    return { ok: true };
  } catch (error) {
    const fields =
      error instanceof DeadlineExceeded
        ? { reason: 'deadline_exceeded', error_message: `handler did not finish within NON_BLOCKING_DEADLINE_MS (${options.deadlineMs} ms)` }
        : { reason: 'handler_threw', ...describeError(error) };
    return { ok: false, fields };
  }
}
