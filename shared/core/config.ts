import { MAX_ANSWER_BYTES_CEILING, MAX_ANSWER_BYTES_FLOOR } from './answer-limit';
import { DEFAULTS } from './constants';
import { isLogLevel, LOG_LEVELS, type LogLevel } from './logger';
import { RETRY_DEFAULTS } from './retry';
import { parseInteger, parseSwitch } from './values';

/** Every runtime knob, read once at start-up. */
export interface RuntimeConfig {
  /** Blocking handlers must answer within this many ms of the request's arrival (Authgear waits 5 s). */
  readonly blockingDeadlineMs: number;
  /** Non-blocking handlers that run longer are abandoned with a 5xx and an error log. */
  readonly nonBlockingDeadlineMs: number;
  /** Larger bodies get 413 before any work is done. */
  readonly maxBodyBytes: number;
  /** A blocking answer whose JSON is larger is answered by the error policy (see `answer-limit.ts`). */
  readonly maxAnswerBytes: number;
  /** Refuse signed events whose `context.timestamp` is older than this; 0 turns the check off. */
  readonly maxEventAgeSeconds: number;
  /** Refuse signed events stamped further in the future than this. */
  readonly maxClockSkewSeconds: number;
  /** Refuse a blocking event whose `id` this process already answered within the age window. */
  readonly rejectRepeatedBlockingEvents: boolean;
  readonly secretCacheTtlMs: number;
  readonly secretRefreshIntervalMs: number;
  readonly logLevel: LogLevel;
  /** Adds the user id to delivery log lines and whole events (with e-mails, IPs, tokens) to debug logs. Off by default. */
  readonly logPersonalData: boolean;
}

/** The environment variables behind {@link RuntimeConfig}, with their defaults (documented in docs/configuration.md). */
export const ENV = {
  secret: 'AUTHGEAR_WEBHOOK_SECRET',
  secretId: 'AUTHGEAR_WEBHOOK_SECRET_ID',
  blockingDeadlineMs: 'BLOCKING_DEADLINE_MS',
  nonBlockingDeadlineMs: 'NON_BLOCKING_DEADLINE_MS',
  maxBodyBytes: 'MAX_BODY_BYTES',
  maxAnswerBytes: 'MAX_ANSWER_BYTES',
  maxEventAgeSeconds: 'MAX_EVENT_AGE_SECONDS',
  maxClockSkewSeconds: 'MAX_CLOCK_SKEW_SECONDS',
  rejectRepeatedBlockingEvents: 'REJECT_REPEATED_BLOCKING_EVENTS',
  secretCacheTtlSeconds: 'SECRET_CACHE_TTL_SECONDS',
  secretRefreshIntervalSeconds: 'SECRET_REFRESH_INTERVAL_SECONDS',
  logLevel: 'LOG_LEVEL',
  logPersonalData: 'LOG_PERSONAL_DATA',
} as const;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the runtime configuration from environment variables.
 *
 * @throws ConfigError naming the variable and the accepted values.
 * @example
 * ```ts
 * const config = readConfig({ BLOCKING_DEADLINE_MS: '3000' });
 * config.blockingDeadlineMs; // 3000
 * ```
 */
export function readConfig(env: Env = process.env): RuntimeConfig {
  const rawLevel = env[ENV.logLevel];
  const logLevel = (rawLevel?.trim() || DEFAULTS.logLevel).toLowerCase();
  if (!isLogLevel(logLevel)) throw new ConfigError(`${ENV.logLevel} must be one of ${LOG_LEVELS.join(', ')} (got "${rawLevel}")`);
  return {
    blockingDeadlineMs: positiveInt(env, ENV.blockingDeadlineMs, DEFAULTS.blockingDeadlineMs, 1, 29_000),
    nonBlockingDeadlineMs: positiveInt(env, ENV.nonBlockingDeadlineMs, DEFAULTS.nonBlockingDeadlineMs, 1, 60_000),
    maxBodyBytes: positiveInt(env, ENV.maxBodyBytes, DEFAULTS.maxBodyBytes, 1, 10 * 1024 * 1024),
    maxAnswerBytes: positiveInt(env, ENV.maxAnswerBytes, DEFAULTS.maxAnswerBytes, MAX_ANSWER_BYTES_FLOOR, MAX_ANSWER_BYTES_CEILING),
    maxEventAgeSeconds: positiveInt(env, ENV.maxEventAgeSeconds, DEFAULTS.maxEventAgeSeconds, 0, 86_400),
    maxClockSkewSeconds: positiveInt(env, ENV.maxClockSkewSeconds, DEFAULTS.maxClockSkewSeconds, 0, 3_600),
    rejectRepeatedBlockingEvents: bool(env, ENV.rejectRepeatedBlockingEvents),
    secretCacheTtlMs: positiveInt(env, ENV.secretCacheTtlSeconds, DEFAULTS.secretCacheTtlMs / 1000, 0, 86_400) * 1000,
    secretRefreshIntervalMs: positiveInt(env, ENV.secretRefreshIntervalSeconds, DEFAULTS.secretRefreshIntervalMs / 1000, 0, 86_400) * 1000,
    logLevel,
    logPersonalData: bool(env, ENV.logPersonalData),
  };
}

/**
 * Reads an integer variable from `min` to `max`, `fallback` when unset or blank.
 *
 * @throws ConfigError naming the variable and the range.
 * @example
 * ```ts
 * positiveInt({ PORT: '8080' }, 'PORT', 3000, 0, 65_535); // 8080
 * ```
 */
export function positiveInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = parseInteger(env[name]);
  if (value === undefined) return fallback;
  if (Number.isNaN(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${env[name]}")`);
  }
  return value;
}

function bool(env: Env, name: string): boolean {
  const value = parseSwitch(env[name]);
  if (value === undefined) throw new ConfigError(`${name} must be true or false (got "${env[name]}")`);
  return value;
}

/** Environment variables of the queue path (documented in docs/configuration.md). */
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
  return positiveInt(
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
  return positiveInt(env, QUEUE_ENV.localRetrySpeedup, DEFAULT_LOCAL_RETRY_SPEEDUP, 1, 3_600);
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
