/**
 * The stack's CloudWatch dashboard: what the requests answered, how long the login path takes
 * against Authgear's 5 s, the queue, the worker, the secret, and every alarm with its state.
 * Request figures come from the log-line metrics (./log-metrics); queue, function and API figures
 * are the metrics AWS publishes anyway.
 */
import { Aws, Duration, Fn, type Stack } from 'aws-cdk-lib';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { BLOCKING_LATENCY_ALARM_MS, type WebhookAlarms } from './alarms';
import { LOG_METRICS, type LogMetrics } from './log-metrics';
import { AUTHGEAR_BLOCKING_TIMEOUT_MS } from './options';

export interface WebhookDashboardOptions {
  readonly metrics: LogMetrics;
  readonly alarms: WebhookAlarms;
  readonly stage: HttpStage;
  readonly blockingFunction: lambda.IFunction;
  readonly receiverFunction: lambda.IFunction;
  readonly workerFunction: lambda.IFunction;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** Seconds after which the backlog alarm fires, drawn on the oldest-message graph. */
  readonly backlogAlarmSeconds: number;
}

const FIVE_MINUTES = Duration.minutes(5);
const WIDTH = 8;
const HEIGHT = 6;

/**
 * Creates the dashboard, named `<stack name>-<region>` (dashboard names are global to the account).
 *
 * @example
 * ```ts
 * const dashboard = webhookDashboard(stack, { metrics, alarms, stage, blockingFunction, ... });
 * dashboardUrl(dashboard); // https://<region>.console.aws.amazon.com/cloudwatch/home?...
 * ```
 */
export function webhookDashboard(stack: Stack, options: WebhookDashboardOptions): cloudwatch.Dashboard {
  const { metrics, alarms } = options;
  const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
    new cloudwatch.GraphWidget({ title, left, width: WIDTH, height: HEIGHT, period: FIVE_MINUTES, ...extra });
  const sum = { statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES };
  const max = { statistic: cloudwatch.Stats.MAXIMUM, period: FIVE_MINUTES };

  const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard', {
    dashboardName: Fn.join('-', [stack.stackName, Aws.REGION]),
    defaultInterval: Duration.hours(3),
  });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: [
        `# Authgear webhooks: ${stack.stackName}`,
        "Request counts come from the functions' log lines (LOG_LEVEL info or debug). " +
          `Blocking answers must arrive within Authgear's ${AUTHGEAR_BLOCKING_TIMEOUT_MS / 1000} s. ` +
          'Dead-lettered events: fix the cause, then `npm run redrive`.',
        `Event queue: \`${options.queue.queueName}\` · dead-letter queue: \`${options.deadLetterQueue.queueName}\``,
      ].join('\n\n'),
      width: 16,
      height: 4,
    }),
    new cloudwatch.AlarmStatusWidget({
      title: 'Alarms',
      alarms: Object.values(alarms),
      width: 8,
      height: 4,
    }),
  );
  dashboard.addWidgets(
    graph('Blocking requests by outcome', [metrics.byDimension('blockingRequests')], { stacked: true }),
    graph('Non-blocking requests by outcome', [metrics.byDimension('nonBlockingRequests')], { stacked: true }),
    graph('Refused requests by reason', [metrics.byDimension('refusedRequests')], { stacked: true }),
  );
  dashboard.addWidgets(
    graph(
      'Blocking latency (ms)',
      [
        metrics.blockingLatency('p50').with({ label: 'handler p50' }),
        metrics.blockingLatency('p99').with({ label: 'handler p99' }),
        options.blockingFunction.metricDuration({ statistic: 'p99', period: FIVE_MINUTES, label: 'Lambda duration p99' }),
      ],
      {
        leftAnnotations: [
          { value: AUTHGEAR_BLOCKING_TIMEOUT_MS, label: "Authgear's timeout", color: cloudwatch.Color.RED },
          { value: BLOCKING_LATENCY_ALARM_MS, label: 'latency alarm', color: cloudwatch.Color.ORANGE },
        ],
        leftYAxis: { min: 0, showUnits: false },
      },
    ),
    graph('API answers', [
      options.stage.metricCount({ ...sum, label: 'requests' }),
      options.stage.metricClientError({ ...sum, label: '4xx (refused, throttled)' }),
      options.stage.metricServerError({ ...sum, label: '5xx' }),
    ]),
    graph('Secrets Manager', [
      metrics.secretFetchFailures().with({ label: 'failed fetches' }),
      new cloudwatch.Metric({
        namespace: metrics.namespace,
        metricName: LOG_METRICS.refusedRequests,
        dimensionsMap: { reason: 'secret_unavailable' },
        ...sum,
        label: 'requests refused 503: no secret',
      }),
    ]),
  );
  dashboard.addWidgets(
    graph('Event queue depth', [
      options.queue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'waiting' }),
      options.queue.metricApproximateNumberOfMessagesNotVisible({ ...max, label: 'being processed or delayed' }),
    ]),
    graph('Oldest event in the queue (s)', [options.queue.metricApproximateAgeOfOldestMessage({ ...max, label: 'age' })], {
      leftAnnotations: [{ value: options.backlogAlarmSeconds, label: 'backlog alarm', color: cloudwatch.Color.ORANGE }],
    }),
    graph('Dead-lettered events', [
      options.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'in dead-letter queue' }),
    ]),
  );
  dashboard.addWidgets(
    graph('Worker attempts by outcome', [metrics.byDimension('workerAttempts')], { stacked: true }),
    graph('Worker errors and throttles', [
      options.workerFunction.metricErrors({ ...sum, label: 'invocation errors' }),
      options.workerFunction.metricThrottles({ ...sum, label: 'throttles' }),
    ]),
    graph('Function errors', [
      options.blockingFunction.metricErrors({ ...sum, label: 'blocking' }),
      options.receiverFunction.metricErrors({ ...sum, label: 'receiver' }),
      options.blockingFunction.metricThrottles({ ...sum, label: 'blocking throttles' }),
      options.receiverFunction.metricThrottles({ ...sum, label: 'receiver throttles' }),
    ]),
  );
  return dashboard;
}

/** The dashboard's console address. */
export function dashboardUrl(dashboard: cloudwatch.Dashboard): string {
  return `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${dashboard.dashboardName}`;
}
