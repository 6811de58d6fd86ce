/**
 * `GET /_inspector/api/outcome?event_id=…&wait_ms=…`: what became of the latest delivery of an
 * event, for `npm run send`. For a queued event it waits (up to `wait_ms`) for the first attempt
 * to end, so the sender can say "handled" or "failed, because…" instead of only "queued".
 */
import type { DeliveryOutcome, OutcomeStep } from '../devtools/outcome';
import { summarise, type DeliveryRecord, type LogLine } from './inspector-page';

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

/**
 * A recorded delivery as a {@link DeliveryOutcome}.
 *
 * @example
 * ```ts
 * describeRecord(record, (text) => text).steps[0]?.outcome; // 'error_policy_deny'
 * ```
 */
export function describeRecord(record: DeliveryRecord, redact: (text: string) => string): DeliveryOutcome {
  const s = summarise(record);
  const answer: OutcomeStep = {
    outcome: s.outcome.split(' → ')[0] ?? 'unknown',
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.message ? { message: redact(s.message) } : {}),
    ...(s.error ? { error: redact(s.error) } : {}),
  };
  const later = record.lines.slice(record.linesAtAnswer).filter((line) => typeof line.outcome === 'string');
  const steps = [answer, ...later.map((line) => step(line, redact))];
  return {
    id: record.id,
    status: record.status,
    type: s.type,
    steps,
    violations: s.violations,
    ...(record.handlerReturned !== undefined && answer.reason === 'invalid_response' ? { returned: redact(record.handlerReturned) } : {}),
    settled: !(answer.outcome === 'queued' && later.length === 0),
  };
}

function step(line: LogLine, redact: (text: string) => string): OutcomeStep {
  const error =
    typeof line.error_message === 'string'
      ? `${typeof line.error_name === 'string' ? `${line.error_name}: ` : ''}${line.error_message}`
      : undefined;
  return {
    outcome: String(line.outcome),
    ...(typeof line.reason === 'string' ? { reason: line.reason } : {}),
    message: redact(line.msg),
    ...(error ? { error: redact(error) } : {}),
  };
}
