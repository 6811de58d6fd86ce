import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE_FUNCTIONS_DIR } from '../test/support/fixture-handlers';
import { HandlerFileError } from '../shared/core/errors';
import { StackConfigError, pascalCase } from './stack';
import { CDK_JSON_CONTEXT, REPO_ROOT, makeProject, removeTempDirs, synth, tempDir } from '../test/support/stack-helpers';

afterAll(removeTempDirs);

describe('AuthgearWebhooksStack input errors', () => {
  it('throws HandlerFileError naming a misnamed handler file and the valid types', () => {
    // Prepare
    const root = makeProject({ blocking: ['user.pre_create.ts', 'user.precreate.ts'] });

    // Act
    const construct = () => synth(root);

    // Assess
    expect(construct).toThrow(HandlerFileError);
    expect(construct).toThrow(/functions\/blocking\/user\.precreate\.ts/);
    expect(construct).toThrow(/Valid blocking event types.*user\.pre_create/);
  });

  it.each([
    [{ blockingDeadlineMs: 5000 }, /blockingDeadlineMs must be an integer from 1 to 4999/],
    [{ blockingDeadlineMs: 'soon' }, /blockingDeadlineMs must be an integer/],
    [{ logRetentionDays: 31 }, /logRetentionDays must be one of .*30, 60/],
    [{ logLevel: 'verbose' }, /logLevel must be one of debug, info, warn, error, silent/],
    [{ secretCacheTtlSeconds: -1 }, /secretCacheTtlSeconds must be an integer from 0 to 86400/],
    [{ secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:authgear' }, /secretArn must be a complete/],
    [{ secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbC123', secretName: 'a' }, /not both/],
    [{ deniedEmailDomains: 'user@mailinator.com' }, /deniedEmailDomains .*invalid: user@mailinator\.com/],
    [{ retryWindowMinutes: 0 }, /retryWindowMinutes must be an integer from 1 to 1440 \(got 0; the default is 60\)/],
    [{ retryWindowMinutes: '1 hour' }, /retryWindowMinutes must be an integer/],
  ])('rejects the context %j with a clear message', (context, message) => {
    // Prepare
    const root = makeProject({ blocking: ['user.pre_create.ts'] });

    // Act
    const construct = () => synth(root, context);

    // Assess
    expect(construct).toThrow(StackConfigError);
    expect(construct).toThrow(message);
  });

  it('infra/app.ts reports an invalid context value in one message, without a stack trace, and exits 1', () => {
    // Prepare
    const outdir = tempDir('authgear-app-test-');
    const env = {
      PATH: process.env.PATH ?? '',
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, blockingDeadlineMs: 5000 }),
      AUTHGEAR_WEBHOOKS_FUNCTIONS_DIR: FIXTURE_FUNCTIONS_DIR,
    };

    // Act
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: REPO_ROOT,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('blockingDeadlineMs must be an integer from 1 to 4999');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('pascalCase', () => {
  it.each([
    ['user.pre_create', 'UserPreCreate'],
    ['oidc.jwt.pre_create', 'OidcJwtPreCreate'],
    ['user.profile.pre_update', 'UserProfilePreUpdate'],
  ])('%s → %s', (eventType, expected) => {
    // Act
    const name = pascalCase(eventType);

    // Assess
    expect(name).toBe(expected);
  });
});

describe('AuthgearWebhooksStack with provisionedConcurrency', () => {
  it('by default has no alias: the blocking routes call the function', () => {
    // Prepare
    const root = makeProject({ blocking: ['user.pre_create.ts'] });

    // Act
    const s = synth(root);

    // Assess
    s.template.resourceCountIs('AWS::Lambda::Alias', 0);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationUri: { 'Fn::GetAtt': [s.blockingId, 'Arn'] },
    });
  });

  it('keeps that many environments of the blocking function warm behind an alias the blocking routes call', () => {
    // Prepare
    const root = makeProject({ blocking: ['user.pre_create.ts', 'oidc.jwt.pre_create.ts'] });

    // Act
    const s = synth(root, { provisionedConcurrency: '2' });

    // Assess
    const aliases = Object.entries(s.json.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Alias');
    expect(aliases).toHaveLength(1);
    const [aliasId, alias] = aliases[0]!;
    expect(alias.Properties).toMatchObject({
      FunctionName: { Ref: s.blockingId },
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    const integrationUris = Object.values(s.json.Resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Integration')
      .map((r) => JSON.stringify(r.Properties.IntegrationUri));
    expect(integrationUris).toContain(JSON.stringify({ Ref: aliasId }));
    expect(integrationUris).not.toContain(JSON.stringify({ 'Fn::GetAtt': [s.blockingId, 'Arn'] }));
    // API Gateway may invoke the alias, for each blocking route.
    s.template.hasResourceProperties('AWS::Lambda::Permission', { FunctionName: { Ref: aliasId }, Principal: 'apigateway.amazonaws.com' });
  });

  it.each([['-1'], ['1001'], ['two']])('rejects provisionedConcurrency=%s with a clear message', (value) => {
    // Prepare
    const root = makeProject({ blocking: ['user.pre_create.ts'] });

    // Act
    const construct = () => synth(root, { provisionedConcurrency: value });

    // Assess
    expect(construct).toThrow(StackConfigError);
    expect(construct).toThrow(/provisionedConcurrency must be an integer/);
  });
});
