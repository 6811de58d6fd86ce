/**
 * The stack's CloudWatch alarms: the login path (API 5xx answers, blocking handlers answered by
 * their error policy, blocking latency near Authgear's 5 s) and the queue (dead letters, worker
 * crashes, a backlog nobody consumes). Given `alarmTopicArn`, each notifies that SNS topic when it
 * goes into alarm and when it is OK again.
 */
import { Arn, ArnFormat, Aws, CfnRule, Duration, Fn, type Stack } from 'aws-cdk-lib';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { metricNamespace } from './log-metrics';
import { AUTHGEAR_BLOCKING_TIMEOUT_MS } from './options';

/**
 * The `outcome` values of the blocking function's log line when a handler threw, missed its
 * deadline or answered after it, or returned something Authgear would reject or something over
 * `MAX_ANSWER_BYTES`, and its error policy answered instead
 * (shared/core/app.ts: `error_policy_${onError}`).
 */
export const ERROR_POLICY_OUTCOMES = ['error_policy_deny', 'error_policy_allow'] as const;

/** Blocking p99 duration that alarms: a second short of Authgear's 5 s, where a cold start or the network tips a login into failure. */
export const BLOCKING_LATENCY_ALARM_MS = AUTHGEAR_BLOCKING_TIMEOUT_MS - 1_000;

/**
 * Age of the oldest queued event that alarms: the retry window plus 30 minutes means the worker is
 * not consuming at all (a disabled event source, a broken deploy); after 14 days SQS would delete it.
 */
export const backlogAlarmSeconds = (retryWindowMinutes: number): number => retryWindowMinutes * 60 + 1_800;

/** The metric the error-policy log filter publishes, in a namespace per stack. */
export const ERROR_POLICY_METRIC_NAME = 'BlockingErrorPolicyAnswers';

/** Construct ids of the alarms, which the outputs also use (`<id>Name`, `<id>Arn`). */
export const ALARM_IDS = {
  apiServerErrors: 'ApiServerErrorsAlarm',
  blockingErrorPolicy: 'BlockingErrorPolicyAlarm',
  blockingLatency: 'BlockingLatencyAlarm',
  deadLetter: 'DeadLetterAlarm',
  workerErrors: 'WorkerErrorsAlarm',
  backlog: 'QueueBacklogAlarm',
} as const;

export type WebhookAlarms = { readonly [K in keyof typeof ALARM_IDS]: cloudwatch.Alarm };

export interface WebhookAlarmsOptions {
  readonly stage: HttpStage;
  readonly blockingFunction: lambda.Function;
  readonly workerFunction: lambda.Function;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly retryWindowMinutes: number;
  /** An SNS topic in the stack's region to notify; unset leaves the alarms without actions. */
  readonly alarmTopicArn: string | undefined;
}

/** Creates every alarm of the stack, and wires each to `alarmTopicArn` when given. */
export function webhookAlarms(stack: Stack, options: WebhookAlarmsOptions): WebhookAlarms {
  const { retryWindowMinutes } = options;
  const anyOccurrence = {
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    // No data means an idle API, queue or function, which is fine.
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  };
  const oneMinute = Duration.minutes(1);
  const fiveMinutes = Duration.minutes(5);

  // Every 5xx is a failed login or a lost non-blocking event: the functions' 503 (secret or queue
  // unavailable) and 500, and API Gateway's own when a function crashed, timed out or was throttled.
  const apiServerErrors = new cloudwatch.Alarm(stack, ALARM_IDS.apiServerErrors, {
    ...anyOccurrence,
    alarmDescription:
      'The webhook API answered 5xx: a blocking hook failed a login, or a non-blocking event was not stored (Authgear does not resend it). Find the reason in the function logs (status 500/503) or, when no function answered, in the API access log.',
    metric: options.stage.metricServerError({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
  });

  // A metric filter on the blocking function's structured log line (LOG_LEVEL=silent hides it).
  const errorPolicyFilter = new logs.MetricFilter(stack, 'BlockingErrorPolicyMetric', {
    logGroup: options.blockingFunction.logGroup,
    filterPattern: logs.FilterPattern.any(
      ...ERROR_POLICY_OUTCOMES.map((outcome) => logs.FilterPattern.stringValue('$.outcome', '=', outcome)),
    ),
    metricNamespace: metricNamespace(stack),
    metricName: ERROR_POLICY_METRIC_NAME,
    metricValue: '1',
  });
  const blockingErrorPolicy = new cloudwatch.Alarm(stack, ALARM_IDS.blockingErrorPolicy, {
    ...anyOccurrence,
    alarmDescription:
      'A blocking handler threw, missed BLOCKING_DEADLINE_MS (or answered after it), or returned a response Authgear would reject or one over MAX_ANSWER_BYTES, and its error policy answered (deny refuses the user). Search the blocking log group for outcome error_policy_deny / error_policy_allow; the reason field says which.',
    metric: errorPolicyFilter.metric({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
  });

  const blockingLatency = new cloudwatch.Alarm(stack, ALARM_IDS.blockingLatency, {
    ...anyOccurrence,
    threshold: BLOCKING_LATENCY_ALARM_MS,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    alarmDescription: `The slowest 1 % of blocking invocations took ${BLOCKING_LATENCY_ALARM_MS} ms or more: Authgear fails a login after ${AUTHGEAR_BLOCKING_TIMEOUT_MS} ms, cold start and network included. Make the slow handler faster (pass signal to its calls) or move its work to a non-blocking event.`,
    metric: options.blockingFunction.metricDuration({ period: fiveMinutes, statistic: cloudwatch.Stats.p(99) }),
  });

  const deadLetter = new cloudwatch.Alarm(stack, ALARM_IDS.deadLetter, {
    ...anyOccurrence,
    alarmDescription: `Authgear events are in the dead-letter queue: their handler kept failing for ${retryWindowMinutes} minutes. Fix the cause (worker log, outcome "dead_lettered"), then run: npm run redrive`,
    metric: options.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: oneMinute, statistic: cloudwatch.Stats.MAXIMUM }),
  });
  const workerErrors = new cloudwatch.Alarm(stack, ALARM_IDS.workerErrors, {
    ...anyOccurrence,
    alarmDescription:
      'The non-blocking worker failed as a whole (a crash or a timeout, not a handler that threw): its batch is retried after the queue visibility timeout. See the worker log group.',
    metric: options.workerFunction.metricErrors({ period: oneMinute, statistic: cloudwatch.Stats.SUM }),
  });
  const backlogSeconds = backlogAlarmSeconds(retryWindowMinutes);
  const backlog = new cloudwatch.Alarm(stack, ALARM_IDS.backlog, {
    ...anyOccurrence,
    threshold: backlogSeconds,
    alarmDescription: `An Authgear event has waited more than ${backlogSeconds / 60} minutes in the queue: the worker is not consuming it. Check the worker function and its event source mapping.`,
    metric: options.queue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM }),
  });

  const alarms: WebhookAlarms = { apiServerErrors, blockingErrorPolicy, blockingLatency, deadLetter, workerErrors, backlog };
  if (options.alarmTopicArn !== undefined) notify(stack, Object.values(alarms), options.alarmTopicArn);
  return alarms;
}

/** Sends every state change into and out of alarm to the topic, which must be in the stack's region. */
function notify(stack: Stack, alarms: readonly cloudwatch.Alarm[], topicArn: string): void {
  const region = Arn.split(topicArn, ArnFormat.NO_RESOURCE_NAME).region ?? Aws.REGION;
  // CloudWatch only notifies topics of its own region: refuse the deployment instead of alarms that stay silent.
  new CfnRule(stack, 'AlarmTopicInStackRegion', {
    assertions: [
      {
        assert: Fn.conditionEquals(Aws.REGION, region),
        assertDescription: `alarmTopicArn names a topic in ${region}; CloudWatch alarms only notify topics in their own region`,
      },
    ],
  });
  const action = new SnsAction(sns.Topic.fromTopicArn(stack, 'AlarmTopic', topicArn));
  for (const alarm of alarms) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}
