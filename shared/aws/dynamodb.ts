import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * A DynamoDB client for the worker: short timeouts, so that an unreachable table turns into a
 * retried message within seconds instead of holding the invocation, and the SDK's 3 attempts,
 * which are safe because every write of the record is conditional or idempotent. The endpoint
 * follows the SDK's usual configuration (`AWS_ENDPOINT_URL_DYNAMODB` points it at a local server).
 *
 * @example
 * ```ts
 * const claims = dynamoDbEventClaims({ tableName, retentionHours: 24, client: createDynamoDbClient() });
 * ```
 */
export function createDynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
    maxAttempts: 3,
  });
}
