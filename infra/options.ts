/**
 * The stack's options: what each one means, its default, and the checks that turn a mistyped
 * `cdk.json` value or `-c key=value` into one clear message instead of a broken deployment.
 */
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { DEFAULTS } from '../shared/core/constants';
import { defaultRetentionHours, IDEMPOTENCY_DEFAULTS, minRetentionHours } from '../shared/core/idempotency';
import { LOG_LEVELS, type LogLevel } from '../shared/core/logger';
import { RETRY_DEFAULTS } from '../shared/core/retry';
import { parseInteger, parseList } from '../shared/core/values';
import type { ProductionOptions } from './production-options';

/** The stack name used when the `stackName` context value is not given. */
export const DEFAULT_STACK_NAME = 'AuthgearWebhooks';

/** Log retention used when the `logRetentionDays` context value is not given. */
export const DEFAULT_LOG_RETENTION_DAYS = 30;

/**
 * Throttling of each API route when `throttleRateLimit` / `throttleBurstLimit` are not given.
 *
 * Each route has its own token bucket. A login calls each blocking route at most once, and
 * `oidc.jwt.pre_create` runs once per access token issued or refreshed, so 200 requests a second on
 * the busiest route is 12,000 logins a minute, or about 360,000 sessions refreshing 30-minute
 * tokens. The burst of 400 absorbs a wave of simultaneous logins. A flood of forged requests is cut
 * at the same rate, far below the account's 10,000 requests a second that every API in the region
 * shares, and keeps the functions' concurrency and bill bounded.
 */
export const DEFAULT_THROTTLE = { rateLimit: 200, burstLimit: 400 } as const;

/** Authgear abandons a blocking hook after 5 s, so the blocking function may never run longer. */
export const AUTHGEAR_BLOCKING_TIMEOUT_MS = 5_000;

/** The most environments a concurrency option may name (Lambda's default account concurrency is 1000). */
const MAX_CONCURRENCY = 1000;

/** API Gateway's default account limits: HTTP API routes cannot be set above them. */
const MAX_THROTTLE_RATE = 10_000;
const MAX_THROTTLE_BURST = 5_000;

export type { LogLevel };

/** The retention periods CloudWatch Logs accepts (it rejects any other number of days). */
const RETENTION_DAYS: readonly number[] = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');

/** `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters>` */
const COMPLETE_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** A standard SNS topic: CloudWatch alarms cannot publish to FIFO topics (whose names end in `.fifo`). */
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/**
 * A stack option (usually a `cdk.json` context value or `-c key=value`) is invalid.
 * The message names the option and what it accepts; `infra/app.ts` prints it without a stack trace.
 */
export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
}

/**
 * Knobs of `AuthgearWebhooksStack`. Each one can also be given as a CDK context value of the
 * same name (`cdk.json` or `cdk synth -c name=value`); a property set here wins over the context.
 */
export interface AuthgearWebhooksOptions extends ProductionOptions {
  /**
   * Use this existing secret instead of creating one: its complete ARN, including the 6-character
   * suffix Secrets Manager appends. Mutually exclusive with `secretName`.
   * @default a new, empty secret is created
   */
  readonly secretArn?: string;
  /**
   * Use the existing secret with this name (in the stack's account and region) instead of creating one.
   * @default a new, empty secret is created
   */
  readonly secretName?: string;
  /**
   * Days to keep the functions' and the API's logs; one of the periods CloudWatch Logs accepts.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Sets `BLOCKING_DEADLINE_MS` on the blocking function: blocking handlers must answer within this many milliseconds (1–4999).
   * @default unset, so the runtime default of 4000 applies
   */
  readonly blockingDeadlineMs?: number;
  /**
   * Sets `LOG_LEVEL` (debug, info, warn, error or silent).
   * @default unset, so the runtime default (info) applies
   */
  readonly logLevel?: string;
  /**
   * Sets `SECRET_CACHE_TTL_SECONDS` (0–86400).
   * @default unset, so the runtime default (300) applies
   */
  readonly secretCacheTtlSeconds?: number;
  /**
   * Sets `DENIED_EMAIL_DOMAINS` on the blocking function, read by `functions/blocking/user.pre_create.ts`.
   * A comma-separated string or a list of domains.
   * @default unset: no domain is denied
   */
  readonly deniedEmailDomains?: string | readonly string[];
  /**
   * Minutes over which a failing non-blocking event is retried (delays of 30 s doubling up to
   * 15 min) before it moves to the dead-letter queue; 1–1440. Sets the queue's `maxReceiveCount`
   * and `RETRY_WINDOW_MINUTES` on the worker.
   * @default 60 (8 attempts)
   */
  readonly retryWindowMinutes?: number;
  /**
   * Environments of the blocking function kept initialized (0–1000) behind an alias that the
   * blocking routes call, so logins meet no cold start. Billed while deployed.
   * @default 0 (off)
   */
  readonly provisionedConcurrency?: number;
  /**
   * Requests per second each API route accepts on average (1–10000); more are answered 429 by
   * API Gateway without invoking a function.
   * @default 200
   */
  readonly throttleRateLimit?: number;
  /**
   * Requests each API route accepts at once above the average rate (1–5000).
   * @default 400
   */
  readonly throttleBurstLimit?: number;
  /**
   * Concurrency reserved for the blocking function (1–1000): logins keep this capacity when other
   * functions of the account use up its pool, and a flood cannot take more. At least
   * `provisionedConcurrency`.
   * @default unset: the function shares the account's unreserved concurrency
   */
  readonly blockingReservedConcurrency?: number;
  /**
   * Concurrency reserved for the non-blocking receiver (1–1000), as for the blocking function.
   * A request beyond it fails, and Authgear does not resend the event.
   * @default unset: the function shares the account's unreserved concurrency
   */
  readonly receiverReservedConcurrency?: number;
  /**
   * The most worker environments the queue feeds at once (2–1000), the SQS event source's
   * maximum concurrency. Caps the load handlers put on the systems they call; extra events wait
   * in the queue instead of being throttled, so no retry attempt is spent.
   * @default unset: Lambda scales the worker up to the account's unreserved concurrency
   */
  readonly workerMaxConcurrency?: number;
  /**
   * An existing standard SNS topic in the stack's region: every alarm notifies it when it goes
   * into alarm and when it is OK again.
   * @default unset: the alarms have no actions
   */
  readonly alarmTopicArn?: string;
  /**
   * Plain settings for the handlers: environment variables of the blocking function and the
   * worker, never the receiver (see infra/handler-env.ts for the rules). Not for secrets.
   * @default none
   */
  readonly handlerEnv?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Hours the idempotency table remembers a handled event id (its records' TTL), so that a copy
   * of the event delivered within that time is acknowledged without running the handler again.
   * At least the retry window plus one hour; at most 8760.
   * @default 24, or the retry window plus one hour when that is longer
   */
  readonly idempotencyRetentionHours?: number;
}

/** Options after validation, as the stack uses them. */
export interface ResolvedOptions {
  readonly secretArn: string | undefined;
  readonly secretName: string | undefined;
  readonly logRetentionDays: number;
  readonly blockingDeadlineMs: number | undefined;
  readonly logLevel: LogLevel | undefined;
  readonly secretCacheTtlSeconds: number | undefined;
  readonly deniedEmailDomains: readonly string[] | undefined;
  readonly retryWindowMinutes: number;
  readonly provisionedConcurrency: number;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly blockingReservedConcurrency: number | undefined;
  readonly receiverReservedConcurrency: number | undefined;
  readonly workerMaxConcurrency: number | undefined;
  readonly alarmTopicArn: string | undefined;
  readonly idempotencyRetentionHours: number;
}

/**
 * Reads the stack name from the `stackName` context value.
 * @throws StackConfigError when it is not a valid CloudFormation stack name.
 */
export function stackNameFromContext(node: Node): string {
  const raw = optionalString(node.tryGetContext('stackName'), 'stackName');
  const name = raw ?? DEFAULT_STACK_NAME;
  if (!STACK_NAME.test(name)) {
    throw new StackConfigError(
      `stackName must start with a letter and contain only letters, digits and hyphens, at most 128 characters (got "${name}")`,
    );
  }
  return name;
}

/**
 * Reads the `provisionedConcurrency` context value: how many environments of the blocking function
 * to keep initialized. 0 (the default) keeps the stack as it is; more adds an alias with that much
 * provisioned concurrency, which the blocking routes then call. It is billed while deployed.
 *
 * @throws StackConfigError when it is not an integer from 0 to 1000.
 */
export function provisionedConcurrencyFromContext(node: Node): number {
  return checkedProvisionedConcurrency(node.tryGetContext('provisionedConcurrency'));
}

function checkedProvisionedConcurrency(raw: unknown): number {
  const value = optionalInteger(raw, 'provisionedConcurrency') ?? 0;
  if (value < 0 || value > MAX_CONCURRENCY) {
    throw new StackConfigError(`provisionedConcurrency must be an integer from 0 (off) to ${MAX_CONCURRENCY} (got ${value})`);
  }
  return value;
}

/**
 * Merges properties over context values and validates the result.
 * @throws StackConfigError naming the first invalid option.
 */
export function resolveOptions(node: Node, props: AuthgearWebhooksOptions): ResolvedOptions {
  const pick = <K extends keyof AuthgearWebhooksOptions>(key: K): unknown =>
    props[key] !== undefined ? props[key] : node.tryGetContext(key);

  const secretArn = optionalString(pick('secretArn'), 'secretArn');
  const secretName = optionalString(pick('secretName'), 'secretName');
  if (secretArn !== undefined && secretName !== undefined) {
    throw new StackConfigError('give secretArn or secretName, not both');
  }
  if (secretArn !== undefined && !COMPLETE_SECRET_ARN.test(secretArn)) {
    throw new StackConfigError(
      `secretArn must be a complete Secrets Manager secret ARN, ending in "-" and the 6 characters Secrets Manager adds (got "${secretArn}"); to name a secret without the suffix, use secretName`,
    );
  }
  if (secretName !== undefined && (!SECRET_NAME.test(secretName) || secretName.startsWith('arn:'))) {
    throw new StackConfigError(
      `secretName must be a secret name made of letters, digits and /_+=.@- (got "${secretName}"); for an ARN use secretArn`,
    );
  }

  const logRetentionDays = optionalInteger(pick('logRetentionDays'), 'logRetentionDays') ?? DEFAULT_LOG_RETENTION_DAYS;
  if (!RETENTION_DAYS.includes(logRetentionDays)) {
    throw new StackConfigError(`logRetentionDays must be one of ${RETENTION_DAYS.join(', ')} (got ${logRetentionDays})`);
  }

  const blockingDeadlineMs = optionalInteger(pick('blockingDeadlineMs'), 'blockingDeadlineMs');
  if (blockingDeadlineMs !== undefined && (blockingDeadlineMs < 1 || blockingDeadlineMs >= AUTHGEAR_BLOCKING_TIMEOUT_MS)) {
    throw new StackConfigError(
      `blockingDeadlineMs must be an integer from 1 to ${AUTHGEAR_BLOCKING_TIMEOUT_MS - 1}: Authgear stops waiting after ${AUTHGEAR_BLOCKING_TIMEOUT_MS} ms (got ${blockingDeadlineMs}; the default is ${DEFAULTS.blockingDeadlineMs})`,
    );
  }

  const rawLevel = optionalString(pick('logLevel'), 'logLevel')?.toLowerCase();
  if (rawLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(rawLevel)) {
    throw new StackConfigError(`logLevel must be one of ${LOG_LEVELS.join(', ')} (got "${rawLevel}")`);
  }

  const secretCacheTtlSeconds = optionalInteger(pick('secretCacheTtlSeconds'), 'secretCacheTtlSeconds');
  if (secretCacheTtlSeconds !== undefined && (secretCacheTtlSeconds < 0 || secretCacheTtlSeconds > 86_400)) {
    throw new StackConfigError(`secretCacheTtlSeconds must be an integer from 0 to 86400 (got ${secretCacheTtlSeconds})`);
  }

  const retryWindowMinutes = optionalInteger(pick('retryWindowMinutes'), 'retryWindowMinutes') ?? RETRY_DEFAULTS.windowMinutes;
  if (retryWindowMinutes < RETRY_DEFAULTS.minWindowMinutes || retryWindowMinutes > RETRY_DEFAULTS.maxWindowMinutes) {
    throw new StackConfigError(
      `retryWindowMinutes must be an integer from ${RETRY_DEFAULTS.minWindowMinutes} to ${RETRY_DEFAULTS.maxWindowMinutes} (got ${retryWindowMinutes}; the default is ${RETRY_DEFAULTS.windowMinutes})`,
    );
  }

  const provisionedConcurrency = checkedProvisionedConcurrency(pick('provisionedConcurrency'));

  const throttle = {
    rateLimit:
      integerInRange(pick('throttleRateLimit'), 'throttleRateLimit', 1, MAX_THROTTLE_RATE, 'requests per second') ??
      DEFAULT_THROTTLE.rateLimit,
    burstLimit:
      integerInRange(pick('throttleBurstLimit'), 'throttleBurstLimit', 1, MAX_THROTTLE_BURST, 'requests') ?? DEFAULT_THROTTLE.burstLimit,
  };

  const blockingReservedConcurrency = integerInRange(
    pick('blockingReservedConcurrency'),
    'blockingReservedConcurrency',
    1,
    MAX_CONCURRENCY,
    'environments',
  );
  if (blockingReservedConcurrency !== undefined && blockingReservedConcurrency < provisionedConcurrency) {
    throw new StackConfigError(
      `blockingReservedConcurrency (${blockingReservedConcurrency}) must be at least provisionedConcurrency (${provisionedConcurrency}): Lambda keeps provisioned environments within the reserved ones`,
    );
  }
  const receiverReservedConcurrency = integerInRange(
    pick('receiverReservedConcurrency'),
    'receiverReservedConcurrency',
    1,
    MAX_CONCURRENCY,
    'environments',
  );
  const workerMaxConcurrency = integerInRange(pick('workerMaxConcurrency'), 'workerMaxConcurrency', 2, MAX_CONCURRENCY, 'environments');

  const alarmTopicArn = optionalString(pick('alarmTopicArn'), 'alarmTopicArn');
  if (alarmTopicArn !== undefined && !SNS_TOPIC_ARN.test(alarmTopicArn)) {
    throw new StackConfigError(
      `alarmTopicArn must be the ARN of a standard SNS topic, such as arn:aws:sns:eu-west-1:123456789012:alerts (got "${alarmTopicArn}"; CloudWatch alarms cannot notify FIFO topics)`,
    );
  }

  const minRetention = minRetentionHours(retryWindowMinutes);
  const idempotencyRetentionHours =
    integerInRange(pick('idempotencyRetentionHours'), 'idempotencyRetentionHours', 1, IDEMPOTENCY_DEFAULTS.maxRetentionHours, 'hours') ??
    defaultRetentionHours(retryWindowMinutes);
  if (idempotencyRetentionHours < minRetention) {
    throw new StackConfigError(
      `idempotencyRetentionHours (${idempotencyRetentionHours}) must be at least ${minRetention}: the retry window (${retryWindowMinutes} minutes) plus one hour, so that no copy of a handled event outlives its record`,
    );
  }

  return {
    secretArn,
    secretName,
    logRetentionDays,
    retryWindowMinutes,
    blockingDeadlineMs,
    logLevel: rawLevel as LogLevel | undefined,
    secretCacheTtlSeconds,
    deniedEmailDomains: domainList(pick('deniedEmailDomains')),
    provisionedConcurrency,
    throttle,
    blockingReservedConcurrency,
    receiverReservedConcurrency,
    workerMaxConcurrency,
    alarmTopicArn,
    idempotencyRetentionHours,
  };
}

/** Context values arrive as strings from `-c key=value` and as JSON values from cdk.json. */
function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new StackConfigError(`${name} must be a string (got ${JSON.stringify(value)})`);
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function optionalInteger(value: unknown, name: string): number | undefined {
  const number = parseInteger(value);
  if (Number.isNaN(number)) throw new StackConfigError(`${name} must be an integer (got ${JSON.stringify(value)})`);
  return number;
}

function integerInRange(value: unknown, name: string, min: number, max: number, unit: string): number | undefined {
  const number = optionalInteger(value, name);
  if (number !== undefined && (number < min || number > max)) {
    throw new StackConfigError(`${name} must be an integer from ${min} to ${max} ${unit} (got ${number})`);
  }
  return number;
}

function domainList(value: unknown): readonly string[] | undefined {
  const items = parseList(value);
  if (items === null) {
    throw new StackConfigError(`deniedEmailDomains must be a comma-separated string or a list of strings (got ${JSON.stringify(value)})`);
  }
  if (items === undefined) return undefined;
  const domains = items.map((d) => d.toLowerCase());
  const invalid = domains.filter((d) => !DOMAIN.test(d));
  if (invalid.length > 0) {
    throw new StackConfigError(
      `deniedEmailDomains must list domain names such as mailinator.com, without "@" (invalid: ${invalid.join(', ')})`,
    );
  }
  return domains.length === 0 ? undefined : domains;
}
