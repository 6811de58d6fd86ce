import { describe, expect, it } from 'vitest';
import { ConfigError, ENV, readConfig, readLocalRetrySpeedup, readQueueUrl, readRetryWindowMinutes, type RuntimeConfig } from './config';

/** Calls readConfig and returns what it threw, failing the test if it did not throw. */
function errorOf(env: Record<string, string>): Error {
  try {
    readConfig(env);
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`readConfig threw a non-Error: ${String(error)}`);
  }
  throw new Error(`readConfig accepted ${JSON.stringify(env)}`);
}

describe('readConfig defaults', () => {
  it('uses the documented defaults for an empty environment', () => {
    // Prepare
    const expected: RuntimeConfig = {
      blockingDeadlineMs: 4000,
      nonBlockingDeadlineMs: 25_000,
      maxBodyBytes: 1024 * 1024,
      maxAnswerBytes: 64 * 1024,
      maxEventAgeSeconds: 300,
      maxClockSkewSeconds: 60,
      rejectRepeatedBlockingEvents: false,
      secretCacheTtlMs: 300_000,
      secretRefreshIntervalMs: 30_000,
      logLevel: 'info',
      logPersonalData: false,
    };

    // Act
    const config = readConfig({});

    // Assess
    expect(config).toEqual(expected);
  });

  it('treats variables set to an empty or blank string as unset', () => {
    // Prepare
    const env = {
      BLOCKING_DEADLINE_MS: '',
      MAX_BODY_BYTES: '  ',
      SECRET_CACHE_TTL_SECONDS: '',
      SECRET_REFRESH_INTERVAL_SECONDS: ' ',
      LOG_PERSONAL_DATA: '',
    };

    // Act
    const config = readConfig(env);

    // Assess
    expect(config).toEqual(readConfig({}));
  });

  it('ignores variables it does not know', () => {
    // Prepare
    const env = { AUTHGEAR_WEBHOOK_SECRET: 'k3Y9mP2qR7sT1vW5xZ8aB4cD6eF0gH_j', PATH: '/usr/bin', LOG_FORMAT: 'text' };

    // Act
    const config = readConfig(env);

    // Assess
    expect(config).toEqual(readConfig({}));
  });

  it('names every variable it reads in ENV', () => {
    // Prepare
    const names = Object.values(ENV);

    // Act
    const sorted = [...names].sort();

    // Assess
    expect(sorted).toEqual([
      'AUTHGEAR_WEBHOOK_SECRET',
      'AUTHGEAR_WEBHOOK_SECRET_ID',
      'BLOCKING_DEADLINE_MS',
      'LOG_LEVEL',
      'LOG_PERSONAL_DATA',
      'MAX_ANSWER_BYTES',
      'MAX_BODY_BYTES',
      'MAX_CLOCK_SKEW_SECONDS',
      'MAX_EVENT_AGE_SECONDS',
      'NON_BLOCKING_DEADLINE_MS',
      'REJECT_REPEATED_BLOCKING_EVENTS',
      'SECRET_CACHE_TTL_SECONDS',
      'SECRET_REFRESH_INTERVAL_SECONDS',
    ]);
  });
});

describe('readConfig parses each variable', () => {
  it.each([
    ['BLOCKING_DEADLINE_MS', '3000', 'blockingDeadlineMs', 3000],
    ['BLOCKING_DEADLINE_MS', '1', 'blockingDeadlineMs', 1],
    ['BLOCKING_DEADLINE_MS', '29000', 'blockingDeadlineMs', 29_000],
    ['NON_BLOCKING_DEADLINE_MS', '60000', 'nonBlockingDeadlineMs', 60_000],
    ['BLOCKING_DEADLINE_MS', ' 2500 ', 'blockingDeadlineMs', 2500],
    ['MAX_BODY_BYTES', '2048', 'maxBodyBytes', 2048],
    ['MAX_BODY_BYTES', '10485760', 'maxBodyBytes', 10 * 1024 * 1024],
    ['MAX_ANSWER_BYTES', '1024', 'maxAnswerBytes', 1024],
    ['MAX_ANSWER_BYTES', '2097152', 'maxAnswerBytes', 2 * 1024 * 1024],
    ['SECRET_CACHE_TTL_SECONDS', '60', 'secretCacheTtlMs', 60_000],
    ['SECRET_CACHE_TTL_SECONDS', '0', 'secretCacheTtlMs', 0],
    ['SECRET_CACHE_TTL_SECONDS', '86400', 'secretCacheTtlMs', 86_400_000],
    ['SECRET_REFRESH_INTERVAL_SECONDS', '5', 'secretRefreshIntervalMs', 5000],
    ['SECRET_REFRESH_INTERVAL_SECONDS', '0', 'secretRefreshIntervalMs', 0],
    ['LOG_LEVEL', 'debug', 'logLevel', 'debug'],
    ['LOG_LEVEL', 'WARN', 'logLevel', 'warn'],
    ['LOG_LEVEL', 'Error', 'logLevel', 'error'],
    ['LOG_LEVEL', 'silent', 'logLevel', 'silent'],
    ['LOG_PERSONAL_DATA', 'true', 'logPersonalData', true],
    ['LOG_PERSONAL_DATA', 'TRUE', 'logPersonalData', true],
    ['LOG_PERSONAL_DATA', ' 1 ', 'logPersonalData', true],
    ['LOG_PERSONAL_DATA', 'false', 'logPersonalData', false],
    ['LOG_PERSONAL_DATA', '0', 'logPersonalData', false],
  ] as const)('reads %s=%j as %s %j', (name, raw, key, expected) => {
    // Prepare
    const env = { [name]: raw };

    // Act
    const config = readConfig(env);

    // Assess
    expect(config[key]).toBe(expected);
    expect({ ...config, [key]: undefined }).toEqual({ ...readConfig({}), [key]: undefined });
  });
});

describe('readConfig refuses invalid values with a ConfigError naming the variable', () => {
  it.each([
    ['BLOCKING_DEADLINE_MS', 'abc'],
    ['BLOCKING_DEADLINE_MS', '0'],
    ['BLOCKING_DEADLINE_MS', '-100'],
    ['BLOCKING_DEADLINE_MS', '1500.5'],
    ['BLOCKING_DEADLINE_MS', '29001'],
    ['BLOCKING_DEADLINE_MS', '4s'],
    ['MAX_BODY_BYTES', '0'],
    ['MAX_BODY_BYTES', '10485761'],
    ['MAX_BODY_BYTES', '1MB'],
    ['MAX_ANSWER_BYTES', '1023'],
    ['MAX_ANSWER_BYTES', '2097153'],
    ['SECRET_CACHE_TTL_SECONDS', '-1'],
    ['SECRET_CACHE_TTL_SECONDS', '86401'],
    ['SECRET_CACHE_TTL_SECONDS', '5m'],
    ['SECRET_REFRESH_INTERVAL_SECONDS', '0.5'],
    ['SECRET_REFRESH_INTERVAL_SECONDS', 'never'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'trace'],
    ['LOG_PERSONAL_DATA', 'yes'],
    ['LOG_PERSONAL_DATA', 'on'],
  ])('refuses %s=%j', (name, raw) => {
    // Prepare
    const env = { [name]: raw };

    // Act
    const error = errorOf(env);

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(name);
    expect(error.message.toLowerCase()).toContain(raw.toLowerCase());
  });

  it('states the accepted range of a numeric variable', () => {
    // Prepare
    const env = { BLOCKING_DEADLINE_MS: '30000' };

    // Act
    const error = errorOf(env);

    // Assess
    expect(error.message).toContain('1 to 29000');
  });

  it('lists the accepted log levels', () => {
    // Prepare
    const env = { LOG_LEVEL: 'loud' };

    // Act
    const error = errorOf(env);

    // Assess
    expect(error.message).toMatch(/debug, info, warn, error, silent/);
  });

  it('names the first invalid variable even when valid ones are set too', () => {
    // Prepare
    const env = { BLOCKING_DEADLINE_MS: '3000', MAX_BODY_BYTES: 'lots', LOG_LEVEL: 'debug' };

    // Act
    const error = errorOf(env);

    // Assess
    expect(error.message).toContain('MAX_BODY_BYTES');
    expect(error.message).not.toContain('BLOCKING_DEADLINE_MS');
  });
});

describe('queue configuration', () => {
  it('reads the defaults and explicit values', () => {
    // Act
    const values = [
      readRetryWindowMinutes({}),
      readRetryWindowMinutes({ RETRY_WINDOW_MINUTES: ' 120 ' }),
      readLocalRetrySpeedup({}),
      readLocalRetrySpeedup({ LOCAL_RETRY_SPEEDUP: '1' }),
    ];

    // Assess
    expect(values).toEqual([60, 120, 60, 1]);
  });

  it.each([
    [() => readRetryWindowMinutes({ RETRY_WINDOW_MINUTES: '0' }), /RETRY_WINDOW_MINUTES must be an integer from 1 to 1440 \(got "0"\)/],
    [() => readRetryWindowMinutes({ RETRY_WINDOW_MINUTES: '1h' }), /RETRY_WINDOW_MINUTES must be an integer/],
    [() => readLocalRetrySpeedup({ LOCAL_RETRY_SPEEDUP: '0.5' }), /LOCAL_RETRY_SPEEDUP must be an integer from 1 to 3600/],
    [
      () => readQueueUrl({}),
      /NON_BLOCKING_QUEUE_URL is not set: it must be the URL of the SQS queue of non-blocking events \(the stack sets it\)/,
    ],
    [
      () => readQueueUrl({ NON_BLOCKING_QUEUE_URL: 'arn:aws:sqs:us-east-1:123456789012:q.fifo' }),
      /must be an SQS queue URL such as https:\/\/sqs\./,
    ],
  ])('refuses a bad value with a ConfigError that says what is accepted (%#)', (read, message) => {
    // Act
    const attempt = () => read();

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('accepts a queue URL as the stack outputs it', () => {
    // Act
    const url = readQueueUrl({
      NON_BLOCKING_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/AuthgearWebhooks-EventQueue-AbC.fifo',
    });

    // Assess
    expect(url).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/AuthgearWebhooks-EventQueue-AbC.fifo');
  });
});
