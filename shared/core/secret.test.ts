import { describe, expect, it } from 'vitest';
import { createJsonLogger } from './logger';
import { SecretStore, type SecretSource } from './secret';

/** A source whose fetches the test settles by hand. */
function manualSource() {
  const pending: { resolve: (value: string) => void; reject: (error: Error) => void }[] = [];
  const source: SecretSource = {
    kind: 'manual-test-source',
    fetch: () => new Promise<string>((resolve, reject) => pending.push({ resolve, reject })),
  };
  return { source, pending };
}

const logger = createJsonLogger({ level: 'silent' });
/** The store calls its source in a microtask: let it run. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SecretStore.peek', () => {
  it('gives nothing until a fetch succeeded, then the cached candidates without a promise', async () => {
    // Prepare
    const { source, pending } = manualSource();
    const store = new SecretStore({ source, logger, ttlMs: 60_000, refreshIntervalMs: 1_000 });

    // Act
    const before = store.peek();
    const ready = store.prime();
    await tick();
    pending[0]!.resolve('["new","old"]');
    await ready;
    const after = store.peek();

    // Assess
    expect(before).toBeUndefined();
    expect(after).toEqual(['new', 'old']);
    expect(pending).toHaveLength(1);
  });

  it('starts one background refresh once the TTL has passed, and keeps answering with the cached value', async () => {
    // Prepare
    let now = 0;
    const { source, pending } = manualSource();
    const store = new SecretStore({ source, logger, ttlMs: 1_000, refreshIntervalMs: 1_000, now: () => now });
    const ready = store.prime();
    await tick();
    pending[0]!.resolve('first');
    await ready;

    // Act
    now = 1_000;
    const during = [store.peek(), store.peek()];
    await tick();
    pending[1]!.resolve('second');
    await tick();
    const after = store.peek();

    // Assess
    expect(during).toEqual([['first'], ['first']]);
    expect(pending).toHaveLength(2);
    expect(after).toEqual(['second']);
  });
});

describe('SecretStore.prime', () => {
  it('settles when the fetch fails, without rejecting; the failure shows on get()', async () => {
    // Prepare
    const { source, pending } = manualSource();
    const store = new SecretStore({ source, logger, ttlMs: 60_000, refreshIntervalMs: 1_000 });

    // Act
    const ready = store.prime();
    await tick();
    pending[0]!.reject(new Error('AccessDenied'));
    const outcome = await ready.then(() => 'settled');

    // Assess
    expect(outcome).toBe('settled');
    expect(store.peek()).toBeUndefined();
    await expect(store.get()).rejects.toThrow(/no webhook secret could be loaded/);
  });

  it('shares the fetch in flight instead of starting another one', async () => {
    // Prepare
    const { source, pending } = manualSource();
    const store = new SecretStore({ source, logger, ttlMs: 60_000, refreshIntervalMs: 1_000 });

    // Act
    const first = store.prime();
    const second = store.prime();
    const request = store.get();
    await tick();
    pending[0]!.resolve('only');
    await Promise.all([first, second]);

    // Assess
    expect(pending).toHaveLength(1);
    await expect(request).resolves.toEqual(['only']);
  });
});
