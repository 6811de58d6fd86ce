import { ConfigError } from '../core/config';
import { RETRY_DEFAULTS } from './retry';

/** Environment variables of the queue path (documented in the README's configuration table). */
export const QUEUE_ENV = {
  /** The SQS queue of non-blocking events; the stack sets it on the receiver and the worker. */
  queueUrl: 'NON_BLOCKING_QUEUE_URL',
  /** Minutes over which a failing event is retried before it is dead-lettered. */
  retryWindowMinutes: 'RETRY_WINDOW_MINUTES',
  /** Local server only: how many times faster than deployed the retry delays run. */
  localRetrySpeedup: 'LOCAL_RETRY_SPEEDUP',
} as const;

/** By default the local queue plays the schedule 60 times faster: a minute of delay takes a second. */
export const DEFAULT_LOCAL_RETRY_SPEEDUP = 60;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads `RETRY_WINDOW_MINUTES` (1–1440, default 60).
 *
 * @throws ConfigError naming the variable and the accepted values.
 * @example
 * ```ts
 * readRetryWindowMinutes({ RETRY_WINDOW_MINUTES: '120' }); // 120
 * ```
 */
export function readRetryWindowMinutes(env: Env): number {
  return integer(
    env,
    QUEUE_ENV.retryWindowMinutes,
    RETRY_DEFAULTS.windowMinutes,
    RETRY_DEFAULTS.minWindowMinutes,
    RETRY_DEFAULTS.maxWindowMinutes,
  );
}

/**
 * Reads `LOCAL_RETRY_SPEEDUP` (1–3600, default 60; 1 waits the deployed delays).
 *
 * @throws ConfigError naming the variable and the accepted values.
 * @example
 * ```ts
 * readLocalRetrySpeedup({}); // 60
 * ```
 */
export function readLocalRetrySpeedup(env: Env): number {
  return integer(env, QUEUE_ENV.localRetrySpeedup, DEFAULT_LOCAL_RETRY_SPEEDUP, 1, 3_600);
}

/**
 * Reads `NON_BLOCKING_QUEUE_URL`.
 *
 * @throws ConfigError when it is missing or not an https/http URL.
 * @example
 * ```ts
 * readQueueUrl({ NON_BLOCKING_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Events.fifo' });
 * ```
 */
export function readQueueUrl(env: Env): string {
  const raw = env[QUEUE_ENV.queueUrl]?.trim();
  if (!raw)
    throw new ConfigError(
      `${QUEUE_ENV.queueUrl} is not set: it must be the URL of the SQS queue of non-blocking events (the stack sets it)`,
    );
  if (!/^https?:\/\/[^/]+\/.+/.test(raw))
    throw new ConfigError(
      `${QUEUE_ENV.queueUrl} must be an SQS queue URL such as https://sqs.<region>.amazonaws.com/<account>/<name> (got "${raw}")`,
    );
  return raw;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${env[name]}")`);
  return value;
}
