import { describe, expect, it } from 'vitest';
import { MemoryEventClaims } from './claims';

const ok = async () => ({ ok: true as const });
const failed = async () => ({ ok: false as const });

/** A clock the test moves by hand. */
function clock(start = 1_800_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('MemoryEventClaims', () => {
  it('runs an event once: a later run finds it done and does not call the work', async () => {
    // Prepare
    const claims = new MemoryEventClaims();
    let calls = 0;
    const work = async () => {
      calls += 1;
      return { ok: true };
    };

    // Act
    const first = await claims.run('e1', work, { claimMs: 90_000 });
    const second = await claims.run('e1', work, { claimMs: 90_000 });

    // Assess
    expect(first).toEqual({ outcome: 'ran', result: { ok: true } });
    expect(second).toEqual({ outcome: 'done' });
    expect(calls).toBe(1);
    expect(await claims.isDone('e1')).toBe(true);
  });

  it('releases the claim after a failure, so the retry runs, and then never again', async () => {
    // Prepare
    const claims = new MemoryEventClaims();

    // Act
    const first = await claims.run('e2', failed, { claimMs: 90_000 });
    const doneAfterFailure = await claims.isDone('e2');
    const retry = await claims.run('e2', ok, { claimMs: 90_000 });
    const third = await claims.run('e2', ok, { claimMs: 90_000 });

    // Assess
    expect(first).toEqual({ outcome: 'ran', result: { ok: false } });
    expect(doneAfterFailure).toBe(false);
    expect(retry.outcome).toBe('ran');
    expect(third.outcome).toBe('done');
  });

  it('answers busy while another run holds the claim, without calling the work', async () => {
    // Prepare
    const claims = new MemoryEventClaims();
    let release: (() => void) | undefined;
    const slow = claims.run('e3', () => new Promise<{ ok: boolean }>((resolve) => (release = () => resolve({ ok: true }))), {
      claimMs: 90_000,
    });
    let called = false;

    // Act
    const meanwhile = await claims.run(
      'e3',
      async () => {
        called = true;
        return { ok: true };
      },
      { claimMs: 90_000 },
    );
    release?.();
    const first = await slow;

    // Assess
    expect(meanwhile).toEqual({ outcome: 'busy' });
    expect(called).toBe(false);
    expect(first.outcome).toBe('ran');
    expect(await claims.isDone('e3')).toBe(true);
  });

  it('lets a new run take a claim once it has expired (its holder is gone)', async () => {
    // Prepare
    const time = clock();
    const claims = new MemoryEventClaims({ now: time.now });
    void claims.run('e4', () => new Promise<{ ok: boolean }>(() => undefined), { claimMs: 90_000 });

    // Act
    time.advance(89_999);
    const early = await claims.run('e4', ok, { claimMs: 90_000 });
    time.advance(2);
    const late = await claims.run('e4', ok, { claimMs: 90_000 });

    // Assess
    expect(early).toEqual({ outcome: 'busy' });
    expect(late.outcome).toBe('ran');
  });

  it('forgets a handled event after the retention, so it runs again', async () => {
    // Prepare
    const time = clock();
    const claims = new MemoryEventClaims({ now: time.now, retentionMs: 3_600_000 });
    await claims.run('e5', ok, { claimMs: 1_000 });

    // Act
    time.advance(3_599_999);
    const within = await claims.run('e5', ok, { claimMs: 1_000 });
    time.advance(2);
    const after = await claims.run('e5', ok, { claimMs: 1_000 });

    // Assess
    expect(within.outcome).toBe('done');
    expect(after.outcome).toBe('ran');
  });

  it('keeps at most maxEntries records, dropping the oldest handled ones but never a live claim', async () => {
    // Prepare
    const claims = new MemoryEventClaims({ maxEntries: 2 });
    void claims.run('held', () => new Promise<{ ok: boolean }>(() => undefined), { claimMs: 90_000 });
    await claims.run('a', ok, { claimMs: 1_000 });

    // Act
    await claims.run('b', ok, { claimMs: 1_000 });
    const held = await claims.run('held', ok, { claimMs: 1_000 });

    // Assess
    expect(held).toEqual({ outcome: 'busy' });
    expect(await claims.isDone('a')).toBe(false);
    expect(await claims.isDone('b')).toBe(true);
  });

  it('releases the claim and rethrows when the work itself throws', async () => {
    // Prepare
    const claims = new MemoryEventClaims();

    // Act
    const thrown = await claims
      .run('e6', () => Promise.reject(new Error('boom')), { claimMs: 90_000 })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const next = await claims.run('e6', ok, { claimMs: 90_000 });

    // Assess
    expect(thrown).toBeInstanceOf(Error);
    expect(next.outcome).toBe('ran');
  });
});
