/**
 * {@link EventClaims} on a DynamoDB table, through Powertools for AWS Lambda's idempotency utility
 * (`makeIdempotent` with its DynamoDB persistence layer), which does the conditional writes this
 * needs: claim when the key is absent, expired, or claimed with a passed in-progress expiry; mark
 * done after success; delete after failure.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import type { ClaimedRun, ClaimOptions, EventClaims } from '../core/claims';
import { IDEMPOTENCY_TABLE } from '../core/idempotency';

export interface DynamoDbEventClaimsOptions {
  readonly tableName: string;
  /** Hours a handled event id is remembered (the record's TTL). */
  readonly retentionHours: number;
  /** Default: the SDK's default client; the worker passes {@link createDynamoDbClient}. */
  readonly client?: DynamoDBClient;
}

/** Errors by which the library says the key is held by another delivery, or changed while it looked. */
const HELD_ELSEWHERE = new Set([
  'IdempotencyAlreadyInProgressError',
  // The record changed between the failed claim and the read that followed (released, or expired).
  'IdempotencyInconsistentStateError',
  'IdempotencyItemNotFoundError',
]);

/**
 * Creates the DynamoDB-backed claims. Keys are `authgear-event#<md5 of the event id>`; records carry
 * only the key, the status and the two expiries (no payload, no handler result).
 *
 * The in-progress expiry is the caller's `claimMs` (the invocation's remaining time), so a claim
 * left by a crashed or timed-out invocation stops holding when that invocation is over.
 *
 * @example
 * ```ts
 * const claims = dynamoDbEventClaims({ tableName: process.env.IDEMPOTENCY_TABLE_NAME!, retentionHours: 24, client: createDynamoDbClient() });
 * const run = await claims.run(event.id, () => runHandler(event), { claimMs: context.getRemainingTimeInMillis() });
 * ```
 */
export function dynamoDbEventClaims(options: DynamoDbEventClaimsOptions): EventClaims {
  const store = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    keyAttr: IDEMPOTENCY_TABLE.partitionKey,
    expiryAttr: IDEMPOTENCY_TABLE.ttlAttribute,
    inProgressExpiryAttr: IDEMPOTENCY_TABLE.claimExpiryAttribute,
    statusAttr: IDEMPOTENCY_TABLE.statusAttribute,
    ...(options.client ? { awsSdkV3Client: options.client } : {}),
  });
  const expiresAfterSeconds = options.retentionHours * 3_600;
  // One config per claim, each with its own remaining time; the store takes the settings from the first.
  const configFor = (claimMs: number | undefined): IdempotencyConfig =>
    new IdempotencyConfig({
      expiresAfterSeconds,
      // Our own memory of handled ids comes first (queued.ts); the library's would only duplicate it.
      useLocalCache: false,
      // Powertools reads the claim's expiry from a Lambda context; only this method is called.
      ...(claimMs === undefined ? {} : { lambdaContext: { getRemainingTimeInMillis: () => claimMs } as Context }),
    });
  store.configure({ config: configFor(undefined), keyPrefix: IDEMPOTENCY_TABLE.keyPrefix });

  return {
    async run<T extends { readonly ok: boolean }>(eventId: string, work: () => Promise<T>, claim: ClaimOptions): Promise<ClaimedRun<T>> {
      let ran = false;
      let result: T | undefined;
      const once = makeIdempotent(
        async (_eventId: string): Promise<void> => {
          ran = true;
          result = await work();
          // Throwing is how the library learns of a failure: it then deletes the claim.
          if (!result.ok) throw new HandlerFailed();
        },
        { persistenceStore: store, config: configFor(Math.max(1, Math.floor(claim.claimMs))), keyPrefix: IDEMPOTENCY_TABLE.keyPrefix },
      );
      try {
        await once(eventId);
      } catch (error) {
        if (ran) {
          if (result === undefined) throw error; // `work` itself threw; the claim was released.
          return error instanceof HandlerFailed ? { outcome: 'ran', result } : { outcome: 'ran', result, recordError: error };
        }
        if (error instanceof Error && HELD_ELSEWHERE.has(error.name)) return { outcome: 'busy' };
        return { outcome: 'unavailable', error };
      }
      // Without running, and without an error: the library found the id marked done.
      return ran ? { outcome: 'ran', result: result as T } : { outcome: 'done' };
    },

    async isDone(eventId) {
      try {
        const record = await store.getRecord(eventId);
        return record.getStatus() === 'COMPLETED';
      } catch (error) {
        if (error instanceof Error && error.name === 'IdempotencyItemNotFoundError') return false;
        throw error;
      }
    },
  };
}

/** Thrown inside the idempotent function when the handler failed, so that the claim is released. */
class HandlerFailed extends Error {
  override readonly name = 'HandlerFailed';
}
