/** The load test's report: the table `npm run loadtest` prints, and when the run counts as failed. */
import { describe, expect, it } from 'vitest';
import { type LoadReport, renderReport, reportFailed } from './report';

const report: LoadReport = {
  options: { durationSeconds: 10, maxRequests: 300, concurrency: 4 },
  sent: 5,
  errors: 0,
  misclassified: 1,
  elapsedMs: 2_500,
  throughput: 2,
  latencyMs: { p50: 1.25, p90: 4, p99: 9.96, max: 10 },
  byKind: new Map([
    ['signed user.pre_create', { sent: 3, ok: 3, misclassified: 0, errors: 0, statuses: new Map([[200, 3]]), latenciesMs: [1, 2, 10] }],
    [
      'malformed: GET',
      {
        sent: 2,
        ok: 1,
        misclassified: 1,
        errors: 0,
        statuses: new Map([
          [500, 1],
          [405, 1],
        ]),
        latenciesMs: [0.5, 4],
      },
    ],
  ]),
  samples: ['malformed: GET: expected 405, got 500 boom'],
  serverLog: new Map([
    ['warn signature_mismatch', 2],
    ['error handler_failed', 1],
  ]),
  burst: { sent: 20, errors: 0, misclassified: 0, elapsedMs: 12.34, latencyMs: { p50: 3, p99: 7.5, max: 8 } },
};

describe('renderReport', () => {
  it('prints one row a kind, sorted, with right-aligned numbers, then the totals, the burst, the log and the problems', () => {
    // Act
    const text = renderReport(report);

    // Assess
    expect(text.split('\n')).toEqual([
      'Load test: local server on 127.0.0.1, concurrency 4, limits 10 s / 300 requests',
      '',
      'kind                    sent  ok  misclassified  errors  statuses     p50 ms  p99 ms',
      '----------------------  ----  --  -------------  ------  -----------  ------  ------',
      'malformed: GET             2   1              1       0  405×1 500×1     0.5     4.0',
      'signed user.pre_create     3   3              0       0  200×3           2.0    10.0',
      '----------------------  ----  --  -------------  ------  -----------  ------  ------',
      'requests 5 in 2.50 s = 2 req/s',
      'latency ms: p50 1.3  p90 4.0  p99 10.0  max 10.0',
      'errors 0, misclassified 1',
      'burst: 20 requests at once, each on its own connection, answered in 12.3 ms: p50 3.0  p99 7.5  max 8.0 ms; errors 0, misclassified 0',
      'server warn/error log lines by reason: error handler_failed×1, warn signature_mismatch×2',
      '',
      'first problems:',
      '  malformed: GET: expected 405, got 500 boom',
    ]);
  });

  it('says "none" for a quiet server log and leaves out the burst and problems sections when there are none', () => {
    // Prepare
    const { burst: _burst, ...withoutBurst } = report;
    const quiet: LoadReport = { ...withoutBurst, serverLog: new Map(), samples: [] };

    // Act
    const text = renderReport(quiet);

    // Assess
    expect(text).toContain('server warn/error log lines by reason: none');
    expect(text).not.toContain('burst:');
    expect(text).not.toContain('first problems:');
    expect(text.endsWith('server warn/error log lines by reason: none')).toBe(true);
  });
});

describe('reportFailed', () => {
  it('fails a run with any error or misclassified answer, in the main run or the burst', () => {
    // Prepare
    const clean: LoadReport = { ...report, misclassified: 0 };

    // Act
    const verdicts = [
      reportFailed(clean),
      reportFailed(report),
      reportFailed({ ...clean, errors: 1 }),
      reportFailed({ ...clean, burst: { ...clean.burst!, errors: 1 } }),
      reportFailed({ ...clean, burst: { ...clean.burst!, misclassified: 1 } }),
    ];

    // Assess
    expect(verdicts).toEqual([false, true, true, true, true]);
  });
});
