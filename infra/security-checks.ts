/**
 * cdk-nag's AWS Solutions checks, run on every `cdk synth` and in the tests, and the only findings
 * this stack acknowledges, each with the reason a security reviewer needs.
 *
 * Findings are fixed where the service allows it. What is left is acknowledged on the one
 * construct it concerns, never on the stack or the app, through {@link acknowledge}, so every
 * reason lives in {@link ACKNOWLEDGED_RULES}.
 */
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** Every AWS Solutions rule this stack acknowledges, and why. */
export const ACKNOWLEDGED_RULES = {
  'AwsSolutions-APIG4':
    'Authgear cannot send credentials other than the HMAC-SHA256 body signature (x-authgear-body-signature): hooks have no API keys, tokens, IAM signing or mutual TLS. ' +
    'Every function verifies that signature in constant time against the Secrets Manager secret before any handler runs and answers 401 otherwise, ' +
    'and stage throttling caps how many requests reach a function.',
  'AwsSolutions-L1':
    'Pinned to nodejs22.x, a Node.js LTS runtime Lambda supports until 2027, because the esbuild target (node22), the bundle and the cold-start figures in docs/performance.md were measured with it. ' +
    'A newer runtime is adopted deliberately, together with the bundling target and a new measurement, not whenever aws-cdk-lib learns of one.',
  'AwsSolutions-SMG4':
    'The value is the webhook signing key that only Authgear generates (portal: Advanced > Hooks), so a Secrets Manager rotation function cannot produce a value Authgear signs with. ' +
    'Rotation is an operator step without downtime: store ["new","old"] from the portal, then the new value alone (README: Deploy; docs/security.md: The signing secret). ' +
    'Likewise the Admin API private key secret holds a key pair only the Authgear portal generates; it is rotated by storing the new key with its key id (docs/admin-api.md).',
  'AwsSolutions-SNS2':
    'The alarm topic carries CloudWatch alarm notifications only: alarm names, states, thresholds and metric values, never an Authgear event, e-mail address or secret. ' +
    'CloudWatch cannot publish to a topic encrypted with the AWS managed key aws/sns, whose key policy cannot grant it, so encrypting the topic would silence every alarm; ' +
    'the topic refuses requests without TLS and only CloudWatch alarms of this account and region may publish to it.',
  'AwsSolutions-IAM5[Resource::*]':
    'Only with tracing=true: X-Ray active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, two write-only actions that support no resource-level permissions, so IAM accepts them on "*" alone. ' +
    'The statement grants nothing else: no read of traces, and every other action of the roles stays on named resources.',
} as const satisfies Record<string, string>;

export type AcknowledgedRule = keyof typeof ACKNOWLEDGED_RULES;

/** Acknowledges `rule` on `construct` alone (and the resources it contains), with its recorded reason. */
export function acknowledge(construct: IConstruct, rule: AcknowledgedRule): void {
  Validations.of(construct).acknowledge({ id: rule, reason: ACKNOWLEDGED_RULES[rule] });
}

/**
 * Runs cdk-nag's AWS Solutions rules when `app` synthesizes. A finding that is not acknowledged,
 * error or warning, fails the synthesis with a report (also written to `validation-report.json`
 * in the cloud assembly).
 */
export function addSecurityChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
