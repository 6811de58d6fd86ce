/**
 * The Secrets Manager secret that holds Authgear's webhook signing secret: created empty by the
 * stack, or an existing one named by `secretArn` / `secretName`.
 */
import { Arn, ArnFormat, Aws, CfnRule, Fn, type Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { acknowledge } from './security-checks';

/** The secret every function reads, however it was obtained. */
export interface WebhookSecret {
  /** What `AUTHGEAR_WEBHOOK_SECRET_ID` is set to: passed unchanged to `GetSecretValue`. */
  readonly id: string;
  /** What the IAM policy names (for a secret imported by name, an ARN pattern with the random suffix). */
  readonly policyResource: string;
  /** Region for the `put-secret-value` command. */
  readonly region: string;
  /** True when imported by name (the output is then a name, not an ARN). */
  readonly byName: boolean;
  /** Set when this stack creates the secret. */
  readonly created?: secretsmanager.Secret;
}

/**
 * Creates the secret, or references the one named by `secretArn` / `secretName`. Construct ids
 * are those of the first release, so a deployed secret is never replaced.
 */
export function webhookSecret(
  stack: Stack,
  options: { readonly secretArn: string | undefined; readonly secretName: string | undefined },
): WebhookSecret {
  if (options.secretArn !== undefined) {
    const arn = options.secretArn;
    secretsmanager.Secret.fromSecretCompleteArn(stack, 'WebhookSecret', arn);
    const region = Arn.split(arn, ArnFormat.COLON_RESOURCE_NAME).region ?? Aws.REGION;
    // The functions call Secrets Manager in their own region, where a secret of another region
    // does not exist: refuse the deployment up front instead of failing every request.
    new CfnRule(stack, 'SecretInStackRegion', {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.REGION, region),
          assertDescription: `secretArn names a secret in ${region}; deploy this stack to ${region} or use a secret in the stack's region`,
        },
      ],
    });
    return { id: arn, policyResource: arn, region, byName: false };
  }
  if (options.secretName !== undefined) {
    const name = options.secretName;
    secretsmanager.Secret.fromSecretNameV2(stack, 'WebhookSecret', name);
    // The real ARN ends in "-" and 6 random characters that a name does not tell.
    const policyResource = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${name}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    return { id: name, policyResource, region: Aws.REGION, byName: true };
  }
  const secret = new secretsmanager.Secret(stack, 'WebhookSecret', {
    description:
      'Authgear webhook signing secret (Authgear portal: Advanced > Hooks). Set it with the PutSecretValueCommand output; a JSON array of strings allows a rotation overlap.',
  });
  // CDK would generate a random value, which can never match Authgear's signatures. An empty
  // secret makes the functions answer 503 "no secret" until the real one is stored, and the value
  // never passes through the template.
  (secret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
  acknowledge(secret, 'AwsSolutions-SMG4');
  return { id: secret.secretArn, policyResource: secret.secretArn, region: Aws.REGION, byName: false, created: secret };
}
