import { describe, expect, it } from 'vitest';
import { ReplayGuard, checkFreshness } from './freshness';

const T = 1_787_217_331; // seconds
const at = (seconds: number): number => seconds * 1000;

describe('checkFreshness', () => {
  it.each([
    ['just sent', T, 'fresh'],
    ['exactly at the age limit', T + 300, 'fresh'],
    ['one second past the age limit', T + 301, 'stale'],
    ['a day later', T + 86_400, 'stale'],
    ['stamped within the allowed skew ahead', T - 60, 'fresh'],
    ['stamped beyond the allowed skew ahead', T - 61, 'future'],
  ] as const)('classifies an event read %s', (_name, nowSeconds, expected) => {
    // Act
    const verdict = checkFreshness(T, at(nowSeconds), 300, 60);

    // Assess
    expect(verdict).toBe(expected);
  });

  it('accepts any timestamp when the age limit is 0', () => {
    // Act
    const verdicts = [checkFreshness(0, at(T), 0, 60), checkFreshness(T + 10_000, at(T), 0, 60)];

    // Assess
    expect(verdicts).toEqual(['fresh', 'fresh']);
  });
});

describe('ReplayGuard', () => {
  it('reports a key seen again within the window, and forgets it after', () => {
    // Prepare
    const guard = new ReplayGuard(1_000);

    // Act
    const first = guard.isRepeat('a', 0);
    const again = guard.isRepeat('a', 999);
    const other = guard.isRepeat('b', 999);
    const afterWindow = guard.isRepeat('a', 1_001);

    // Assess
    expect([first, again, other, afterWindow]).toEqual([false, true, false, false]);
  });

  it('stays bounded: the oldest keys are dropped past maxEntries', () => {
    // Prepare
    const guard = new ReplayGuard(60_000, 3);
    for (const key of ['a', 'b', 'c', 'd']) guard.isRepeat(key, 0);

    // Act
    const oldestForgotten = guard.isRepeat('a', 1);
    const newestRemembered = guard.isRepeat('d', 1);

    // Assess
    expect(oldestForgotten).toBe(false);
    expect(newestRemembered).toBe(true);
  });
});
