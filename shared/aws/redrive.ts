/**
 * Moving dead-lettered events back to the event queue (`npm run redrive`).
 *
 * Receive, send, delete, rather than SQS's StartMessageMoveTask: it works the same for FIFO
 * queues, it can list without moving (`--dry-run`) and filter by type or id, and it gives each
 * moved message a new deduplication id. With the original one (the event id), SQS would silently
 * drop a message redriven within 5 minutes of its first send as a duplicate.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseEnvelope } from '../core/envelope';
import { fifoKeys } from './sqs';

export interface RedriveOptions {
  readonly client: SQSClient;
  /** Where the events are processed: the stack's `NonBlockingQueueUrl`. */
  readonly queueUrl: string;
  /** The stack's `DeadLetterQueueUrl`. */
  readonly deadLetterQueueUrl: string;
  /** List the events without moving them. */
  readonly dryRun: boolean;
  /** Only events of these types (all when empty). */
  readonly types?: readonly string[];
  /** Only events with these ids (all when empty). */
  readonly ids?: readonly string[];
  /** At most this many events. */
  readonly limit?: number;
  /** One line of output. */
  readonly print: (line: string) => void;
}

/** A dead-lettered event, or a message that is not one. */
export interface DeadLetteredEvent {
  readonly messageId: string;
  /** `undefined` when the body is not an Authgear event. */
  readonly eventId: string | undefined;
  readonly eventType: string | undefined;
}

export interface RedriveReport {
  /** The matching events found (moved or, in a dry run, listed). */
  readonly events: readonly DeadLetteredEvent[];
  readonly moved: number;
  /** Matching messages left in the dead-letter queue because they are not Authgear events. */
  readonly unparseable: number;
  /** Events that could not be moved (the send failed); they stay in the dead-letter queue. */
  readonly failed: number;
}

/** How long a received dead letter stays hidden from other readers while this run handles it. */
const HOLD_SECONDS = 120;

/**
 * Lists (dry run) or moves the dead-lettered events. Each moved event is sent to the event queue
 * first and deleted from the dead-letter queue only then, so a failure leaves it where it was;
 * messages this run only looked at are made visible again at the end.
 *
 * @example
 * ```ts
 * const report = await redrive({ client: new SQSClient({}), queueUrl, deadLetterQueueUrl, dryRun: true, print: console.log });
 * report.events.length; // dead-lettered events found
 * ```
 */
export async function redrive(options: RedriveOptions): Promise<RedriveReport> {
  const { client, print, dryRun } = options;
  const types = new Set(options.types ?? []);
  const ids = new Set(options.ids ?? []);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  // One per run: a second redrive of the same event, minutes later, is not taken for a duplicate.
  const runId = randomBytes(6).toString('hex');
  const held: Message[] = [];
  const events: DeadLetteredEvent[] = [];
  const seen = new Set<string>();
  let moved = 0;
  let unparseable = 0;
  let failed = 0;

  const attributes = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: options.deadLetterQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const inFlight = Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  print(`Dead-letter queue ${options.deadLetterQueueUrl}: about ${attributes.Attributes?.ApproximateNumberOfMessages ?? '?'} events`);
  if (inFlight > 0)
    print(`  note: ${inFlight} more are being read by someone else right now (another redrive, the console) and are not seen by this run`);

  try {
    while (events.length < limit) {
      const received = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: options.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: HOLD_SECONDS,
          // Long polling asks every SQS server, so an empty answer means an empty queue.
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const messages = (received.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
      if (messages.length === 0) break;
      for (const message of messages) {
        seen.add(message.MessageId ?? '');
        const event = parseEnvelope(message.Body ?? '');
        const found: DeadLetteredEvent = { messageId: message.MessageId ?? '', eventId: event?.id, eventType: event?.type };
        const wanted = (types.size === 0 || types.has(found.eventType ?? '')) && (ids.size === 0 || ids.has(found.eventId ?? ''));
        if (!wanted || events.length >= limit) {
          held.push(message);
          continue;
        }
        events.push(found);
        if (!event) {
          unparseable += 1;
          held.push(message);
          print(`  left   (not an Authgear event)  message ${found.messageId}`);
          continue;
        }
        if (dryRun) {
          held.push(message);
          print(`  ${event.type.padEnd(32)} ${event.id}`);
          continue;
        }
        if (await move(message, event.id)) {
          moved += 1;
          print(`  moved  ${event.type.padEnd(32)} ${event.id}`);
        } else {
          failed += 1;
          held.push(message);
        }
      }
    }
  } finally {
    await release(held);
  }

  const byType = countByType(events);
  const parseable = events.length - unparseable;
  if (events.length === 0) {
    print('Nothing to redrive: no dead-lettered event matches.');
  } else if (dryRun) {
    print(`${parseable} events (${byType}). Dry run: nothing was moved. Run again without --dry-run to process them again.`);
  } else {
    print(`${moved} of ${parseable} events moved to ${options.queueUrl} (${byType}); each gets a fresh retry window.`);
    if (failed > 0) print(`${failed} could not be moved and stay in the dead-letter queue; run the command again.`);
  }
  if (unparseable > 0)
    print(`${unparseable} messages are not Authgear events and stay in the dead-letter queue; delete them in the SQS console.`);
  return { events, moved, unparseable, failed };

  /** Send, then delete: a failure in between leaves a copy in each queue, never in none. */
  async function move(message: Message, eventId: string): Promise<boolean> {
    const { groupId, deduplicationId } = fifoKeys({ id: eventId });
    try {
      await client.send(
        new SendMessageCommand({
          QueueUrl: options.queueUrl,
          MessageBody: message.Body ?? '',
          MessageGroupId: groupId,
          MessageDeduplicationId: redriveDeduplicationId(deduplicationId, runId),
        }),
      );
    } catch (error) {
      print(`  failed ${eventId}: could not send it to the event queue (${describe(error)}); it stays in the dead-letter queue`);
      return false;
    }
    try {
      await client.send(new DeleteMessageCommand({ QueueUrl: options.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle ?? '' }));
    } catch (error) {
      print(
        `  warning ${eventId}: queued again, but not deleted from the dead-letter queue (${describe(error)}); a later redrive would process it twice, so delete it there`,
      );
    }
    return true;
  }

  async function release(messages: readonly Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += 10) {
      const chunk = messages.slice(start, start + 10);
      try {
        await client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: options.deadLetterQueueUrl,
            Entries: chunk.map((m, i) => ({ Id: `m${start + i}`, ReceiptHandle: m.ReceiptHandle ?? '', VisibilityTimeout: 0 })),
          }),
        );
      } catch {
        // Harmless: they become visible again by themselves after HOLD_SECONDS.
        print(`  note: ${chunk.length} dead letters stay hidden for up to ${HOLD_SECONDS} s before the next run can see them`);
      }
    }
  }
}

/** A FIFO deduplication id (at most 128 characters) unique to this event in this run. */
function redriveDeduplicationId(key: string, runId: string): string {
  const id = `redrive-${runId}-${key}`;
  return id.length <= 128 ? id : `redrive-${runId}-${createHash('sha256').update(key).digest('hex')}`;
}

function countByType(events: readonly DeadLetteredEvent[]): string {
  const counts = new Map<string, number>();
  for (const e of events) if (e.eventType) counts.set(e.eventType, (counts.get(e.eventType) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${type}: ${n}`).join(', ') || 'none';
}

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
