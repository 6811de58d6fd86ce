/**
 * How the queued processor acts on each answer of its {@link EventClaims}. The claims here are
 * scripted; the real stores (memory and DynamoDB) are tested against the same rules in
 * `claims.test.ts` and `test/exactly-once.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import type { ClaimedRun, ClaimOptions, EventClaims } from './claims';
import { readConfig } from './config';
import { defineNonBlockingHandler } from './handler';
import { createJsonLogger } from './logger';
import { createQueuedEventProcessor, type QueuedDelivery } from './queued';

const eventBody = (id: string): string =>
  JSON.stringify({
    id,
    seq: 1,
    type: 'user.created',
    payload: { user: { id: 'u1' }, identities: [] },
    context: { timestamp: Math.floor(Date.now() / 1000), user_id: 'u1', triggered_by: 'user' },
  });

type Script = 'run' | 'run, record fails' | 'done' | 'busy' | 'unavailable';

/** Claims that answer as scripted and record what they were asked. */
function scriptedClaims(script: Script, isDone: () => Promise<boolean> = async () => false) {
  const asked: { eventId: string; options: ClaimOptions }[] = [];
  const claims: EventClaims = {
    async run<T extends { readonly ok: boolean }>(eventId: string, work: () => Promise<T>, options: ClaimOptions): Promise<ClaimedRun<T>> {
      asked.push({ eventId, options });
      if (script === 'done') return { outcome: 'done' };
      if (script === 'busy') return { outcome: 'busy' };
      if (script === 'unavailable') return { outcome: 'unavailable', error: new Error('connect ECONNREFUSED 127.0.0.1:8000') };
      const result = await work();
      return script === 'run' ? { outcome: 'ran', result } : { outcome: 'ran', result, recordError: new Error('throttled') };
    },
    isDone,
  };
  return { claims, asked };
}

function processor(claims: EventClaims, fail = false) {
  const lines: Record<string, unknown>[] = [];
  const runs: string[] = [];
  const handler = defineNonBlockingHandler('user.created', (event) => {
    runs.push(event.id);
    if (fail) throw new Error('CRM unavailable');
  });
  const run = createQueuedEventProcessor({
    handlers: { nonBlocking: new Map([[handler.event, handler]]) },
    config: readConfig({ NON_BLOCKING_DEADLINE_MS: '20000' }),
    logger: createJsonLogger({ level: 'debug', sink: (_l, line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
    claims,
  });
  return { run, lines, runs };
}

const delivery = (attempt: number, retryInMs: number | undefined, extra: Partial<QueuedDelivery> = {}): QueuedDelivery => ({
  attempt,
  maxAttempts: 8,
  retryInMs,
  ...extra,
});

describe('the queued processor and its claims', () => {
  it('claims the event id for the delivery’s claimMs, or the deadline plus 30 s without one', async () => {
    // Prepare
    const { claims, asked } = scriptedClaims('run');
    const { run } = processor(claims);

    // Act
    await run(eventBody('000000000000f001'), delivery(1, 30_000, { claimMs: 88_500 }));
    await run(eventBody('000000000000f002'), delivery(1, 30_000));

    // Assess
    expect(asked).toEqual([
      { eventId: '000000000000f001', options: { claimMs: 88_500 } },
      { eventId: '000000000000f002', options: { claimMs: 50_000 } },
    ]);
  });

  it('acknowledges an event the shared record shows as handled, without running the handler', async () => {
    // Prepare
    const { claims } = scriptedClaims('done');
    const { run, lines, runs } = processor(claims);

    // Act
    const result = await run(eventBody('000000000000f003'), delivery(2, 60_000));
    const again = await run(eventBody('000000000000f003'), delivery(3, 120_000));

    // Assess
    expect(result).toMatchObject({ status: 'duplicate', done: true, permanent: false });
    expect(again).toMatchObject({ status: 'duplicate', done: true });
    expect(runs).toEqual([]);
    expect(lines[0]).toMatchObject({ level: 'info', reason: 'duplicate_delivery', outcome: 'duplicate', event_id: '000000000000f003' });
    // The second copy is caught by this process's memory before the shared record is asked.
    expect(lines[1]?.msg).toMatch(/already handled by this process/);
  });

  it('hands a delivery that meets another delivery’s claim back for a retry, without running the handler', async () => {
    // Prepare
    const { claims } = scriptedClaims('busy');
    const { run, lines, runs } = processor(claims);

    // Act
    const result = await run(eventBody('000000000000f004'), delivery(1, 30_000));

    // Assess
    expect(result).toMatchObject({ status: 'busy', done: false, permanent: false });
    expect(runs).toEqual([]);
    expect(lines[0]).toMatchObject({
      level: 'warn',
      reason: 'claimed_elsewhere',
      outcome: 'retry_scheduled',
      retry_in_ms: 30_000,
      msg: 'another delivery of this event holds its claim (it is being handled right now); this one is retried in 30 s',
    });
  });

  it('never runs the handler without a claim: an unreachable record means a retry, or the dead-letter queue at the end', async () => {
    // Prepare
    const { claims } = scriptedClaims('unavailable');
    const { run, lines, runs } = processor(claims);

    // Act
    const early = await run(eventBody('000000000000f005'), delivery(1, 30_000));
    const last = await run(eventBody('000000000000f005'), delivery(8, undefined));

    // Assess
    expect(early).toMatchObject({ status: 'unavailable', done: false, permanent: false });
    expect(last).toMatchObject({ status: 'unavailable', done: false, permanent: false });
    expect(runs).toEqual([]);
    expect(lines[0]).toMatchObject({
      level: 'error',
      reason: 'claim_store_unavailable',
      outcome: 'retry_scheduled',
      error_message: 'connect ECONNREFUSED 127.0.0.1:8000',
    });
    expect(lines[1]).toMatchObject({ level: 'error', reason: 'claim_store_unavailable', outcome: 'dead_lettered' });
    expect(lines[1]?.msg).toMatch(/no attempts left: the event goes to the dead-letter queue$/);
  });

  it('acknowledges a success whose record could not be marked done, and says what that risks', async () => {
    // Prepare
    const { claims } = scriptedClaims('run, record fails');
    const { run, lines, runs } = processor(claims);

    // Act
    const result = await run(eventBody('000000000000f006'), delivery(1, 30_000));

    // Assess
    expect(result).toMatchObject({ status: 'handled', done: true });
    expect(runs).toEqual(['000000000000f006']);
    expect(lines.find((l) => l.reason === 'record_not_marked_done')).toMatchObject({ level: 'warn', error_message: 'throttled' });
  });

  it('retries a failure whose claim could not be released, and says the retry waits for the claim to expire', async () => {
    // Prepare
    const { claims } = scriptedClaims('run, record fails');
    const { run, lines } = processor(claims, true);

    // Act
    const result = await run(eventBody('000000000000f007'), delivery(1, 30_000));

    // Assess
    expect(result).toMatchObject({ status: 'failed', done: false, permanent: false });
    expect(lines.find((l) => l.reason === 'claim_not_released')).toMatchObject({ level: 'warn', error_message: 'throttled' });
    expect(lines.find((l) => l.outcome === 'retry_scheduled')).toMatchObject({ reason: 'handler_threw' });
  });

  it('on the receive after the last attempt, acknowledges an event the shared record shows as handled elsewhere', async () => {
    // Prepare
    const { claims, asked } = scriptedClaims('run', async () => true);
    const { run, lines, runs } = processor(claims);

    // Act
    const result = await run(eventBody('000000000000f008'), delivery(9, undefined));

    // Assess
    expect(result).toMatchObject({ status: 'duplicate', done: true, permanent: false });
    expect(runs).toEqual([]);
    expect(asked).toEqual([]);
    expect(lines[0]).toMatchObject({ reason: 'duplicate_delivery', outcome: 'duplicate' });
  });

  it('on the receive after the last attempt, releases the event for dead-lettering when the record is not done or unreadable', async () => {
    // Prepare
    const notDone = processor(scriptedClaims('run', async () => false).claims);
    const unreadable = processor(
      scriptedClaims('run', async () => {
        throw new Error('timeout');
      }).claims,
    );

    // Act
    const a = await notDone.run(eventBody('000000000000f009'), delivery(9, undefined));
    const b = await unreadable.run(eventBody('000000000000f00a'), delivery(9, undefined));

    // Assess
    expect(a).toMatchObject({ status: 'exhausted', done: false, permanent: true });
    expect(b).toMatchObject({ status: 'exhausted', done: false, permanent: true });
    expect(unreadable.lines[0]).toMatchObject({ level: 'warn', reason: 'claim_store_unavailable', error_message: 'timeout' });
    expect(unreadable.lines[1]).toMatchObject({ reason: 'attempts_exhausted', outcome: 'released' });
  });
});
