/**
 * The durable path of non-blocking events: the FIFO event queue, its dead-letter queue, and the
 * event source that feeds the worker, with exactly the SQS permissions each side needs.
 */
import { Duration, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { maxReceiveCount } from '../shared/core/retry';

/**
 * The worker runs a batch's handlers side by side, each within NON_BLOCKING_DEADLINE_MS (25 s by
 * default, 60 s at most), then sets the failed messages' retry delays.
 */
export const WORKER_TIMEOUT_SECONDS = 90;

/** Messages in a FIFO queue event; 10 is the most SQS returns per receive. */
const WORKER_BATCH_SIZE = 10;

/** Retention of both queues: the most SQS allows, so a stopped worker loses nothing for two weeks. */
const QUEUE_RETENTION = Duration.days(14);

export interface WebhookQueues {
  /** The FIFO queue of verified non-blocking events. */
  readonly queue: sqs.Queue;
  /** Where events go when their retry window has passed; kept 14 days. */
  readonly deadLetterQueue: sqs.Queue;
}

/**
 * Creates the event queue and its dead-letter queue, both encrypted with SQS-managed keys and
 * refusing requests without TLS. An event is dead-lettered after `maxAttempts` attempts and one
 * receive more (see the worker).
 */
export function webhookQueues(stack: Stack, options: { readonly maxAttempts: number }): WebhookQueues {
  const deadLetterQueue = new sqs.Queue(stack, 'DeadLetterQueue', {
    fifo: true,
    // For FIFO queues the retention restarts when a message is dead-lettered: 14 days from then.
    retentionPeriod: QUEUE_RETENTION,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  const queue = new sqs.Queue(stack, 'EventQueue', {
    fifo: true,
    // The receiver sets the Authgear event id as deduplication id and as group (see shared/aws/sqs.ts).
    contentBasedDeduplication: false,
    deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
    fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
    // Lambda's advice for SQS sources: six times the function timeout. It is also the retry delay
    // after a worker crash, when the worker could not set one itself.
    visibilityTimeout: Duration.seconds(6 * WORKER_TIMEOUT_SECONDS),
    retentionPeriod: QUEUE_RETENTION,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: maxReceiveCount(options.maxAttempts) },
  });
  return { queue, deadLetterQueue };
}

/** The receiver may only add messages to this one queue. */
export function allowEnqueue(receiver: lambda.IFunction, queue: sqs.IQueue): void {
  receiver.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
}

/**
 * Feeds `worker` from `queue` in batches, reporting failed messages one by one, with what the
 * event source mapping needs (Receive, Delete, GetQueueAttributes) and what the worker calls
 * itself (ChangeMessageVisibility), on this one queue. No SendMessage: SQS dead-letters.
 *
 * `maxConcurrency` caps the worker environments the mapping invokes at once. Unlike reserved
 * concurrency it makes Lambda poll less instead of throttling invocations, and a throttled batch
 * would come back with its receive count raised, spending an attempt of the retry schedule.
 */
export function feedWorker(
  stack: Stack,
  worker: lambda.Function,
  queue: sqs.IQueue,
  options: { readonly maxConcurrency: number | undefined },
): lambda.EventSourceMapping {
  const workerRole = worker.role as iam.Role;
  workerRole.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
      resources: [queue.queueArn],
    }),
  );
  const source = new lambda.EventSourceMapping(stack, 'WorkerQueueSource', {
    target: worker,
    eventSourceArn: queue.queueArn,
    batchSize: WORKER_BATCH_SIZE,
    // Only the failed messages of a batch are retried, never their neighbours.
    reportBatchItemFailures: true,
    maxConcurrency: options.maxConcurrency,
  });
  // Lambda checks the role's permissions when it creates the mapping.
  source.node.addDependency(workerRole);
  return source;
}
