/**
 * The shape of the idempotency table, shared by the stack (which creates it) and the worker
 * (which writes it), so that both name the key and the TTL attribute alike. Free of AWS SDK
 * imports, so the stack can read it without loading the client.
 */
export const IDEMPOTENCY_TABLE = {
  /** The partition key (string): `authgear-event#<hash of the event id>`. */
  partitionKey: 'id',
  /** Epoch seconds after which the record no longer counts; DynamoDB TTL deletes it some time later. */
  ttlAttribute: 'expiration',
  /** Epoch milliseconds after which an in-progress claim no longer holds. */
  claimExpiryAttribute: 'in_progress_expiration',
  /** `INPROGRESS` or `COMPLETED`. */
  statusAttribute: 'status',
  /**
   * Prefix of every key. Fixed, rather than the library's default of the function's name, so
   * that replacing the worker function (a rename, a new stack id) keeps the records it wrote.
   */
  keyPrefix: 'authgear-event',
} as const;
