/**
 * The production options, one by one: what is kept on delete, who the alarms reach, the custom
 * domain, tracing, the customer-managed key, and the outputs a person reads after a deploy.
 */
import { Annotations as AssertAnnotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE_FUNCTIONS_DIR } from '../test/support/fixture-handlers';
import { NO_ALARM_RECIPIENT_WARNING } from './alarm-notifications';
import { StackConfigError } from './options';
import { REPO_ROOT, makeProject, removeTempDirs, synth, type Synth } from '../test/support/stack-helpers';
import { actionsOf, flatten, resourcesOfType, type Statement, statementsOfFunction } from '../test/support/template-readers';

afterAll(removeTempDirs);

const project = () => makeProject({ blocking: ['user.pre_create.ts', 'oidc.jwt.pre_create.ts'], nonBlocking: ['user.created.ts'] });
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:authgear-alerts';
const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Resources with their deletion and replacement policies. */
const policies = (s: Synth, type: string) =>
  Object.entries(s.json.Resources as Record<string, { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string }>)
    .filter(([, r]) => r.Type === type)
    .map(([, r]) => [r.DeletionPolicy, r.UpdateReplacePolicy]);

describe('what cdk destroy keeps', () => {
  it('keeps both queues, the created secret and every log group by default, on delete and on replacement', () => {
    // Act
    const s = synth(project());

    // Assess
    expect(policies(s, 'AWS::SQS::Queue')).toEqual([
      ['Retain', 'Retain'],
      ['Retain', 'Retain'],
    ]);
    expect(policies(s, 'AWS::SecretsManager::Secret')).toEqual([['Retain', 'Retain']]);
    expect(policies(s, 'AWS::DynamoDB::Table')).toEqual([['Retain', 'Retain']]);
    expect(policies(s, 'AWS::Logs::LogGroup')).toHaveLength(4);
    for (const policy of policies(s, 'AWS::Logs::LogGroup')) expect(policy).toEqual(['Retain', 'Retain']);
  });

  it('deletes them with the stack when retainOnDelete is false (throw-away stages)', () => {
    // Act
    const s = synth(project(), { retainOnDelete: 'false' });

    // Assess
    for (const type of ['AWS::SQS::Queue', 'AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup', 'AWS::DynamoDB::Table']) {
      expect(policies(s, type).length).toBeGreaterThan(0);
      for (const policy of policies(s, type)) expect(policy).toEqual(['Delete', 'Delete']);
    }
  });

  it('gives none of them a fixed name, so a stack deployed again after a destroy creates new ones instead of failing', () => {
    // Act
    const s = synth(project());

    // Assess
    for (const [, queue] of resourcesOfType(s.json, 'AWS::SQS::Queue')) expect(queue.Properties).not.toHaveProperty('QueueName');
    for (const [, secret] of resourcesOfType(s.json, 'AWS::SecretsManager::Secret')) expect(secret.Properties).not.toHaveProperty('Name');
    for (const [, group] of resourcesOfType(s.json, 'AWS::Logs::LogGroup')) expect(group.Properties).not.toHaveProperty('LogGroupName');
    for (const [, table] of resourcesOfType(s.json, 'AWS::DynamoDB::Table')) expect(table.Properties).not.toHaveProperty('TableName');
  });

  it('rejects retainOnDelete=maybe', () => {
    // Act
    const construct = () => synth(project(), { retainOnDelete: 'maybe' });

    // Assess
    expect(construct).toThrow(StackConfigError);
    expect(construct).toThrow('retainOnDelete must be true or false (got "maybe")');
  });
});

describe('alarms that reach a person', () => {
  const warnings = (s: Synth) => AssertAnnotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('The alarms notify no one'));

  it('warns at synth, without failing it, when no alarm e-mail or topic is set', () => {
    // Act
    const s = synth(project());

    // Assess
    expect(warnings(s)).toHaveLength(1);
    expect(JSON.stringify(warnings(s)[0]?.entry.data)).toContain('set alarmEmail');
    s.template.resourceCountIs('AWS::SNS::Topic', 0);
    expect(NO_ALARM_RECIPIENT_WARNING).toBe('authgear-webhooks:alarmsNotifyNoOne');
  });

  it.each([[{ alarmTopicArn: TOPIC_ARN }], [{ alarmEmail: 'oncall@example.com' }]])('does not warn with %j', (context) => {
    // Act
    const s = synth(project(), context);

    // Assess
    expect(warnings(s)).toEqual([]);
  });

  it('subscribes every address of alarmEmail to a new topic that every alarm notifies on alarm and on OK, beside alarmTopicArn', () => {
    // Act
    const s = synth(project(), { alarmEmail: ' oncall@example.com, team@example.com,oncall@example.com', alarmTopicArn: TOPIC_ARN });
    const [topicId] = resourcesOfType(s.json, 'AWS::SNS::Topic')[0] ?? ['missing'];
    const subscriptions = resourcesOfType(s.json, 'AWS::SNS::Subscription').map(([, r]) => r.Properties);

    // Assess
    expect(subscriptions).toEqual([
      { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topicId } },
      { Protocol: 'email', Endpoint: 'team@example.com', TopicArn: { Ref: topicId } },
    ]);
    const alarms = resourcesOfType(s.json, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(6);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([TOPIC_ARN, { Ref: topicId }]);
      expect(alarm.Properties.OKActions).toEqual([TOPIC_ARN, { Ref: topicId }]);
    }
  });

  it('takes a JSON list, and lets only this account’s CloudWatch alarms publish to the topic, over TLS only', () => {
    // Act
    const s = synth(project(), { alarmEmail: ['oncall@example.com'] });
    const statements = resourcesOfType(s.json, 'AWS::SNS::TopicPolicy').flatMap(
      ([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );

    // Assess
    s.template.resourceCountIs('AWS::SNS::Subscription', 1);
    expect(statements).toHaveLength(2);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const publish = statements.find((st) => st.Effect === 'Allow');
    expect(publish).toMatchObject({ Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' } });
    expect(JSON.stringify(publish?.Condition)).toContain('"aws:SourceAccount":{"Ref":"AWS::AccountId"}');
    expect(
      flatten((publish?.Condition as { ArnLike: Record<string, unknown> }).ArnLike['aws:SourceArn'], {
        'AWS::Partition': 'aws',
        'AWS::Region': 'R',
        'AWS::AccountId': 'A',
      }),
    ).toBe('arn:aws:cloudwatch:R:A:alarm:*');
  });

  it.each([['oncall'], ['a@b'], [42], [['ok@example.com', 'not an address']]])('rejects alarmEmail=%j', (value) => {
    // Act
    const construct = () => synth(project(), { alarmEmail: value });

    // Assess
    expect(construct).toThrow(StackConfigError);
    expect(construct).toThrow(/alarmEmail must/);
  });
});

describe('custom domain', () => {
  const domain = { domainName: 'Hooks.Example.com', certificateArn: CERTIFICATE_ARN };
  const apiOf = (s: Synth) => resourcesOfType(s.json, 'AWS::ApiGatewayV2::Api')[0]?.[0] ?? 'missing';

  it('creates a regional TLS 1.2 domain name mapped to the $default stage, and puts every URL output and the hook YAML on it', () => {
    // Act
    const s = synth(project(), domain);
    const [domainId] = resourcesOfType(s.json, 'AWS::ApiGatewayV2::DomainName')[0] ?? ['missing'];
    const stageId = resourcesOfType(s.json, 'AWS::ApiGatewayV2::Stage')[0]?.[0];

    // Assess
    expect(s.json.Resources[domainId]?.Properties).toMatchObject({
      DomainName: 'hooks.example.com',
      DomainNameConfigurations: [{ CertificateArn: CERTIFICATE_ARN, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
    expect(s.json.Resources[domainId]?.Properties).not.toHaveProperty('MutualTlsAuthentication');
    s.template.hasResource('AWS::ApiGatewayV2::ApiMapping', {
      Properties: { ApiId: { Ref: apiOf(s) }, DomainName: { Ref: domainId }, Stage: '$default' },
      // Mapped once the stage exists.
      DependsOn: [stageId],
    });
    expect(flatten(s.json.Outputs.BlockingUrlUserPreCreate?.Value, {})).toBe('https://hooks.example.com/blocking/user.pre_create');
    expect(flatten(s.json.Outputs.NonBlockingUrl?.Value, {})).toBe('https://hooks.example.com/non-blocking');
    const yaml = flatten(s.json.Outputs.AuthgearHookConfig?.Value, {});
    expect(yaml).toContain('url: https://hooks.example.com/blocking/oidc.jwt.pre_create');
    expect(yaml).not.toContain('execute-api');
    expect(JSON.stringify(s.json.Rules?.CertificateInStackRegion)).toContain('"Fn::Equals":[{"Ref":"AWS::Region"},"eu-west-1"]');
    // Without a hosted zone, the target for the user's own DNS record.
    expect(s.json.Outputs.CustomDomainTarget?.Value).toEqual({ 'Fn::GetAtt': [domainId, 'RegionalDomainName'] });
    s.template.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(s.json.Resources[apiOf(s)]?.Properties).not.toHaveProperty('DisableExecuteApiEndpoint');
  });

  it('creates the alias record in the hosted zone, and can turn the execute-api address off', () => {
    // Act
    const s = synth(project(), {
      ...domain,
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      hostedZoneName: 'example.com.',
      disableExecuteApiEndpoint: true,
    });
    const [domainId] = resourcesOfType(s.json, 'AWS::ApiGatewayV2::DomainName')[0] ?? ['missing'];

    // Assess
    s.template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'hooks.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      AliasTarget: {
        DNSName: { 'Fn::GetAtt': [domainId, 'RegionalDomainName'] },
        HostedZoneId: { 'Fn::GetAtt': [domainId, 'RegionalHostedZoneId'] },
      },
    });
    expect(s.json.Outputs).not.toHaveProperty('CustomDomainTarget');
    expect(s.json.Resources[apiOf(s)]?.Properties.DisableExecuteApiEndpoint).toBe(true);
  });

  it.each([
    [{ domainName: 'hooks.example.com' }, /give domainName and certificateArn together/],
    [{ certificateArn: CERTIFICATE_ARN }, /give domainName and certificateArn together/],
    [{ domainName: 'hooks', certificateArn: CERTIFICATE_ARN }, /domainName must be a DNS name/],
    [
      { domainName: 'hooks.example.com', certificateArn: 'arn:aws:iam::123456789012:server-certificate/x' },
      /certificateArn must be an ACM certificate ARN/,
    ],
    [{ ...domain, hostedZoneId: 'Z0123456789' }, /give hostedZoneId and hostedZoneName together/],
    [{ ...domain, hostedZoneId: 'z123', hostedZoneName: 'example.com' }, /hostedZoneId must be a Route 53 hosted zone id/],
    [
      { ...domain, hostedZoneId: 'Z0123456789', hostedZoneName: 'example.org' },
      /domainName hooks.example.com is not in the hosted zone example.org/,
    ],
    [{ hostedZoneId: 'Z0123456789', hostedZoneName: 'example.com' }, /hostedZoneId and hostedZoneName need domainName/],
    [{ disableExecuteApiEndpoint: true }, /disableExecuteApiEndpoint needs domainName/],
  ])('rejects %j with a clear message', (context, message) => {
    // Act
    const construct = () => synth(project(), context);

    // Assess
    expect(construct).toThrow(StackConfigError);
    expect(construct).toThrow(message);
  });
});

describe('tracing', () => {
  const functionsOf = (s: Synth) => [s.blockingId, s.nonBlockingId, s.workerId];

  it('is off by default: no tracing config and no X-Ray permission', () => {
    // Act
    const s = synth(project());

    // Assess
    for (const id of functionsOf(s)) expect(s.json.Resources[id]?.Properties).not.toHaveProperty('TracingConfig');
    expect(JSON.stringify(s.json)).not.toContain('xray:');
  });

  it('turns on active tracing for the three functions, each role allowed exactly the two X-Ray write actions', () => {
    // Act
    const s = synth(project(), { tracing: 'true' });

    // Assess
    for (const id of functionsOf(s)) {
      expect(s.json.Resources[id]?.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      const xray = statementsOfFunction(s.json, id).filter((st) => actionsOf(st).some((a) => a.startsWith('xray:')));
      // (@aws-cdk/aws-iam:minimizePolicies sorts the actions.)
      expect(xray).toEqual([{ Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Effect: 'Allow', Resource: '*' }]);
      // Lambda checks the role may write traces when it creates the function.
      expect(JSON.stringify((s.json.Resources[id] as { DependsOn?: unknown }).DependsOn)).toMatch(/TracingPolicy/);
    }
  });
});

describe('customer-managed KMS key', () => {
  const via = (service: string) => ({
    StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] } },
  });
  const kmsStatements = (s: Synth, fnId: string) =>
    statementsOfFunction(s.json, fnId).filter((st) => actionsOf(st).some((a) => a.startsWith('kms:')));

  it('is not used by default: SQS-managed queue encryption, no key anywhere, no stack.encryptionKey', () => {
    // Act
    const s = synth(project());

    // Assess
    expect(s.stack.encryptionKey).toBeUndefined();
    expect(JSON.stringify(s.json)).not.toMatch(/KmsKeyId|KmsMasterKeyId|kms:/);
  });

  it('encrypts both queues, the created secret and every log group with the key, and refuses a key of another region', () => {
    // Act
    const s = synth(project(), { kmsKeyArn: KEY_ARN });

    // Assess
    expect(s.stack.encryptionKey?.keyArn).toBe(KEY_ARN);
    for (const [, queue] of resourcesOfType(s.json, 'AWS::SQS::Queue')) {
      expect(queue.Properties.KmsMasterKeyId).toBe(KEY_ARN);
      expect(queue.Properties).not.toHaveProperty('SqsManagedSseEnabled');
    }
    expect(resourcesOfType(s.json, 'AWS::SecretsManager::Secret')[0]?.[1].Properties.KmsKeyId).toBe(KEY_ARN);
    expect(resourcesOfType(s.json, 'AWS::DynamoDB::Table')[0]?.[1].Properties.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: KEY_ARN,
    });
    const groups = resourcesOfType(s.json, 'AWS::Logs::LogGroup');
    expect(groups).toHaveLength(4);
    for (const [, group] of groups) expect(group.Properties.KmsKeyId).toBe(KEY_ARN);
    expect(JSON.stringify(s.json.Rules?.EncryptionKeyInStackRegion)).toContain('"Fn::Equals":[{"Ref":"AWS::Region"},"eu-west-1"]');
  });

  it('grants each function only the key actions its calls need, through the one service that uses the key for it', () => {
    // Act
    const s = synth(project(), { kmsKeyArn: KEY_ARN });

    // Assess
    expect(kmsStatements(s, s.blockingId)).toEqual([
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: KEY_ARN, Condition: via('secretsmanager') },
    ]);
    expect(kmsStatements(s, s.nonBlockingId)).toEqual([
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: KEY_ARN, Condition: via('secretsmanager') },
      { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: KEY_ARN, Condition: via('sqs') },
    ]);
    expect(kmsStatements(s, s.workerId)).toEqual([
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: KEY_ARN, Condition: via('sqs') },
      // The idempotency table's key, which DynamoDB decrypts on the worker's behalf.
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: KEY_ARN, Condition: via('dynamodb') },
    ]);
  });

  it('leaves an imported secret on its own key, while the functions may still decrypt through Secrets Manager', () => {
    // Act
    const s = synth(project(), { kmsKeyArn: KEY_ARN, secretName: 'authgear/webhook' });

    // Assess
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(kmsStatements(s, s.blockingId)).toHaveLength(1);
  });

  it.each([
    ['arn:aws:kms:eu-west-1:123456789012:alias/authgear'],
    ['1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['arn:aws:kms:eu-west-1:123456789012:key/not-a-key'],
  ])('rejects kmsKeyArn=%s', (value) => {
    // Act
    const construct = () => synth(project(), { kmsKeyArn: value });

    // Assess
    expect(construct).toThrow(StackConfigError);
    expect(construct).toThrow(/kmsKeyArn must be the ARN of a KMS key \(not an alias\)/);
  });
});

describe('outputs a person can use', () => {
  it('are at most 10 for the template with three blocking handlers: the URLs, the hook YAML, the secret and its put command, the dashboard and the redrive queues', () => {
    // Act
    const s = synth(REPO_ROOT, {}, { functionsDir: FIXTURE_FUNCTIONS_DIR });

    // Assess
    expect(Object.keys(s.json.Outputs).sort()).toEqual([
      'AuthgearHookConfig',
      'BlockingUrlOidcJwtPreCreate',
      'BlockingUrlUserPreCreate',
      'BlockingUrlUserProfilePreUpdate',
      'DashboardUrl',
      'DeadLetterQueueUrl',
      'NonBlockingQueueUrl',
      'NonBlockingUrl',
      'PutSecretValueCommand',
      'WebhookSecretArn',
    ]);
    for (const [key, output] of Object.entries(s.json.Outputs)) expect(output.Description, key).toBeTruthy();
  });

  it('give the dashboard console URL of the stack region', () => {
    // Act
    const s = synth(project());
    const [dashboardId] = resourcesOfType(s.json, 'AWS::CloudWatch::Dashboard')[0] ?? ['missing'];

    // Assess
    expect(flatten(s.json.Outputs.DashboardUrl?.Value, { 'AWS::Region': 'eu-west-1', [dashboardId]: 'TestStack-eu-west-1' })).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/TestStack-eu-west-1',
    );
  });
});
