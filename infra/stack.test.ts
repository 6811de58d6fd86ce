import { Match } from 'aws-cdk-lib/assertions';
import type { CfnSecret } from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHookConfig } from '../shared/core/hook-config';
import { removeTempDirs, synthBeforeAll } from '../test/support/stack-helpers';
import { actionsOf, allStatements, envOf, flatten, resourcesOfType } from '../test/support/template-readers';

/** What the durable non-blocking path adds to the outputs: the URLs `npm run redrive` reads. */
const QUEUE_OUTPUTS = ['NonBlockingQueueUrl', 'DeadLetterQueueUrl'];

afterAll(removeTempDirs);

describe('AuthgearWebhooksStack with a new secret (two blocking files, one non-blocking)', () => {
  const blockingTypes = ['oidc.jwt.pre_create', 'user.pre_create'];
  const s = synthBeforeAll({ blocking: ['user.pre_create.ts', 'oidc.jwt.pre_create.ts', '_shared.ts'], nonBlocking: ['user.created.ts'] });
  let apiId: string;
  let secretId: string;

  beforeAll(() => {
    const api = resourcesOfType(s.json, 'AWS::ApiGatewayV2::Api')[0];
    apiId = api?.[0] ?? 'missing';
    secretId = s.stack.getLogicalId(s.stack.secret?.node.defaultChild as CfnSecret);
  });

  it('creates exactly one HTTP API, served by a $default stage with access logs', () => {
    // Assess
    s.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    expect(s.json.Resources[apiId]?.Properties.DisableExecuteApiEndpoint).not.toBe(true);
    s.template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiAccessLogs'), 'Arn'] } },
    });
  });

  it('has one POST route per handler file and no other route', () => {
    // Act
    const routeKeys = resourcesOfType(s.json, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);

    // Assess
    expect(routeKeys.sort()).toEqual(['POST /blocking/oidc.jwt.pre_create', 'POST /blocking/user.pre_create', 'POST /non-blocking']);
  });

  it('sends every blocking route to the one blocking function, and /non-blocking to the other', () => {
    // Prepare
    const integrationTarget = new Map(
      resourcesOfType(s.json, 'AWS::ApiGatewayV2::Integration').map(([id, r]) => [
        id,
        (r.Properties.IntegrationUri as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
      ]),
    );

    // Act
    const functionOfRoute = Object.fromEntries(
      resourcesOfType(s.json, 'AWS::ApiGatewayV2::Route').map(([, r]) => {
        const target = flatten(r.Properties.Target, Object.fromEntries([...integrationTarget.keys()].map((id) => [id, id])));
        return [r.Properties.RouteKey as string, integrationTarget.get(target.replace('integrations/', ''))];
      }),
    );

    // Assess
    expect(functionOfRoute).toEqual({
      'POST /blocking/oidc.jwt.pre_create': s.blockingId,
      'POST /blocking/user.pre_create': s.blockingId,
      'POST /non-blocking': s.nonBlockingId,
    });
    expect(integrationTarget.size).toBe(2);
    s.template.allResourcesProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  });

  it('creates three Node.js 22 arm64 functions with 512 MB, and timeouts of 5 s (blocking), 29 s (receiver) and 90 s (worker)', () => {
    // Act
    const fns = resourcesOfType(s.json, 'AWS::Lambda::Function');

    // Assess
    expect(fns.map(([id]) => id).sort()).toEqual([s.blockingId, s.nonBlockingId, s.workerId].sort());
    for (const [, fn] of fns) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 512, Handler: 'index.handler' });
    }
    expect(s.json.Resources[s.blockingId]?.Properties.Timeout).toBe(5);
    expect(s.json.Resources[s.nonBlockingId]?.Properties.Timeout).toBe(29);
    expect(s.json.Resources[s.workerId]?.Properties.Timeout).toBe(90);
  });

  it('gives each function its own log group, and every log group the default retention of 30 days', () => {
    // Act
    const logGroups = resourcesOfType(s.json, 'AWS::Logs::LogGroup');
    const used = [s.blockingId, s.nonBlockingId, s.workerId].map(
      (id) => (s.json.Resources[id]?.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
    );

    // Assess
    expect(logGroups).toHaveLength(4); // three functions and the API's access log
    for (const [, group] of logGroups) expect(group.Properties.RetentionInDays).toBe(30);
    expect(new Set(used).size).toBe(3);
    for (const id of used) expect(s.json.Resources[id]?.Type).toBe('AWS::Logs::LogGroup');
  });

  it('points the blocking function and the receiver at the secret, the receiver and the worker at the queue, without --enable-source-maps', () => {
    // Assess: no NODE_OPTIONS; stacks are mapped on demand (shared/bundling/source-map-stacks.ts),
    // so loading a bundle never parses its source map.
    expect(envOf(s.json, s.blockingId)).toEqual({ AUTHGEAR_WEBHOOK_SECRET_ID: { Ref: secretId } });
    expect(envOf(s.json, s.nonBlockingId)).toEqual({
      AUTHGEAR_WEBHOOK_SECRET_ID: { Ref: secretId },
      NON_BLOCKING_QUEUE_URL: { Ref: s.queueId },
    });
    expect(envOf(s.json, s.workerId)).toEqual({
      NON_BLOCKING_QUEUE_URL: { Ref: s.queueId },
      RETRY_WINDOW_MINUTES: '60',
      IDEMPOTENCY_TABLE_NAME: { Ref: expect.stringMatching(/^IdempotencyTable[0-9A-F]{8}$/) },
      IDEMPOTENCY_RETENTION_HOURS: '24',
    });
  });

  it('creates the secret with a description and no value anywhere in the template', () => {
    // Act
    const secrets = resourcesOfType(s.json, 'AWS::SecretsManager::Secret');

    // Assess
    expect(secrets.map(([id]) => id)).toEqual([secretId]);
    expect(secrets[0]?.[1].Properties.Description).toMatch(/Authgear webhook/);
    expect(secrets[0]?.[1].Properties).not.toHaveProperty('GenerateSecretString');
    expect(JSON.stringify(s.json)).not.toContain('SecretString');
  });

  it('grants each function GetSecretValue on exactly this secret and nothing broader', () => {
    // Prepare
    const statements = allStatements(s.json);
    const secretStatements = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('secretsmanager:')));

    // Assess
    for (const st of statements) {
      expect(st.Effect).toBe('Allow');
      for (const action of actionsOf(st)) expect(action).not.toMatch(/\*/);
      expect(st.Resource).not.toBe('*');
    }
    expect(secretStatements).toHaveLength(2); // blocking and receiver; the worker verifies nothing
    for (const st of secretStatements) {
      expect(st.Action).toBe('secretsmanager:GetSecretValue');
      expect(st.Resource).toEqual({ Ref: secretId });
    }
    const logStatements = statements.filter(
      (st) => !secretStatements.includes(st) && !actionsOf(st).some((a) => a.startsWith('sqs:') || a.startsWith('dynamodb:')),
    );
    for (const st of logStatements) expect(actionsOf(st).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    for (const [, role] of resourcesOfType(s.json, 'AWS::IAM::Role')) expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
  });

  it('outputs one URL per route, the secret ARN, the put-secret-value command, the hook config and the dashboard, and nothing else', () => {
    // Prepare
    const names = { [`${apiId}.ApiEndpoint`]: 'https://api.example', 'AWS::Region': 'REGION', [secretId]: 'SECRET_ARN' };

    // Act
    const outputs = s.json.Outputs;
    const command = flatten(outputs.PutSecretValueCommand?.Value, names);

    // Assess
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'AuthgearHookConfig',
        'BlockingUrlOidcJwtPreCreate',
        'BlockingUrlUserPreCreate',
        'NonBlockingUrl',
        'PutSecretValueCommand',
        'WebhookSecretArn',
        'DashboardUrl',
        ...QUEUE_OUTPUTS,
      ].sort(),
    );
    expect(flatten(outputs.BlockingUrlUserPreCreate?.Value, names)).toBe('https://api.example/blocking/user.pre_create');
    expect(outputs.BlockingUrlUserPreCreate?.Description).toContain('user.pre_create');
    expect(flatten(outputs.BlockingUrlOidcJwtPreCreate?.Value, names)).toBe('https://api.example/blocking/oidc.jwt.pre_create');
    expect(outputs.BlockingUrlOidcJwtPreCreate?.Description).toContain('oidc.jwt.pre_create');
    expect(flatten(outputs.NonBlockingUrl?.Value, names)).toBe('https://api.example/non-blocking');
    expect(outputs.WebhookSecretArn?.Value).toEqual({ Ref: secretId });
    expect(Object.keys(outputs).length).toBeLessThanOrEqual(10);
    expect(command).toMatch(/^read -rs AUTHGEAR_SECRET && /);
    expect(command).toContain('--region REGION --secret-id SECRET_ARN');
    expect(command).toMatch(/unset AUTHGEAR_SECRET$/);
    expect(command).not.toMatch(/echo/);
  });

  it('renders the hook config YAML with every blocking event and the non-blocking URL', () => {
    // Act
    const yaml = flatten(s.json.Outputs.AuthgearHookConfig?.Value, { [`${apiId}.ApiEndpoint`]: 'https://api.example' });

    // Assess
    for (const type of blockingTypes) expect(yaml).toContain(`    - event: ${type}\n      url: https://api.example/blocking/${type}\n`);
    expect(yaml).toContain('    - events: ["user.created"]\n      url: https://api.example/non-blocking\n');
    expect(yaml).toBe(renderHookConfig('https://api.example', blockingTypes, ['user.created']));
  });

  it('tags its resources', () => {
    // Assess
    s.template.hasResourceProperties('AWS::Lambda::Function', { Tags: [{ Key: 'project', Value: 'authgear-webhooks' }] });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { Tags: { project: 'authgear-webhooks' } });
  });
});

describe('AuthgearWebhooksStack with an existing secret given by ARN, and runtime knobs from context', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:authgear/webhook-AbC123';
  const s = synthBeforeAll(
    { blocking: ['user.pre_create.ts'], nonBlocking: ['user.created.ts'] },
    {
      secretArn: arn,
      logRetentionDays: '7', // as `-c logRetentionDays=7` passes it
      blockingDeadlineMs: 3000,
      logLevel: 'DEBUG',
      secretCacheTtlSeconds: '60',
      deniedEmailDomains: ' Mailinator.com, example.org ',
    },
  );

  it('creates no secret, and hands the ARN to the blocking function and the receiver unchanged', () => {
    // Assess
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    for (const id of [s.blockingId, s.nonBlockingId]) expect(envOf(s.json, id).AUTHGEAR_WEBHOOK_SECRET_ID).toBe(arn);
    expect(s.json.Outputs.WebhookSecretArn?.Value).toBe(arn);
  });

  it('grants GetSecretValue on that ARN only', () => {
    // Act
    const secretStatements = allStatements(s.json).filter((st) => actionsOf(st).some((a) => a.startsWith('secretsmanager:')));

    // Assess
    expect(secretStatements).toHaveLength(2);
    for (const st of secretStatements) expect(st).toMatchObject({ Action: 'secretsmanager:GetSecretValue', Resource: arn });
  });

  it("uses the secret's region in the command and refuses deployment to another region", () => {
    // Act
    const command = flatten(s.json.Outputs.PutSecretValueCommand?.Value, {});
    const rule = JSON.stringify(s.json.Rules ?? {});

    // Assess
    expect(command).toContain(`--region eu-west-1 --secret-id ${arn} `);
    expect(rule).toContain('"Fn::Equals":[{"Ref":"AWS::Region"},"eu-west-1"]');
  });

  it('passes the runtime knobs, and the deadline and DENIED_EMAIL_DOMAINS to the blocking function only', () => {
    // Assess
    expect(envOf(s.json, s.blockingId)).toMatchObject({
      BLOCKING_DEADLINE_MS: '3000',
      LOG_LEVEL: 'debug',
      SECRET_CACHE_TTL_SECONDS: '60',
      DENIED_EMAIL_DOMAINS: 'mailinator.com,example.org',
    });
    expect(envOf(s.json, s.nonBlockingId)).toMatchObject({ LOG_LEVEL: 'debug', SECRET_CACHE_TTL_SECONDS: '60' });
    expect(envOf(s.json, s.nonBlockingId)).not.toHaveProperty('DENIED_EMAIL_DOMAINS');
    expect(envOf(s.json, s.nonBlockingId)).not.toHaveProperty('BLOCKING_DEADLINE_MS');
    expect(envOf(s.json, s.workerId)).toMatchObject({ LOG_LEVEL: 'debug' });
    expect(envOf(s.json, s.workerId)).not.toHaveProperty('AUTHGEAR_WEBHOOK_SECRET_ID');
    s.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });
});

describe('AuthgearWebhooksStack with an existing secret given by name, and no non-blocking handler files', () => {
  const s = synthBeforeAll({ blocking: ['user.pre_create.ts'] }, { secretName: 'authgear/webhook' });

  it('creates no secret, passes the name as the secret id, and grants on the name with any suffix', () => {
    // Prepare
    const names = { 'AWS::Partition': 'aws', 'AWS::Region': 'REGION', 'AWS::AccountId': 'ACCOUNT' };

    // Act
    const secretStatements = allStatements(s.json).filter((st) => actionsOf(st).some((a) => a.startsWith('secretsmanager:')));

    // Assess
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    for (const id of [s.blockingId, s.nonBlockingId]) expect(envOf(s.json, id).AUTHGEAR_WEBHOOK_SECRET_ID).toBe('authgear/webhook');
    expect(secretStatements).toHaveLength(2);
    for (const st of secretStatements) {
      expect(st.Action).toBe('secretsmanager:GetSecretValue');
      expect(flatten(st.Resource, names)).toBe('arn:aws:secretsmanager:REGION:ACCOUNT:secret:authgear/webhook-??????');
    }
    expect(s.json.Outputs.WebhookSecretName?.Value).toBe('authgear/webhook');
    expect(s.json.Outputs).not.toHaveProperty('WebhookSecretArn');
  });

  it('still creates the non-blocking function and route, so a "*" subscription is acknowledged', () => {
    // Act
    const routeKeys = resourcesOfType(s.json, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);

    // Assess
    s.template.resourceCountIs('AWS::Lambda::Function', 3);
    expect(routeKeys.sort()).toEqual(['POST /blocking/user.pre_create', 'POST /non-blocking']);
    expect(s.json.Resources[s.nonBlockingId]?.Properties.Timeout).toBe(29);
  });
});
