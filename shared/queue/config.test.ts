import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/config';
import { readLocalRetrySpeedup, readQueueUrl, readRetryWindowMinutes } from './config';

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
