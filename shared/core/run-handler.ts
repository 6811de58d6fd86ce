/**
 * Running a handler under a deadline, shared by the HTTP path (`app.ts`) and the queue path
 * (`queued.ts`), so a handler behaves the same whether its event arrived by HTTP or from a queue.
 */
import type { AdminApi, AdminApiFactory } from '../admin-api/types';
import { AdminApiConfigError } from '../admin-api/errors';
import type { EventEnvelope } from './events';
import type { HandlerContext, NonBlockingHandler } from './handler';
import { undeclaredSecrets } from './handler-secrets';
import { AnsweredLate, lateAnswer } from './late-answer';
import type { LogFields, Logger } from './logger';
import { createRedactor, redactingLogger } from './redact';

/** A handler did not settle by its deadline (or the deadline had passed before it could start). */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
  constructor(
    /** True when the deadline passed before the handler was called, e.g. a body that arrived slowly. */
    readonly beforeStart = false,
  ) {
    super(beforeStart ? 'the deadline passed before the handler started' : 'the handler did not settle by its deadline');
  }
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
  /** Makes `context.adminApi`; without it, reading `context.adminApi` throws. */
  readonly adminApi?: AdminApiFactory | undefined;
  /** The event being handled: its personal values are redacted from what the handler logs (see `redact.ts`). */
  readonly event?: unknown;
  /** `LOG_PERSONAL_DATA`: when true the handler's log lines are passed on unredacted. */
  readonly logPersonalData?: boolean;
}

/**
 * How a handler ended: its value, or what it threw or rejected with ({@link DeadlineExceeded} when
 * it missed its deadline, {@link AnsweredLate} when it settled after it).
 */
export type Settled<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/**
 * Runs a handler with a deadline. Never throws: the outcome says how the handler ended.
 * Sets `log.handler_ms`.
 *
 * A handler that answers synchronously (returns a value that is not a promise, or throws) has
 * answered already, so its outcome comes back at once, without a timer or a promise. Only a
 * promise (any thenable) is raced against the deadline. A value that comes after the deadline,
 * synchronously or not, is refused as {@link AnsweredLate}: CPU-bound work cannot be interrupted,
 * so the time is checked again when the handler settles.
 *
 * The context's `logger` and `signal` are made on first read: most handlers use neither, and an
 * `AbortController` whose signal is read and then aborted costs more than verifying a 4 KiB body.
 * The signal aborts at the deadline (reason: {@link DeadlineExceeded}) or once the handler is done;
 * read after that, it comes back already aborted.
 *
 * @example
 * ```ts
 * const run = runHandler((context) => handler.handle(event, context), Date.now() + 4_000, log, { logger, now: Date.now });
 * const settled = run instanceof Promise ? await run : run;
 * ```
 */
export function runHandler<R>(
  call: (context: HandlerContext) => R | PromiseLike<R>,
  deadline: number,
  log: LogFields,
  options: RunOptions,
): Settled<R> | Promise<Settled<R>> {
  const run = new HandlerRun(options, log);
  if (deadline - run.started <= 0) {
    run.end();
    return { ok: false, error: new DeadlineExceeded(true) };
  }
  let result: R | PromiseLike<R>;
  try {
    result = call(run.context(deadline));
    // `then` is read inside the try: a getter that throws is the handler failing, as it would be
    // if the value went through a promise.
    if (!isThenable(result)) {
      const late = lateAnswer(run.end(), deadline, run.started);
      return late ? { ok: false, error: late } : { ok: true, value: result };
    }
  } catch (error) {
    run.end();
    return { ok: false, error };
  }
  // Measured after the call: its synchronous part may have used up some or all of the time.
  return withTimeout(Promise.resolve(result), deadline - options.now(), () => {
    run.end(new DeadlineExceeded());
    return new DeadlineExceeded();
  }).then(
    (value): Settled<R> => {
      const late = lateAnswer(run.end(), deadline, run.started);
      return late ? { ok: false, error: late } : { ok: true, value };
    },
    (error: unknown): Settled<R> => {
      run.end();
      return { ok: false, error };
    },
  );
}

/** The state of one handler run. Its signal and scoped logger exist only once the handler reads them. */
class HandlerRun {
  readonly started: number;
  readonly #options: RunOptions;
  readonly #log: LogFields;
  #logger: Logger | undefined;
  #controller: AbortController | undefined;
  #ended = false;
  #endedAt = 0;
  #abortReason: unknown;
  #adminApi: AdminApi | undefined;
  #deadline = 0;

  constructor(options: RunOptions, log: LogFields) {
    this.#options = options;
    this.#log = log;
    this.started = options.now();
  }

  /** The handler's context: `{ logger, signal, deadline }`, the first two read from this run. */
  context(deadline: number): HandlerContext {
    // Own enumerable getters, as an object literal with getters would have, so the context keeps
    // its shape for `{ ...context }` and `Object.keys`; shared descriptors cost a fraction of such
    // a literal, which V8 builds on a slow path.
    const context: ContextWithRun & { deadline?: number } = Object.defineProperties({ [RUN]: this }, CONTEXT_GETTERS);
    context.deadline = deadline;
    this.#deadline = deadline;
    return context as unknown as HandlerContext;
  }

  get eventType(): unknown {
    return this.#log.event_type;
  }

  adminApi(): AdminApi {
    if (!this.#adminApi) {
      const factory = this.#options.adminApi ?? NO_ADMIN_API;
      this.#adminApi = factory({ deadline: this.#deadline, signal: this.signal(), logger: this.logger() });
    }
    return this.#adminApi;
  }

  logger(): Logger {
    if (!this.#logger) {
      const { logger, event, logPersonalData } = this.#options;
      const safe = logPersonalData ? logger : redactingLogger(logger, createRedactor(event, { personalData: false }));
      this.#logger = scopedLogger(safe, this.#log);
    }
    return this.#logger;
  }

  signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#ended) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /**
   * Records the handler's time and aborts its signal, if it was read; only the first call counts.
   * Returns the time it ended.
   */
  end(abortReason?: unknown): number {
    if (this.#ended) return this.#endedAt;
    this.#ended = true;
    this.#abortReason = abortReason;
    this.#endedAt = this.#options.now();
    this.#log.handler_ms = this.#endedAt - this.started;
    // Without a reason the signal gets the default AbortError, as `controller.abort()` gives.
    this.#controller?.abort(abortReason);
    return this.#endedAt;
  }
}

const RUN = Symbol('handler run');
type ContextWithRun = { readonly [RUN]: HandlerRun };
const CONTEXT_GETTERS: PropertyDescriptorMap = {
  logger: {
    get(this: ContextWithRun) {
      return this[RUN].logger();
    },
    enumerable: true,
    configurable: true,
  },
  signal: {
    get(this: ContextWithRun) {
      return this[RUN].signal();
    },
    enumerable: true,
    configurable: true,
  },
  // A handler that declared secrets gets its own accessor in place of this one (handler-secrets.ts).
  secrets: {
    get(this: ContextWithRun) {
      return undeclaredSecrets(String(this[RUN].eventType ?? 'this'));
    },
    enumerable: true,
    configurable: true,
  },
  // Not enumerable: `{ ...context }` or logging the context must not throw where it is not configured.
  adminApi: {
    get(this: ContextWithRun) {
      return this[RUN].adminApi();
    },
    enumerable: false,
    configurable: true,
  },
};

const NO_ADMIN_API: AdminApiFactory = () => {
  throw new AdminApiConfigError('the Authgear Admin API is not available here: this process was started without an Admin API factory');
};

/** How a non-blocking handler ended; `fields` say why it failed, for the log line. */
export type NonBlockingRun = { readonly ok: true } | { readonly ok: false; readonly fields: LogFields };

/**
 * Runs a non-blocking handler under `deadline` and never throws; like {@link runHandler}, a
 * synchronous handler's outcome comes back without a promise.
 *
 * @param deadlineMs the configured budget, only for the failure message.
 * @example
 * ```ts
 * const run = await runNonBlockingHandler(handler, event, { deadline: Date.now() + 25_000, deadlineMs: 25_000, log, logger, now: Date.now });
 * if (!run.ok) logger.error('non-blocking handler failed', run.fields);
 * ```
 */
export function runNonBlockingHandler(
  handler: NonBlockingHandler,
  event: EventEnvelope,
  options: Omit<RunOptions, 'event'> & { readonly deadline: number; readonly deadlineMs: number; readonly log: LogFields },
): NonBlockingRun | Promise<NonBlockingRun> {
  const run = runHandler((context) => handler.handle(event as never, context), options.deadline, options.log, { ...options, event });
  const describe = (settled: Settled<void>): NonBlockingRun => {
    if (settled.ok) return NON_BLOCKING_OK;
    const { error } = settled;
    if (error instanceof AnsweredLate) {
      // The work is done: retrying it would do it twice. Said in a line of its own.
      options.logger.warn(
        `non-blocking handler finished ${error.lateByMs} ms after NON_BLOCKING_DEADLINE_MS (${options.deadlineMs} ms); counted as handled`,
        { event_id: options.log.event_id, event_type: options.log.event_type, reason: 'finished_late', handler_ms: error.handlerMs },
      );
      return NON_BLOCKING_OK;
    }
    const fields =
      error instanceof DeadlineExceeded
        ? {
            reason: 'deadline_exceeded',
            error_message: `handler did not finish within NON_BLOCKING_DEADLINE_MS (${options.deadlineMs} ms)`,
          }
        : { reason: 'handler_threw', ...createRedactor(event, { personalData: options.logPersonalData === true }).error(error) };
    return { ok: false, fields };
  };
  return run instanceof Promise ? run.then(describe) : describe(run);
}

const NON_BLOCKING_OK: NonBlockingRun = Object.freeze({ ok: true });

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
