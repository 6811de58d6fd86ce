import { dynamoDbEventClaims } from '../aws/dynamodb-claims';
import { createDynamoDbClient } from '../aws/dynamodb';
import { MemoryEventClaims, type EventClaims } from '../core/claims';
import { IDEMPOTENCY_ENV, readRetentionHours, readTableName } from '../core/idempotency';
import type { Logger } from '../core/logger';

/**
 * The worker's claims: the DynamoDB table named by `IDEMPOTENCY_TABLE_NAME` (the stack always sets
 * it), kept `IDEMPOTENCY_RETENTION_HOURS`. Without a table, a per-process memory with the same
 * rules, and a warning: it cannot see deliveries that reach another container.
 *
 * @throws ConfigError when a variable is invalid.
 * @example
 * ```ts
 * const claims = claimsFromEnv(process.env, logger);
 * ```
 */
export function claimsFromEnv(env: Readonly<Record<string, string | undefined>>, logger: Logger): EventClaims {
  const tableName = readTableName(env);
  const retentionHours = readRetentionHours(env);
  if (tableName) return dynamoDbEventClaims({ tableName, retentionHours, client: createDynamoDbClient() });
  logger.warn(
    `${IDEMPOTENCY_ENV.tableName} is not set: an event is guarded against running twice within this container only, not across containers`,
    { reason: 'no_idempotency_table' },
  );
  return new MemoryEventClaims({ retentionMs: retentionHours * 3_600_000 });
}
