/**
 * The load test with a tiny budget, so `npm test` shows it still runs and classifies every
 * answer. No timing is asserted here: `npm run loadtest` reports throughput and latency.
 */
import { describe, expect, it } from 'vitest';
import { renderReport, runLoadTest } from './loadtest';

describe('load test', () => {
  it('sends 300 mixed deliveries, then a burst of 500 at once, with no transport error and no misclassified answer', async () => {
    // Prepare
    const options = { durationSeconds: 60, maxRequests: 300, concurrency: 10, burst: 500 };

    // Act
    const report = await runLoadTest(options);
    console.log(renderReport(report));

    // Assess
    expect(report.sent).toBe(300);
    expect(report.samples).toEqual([]);
    expect(report.errors).toBe(0);
    expect(report.misclassified).toBe(0);
    expect(report.byKind.size).toBeGreaterThanOrEqual(10); // the mix really was mixed
    expect([...report.serverLog.keys()].filter((k) => k.startsWith('error'))).toEqual([]);
    expect(report.burst).toMatchObject({ sent: 500, errors: 0, misclassified: 0 });
    expect(report.burst?.latencyMs.p99).toBeGreaterThanOrEqual(report.burst?.latencyMs.p50 ?? 0);
    expect(renderReport(report)).toMatch(/burst: 500 requests at once.*p50 [\d.]+ {2}p99 [\d.]+/);
  });
});
