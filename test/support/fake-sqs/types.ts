/** The public shapes of the fake SQS: its handle, its queues, their messages and the calls it saw. */
import type { IncomingHttpHeaders } from 'node:http';

export type FakeSqsOperation =
  | 'SendMessage'
  | 'ReceiveMessage'
  | 'DeleteMessage'
  | 'DeleteMessageBatch'
  | 'ChangeMessageVisibility'
  | 'ChangeMessageVisibilityBatch'
  | 'GetQueueAttributes'
  | 'GetQueueUrl';

/** `error`: answer 500 without doing the work. `lose-response`: do the work, then answer 500 (the SDK retries). */
export type FakeSqsFaultMode = 'error' | 'lose-response';

export interface FakeSqsQueueOptions {
  /** Default 30, as SQS. */
  readonly visibilityTimeoutSeconds?: number;
  /** Name of an existing queue to receive messages whose receive count ran out. */
  readonly deadLetterQueue?: string;
  /** Required with `deadLetterQueue`. */
  readonly maxReceiveCount?: number;
  /** FIFO only. Default `queue`. */
  readonly deduplicationScope?: 'queue' | 'messageGroup';
}

export interface FakeSqsQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

/** A message as the queue holds it now. */
export interface FakeSqsMessage {
  readonly messageId: string;
  readonly body: string;
  readonly groupId: string | undefined;
  readonly deduplicationId: string | undefined;
  readonly receiveCount: number;
  readonly sentAt: number;
  /** Clock time from which it can be received; in the past when visible. */
  readonly visibleAt: number;
  /** Set on messages the redrive policy moved here. */
  readonly deadLetterSourceArn: string | undefined;
}

/** One request as the server saw it. */
export interface FakeSqsCall {
  readonly operation: string;
  /** `Date.now()` on arrival (wall clock, not the fake's clock). */
  readonly at: number;
  readonly input: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<IncomingHttpHeaders>;
  /** The HTTP status answered. */
  readonly status: number;
}

export interface FakeSqs {
  /** Base URL, e.g. `http://127.0.0.1:43121`. Queue URLs are `<endpoint>/123456789012/<name>`. */
  readonly endpoint: string;
  /** Creates a queue; a name ending in `.fifo` makes a FIFO queue. */
  createQueue(name: string, options?: FakeSqsQueueOptions): FakeSqsQueue;
  /** A snapshot of a queue's messages, oldest first. */
  messages(queueName: string): readonly FakeSqsMessage[];
  /** Requests received, oldest first, including refused ones. A snapshot. */
  readonly calls: readonly FakeSqsCall[];
  /** How many requests of this operation arrived (all operations when omitted). */
  count(operation?: FakeSqsOperation): number;
  /** Makes the next `n` requests of `operation` fail (replaces an earlier count; 0 clears it). */
  failNext(operation: FakeSqsOperation, n: number, mode?: FakeSqsFaultMode): void;
  /** While `on`, every request of `operation` fails. */
  failAll(operation: FakeSqsOperation, on: boolean, mode?: FakeSqsFaultMode): void;
  /** Replaces the clock used for visibility, deduplication and timestamps (default `Date.now`). */
  setClock(now: () => number): void;
  /** Earliest time a message of the queue becomes visible; `undefined` when the queue is empty. */
  nextVisibleAt(queueName: string): number | undefined;
  /**
   * Environment variables that point a real SDK client (or a child process) at this server:
   * `AWS_ENDPOINT_URL_SQS`, `AWS_REGION`, dummy credentials, `AWS_EC2_METADATA_DISABLED`.
   */
  env(): Record<string, string>;
  close(): Promise<void>;
}
