/**
 * The facts of the idempotency record shared by the stack (which creates the table and sets the
 * worker's environment) and the worker (which reads and writes the records): the table's shape,
 * the environment variables, the retention and its bounds. Free of AWS SDK imports.
 */
import { ConfigError, positiveInt } from './config';

/** The shape of the idempotency table. */
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

/** Environment variables of the idempotency record (documented in docs/exactly-once.md). */
export const IDEMPOTENCY_ENV = {
  /** The DynamoDB table of idempotency records; the stack sets it on the worker only. */
  tableName: 'IDEMPOTENCY_TABLE_NAME',
  /** Hours a handled event id is remembered. */
  retentionHours: 'IDEMPOTENCY_RETENTION_HOURS',
} as const;

export const IDEMPOTENCY_DEFAULTS = {
  retentionHours: 24,
  /** Records outlive the retry window by at least this much (a redelivery can come a visibility timeout later). */
  marginHours: 1,
  /** A year: longer buys nothing, as no copy of a message outlives the 14-day queues. */
  maxRetentionHours: 8_760,
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The shortest retention that still covers every redelivery of a message: the retry window,
 * rounded up to whole hours, plus a one-hour margin.
 *
 * @example
 * ```ts
 * minRetentionHours(60);    // 2
 * minRetentionHours(1_440); // 25
 * ```
 */
export function minRetentionHours(retryWindowMinutes: number): number {
  return Math.ceil(retryWindowMinutes / 60) + IDEMPOTENCY_DEFAULTS.marginHours;
}

/**
 * The retention to use when none is configured: 24 hours, or longer when the retry window needs it.
 *
 * @example
 * ```ts
 * defaultRetentionHours(60);    // 24
 * defaultRetentionHours(1_440); // 25
 * ```
 */
export function defaultRetentionHours(retryWindowMinutes: number): number {
  return Math.max(IDEMPOTENCY_DEFAULTS.retentionHours, minRetentionHours(retryWindowMinutes));
}

/**
 * Reads `IDEMPOTENCY_TABLE_NAME`; `undefined` when unset or blank.
 *
 * @throws ConfigError when it is not a valid DynamoDB table name.
 * @example
 * ```ts
 * readTableName({ IDEMPOTENCY_TABLE_NAME: 'Webhooks-IdempotencyTable-1A2B3C' }); // 'Webhooks-IdempotencyTable-1A2B3C'
 * readTableName({}); // undefined
 * ```
 */
export function readTableName(env: Env): string | undefined {
  const raw = env[IDEMPOTENCY_ENV.tableName]?.trim();
  if (!raw) return undefined;
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(raw))
    throw new ConfigError(
      `${IDEMPOTENCY_ENV.tableName} must be a DynamoDB table name: 3 to 255 letters, digits, "_", "-" or "." (got "${raw}")`,
    );
  return raw;
}

/**
 * Reads `IDEMPOTENCY_RETENTION_HOURS` (an integer from 1 to 8760, default 24).
 *
 * @throws ConfigError naming the variable and the accepted values.
 * @example
 * ```ts
 * readRetentionHours({ IDEMPOTENCY_RETENTION_HOURS: '48' }); // 48
 * ```
 */
export function readRetentionHours(env: Env): number {
  return positiveInt(env, IDEMPOTENCY_ENV.retentionHours, IDEMPOTENCY_DEFAULTS.retentionHours, 1, IDEMPOTENCY_DEFAULTS.maxRetentionHours);
}
