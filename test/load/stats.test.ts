/** The load test's counting: nearest-rank percentiles and the tally of attempts. */
import { describe, expect, it } from 'vitest';
import { newTally, percentile, recordAttempt } from './stats';

describe('percentile', () => {
  it('takes the nearest rank of ascending values, and 0 for none', () => {
    // Prepare
    const values = Array.from({ length: 100 }, (_, i) => i + 1);

    // Act
    const picks = [percentile(values, 50), percentile(values, 90), percentile(values, 99), percentile(values, 100)];
    const small = [percentile([7], 50), percentile([1, 2, 3, 4], 50), percentile([1, 2, 3, 4], 51), percentile([1, 2, 3, 4], 99)];

    // Assess
    expect(picks).toEqual([50, 90, 99, 100]);
    expect(small).toEqual([7, 2, 3, 4]);
    expect(percentile([], 99)).toBe(0);
  });
});

describe('recordAttempt', () => {
  it('counts answers by outcome and status, keeps latencies of answers only, and samples the problems', () => {
    // Prepare
    const tally = newTally();
    const samples: string[] = [];

    // Act
    recordAttempt(tally, { outcome: 'ok', status: 200, latencyMs: 3 }, samples, 'a');
    recordAttempt(tally, { outcome: 'ok', status: 202, latencyMs: 1 }, samples, 'a');
    recordAttempt(tally, { outcome: 'misclassified', status: 500, latencyMs: 2, problem: 'expected 2xx, got 500' }, samples, 'a');
    recordAttempt(tally, { outcome: 'error', problem: 'socket hang up' }, samples, 'burst a');

    // Assess
    expect(tally).toMatchObject({ sent: 4, ok: 2, misclassified: 1, errors: 1, latenciesMs: [3, 1, 2] });
    expect([...tally.statuses]).toEqual([
      [200, 1],
      [202, 1],
      [500, 1],
    ]);
    expect(samples).toEqual(['a: expected 2xx, got 500', 'burst a: socket hang up']);
  });

  it('keeps no more than 10 samples, and counts on past them', () => {
    // Prepare
    const tally = newTally();
    const samples: string[] = [];

    // Act
    for (let i = 0; i < 15; i += 1) recordAttempt(tally, { outcome: 'error', problem: `e${i}` }, samples, 'k');

    // Assess
    expect(tally.errors).toBe(15);
    expect(samples).toHaveLength(10);
    expect(samples.at(-1)).toBe('k: e9');
  });
});
