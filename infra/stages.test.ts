/**
 * Stages of cdk.json: `-c stage=<name>` picks a block of settings, names and tags the stack after
 * it, and can protect it; the shipped cdk.json has staging and production; mistakes end in one
 * message; `npm run deploy -- <stage>` writes the stage's own outputs file.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE_FUNCTIONS_DIR } from '../test/support/fixture-handlers';
import { StackConfigError } from './options';
import { AuthgearWebhooksStack } from './stack';
import { readStages, stageCommand } from './stage-cli';
import { applyStage } from './stages';
import { CDK_JSON_CONTEXT, NO_BUNDLING, REPO_ROOT, cdkApp, makeProject, removeTempDirs, tempDir } from '../test/support/stack-helpers';
import type { TemplateJson } from '../test/support/template-readers';

afterAll(removeTempDirs);

const project = () => makeProject({ blocking: ['user.pre_create.ts'], nonBlocking: ['user.created.ts'] });

const STAGES = {
  staging: { logLevel: 'debug', retainOnDelete: false, logRetentionDays: 14 },
  production: { terminationProtection: true, logRetentionDays: 90, account: '123456789012', region: 'eu-west-1', tracing: true },
};

/** Synthesizes as infra/app.ts does: the stage picked from context, then the stack it describes. */
function synthStage(context: Record<string, unknown>, projectRoot = project()) {
  const app = cdkApp({ stages: STAGES, ...context });
  const selection = applyStage(app.node);
  const stack = new AuthgearWebhooksStack(app, selection.stackName, {
    projectRoot,
    stackName: selection.stackName,
    stageName: selection.stage,
    env: selection.env,
    terminationProtection: selection.terminationProtection,
  });
  const json = Template.fromStack(stack).toJSON() as TemplateJson;
  const fn = (construct: { node: { defaultChild?: unknown } }) =>
    json.Resources[stack.getLogicalId(construct.node.defaultChild as CfnElement)];
  return { selection, stack, json, fn };
}

/** The environment variables of `construct`'s function in a synthesized stage. */
const envOf = (synthed: ReturnType<typeof synthStage>, construct: { node: { defaultChild?: unknown } }): Record<string, unknown> =>
  (synthed.fn(construct)?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

describe('stages', () => {
  it('without -c stage, deploys the default stack from the top-level context, untagged and unprotected', () => {
    // Act
    const { selection, stack, fn } = synthStage({});

    // Assess
    expect(selection).toEqual({ stage: undefined, stackName: 'AuthgearWebhooks', env: undefined, terminationProtection: false });
    expect(stack.stackName).toBe('AuthgearWebhooks');
    expect(fn(stack.blockingFunction)?.Properties.Tags).toEqual([{ Key: 'project', Value: 'authgear-webhooks' }]);
  });

  it("names the stack after the stage, tags every taggable resource with it, and applies the stage's settings over the top-level ones", () => {
    // Act
    const { stack, json, fn } = synthStage({ stage: 'staging', logLevel: 'warn' });

    // Assess
    expect(stack.stackName).toBe('AuthgearWebhooks-staging');
    expect(stack.terminationProtection).toBe(false);
    expect(fn(stack.blockingFunction)?.Properties.Environment).toMatchObject({ Variables: { LOG_LEVEL: 'debug' } });
    for (const [, resource] of Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup')) {
      expect(resource.Properties.RetentionInDays).toBe(14);
    }
    const taggable = Object.values(json.Resources).filter((r) => r.Properties?.Tags !== undefined);
    expect(taggable.length).toBeGreaterThanOrEqual(8);
    // Lists of { Key, Value } for most types, a map for the HTTP API.
    for (const resource of taggable)
      expect(JSON.stringify(resource.Properties.Tags)).toMatch(/"Key":"stage","Value":"staging"|"stage":"staging"/);
  });

  it('deploys a protected stage to its account and region when the block names them', () => {
    // Act
    const { stack, fn } = synthStage({ stage: 'production' });

    // Assess
    expect(stack.stackName).toBe('AuthgearWebhooks-production');
    expect(stack.terminationProtection).toBe(true);
    expect(stack.account).toBe('123456789012');
    expect(stack.region).toBe('eu-west-1');
    expect(fn(stack.workerFunction)?.Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it("turns on a stage's Admin API from its block alone", () => {
    // Prepare
    const stages = {
      ...STAGES,
      staging: { ...STAGES.staging, authgearEndpoint: 'https://myapp-staging.authgear.cloud', adminApiKeyId: 'key-1' },
    };

    // Act
    const staging = synthStage({ stage: 'staging', stages });
    const production = synthStage({ stage: 'production', stages });

    // Assess
    expect(envOf(staging, staging.stack.blockingFunction).AUTHGEAR_ENDPOINT).toBe('https://myapp-staging.authgear.cloud');
    expect(staging.stack.adminApiPrivateKeySecret).toBeDefined();
    expect(envOf(production, production.stack.blockingFunction).AUTHGEAR_ENDPOINT).toBeUndefined();
    expect(production.stack.adminApiPrivateKeySecret).toBeUndefined();
  });

  it('lets two stages live side by side: different stack names, API names, metric namespaces and dashboards', () => {
    // Act
    const staging = synthStage({ stage: 'staging' });
    const production = synthStage({ stage: 'production' });
    const names = (s: ReturnType<typeof synthStage>) =>
      JSON.stringify(
        Object.values(s.json.Resources)
          .filter((r) => ['AWS::ApiGatewayV2::Api', 'AWS::CloudWatch::Dashboard', 'AWS::Logs::MetricFilter'].includes(r.Type))
          .map((r) => [r.Properties.Name, r.Properties.DashboardName, r.Properties.MetricTransformations]),
      );

    // Assess
    expect(names(staging)).toContain('AuthgearWebhooks-staging');
    expect(names(staging)).not.toContain('AuthgearWebhooks-production');
    expect(names(production)).toContain('AuthgearWebhooks-production');
    expect(names(production)).not.toContain('AuthgearWebhooks-staging');
  });

  it.each([
    [{ stage: 'prod' }, /unknown stage "prod": cdk.json defines staging, production \(context.stages\)/],
    [{ stage: 'Production' }, /stage must be a lower-case name/],
    [
      { stage: 'staging', stages: { staging: { logLevl: 'debug' } } },
      /context.stages.staging has unknown setting logLevl; a stage may set account, region, terminationProtection, secretArn/,
    ],
    [{ stage: 'staging', stages: { staging: { account: '1234' } } }, /context.stages.staging.account must be a 12-digit AWS account id/],
    [{ stage: 'staging', stages: { staging: { region: 'Europe' } } }, /context.stages.staging.region must be an AWS region/],
    [{ stage: 'staging', stages: { staging: { terminationProtection: 'yes' } } }, /terminationProtection must be true or false/],
    [{ stage: 'staging', stages: { staging: { logRetentionDays: 31 } } }, /logRetentionDays must be one of/],
    [{ stage: 'staging', stages: [] }, /context.stages in cdk.json must be an object/],
  ])('refuses %j with one clear message', (context, message) => {
    // Act
    const construct = () => synthStage(context);

    // Assess
    expect(construct).toThrow(StackConfigError);
    expect(construct).toThrow(message);
  });
});

describe('the shipped cdk.json', () => {
  const run = (context: Record<string, unknown>) => {
    const outdir = tempDir('authgear-stage-app-');
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, ...NO_BUNDLING, ...context }),
        // The template's own handlers, whatever functions/ holds.
        AUTHGEAR_WEBHOOKS_FUNCTIONS_DIR: FIXTURE_FUNCTIONS_DIR,
      },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { ...result, outdir };
  };

  it('defines staging and production, and protects production', () => {
    // Act
    const stages = readStages(REPO_ROOT);

    // Assess
    expect(Object.keys(stages).sort()).toEqual(['production', 'staging']);
    expect(stages.production).toMatchObject({ terminationProtection: true });
    expect(stages.staging).not.toHaveProperty('terminationProtection');
  });

  it('synthesizes AuthgearWebhooks-production with termination protection through infra/app.ts', () => {
    // Act
    const result = run({ stage: 'production' });
    const manifest = JSON.parse(readFileSync(join(result.outdir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; properties?: { terminationProtection?: boolean } }>;
    };

    // Assess
    expect(result.status, result.stderr).toBe(0);
    const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
    expect(stacks.map(([name]) => name)).toEqual(['AuthgearWebhooks-production']);
    expect(stacks[0]?.[1].properties?.terminationProtection).toBe(true);
    // The warning that no one gets the alarms shows, and does not fail the synth.
    expect(result.stdout + result.stderr).not.toMatch(/^\s+at /m);
  });

  it('answers an unknown stage with one line naming the stages, no stack trace, exit 1', () => {
    // Act
    const result = run({ stage: 'prod' });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'unknown stage "prod": cdk.json defines staging, production (context.stages); add a block for it there',
    );
  });

  it('sets every recommended CDK feature flag', () => {
    // Prepare
    const flags = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'aws-cdk-lib', 'recommended-feature-flags.json'), 'utf8')) ??
      {}) as Record<string, unknown>;

    // Act
    const missing = Object.keys(flags).filter((flag) => !(flag in CDK_JSON_CONTEXT));

    // Assess
    expect(Object.keys(flags).length).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });
});

describe('npm run deploy / diff / destroy', () => {
  const stages = { staging: {}, production: {} };

  it.each([
    ['deploy', ['production'], ['deploy', '-c', 'stage=production', '--outputs-file', 'cdk-outputs.production.json']],
    [
      'deploy',
      ['staging', '--require-approval', 'never'],
      ['deploy', '-c', 'stage=staging', '--outputs-file', 'cdk-outputs.staging.json', '--require-approval', 'never'],
    ],
    ['diff', ['staging'], ['diff', '-c', 'stage=staging']],
    ['destroy', ['production'], ['destroy', '-c', 'stage=production']],
    ['deploy', [], ['deploy']],
    ['deploy', ['--hotswap'], ['deploy', '--hotswap']],
  ] as const)('%s %j runs cdk %j', (command, argv, expected) => {
    // Act
    const plan = stageCommand(command, argv, stages);

    // Assess
    expect(plan).toEqual({ stage: argv[0]?.startsWith('-') ? undefined : argv[0], args: expected });
  });

  it('refuses an unknown stage before cdk runs, naming the ones cdk.json has', () => {
    // Act
    const plan = stageCommand('deploy', ['prod'], stages);

    // Assess
    expect(plan).toEqual({
      error:
        'unknown stage "prod": cdk.json defines staging, production (context.stages). Usage: npm run deploy -- [<stage>] [cdk options]',
    });
  });

  it('exits 2 from the command line on an unknown stage, without running cdk', () => {
    // Act
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'infra/stage.ts', 'deploy', 'prod'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown stage "prod": cdk.json defines staging, production');
    expect(result.stdout).toBe('');
  });
});
