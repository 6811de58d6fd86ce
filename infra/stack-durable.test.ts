import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { retrySchedule } from '../shared/core/retry';
import { removeTempDirs, synth, synthBeforeAll } from '../test/support/stack-helpers';
import { actionsOf, allStatements, envOf, resourcesOfType, roleOf, statementsOfFunction } from '../test/support/template-readers';

afterAll(removeTempDirs);

describe('AuthgearWebhooksStack durable non-blocking path: queues, worker, alarms', () => {
  const s = synthBeforeAll({ blocking: ['user.pre_create.ts'], nonBlocking: ['user.created.ts', 'user.deleted.ts'] });
  const queueArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
  const sqsStatements = (fnId: string) =>
    statementsOfFunction(s.json, fnId).filter((st) => actionsOf(st).some((a) => a.startsWith('sqs:')));

  it('creates a FIFO event queue keyed per event, redriving to a FIFO dead-letter queue after 8 attempts and one last receive', () => {
    // Act
    const queue = s.json.Resources[s.queueId]?.Properties;

    // Assess
    s.template.resourceCountIs('AWS::SQS::Queue', 2);
    expect(queue).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: 540, // 6 × the worker's 90 s
      MessageRetentionPeriod: 14 * 86_400,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: queueArn(s.deadLetterQueueId), maxReceiveCount: retrySchedule(60).maxAttempts + 1 },
    });
    expect(retrySchedule(60).maxAttempts + 1).toBe(9);
  });

  it('keeps dead letters for 14 days, encrypted, and refuses non-TLS access to both queues', () => {
    // Act
    const dlq = s.json.Resources[s.deadLetterQueueId]?.Properties;
    const policies = resourcesOfType(s.json, 'AWS::SQS::QueuePolicy').map(([, p]) => p.Properties);

    // Assess
    expect(dlq).toMatchObject({ FifoQueue: true, MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true });
    expect(dlq).not.toHaveProperty('RedrivePolicy');
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect((policy.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]);
    }
  });

  it('feeds the worker from the queue in batches of 10 with ReportBatchItemFailures, once its permissions exist', () => {
    // Act
    const mappings = resourcesOfType(s.json, 'AWS::Lambda::EventSourceMapping');

    // Assess
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.[1].Properties).toMatchObject({
      EventSourceArn: queueArn(s.queueId),
      FunctionName: { Ref: s.workerId },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(mappings[0]?.[1].DependsOn).toEqual(
      expect.arrayContaining([roleOf(s.json, s.workerId), expect.stringMatching(/^WorkerRoleDefaultPolicy/)]),
    );
  });

  it('lets the receiver only SendMessage to the queue, and the worker only receive, delete and change visibility on it', () => {
    // Act
    const receiver = sqsStatements(s.nonBlockingId);
    const worker = sqsStatements(s.workerId);
    const blocking = sqsStatements(s.blockingId);

    // Assess
    expect(receiver).toEqual([{ Action: 'sqs:SendMessage', Effect: 'Allow', Resource: queueArn(s.queueId) }]);
    // GetQueueAttributes: Lambda's event source mapping reads the queue's attributes with the function's role.
    // (@aws-cdk/aws-iam:minimizePolicies sorts the actions.)
    expect(worker).toEqual([
      {
        Action: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
        Effect: 'Allow',
        Resource: queueArn(s.queueId),
      },
    ]);
    expect(blocking).toEqual([]);
    expect(statementsOfFunction(s.json, s.workerId).filter((st) => actionsOf(st).some((a) => a.startsWith('secretsmanager:')))).toEqual([]);
    expect(JSON.stringify(allStatements(s.json))).not.toContain(s.deadLetterQueueId);
    for (const st of allStatements(s.json)) {
      for (const action of actionsOf(st)) expect(action).not.toMatch(/\*/);
      expect(st.Resource).not.toBe('*');
    }
  });

  it('alarms on any message in the dead-letter queue, on worker errors, and on a queue nobody consumes', () => {
    // Act
    const alarm = (key: 'deadLetter' | 'workerErrors' | 'backlog') => s.json.Resources[s.alarmId(key)]?.Properties;

    // Assess
    expect(alarm('deadLetter')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [s.deadLetterQueueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(alarm('workerErrors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.workerId } }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarm('backlog')).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [s.queueId, 'QueueName'] } }],
      Threshold: 5_400,
    });
    expect(String(alarm('deadLetter')?.AlarmDescription)).toContain('npm run redrive');
  });

  it('outputs the queue URLs that npm run redrive reads, and no alarm names or ARNs (they are on the dashboard)', () => {
    // Prepare
    const outputs = s.json.Outputs;

    // Assess
    expect(outputs.NonBlockingQueueUrl?.Value).toEqual({ Ref: s.queueId });
    expect(outputs.DeadLetterQueueUrl?.Value).toEqual({ Ref: s.deadLetterQueueId });
    expect(Object.keys(outputs).filter((key) => /Alarm/.test(key))).toEqual([]);
  });

  it('generates a receiver entry without handler imports, and a worker entry with every non-blocking file', () => {
    // Act
    const receiver = readFileSync(join(s.root, '.build', 'entries', 'receiver.ts'), 'utf8');
    const worker = readFileSync(join(s.root, '.build', 'entries', 'worker.ts'), 'utf8');

    // Assess
    expect(receiver).not.toMatch(/functions\/non-blocking/);
    expect(receiver).toContain('createReceiverHandler({ eventTypes: ["user.created","user.deleted"] })');
    expect(worker).toContain('createSqsWorkerHandler({');
    expect(worker).toMatch(/import h0 from ".*functions\/non-blocking\/user\.created\.ts";/);
    expect(worker).toMatch(/import h1 from ".*functions\/non-blocking\/user\.deleted\.ts";/);
  });

  it('sets the retry window from context: attempts, maxReceiveCount, the worker and the backlog alarm follow', () => {
    // Act
    const longer = synth(s.root, { retryWindowMinutes: '120' });
    const queue = longer.json.Resources[longer.queueId]?.Properties as { RedrivePolicy: { maxReceiveCount: number } };
    const backlog = resourcesOfType(longer.json, 'AWS::CloudWatch::Alarm').find(
      ([, a]) => a.Properties.MetricName === 'ApproximateAgeOfOldestMessage',
    )?.[1];

    // Assess
    expect(retrySchedule(120).maxAttempts).toBe(12);
    expect(queue.RedrivePolicy.maxReceiveCount).toBe(13);
    expect(envOf(longer.json, longer.workerId).RETRY_WINDOW_MINUTES).toBe('120');
    expect(backlog?.Properties.Threshold).toBe(120 * 60 + 1_800);
  });
});
