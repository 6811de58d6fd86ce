/**
 * A customer-managed KMS key (`kmsKeyArn`) over the data the stack keeps: both queues (which hold
 * full events, e-mail addresses included, for up to 14 days), the created secret and every log
 * group. The key is imported, not created: its policy is the key owner's, and must allow what
 * docs/deploy-to-production.md lists. The functions' roles get exactly the key actions their
 * calls need, each limited to the one service that uses the key on their behalf.
 */
import { Arn, ArnFormat, Aws, CfnRule, Fn, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

export interface EncryptionOptions {
  readonly queues: readonly sqs.Queue[];
  /** The secrets this stack created (undefined entries are skipped); an imported secret keeps the key it has. */
  readonly secrets: readonly (secretsmanager.Secret | undefined)[];
  /** Read those secrets: kms:Decrypt through Secrets Manager. */
  readonly secretReaders: readonly lambda.IFunction[];
  /** Send to the event queue: kms:GenerateDataKey and kms:Decrypt through SQS. */
  readonly queueSenders: readonly lambda.IFunction[];
  /** Receive from the event queue: kms:Decrypt through SQS. */
  readonly queueReceivers: readonly lambda.IFunction[];
}

/**
 * Imports the key, refuses a key of another region at deploy time, encrypts the queues, the
 * created secret and every log group in `stack` with it, and grants the functions its use.
 *
 * @example
 * ```ts
 * const key = encryptWithKey(stack, keyArn, { queues, secrets: [secret], secretReaders: [blocking, receiver], queueSenders: [receiver], queueReceivers: [worker] });
 * ```
 */
export function encryptWithKey(stack: Stack, keyArn: string, options: EncryptionOptions): kms.IKey {
  const key = kms.Key.fromKeyArn(stack, 'EncryptionKey', keyArn);
  const region = Arn.split(keyArn, ArnFormat.SLASH_RESOURCE_NAME).region ?? Aws.REGION;
  new CfnRule(stack, 'EncryptionKeyInStackRegion', {
    assertions: [
      {
        assert: Fn.conditionEquals(Aws.REGION, region),
        assertDescription: `kmsKeyArn names a key in ${region}; SQS, Secrets Manager and CloudWatch Logs only use keys of their own region`,
      },
    ],
  });

  for (const queue of options.queues) {
    const cfn = queue.node.defaultChild as sqs.CfnQueue;
    cfn.kmsMasterKeyId = key.keyArn;
    cfn.sqsManagedSseEnabled = undefined;
    // One data key serves 5 minutes of messages (the SQS default): few KMS calls, small bill.
    cfn.kmsDataKeyReusePeriodSeconds = 300;
  }
  for (const secret of options.secrets) if (secret) (secret.node.defaultChild as secretsmanager.CfnSecret).kmsKeyId = key.keyArn;
  for (const group of stack.node.findAll().filter((c): c is logs.CfnLogGroup => c instanceof logs.CfnLogGroup)) group.kmsKeyId = key.keyArn;

  const via = (service: string) => ({ StringEquals: { 'kms:ViaService': `${service}.${Aws.REGION}.${Aws.URL_SUFFIX}` } });
  const allow = (fns: readonly lambda.IFunction[], actions: string[], service: string) => {
    for (const fn of fns) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [key.keyArn], conditions: via(service) }));
    }
  };
  allow(options.secretReaders, ['kms:Decrypt'], 'secretsmanager');
  allow(options.queueSenders, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sqs');
  allow(options.queueReceivers, ['kms:Decrypt'], 'sqs');
  return key;
}
