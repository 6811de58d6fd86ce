import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPastLastAttempt, maxReceiveCount, RETRY_DEFAULTS, retrySchedule } from './retry';

describe('retrySchedule', () => {
  it('gives the default 60-minute window 8 attempts: 30 s, then doubling, capped at 15 min', () => {
    // Act
    const schedule = retrySchedule();

    // Assess
    expect(schedule.windowMinutes).toBe(60);
    expect(schedule.maxAttempts).toBe(8);
    expect(schedule.delaysMs).toEqual([30, 60, 120, 240, 480, 900, 900].map((s) => s * 1_000));
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => schedule.startOf(n) / 60_000)).toEqual([0, 0.5, 1.5, 3.5, 7.5, 15.5, 30.5, 45.5]);
    expect(schedule.delayAfter(1)).toBe(30_000);
    expect(schedule.delayAfter(7)).toBe(900_000);
    expect(schedule.delayAfter(8)).toBeUndefined();
    expect(schedule.delayAfter(9)).toBeUndefined();
    expect(schedule.delayAfter(0)).toBeUndefined();
  });

  it('fits 2 attempts in 1 minute and 100 in a day', () => {
    // Act
    const shortest = retrySchedule(1);
    const longest = retrySchedule(1_440);

    // Assess
    expect(shortest.maxAttempts).toBe(2);
    expect(shortest.delaysMs).toEqual([30_000]);
    expect(longest.maxAttempts).toBe(100);
    expect(longest.maxAttempts + 1).toBeLessThanOrEqual(1_000); // SQS's limit for maxReceiveCount
  });

  it.each([0, -5, 1.5, 1_441, Number.NaN])('refuses a window of %s minutes with the accepted range', (minutes) => {
    // Act
    const build = () => retrySchedule(minutes);

    // Assess
    expect(build).toThrow(/retry window must be an integer from 1 to 1440 minutes/);
  });

  it('for any window: delays never shrink, never pass the cap, all attempts start within the window, and one more would not', () => {
    fc.assert(
      fc.property(fc.integer({ min: RETRY_DEFAULTS.minWindowMinutes, max: RETRY_DEFAULTS.maxWindowMinutes }), (minutes) => {
        // Act
        const s = retrySchedule(minutes);
        const total = s.delaysMs.reduce((a, b) => a + b, 0);
        const next = Math.min(RETRY_DEFAULTS.firstDelaySeconds * 2 ** s.delaysMs.length, RETRY_DEFAULTS.maxDelaySeconds) * 1_000;

        // Assess
        expect(s.delaysMs.length).toBe(s.maxAttempts - 1);
        for (let i = 1; i < s.delaysMs.length; i++) expect(s.delaysMs[i]).toBeGreaterThanOrEqual(s.delaysMs[i - 1] ?? 0);
        for (const d of s.delaysMs) expect(d).toBeLessThanOrEqual(RETRY_DEFAULTS.maxDelaySeconds * 1_000);
        expect(total).toBeLessThanOrEqual(minutes * 60_000);
        expect(total + next).toBeGreaterThan(minutes * 60_000);
        expect(s.startOf(s.maxAttempts)).toBe(total);
      }),
    );
  });
});

describe('the receive count rule', () => {
  it('lets SQS deliver once per attempt and once more before dead-lettering', () => {
    // Prepare
    const { maxAttempts } = retrySchedule(60);

    // Act
    const limit = maxReceiveCount(maxAttempts);

    // Assess
    expect(limit).toBe(9);
    expect(isPastLastAttempt(maxAttempts, maxAttempts)).toBe(false);
    expect(isPastLastAttempt(limit, maxAttempts)).toBe(true);
  });
});
