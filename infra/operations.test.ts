/**
 * What keeps the deployed stack operable: API throttling, access logs, concurrency limits and the
 * alarms, including the log filter that must keep matching what the core logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineBlockingHandler } from '../shared';
import { invokeHandler } from '../shared/testing';
import { ALARM_IDS, BLOCKING_LATENCY_ALARM_MS, ERROR_POLICY_METRIC_NAME, ERROR_POLICY_OUTCOMES } from './alarms';
import { ACCESS_LOG_FIELDS } from './http-api';
import { DEFAULT_THROTTLE, StackConfigError } from './stack';
import { makeProject, removeTempDirs, synth, type Synth } from '../test/support/stack-helpers';
import { resourcesOfType } from '../test/support/template-readers';

afterAll(removeTempDirs);

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:authgear-alerts';

const project = () => makeProject({ blocking: ['user.pre_create.ts', 'oidc.jwt.pre_create.ts'], nonBlocking: ['user.created.ts'] });
/** A handler that computes for `ms` without yielding, then allows: its deadline timer cannot fire meanwhile. */
const busyThenAllow = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
  return { is_allowed: true };
};
const stageOf = (s: Synth) => resourcesOfType(s.json, 'AWS::ApiGatewayV2::Stage').map(([, r]) => r.Properties);

describe('API throttling', () => {
  it('limits every route of the $default stage to 200 requests a second with bursts of 400 by default', () => {
    // Act
    const s = synth(project());

    // Assess
    expect(DEFAULT_THROTTLE).toEqual({ rateLimit: 200, burstLimit: 400 });
    expect(stageOf(s)).toHaveLength(1);
    expect(stageOf(s)[0]).toMatchObject({
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
    });
    // No route overrides the default, so each one gets these limits.
    expect(stageOf(s)[0]).not.toHaveProperty('RouteSettings');
  });

  it('takes the rate and burst from context', () => {
    // Act
    const s = synth(project(), { throttleRateLimit: '50', throttleBurstLimit: '120' });

    // Assess
    expect(stageOf(s)[0]?.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 120 });
  });

  it.each([
    [{ throttleRateLimit: 0 }, /throttleRateLimit must be an integer from 1 to 10000 requests per second \(got 0\)/],
    [{ throttleRateLimit: '10001' }, /throttleRateLimit must be an integer from 1 to 10000/],
    [{ throttleRateLimit: 'fast' }, /throttleRateLimit must be an integer/],
    [{ throttleBurstLimit: 5001 }, /throttleBurstLimit must be an integer from 1 to 5000 requests \(got 5001\)/],
  ])('rejects %j with a clear message', (context, message) => {
    // Act
    const construct = () => synth(project(), context);

    // Assess
    expect(construct).toThrow(StackConfigError);
    expect(construct).toThrow(message);
  });
});

describe('API access logs', () => {
  it.each([
    [{}, 30],
    [{ logRetentionDays: '7' }, 7],
  ])('logs every request of the stage as one JSON object, kept as long as the function logs (context %j)', (context, days) => {
    // Prepare
    const s = synth(project(), context);
    const settings = stageOf(s)[0]?.AccessLogSettings as { DestinationArn: { 'Fn::GetAtt': [string, string] }; Format: string };
    const [groupId, attribute] = settings.DestinationArn['Fn::GetAtt'];

    // Act
    const format = JSON.parse(settings.Format) as Record<string, string>;

    // Assess
    expect(attribute).toBe('Arn');
    expect(s.json.Resources[groupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: days } });
    expect(format).toEqual(ACCESS_LOG_FIELDS);
    // API Gateway requires the request id; the rest tells why a request never reached a function.
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      integrationStatus: '$context.integrationStatus',
      integrationError: '$context.integrationErrorMessage',
    });
    for (const [, group] of resourcesOfType(s.json, 'AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(days);
  });
});

describe('concurrency limits', () => {
  it('reserves nothing and caps no worker by default', () => {
    // Act
    const s = synth(project());

    // Assess
    for (const [, fn] of resourcesOfType(s.json, 'AWS::Lambda::Function'))
      expect(fn.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    for (const [, mapping] of resourcesOfType(s.json, 'AWS::Lambda::EventSourceMapping'))
      expect(mapping.Properties).not.toHaveProperty('ScalingConfig');
  });

  it('reserves concurrency for the blocking function and the receiver, and caps the worker through its event source', () => {
    // Act
    const s = synth(project(), {
      blockingReservedConcurrency: '20',
      receiverReservedConcurrency: 10,
      workerMaxConcurrency: '5',
      provisionedConcurrency: 2,
    });

    // Assess
    expect(s.json.Resources[s.blockingId]?.Properties.ReservedConcurrentExecutions).toBe(20);
    expect(s.json.Resources[s.nonBlockingId]?.Properties.ReservedConcurrentExecutions).toBe(10);
    // Reserved concurrency would throttle the worker's batches, which then come back with one
    // receive more: an attempt of the retry schedule spent without running the handler.
    expect(s.json.Resources[s.workerId]?.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(resourcesOfType(s.json, 'AWS::Lambda::EventSourceMapping')[0]?.[1].Properties.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
  });

  it.each([
    [{ blockingReservedConcurrency: 0 }, /blockingReservedConcurrency must be an integer from 1 to 1000 environments \(got 0\)/],
    [{ receiverReservedConcurrency: '1001' }, /receiverReservedConcurrency must be an integer from 1 to 1000/],
    [{ workerMaxConcurrency: 1 }, /workerMaxConcurrency must be an integer from 2 to 1000 environments \(got 1\)/],
    [
      { blockingReservedConcurrency: 2, provisionedConcurrency: 3 },
      /blockingReservedConcurrency \(2\) must be at least provisionedConcurrency \(3\)/,
    ],
  ])('rejects %j with a clear message', (context, message) => {
    // Act
    const construct = () => synth(project(), context);

    // Assess
    expect(construct).toThrow(StackConfigError);
    expect(construct).toThrow(message);
  });
});

describe('alarms', () => {
  let s: Synth;
  let apiId: string;
  const alarm = (key: keyof typeof ALARM_IDS) => s.json.Resources[s.alarmId(key)]?.Properties ?? {};

  beforeAll(() => {
    // Prepare
    s = synth(project());
    apiId = resourcesOfType(s.json, 'AWS::ApiGatewayV2::Api')[0]?.[0] ?? 'missing';
  });

  it('creates the six alarms, without actions unless an alarm topic is given', () => {
    // Act
    const alarms = resourcesOfType(s.json, 'AWS::CloudWatch::Alarm');

    // Assess
    expect(alarms.map(([id]) => id).sort()).toEqual(
      Object.keys(ALARM_IDS)
        .map((key) => s.alarmId(key as keyof typeof ALARM_IDS))
        .sort(),
    );
    for (const [, a] of alarms) {
      expect(a.Properties).not.toHaveProperty('AlarmActions');
      expect(a.Properties).not.toHaveProperty('OKActions');
      expect(String(a.Properties.AlarmDescription).length).toBeGreaterThan(60);
    }
    expect(s.json.Rules ?? {}).not.toHaveProperty('AlarmTopicInStackRegion');
  });

  it('alarms on any 5xx answer of the $default stage in 5 minutes', () => {
    // Assess
    expect(alarm('apiServerErrors')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [
        { Name: 'ApiId', Value: { Ref: apiId } },
        { Name: 'Stage', Value: '$default' },
      ],
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('counts error-policy answers with a metric filter on the blocking log group, and alarms on any in 5 minutes', () => {
    // Prepare
    const blockingLogGroup = (s.json.Resources[s.blockingId]?.Properties.LoggingConfig as { LogGroup: unknown }).LogGroup;

    // Act
    const filters = resourcesOfType(s.json, 'AWS::Logs::MetricFilter')
      .map(([, f]) => f.Properties)
      .filter((f) => JSON.stringify(f.MetricTransformations).includes(ERROR_POLICY_METRIC_NAME));

    // Assess
    expect(filters).toEqual([
      {
        LogGroupName: blockingLogGroup,
        FilterPattern: '{ ($.outcome = "error_policy_deny") || ($.outcome = "error_policy_allow") }',
        MetricTransformations: [{ MetricNamespace: 'AuthgearWebhooks/TestStack', MetricName: ERROR_POLICY_METRIC_NAME, MetricValue: '1' }],
      },
    ]);
    expect(alarm('blockingErrorPolicy')).toMatchObject({
      Namespace: 'AuthgearWebhooks/TestStack',
      MetricName: ERROR_POLICY_METRIC_NAME,
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
    expect(alarm('blockingErrorPolicy')).not.toHaveProperty('Dimensions');
  });

  it.each([
    ['deny', 'throws', () => Promise.reject(new Error('CRM down')), 'handler_threw'],
    ['allow', 'returns a response Authgear would reject', () => ({ is_allowed: 'yes' }), 'invalid_response'],
    ['deny', 'misses its deadline', () => new Promise(() => {}), 'deadline_exceeded'],
    ['deny', 'answers after its deadline (CPU-bound work)', () => busyThenAllow(80), 'answered_late'],
    ['allow', 'answers more than MAX_ANSWER_BYTES', () => ({ is_allowed: false, reason: 'x'.repeat(70_000) }), 'answer_too_large'],
  ] as const)('the filter matches the line the core logs when a handler with onError %s %s', async (onError, _what, handle, reason) => {
    // Prepare
    const pattern = String(
      resourcesOfType(s.json, 'AWS::Logs::MetricFilter').find(([, f]) =>
        JSON.stringify(f.Properties.MetricTransformations).includes(ERROR_POLICY_METRIC_NAME),
      )?.[1].Properties.FilterPattern,
    );
    const matchedOutcomes = [...pattern.matchAll(/\(\$\.outcome = "([a-z_]+)"\)/g)].map((m) => m[1]);
    // `never`: the types would refuse the invalid answer, which is the point here.
    const handler = defineBlockingHandler('user.pre_create', handle as never, { onError });

    // Act
    const result = await invokeHandler(handler, { config: { blockingDeadlineMs: 50 } });
    const line = result.logs.find((l) => l.outcome === result.outcome && typeof l.status === 'number');

    // Assess
    expect(pattern).toBe(`{ ${matchedOutcomes.map((o) => `($.outcome = "${o}")`).join(' || ')} }`);
    expect(matchedOutcomes).toEqual([...ERROR_POLICY_OUTCOMES]);
    expect(line).toMatchObject({ level: 'error', outcome: `error_policy_${onError}`, reason });
    expect(matchedOutcomes).toContain(line?.outcome);
  });

  it(`alarms when the blocking function's p99 duration reaches ${BLOCKING_LATENCY_ALARM_MS} ms, a second short of Authgear's 5 s`, () => {
    // Assess
    expect(BLOCKING_LATENCY_ALARM_MS).toBe(4_000);
    expect(alarm('blockingLatency')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.blockingId } }],
      ExtendedStatistic: 'p99',
      Period: 300,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 4_000,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('notifies the alarm topic of every alarm and of its return to OK, and refuses a topic of another region', () => {
    // Act
    const withTopic = synth(project(), { alarmTopicArn: TOPIC_ARN });

    // Assess
    const alarms = resourcesOfType(withTopic.json, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(6);
    for (const [, a] of alarms) expect(a.Properties).toMatchObject({ AlarmActions: [TOPIC_ARN], OKActions: [TOPIC_ARN] });
    withTopic.template.resourceCountIs('AWS::SNS::Topic', 0);
    expect(JSON.stringify(withTopic.json.Rules?.AlarmTopicInStackRegion)).toContain('"Fn::Equals":[{"Ref":"AWS::Region"},"eu-west-1"]');
  });

  it.each([['arn:aws:sns:eu-west-1:123456789012:alerts.fifo'], ['alerts'], ['arn:aws:sqs:eu-west-1:123456789012:alerts']])(
    'rejects alarmTopicArn=%s with a clear message',
    (value) => {
      // Act
      const construct = () => synth(project(), { alarmTopicArn: value });

      // Assess
      expect(construct).toThrow(StackConfigError);
      expect(construct).toThrow(/alarmTopicArn must be the ARN of a standard SNS topic/);
    },
  );
});
