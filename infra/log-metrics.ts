/**
 * Metrics made from the log lines the functions already write: CloudWatch Logs metric filters on
 * the one JSON line per request (shared/core/app.ts: `status`, `outcome`, `reason`, `latency_ms`)
 * and per queued attempt (shared/core/queued.ts: `attempt`, `max_attempts`, `outcome`). The
 * request path makes no extra AWS call for them, and nothing in the functions knows they exist.
 *
 * They count what is logged: `LOG_LEVEL=warn` drops the info lines of allowed, denied, queued and
 * handled events from them, and `silent` drops everything.
 */
import { Duration, type Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';

/** The namespace of every metric made from this stack's logs: one per stack, so stages never mix. */
export const metricNamespace = (stack: Stack): string => `AuthgearWebhooks/${stack.stackName}`;

/** Metric names, with the log field each one is split by. */
export const LOG_METRICS = {
  /** Blocking requests, by `outcome`: allowed, denied, error_policy_deny, error_policy_allow, rejected, internal_error. */
  blockingRequests: 'BlockingRequests',
  /** Non-blocking requests, by `outcome`: queued, ignored (at LOG_LEVEL=debug), rejected, internal_error. */
  nonBlockingRequests: 'NonBlockingRequests',
  /** Refused requests of both routes, by `reason`: signature_mismatch, timestamp_stale, secret_unavailable, queue_unavailable… */
  refusedRequests: 'RefusedRequests',
  /** The blocking function's own time per request (`latency_ms`), without cold start or network. */
  blockingLatency: 'BlockingLatencyMs',
  /** Queued-event attempts of the worker, by `outcome`: handled, retry_scheduled, dead_lettered, released, duplicate, ignored. */
  workerAttempts: 'WorkerAttempts',
  /** Failed Secrets Manager fetches (cold start or refresh) of both verifying functions. */
  secretFetchFailures: 'SecretFetchFailures',
} as const;

/** The request line: the only one with both a numeric `status` and a `latency_ms`. */
const REQUEST_LINE = [logs.FilterPattern.numberValue('$.status', '>=', 100), logs.FilterPattern.numberValue('$.latency_ms', '>=', 0)];

export interface LogMetricsOptions {
  readonly blockingLogGroup: logs.ILogGroup;
  readonly receiverLogGroup: logs.ILogGroup;
  readonly workerLogGroup: logs.ILogGroup;
}

/** What the dashboard graphs: one metric, or a search over every value of a dimension. */
export interface LogMetrics {
  readonly namespace: string;
  /** One line per `outcome` (or `reason`) value that occurred in the period. */
  readonly byDimension: (metric: keyof typeof LOG_METRICS, period?: Duration) => cloudwatch.MathExpression;
  readonly blockingLatency: (statistic: string) => cloudwatch.Metric;
  readonly secretFetchFailures: () => cloudwatch.Metric;
}

/** The dimension each split metric carries. */
const DIMENSION: Partial<Record<keyof typeof LOG_METRICS, 'outcome' | 'reason'>> = {
  blockingRequests: 'outcome',
  nonBlockingRequests: 'outcome',
  refusedRequests: 'reason',
  workerAttempts: 'outcome',
};

/**
 * Creates the metric filters on the three functions' log groups.
 *
 * @example
 * ```ts
 * const metrics = logMetrics(stack, { blockingLogGroup, receiverLogGroup, workerLogGroup });
 * new cloudwatch.GraphWidget({ left: [metrics.byDimension('blockingRequests')] });
 * ```
 */
export function logMetrics(stack: Stack, options: LogMetricsOptions): LogMetrics {
  const namespace = metricNamespace(stack);
  const filter = (
    id: string,
    logGroup: logs.ILogGroup,
    pattern: logs.IFilterPattern,
    metricName: string,
    extra: Partial<logs.MetricFilterProps> = {},
  ) =>
    new logs.MetricFilter(stack, id, {
      logGroup,
      filterPattern: pattern,
      metricNamespace: namespace,
      metricName,
      metricValue: '1',
      ...extra,
    });

  filter('BlockingRequestsMetric', options.blockingLogGroup, logs.FilterPattern.all(...REQUEST_LINE), LOG_METRICS.blockingRequests, {
    dimensions: { outcome: '$.outcome' },
  });
  filter('NonBlockingRequestsMetric', options.receiverLogGroup, logs.FilterPattern.all(...REQUEST_LINE), LOG_METRICS.nonBlockingRequests, {
    dimensions: { outcome: '$.outcome' },
  });
  const refused = logs.FilterPattern.all(...REQUEST_LINE, logs.FilterPattern.stringValue('$.outcome', '=', 'rejected'));
  for (const [id, group] of [
    ['BlockingRefusedMetric', options.blockingLogGroup],
    ['NonBlockingRefusedMetric', options.receiverLogGroup],
  ] as const) {
    filter(id, group, refused, LOG_METRICS.refusedRequests, { dimensions: { reason: '$.reason' } });
  }
  filter('BlockingLatencyMetric', options.blockingLogGroup, logs.FilterPattern.all(...REQUEST_LINE), LOG_METRICS.blockingLatency, {
    metricValue: '$.latency_ms',
    unit: cloudwatch.Unit.MILLISECONDS,
  });
  filter(
    'WorkerAttemptsMetric',
    options.workerLogGroup,
    logs.FilterPattern.numberValue('$.max_attempts', '>=', 1),
    LOG_METRICS.workerAttempts,
    { dimensions: { outcome: '$.outcome' } },
  );
  const secretFailed = logs.FilterPattern.stringValue('$.reason', '=', 'secret_fetch_failed');
  for (const [id, group] of [
    ['BlockingSecretFailuresMetric', options.blockingLogGroup],
    ['NonBlockingSecretFailuresMetric', options.receiverLogGroup],
  ] as const) {
    filter(id, group, secretFailed, LOG_METRICS.secretFetchFailures);
  }

  return {
    namespace,
    byDimension: (metric, period = Duration.minutes(5)) => {
      const dimension = DIMENSION[metric];
      if (!dimension) throw new Error(`${metric} has no dimension to split by`);
      return new cloudwatch.MathExpression({
        // Every value of the dimension that occurred, without listing them here.
        // No label: each line is named after its dimension value.
        expression: `SEARCH('{${namespace},${dimension}} MetricName="${LOG_METRICS[metric]}"', 'Sum', ${period.toSeconds()})`,
        usingMetrics: {},
        period,
      });
    },
    blockingLatency: (statistic) =>
      new cloudwatch.Metric({
        namespace,
        metricName: LOG_METRICS.blockingLatency,
        statistic,
        period: Duration.minutes(5),
        unit: cloudwatch.Unit.MILLISECONDS,
      }),
    secretFetchFailures: () =>
      new cloudwatch.Metric({
        namespace,
        metricName: LOG_METRICS.secretFetchFailures,
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      }),
  };
}
