import { describe, expect, it, vi } from 'vitest';
import type { HandlerContext } from './handler';
import { createJsonLogger, type LogFields } from './logger';
import { DeadlineExceeded, runHandler, runNonBlockingHandler, type Settled } from './run-handler';

const lines: string[] = [];
const options = { logger: createJsonLogger({ level: 'debug', sink: (_level, line) => lines.push(line) }), now: Date.now };
const settle = async <R>(run: Settled<R> | Promise<Settled<R>>): Promise<Settled<R>> => run;

describe('runHandler', () => {
  it('answers a synchronous handler at once, without a promise or a timer', () => {
    // Prepare
    vi.useFakeTimers();
    const log: LogFields = {};

    try {
      // Act
      const run = runHandler(() => ({ is_allowed: true }), Date.now() + 4_000, log, options);

      // Assess
      expect(run).toEqual({ ok: true, value: { is_allowed: true } });
      expect(vi.getTimerCount()).toBe(0);
      expect(log.handler_ms).toBeTypeOf('number');
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports a synchronous throw, and a throwing `then` getter, like a rejection', async () => {
    // Prepare
    const boom = new Error('boom');
    const trap = Object.defineProperty({}, 'then', {
      get() {
        throw boom;
      },
    });

    // Act
    const thrown = runHandler(
      () => {
        throw boom;
      },
      Date.now() + 4_000,
      {},
      options,
    );
    const rejected = await settle(runHandler(() => Promise.reject(boom), Date.now() + 4_000, {}, options));
    const trapped = runHandler(() => trap, Date.now() + 4_000, {}, options);

    // Assess
    expect(thrown).toEqual({ ok: false, error: boom });
    expect(rejected).toEqual({ ok: false, error: boom });
    expect(trapped).toEqual({ ok: false, error: boom });
  });

  it('waits for any thenable, not only a native promise', async () => {
    // Prepare
    const thenable = { then: (resolve: (value: string) => void) => resolve('done') } as unknown as PromiseLike<string>;

    // Act
    const run = runHandler(() => thenable, Date.now() + 4_000, {}, options);

    // Assess
    expect(run).toBeInstanceOf(Promise);
    await expect(run).resolves.toEqual({ ok: true, value: 'done' });
  });

  it('hands over a context shaped { logger, signal, secrets, deadline }, copies included', () => {
    // Prepare
    let context: HandlerContext | undefined;
    const deadline = Date.now() + 4_000;

    // Act
    runHandler((c) => (context = c), deadline, { event_id: 'e1', event_type: 'user.created' }, options);
    const copy = { ...context! };

    // Assess
    expect(Object.keys(context!)).toEqual(['logger', 'signal', 'secrets', 'deadline']);
    expect(copy.deadline).toBe(deadline);
    // No secret was declared, so reading one fails with the fix in the message.
    expect(typeof copy.secrets.get).toBe('function');
    expect(copy.signal).toBeInstanceOf(AbortSignal);
    expect(typeof copy.logger.info).toBe('function');
  });

  it('aborts a signal read during the handler once it is done, and gives an aborted one when read later', () => {
    // Prepare
    let during: AbortSignal | undefined;
    let context: HandlerContext | undefined;

    // Act
    runHandler(
      (c) => {
        during = c.signal;
        expect(during.aborted).toBe(false);
        context = c;
      },
      Date.now() + 4_000,
      {},
      options,
    );
    const later = context!.signal;

    // Assess
    expect(during?.aborted).toBe(true);
    expect(later.aborted).toBe(true);
    expect((later.reason as Error).name).toBe('AbortError');
    expect(later).toBe(during);
  });

  it('aborts the signal with DeadlineExceeded at the deadline, also when it is read only afterwards', async () => {
    // Prepare
    let context: HandlerContext | undefined;
    const log: LogFields = {};

    // Act
    const settled = await settle(
      runHandler(
        (c) => {
          context = c;
          return new Promise(() => {});
        },
        Date.now() + 20,
        log,
        options,
      ),
    );

    // Assess
    expect(settled.ok).toBe(false);
    expect((settled as { error: unknown }).error).toBeInstanceOf(DeadlineExceeded);
    expect(context!.signal.aborted).toBe(true);
    expect(context!.signal.reason).toBeInstanceOf(DeadlineExceeded);
    expect(log.handler_ms).toBeGreaterThanOrEqual(15);
  });

  it('does not call a handler whose deadline has already passed', () => {
    // Prepare
    const handler = vi.fn();

    // Act
    const run = runHandler(handler, Date.now() - 1, {}, options);

    // Assess
    expect(handler).not.toHaveBeenCalled();
    expect((run as { error: unknown }).error).toBeInstanceOf(DeadlineExceeded);
  });

  it("gives the context's logger the event id and type", () => {
    // Prepare
    lines.length = 0;

    // Act
    runHandler(
      (c) => c.logger.info('synced', { extra: 1 }),
      Date.now() + 4_000,
      { event_id: 'e1', event_type: 'user.created', route: 'x' },
      options,
    );

    // Assess
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'synced', event_id: 'e1', event_type: 'user.created', extra: 1 });
    expect(JSON.parse(lines[0]!)).not.toHaveProperty('route');
  });
});

describe('runNonBlockingHandler', () => {
  it('returns a synchronous outcome directly and an asynchronous one as a promise', async () => {
    // Prepare
    const event = { id: 'e1', type: 'user.created', payload: {}, context: { timestamp: 0 } } as never;
    const run = (handle: () => unknown) =>
      runNonBlockingHandler({ kind: 'non-blocking', event: 'user.created', handle } as never, event, {
        ...options,
        deadline: Date.now() + 1_000,
        deadlineMs: 1_000,
        log: {},
      });

    // Act
    const sync = run(() => undefined);
    const failed = await run(async () => {
      throw new Error('crm down');
    });

    // Assess
    expect(sync).toEqual({ ok: true });
    expect(failed).toMatchObject({ ok: false, fields: { reason: 'handler_threw', error_message: 'crm down' } });
  });
});
