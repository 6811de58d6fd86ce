/**
 * The idempotency table: one record per non-blocking event id, written by the worker only, so that
 * each event's handler succeeds once whichever container a delivery reaches (docs/exactly-once.md).
 */
import { Aws, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { IDEMPOTENCY_TABLE } from '../shared/core/idempotency';

/**
 * What the worker does to the table, and nothing more: claim (conditional PutItem), mark done
 * (UpdateItem), release (DeleteItem) and read a record (GetItem). No Query or Scan: records are
 * only ever reached by their key.
 */
export const IDEMPOTENCY_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as const;

/**
 * Creates the table: on-demand billing (no capacity to plan; a burst of events is not throttled by
 * provisioned capacity), TTL on the record's expiry, point-in-time recovery, encryption at rest
 * with the AWS managed key for DynamoDB ({@link encryptIdempotencyTable} switches it to the
 * stack's `kmsKeyArn`), and kept when the stack is deleted, so a redeploy under the same name does
 * not run handled events again.
 *
 * @example
 * ```ts
 * const table = idempotencyTable(stack);
 * allowIdempotencyRecords(workerFunction, table);
 * ```
 */
export function idempotencyTable(stack: Stack): dynamodb.Table {
  return new dynamodb.Table(stack, 'IdempotencyTable', {
    partitionKey: { name: IDEMPOTENCY_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: IDEMPOTENCY_TABLE.ttlAttribute,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

/** Lets `worker` read and write records of this one table (the actions above, on its ARN only). */
export function allowIdempotencyRecords(worker: lambda.IFunction, table: dynamodb.Table): void {
  worker.addToRolePolicy(new iam.PolicyStatement({ actions: [...IDEMPOTENCY_TABLE_ACTIONS], resources: [table.tableArn] }));
}

/**
 * Encrypts the table with the stack's customer-managed key (`kmsKeyArn`), and lets `worker` use
 * the key as DynamoDB does on its behalf: `kms:Decrypt` of the table key (which DynamoDB caches per
 * caller for 5 minutes), through DynamoDB only. Items are encrypted with that table key, so no
 * other key action is needed by the caller.
 *
 * @example
 * ```ts
 * if (stack.encryptionKey) encryptIdempotencyTable(table, stack.encryptionKey, workerFunction);
 * ```
 */
export function encryptIdempotencyTable(table: dynamodb.Table, key: kms.IKey, worker: lambda.IFunction): void {
  (table.node.defaultChild as dynamodb.CfnTable).sseSpecification = { sseEnabled: true, sseType: 'KMS', kmsMasterKeyId: key.keyArn };
  worker.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.${Aws.URL_SUFFIX}` } },
    }),
  );
}
