/**
 * The fake SQS's wire facts: the account and region its queue URLs and ARNs name, the AWS JSON 1.0
 * protocol of `@aws-sdk/client-sqs`, and its errors, each with the `__type` and the
 * query-compatible code (`x-amzn-query-error`) that the SDK reads.
 */
import { createHash } from 'node:crypto';

export const REGION = 'us-east-1';
export const ACCOUNT_ID = '123456789012';
export const AWS_JSON = 'application/x-amz-json-1.0';
export const TARGET_PREFIX = 'AmazonSQS.';

/** Dummy credentials: the SDK needs some to sign with; the server only checks that a signature is present. */
export const DUMMY_ACCESS_KEY_ID = 'AKIAFAKESQSLOCALTEST';
export const DUMMY_SECRET_ACCESS_KEY = 'fake/sqs/secret/access/key/for/local/tests/only';

/** An error SQS answers: `status`, the `__type` shape name and the query-compatible code. */
export class SqsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly queryCode: string,
    message: string,
  ) {
    super(message);
  }
}

export const errors = {
  noQueue: (url: unknown) =>
    new SqsError(400, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', `The specified queue does not exist: ${String(url)}`),
  badHandle: () => new SqsError(404, 'ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', 'The input receipt handle is invalid.'),
  notInFlight: () =>
    new SqsError(400, 'MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight', 'The message referred to is not in flight.'),
  missing: (name: string) => new SqsError(400, 'MissingParameter', 'MissingParameter', `The request must contain the parameter ${name}.`),
  invalid: (message: string) => new SqsError(400, 'InvalidParameterValue', 'InvalidParameterValue', message),
  emptyBatch: () =>
    new SqsError(
      400,
      'EmptyBatchRequest',
      'AWS.SimpleQueueService.EmptyBatchRequest',
      'There should be at least one entry in the request.',
    ),
  tooManyEntries: () =>
    new SqsError(
      400,
      'TooManyEntriesInBatchRequest',
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      'Maximum number of entries per request are 10.',
    ),
  unauthenticated: () =>
    new SqsError(403, 'MissingAuthenticationToken', 'MissingAuthenticationToken', 'Request is missing Authentication Token'),
  unknownOperation: (target: unknown) =>
    new SqsError(400, 'UnknownOperationException', 'UnknownOperation', `unknown operation ${String(target)}`),
  internal: () => new SqsError(500, 'InternalFailure', 'InternalFailure', 'We encountered an internal error. Please try again.'),
  /** A bug in the fake itself, answered as SQS answers any internal failure. */
  fake: (error: unknown) => new SqsError(500, 'InternalFailure', 'InternalFailure', `fake server error: ${String(error)}`),
};

/** The hex MD5 of a text's UTF-8 bytes, as SQS answers for message bodies (the SDK checks it). */
export const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** A visibility timeout parameter: whole seconds from 0 to 12 hours, else the SQS error. */
export function visibilitySeconds(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 43_200) {
    throw errors.invalid(`Value ${String(value)} for parameter ${name} is invalid. Reason: must be between 0 and 43200 seconds.`);
  }
  return value;
}
