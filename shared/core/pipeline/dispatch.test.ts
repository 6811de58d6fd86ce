/** Step 4, dispatch: the handler under its deadline, or the queue, through the app. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ERROR_RESPONSE, defineBlockingHandler, defineNonBlockingHandler, type HandlerContext } from '../handler';
import { USER_ID, USER_EMAIL, harness, signedRequest, deliver, envelope, never } from '../../../test/support/app-harness';

// ---------------------------------------------------------------------------------------------
// Blocking handlers
// ---------------------------------------------------------------------------------------------

describe('createWebhookApp: blocking handlers', () => {
  it('passes the parsed event and a context with a live signal and the deadline to the handler', async () => {
    // Prepare
    let seen: { id: string; email: string | undefined; aborted: boolean; deadline: number } | undefined;
    const before = Date.now();
    const h = harness({
      blocking: [
        defineBlockingHandler('user.pre_create', (event, context) => {
          seen = {
            id: event.id,
            email: event.payload.user.standard_attributes.email,
            aborted: context.signal.aborted,
            deadline: context.deadline,
          };
          return { is_allowed: true };
        }),
      ],
      env: { BLOCKING_DEADLINE_MS: '3000' },
    });

    // Act
    await deliver(h, 'user.pre_create');

    // Assess
    expect(seen?.id).toBe('000000000000bc55');
    expect(seen?.email).toBe(USER_EMAIL);
    expect(seen?.aborted).toBe(false);
    expect(seen?.deadline).toBeGreaterThanOrEqual(before + 3000);
    expect(seen?.deadline).toBeLessThanOrEqual(Date.now() + 3000);
  });

  it('answers by the policy within the deadline and aborts the signal when the handler never answers', async () => {
    // Prepare
    let context: HandlerContext | undefined;
    const h = harness({
      blocking: [
        defineBlockingHandler('user.pre_create', (_event, ctx) => {
          context = ctx;
          return never();
        }),
      ],
      env: { BLOCKING_DEADLINE_MS: '50' },
    });
    const started = performance.now();

    // Act
    const response = await deliver(h, 'user.pre_create');
    const elapsed = performance.now() - started;

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(elapsed).toBeGreaterThanOrEqual(45);
    expect(elapsed).toBeLessThan(50 + 200);
    expect(context?.signal.aborted).toBe(true);
    expect(h.outcome()).toMatchObject({ reason: 'deadline_exceeded', outcome: 'error_policy_deny' });
  });

  it('answers {"is_allowed":true} at the deadline for an allow-policy handler that never answers', async () => {
    // Prepare
    const h = harness({
      blocking: [defineBlockingHandler('user.pre_create', () => never(), { onError: 'allow' })],
      env: { BLOCKING_DEADLINE_MS: '50' },
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.body).toBe('{"is_allowed":true}');
    expect(h.outcome()).toMatchObject({ reason: 'deadline_exceeded' });
  });

  it('does not call the handler when the deadline has already passed on arrival', async () => {
    // Prepare
    let called = false;
    let clock = 0;
    const h = harness({
      blocking: [
        defineBlockingHandler('user.pre_create', () => {
          called = true;
          return { is_allowed: true };
        }),
      ],
      env: { BLOCKING_DEADLINE_MS: '1000' },
      // The first reading is the arrival; every later one is far past the deadline.
      now: () => {
        const value = clock;
        clock = 10_000;
        return value;
      },
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(called).toBe(false);
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(h.outcome()).toMatchObject({ reason: 'deadline_exceeded' });
  });

  it('lets a handler promise that rejects after the deadline pass without an unhandled rejection', async () => {
    // Prepare
    const unhandled: unknown[] = [];
    const listener = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', listener);
    const h = harness({
      blocking: [
        defineBlockingHandler(
          'user.pre_create',
          () => new Promise((_resolve, reject) => setTimeout(() => reject(new Error('late failure')), 80)),
        ),
      ],
      env: { BLOCKING_DEADLINE_MS: '50' },
    });

    try {
      // Act
      const response = await deliver(h, 'user.pre_create');
      await new Promise((resolve) => setTimeout(resolve, 120));

      // Assess
      expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Non-blocking handlers
// ---------------------------------------------------------------------------------------------

describe('createWebhookApp: non-blocking handlers', () => {
  it('answers 200 {"received":true} once the event is queued; the queue runs the handler with the parsed event', async () => {
    // Prepare
    const seen: string[] = [];
    const h = harness({ nonBlocking: [defineNonBlockingHandler('user.created', async (event) => void seen.push(event.payload.user.id))] });

    // Act
    const response = await deliver(h, 'user.created', '/non-blocking');

    // Assess
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ received: true });
    expect(seen).toEqual([USER_ID]);
    expect(h.lines.map((l) => l.fields.outcome).filter(Boolean)).toEqual(['handled', 'queued']);
    expect(h.outcome()).toMatchObject({ outcome: 'queued', status: 200, event_type: 'user.created' });
  });

  it('acknowledges an unknown future event type with 200 and outcome ignored', async () => {
    // Prepare
    const h = harness({ nonBlocking: [defineNonBlockingHandler('user.created', () => undefined)] });

    // Act
    const response = await h.app.handle(signedRequest('/non-blocking', envelope('future.event')));

    // Assess
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ received: true });
    expect(h.outcome()).toMatchObject({ outcome: 'ignored', event_type: 'future.event' });
  });

  it('acknowledges a known event type that has no handler with 200 and outcome ignored', async () => {
    // Prepare
    let called = false;
    const h = harness({ nonBlocking: [defineNonBlockingHandler('user.created', () => void (called = true))] });

    // Act
    const response = await h.app.handle(signedRequest('/non-blocking', envelope('user.deleted')));

    // Assess
    expect(response.status).toBe(200);
    expect(called).toBe(false);
    expect(h.outcome()).toMatchObject({ outcome: 'ignored', event_type: 'user.deleted' });
  });
});
