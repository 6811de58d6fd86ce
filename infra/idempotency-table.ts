/**
 * The idempotency table: one record per non-blocking event id, written by the worker only, so that
 * each event's handler succeeds once whichever container a delivery reaches (docs/exactly-once.md).
 */
import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { IDEMPOTENCY_TABLE } from '../shared/idempotency/table';

/**
 * What the worker does to the table, and nothing more: claim (conditional PutItem), mark done
 * (UpdateItem), release (DeleteItem) and read a record (GetItem). No Query or Scan: records are
 * only ever reached by their key.
 */
export const IDEMPOTENCY_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as const;

export interface IdempotencyTableOptions {
  /** A customer managed key to encrypt the table with; by default the AWS managed key for DynamoDB. */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Creates the table: on-demand billing (no capacity to plan; a burst of events is not throttled by
 * provisioned capacity), TTL on the record's expiry, point-in-time recovery, encryption at rest
 * with a KMS key, and kept when the stack is deleted, like the queues, so a redeploy under the same
 * name does not run handled events again.
 *
 * @example
 * ```ts
 * const table = idempotencyTable(stack);
 * allowIdempotencyRecords(workerFunction, table);
 * ```
 */
export function idempotencyTable(stack: Stack, options: IdempotencyTableOptions = {}): dynamodb.Table {
  return new dynamodb.Table(stack, 'IdempotencyTable', {
    partitionKey: { name: IDEMPOTENCY_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: IDEMPOTENCY_TABLE.ttlAttribute,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    ...(options.encryptionKey
      ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: options.encryptionKey }
      : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

/**
 * Lets `worker` read and write records of this one table (the actions above, on its ARN only).
 * With a customer managed key, also what DynamoDB asks of the caller's key: encrypt and decrypt
 * data keys, on that key only.
 */
export function allowIdempotencyRecords(worker: lambda.IFunction, table: dynamodb.Table): void {
  worker.addToRolePolicy(new iam.PolicyStatement({ actions: [...IDEMPOTENCY_TABLE_ACTIONS], resources: [table.tableArn] }));
  if (table.encryptionKey) {
    worker.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        resources: [table.encryptionKey.keyArn],
      }),
    );
  }
}
