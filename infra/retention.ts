/**
 * What `cdk destroy` keeps. The queues hold verified events for up to 14 days that Authgear never
 * sends again, the secret holds the signing key Authgear signs with, and the logs are the record
 * of what happened: by default all of them outlive the stack, and survive a change that would
 * replace them (CloudFormation `DeletionPolicy` and `UpdateReplacePolicy` Retain).
 *
 * None of them has a fixed name (CloudFormation generates each name from the stack's), so a stack
 * deployed again after a destroy creates new ones beside the kept ones instead of failing on a
 * name that is taken.
 */
import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

export interface RetentionOptions {
  /** Keep the data when the stack is deleted (true), or delete it with the stack (false, for throw-away environments). */
  readonly retain: boolean;
  readonly queues: readonly sqs.Queue[];
  /** The secrets this stack created (undefined entries are skipped); an imported one is never the stack's to delete. */
  readonly secrets: readonly (secretsmanager.Secret | undefined)[];
  /** The idempotency table: which events were handled recently. */
  readonly tables?: readonly dynamodb.Table[];
}

/**
 * Sets the deletion and replacement policy of the queues, the created secret and every log group
 * in `stack` (found in the tree, so a log group added later is covered too). Call it once every
 * resource exists.
 *
 * @example
 * ```ts
 * applyRetention(stack, { retain: true, queues: [queue, deadLetterQueue], secrets: [secret] });
 * ```
 */
export function applyRetention(stack: Stack, options: RetentionOptions): void {
  const policy = options.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  for (const queue of options.queues) queue.applyRemovalPolicy(policy);
  for (const secret of options.secrets) secret?.applyRemovalPolicy(policy);
  for (const table of options.tables ?? []) table.applyRemovalPolicy(policy);
  for (const group of stack.node.findAll().filter((c): c is logs.LogGroup => c instanceof logs.LogGroup)) group.applyRemovalPolicy(policy);
}
