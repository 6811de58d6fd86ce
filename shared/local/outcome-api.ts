/**
 * `GET /_inspector/api/outcome?event_id=…&wait_ms=…`: what became of the latest delivery of an
 * event, for `npm run send`. For a queued event it waits (up to `wait_ms`) for the first attempt
 * to end, so the sender can say "handled" or "failed, because…" instead of only "queued".
 */
import type { DeliveryOutcome } from '../devtools/outcome';
import { describeRecord, summarise, type DeliveryRecord } from './inspector-page';

/** The longest wait a caller may ask for. */
export const MAX_OUTCOME_WAIT_MS = 60_000;
const POLL_MS = 25;

/**
 * Finds the latest delivery of `eventId` and describes it; waits up to `waitMs` for it to be
 * recorded and, when queued, for its first attempt. `undefined` when no such delivery came.
 *
 * @example
 * ```ts
 * const outcome = await waitForOutcome(() => inspector.deliveries(), '0000000000000001', 10_000);
 * outcome?.steps.map((s) => s.outcome); // ['queued', 'handled']
 * ```
 */
export async function waitForOutcome(
  deliveries: () => readonly DeliveryRecord[],
  eventId: string,
  waitMs: number,
  redact: (text: string) => string = (text) => text,
): Promise<DeliveryOutcome | undefined> {
  const until = Date.now() + (Number.isFinite(waitMs) ? Math.min(Math.max(waitMs, 0), MAX_OUTCOME_WAIT_MS) : 0);
  let record: DeliveryRecord | undefined;
  for (;;) {
    // Found once, then re-read: later attempts add lines to the same record.
    record ??= deliveries().findLast((r) => summarise(r).eventId === eventId);
    const outcome = record ? describeRecord(record, redact) : undefined;
    if ((outcome?.settled ?? false) || Date.now() >= until) return outcome;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
