/**
 * The production options under cdk-nag: the AWS Solutions pack that `cdk synth` runs passes with
 * every option on, each acknowledgement on the one construct concerned; and what the Serverless
 * and NIST 800-53 rev. 5 packs still report is exactly the list docs/deploy-to-production.md
 * explains, so a new finding cannot slip in unexplained.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { NIST80053R5Checks, ServerlessChecks, type NagPack } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { addSecurityChecks } from './security-checks';
import { AuthgearWebhooksStack } from './stack';
import { cdkApp, makeProject, removeTempDirs, tempDir } from '../test/support/stack-helpers';

afterAll(removeTempDirs);

/** Every production option on. */
const EVERYTHING = {
  alarmEmail: 'oncall@example.com',
  tracing: true,
  kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  domainName: 'hooks.example.com',
  certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666',
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  hostedZoneName: 'example.com',
  disableExecuteApiEndpoint: true,
};

function build(context: Record<string, unknown>) {
  const outdir = tempDir('authgear-production-nag-');
  const app = cdkApp(context, outdir);
  const stack = new AuthgearWebhooksStack(app, 'Prod', {
    projectRoot: makeProject({ blocking: ['user.pre_create.ts'], nonBlocking: ['user.created.ts'] }),
  });
  return { app, stack, outdir };
}

/** Rule names a pack reports, with the construct paths, acknowledgements ignored. */
function findings(pack: NagPack, context: Record<string, unknown>): string[] {
  const { app } = build(context);
  return pack
    .validateScope(app)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${(r.constructPath ?? '').replace(/^Prod\//, '')}`))
    .sort();
}

describe('cdk-nag with every production option', () => {
  it('AWS Solutions: synth passes with no finding left, acknowledging the alarm topic and the X-Ray policies only', () => {
    // Prepare
    const { app, outdir } = build(EVERYTHING);
    addSecurityChecks(app);

    // Act
    app.synth();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: unknown[] }[];
    };
    const acks = app.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((m) => Object.keys(m.data as object).map((id) => `${id.replace(/^annotation::/i, '')} ${c.node.path}`)),
      )
      .filter((ack) => /SNS2|IAM5/.test(ack));

    // Assess
    for (const plugin of report.pluginReports) expect(plugin.violations, plugin.pluginName).toEqual([]);
    expect(acks.sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*] Prod/BlockingTracingPolicy',
      'AwsSolutions-IAM5[Resource::*] Prod/NonBlockingTracingPolicy',
      'AwsSolutions-IAM5[Resource::*] Prod/WorkerTracingPolicy',
      'AwsSolutions-SNS2 Prod/AlarmEmailTopic',
    ]);
  });

  it('NIST 800-53 rev. 5: the key, the alarm e-mails and tracing clear encryption and alarm-action findings; the rest is by design', () => {
    // Act
    const before = findings(new NIST80053R5Checks(), {});
    const after = findings(new NIST80053R5Checks(), EVERYTHING);

    // Assess
    expect(before.filter((f) => /CloudWatchLogGroupEncrypted|SecretsManagerUsingKMSKey|CloudWatchAlarmAction/.test(f))).toHaveLength(11);
    expect([...new Set(after.map((f) => f.split(' ')[0]))]).toEqual([
      'NIST.800.53.R5-DynamoDBInBackupPlan',
      'NIST.800.53.R5-IAMNoInlinePolicy',
      'NIST.800.53.R5-LambdaConcurrency',
      'NIST.800.53.R5-LambdaDLQ',
      'NIST.800.53.R5-LambdaInsideVPC',
      'NIST.800.53.R5-SNSEncryptedKMS',
      'NIST.800.53.R5-SecretsManagerRotationEnabled',
    ]);
  });

  it('Serverless: tracing clears the tracing finding; the rest is by design', () => {
    // Act
    const after = findings(new ServerlessChecks(), EVERYTHING);

    // Assess
    expect(findings(new ServerlessChecks(), {}).filter((f) => f.startsWith('Serverless-LambdaTracing'))).toHaveLength(3);
    expect([...new Set(after.map((f) => f.split(' ')[0]))]).toEqual([
      'Serverless-LambdaDLQ',
      'Serverless-LambdaEventSourceMappingDestination',
      'Serverless-LambdaLatestVersion',
      'Serverless-SNSRedrivePolicy',
      'Serverless-SQSRedrivePolicy',
    ]);
  });
});
