import { isBlockingEventType } from '../core/constants';
import { judgeHandler } from './handler-result';
import { fetchLocalOutcome } from './local-outcome';
import type { DeliveryReport } from './send';

/** A local server records a blocking answer before it sends it; this only covers a slow machine. */
const BLOCKING_RECORD_WAIT_MS = 1_000;

/**
 * Adds what the handler did to a delivery that got an answer: from the local server's record when
 * the target is one (waiting up to `waitMs` for a queued event's first attempt), else from the
 * answer header.
 *
 * @example
 * ```ts
 * const report = await withHandlerResult(await sender.deliver(input), 10_000);
 * report.handler?.words; // 'the handler threw (Error: boom); the error policy answered deny'
 * ```
 */
export async function withHandlerResult(report: DeliveryReport, waitMs: number): Promise<DeliveryReport> {
  const { reply } = report;
  if (!reply || reply.status === 404) return report;
  const blocking = isBlockingEventType(report.type);
  const wait = blocking ? BLOCKING_RECORD_WAIT_MS : waitMs;
  const local = await fetchLocalOutcome(report.url, report.eventId, wait);
  return { ...report, handler: judgeHandler(reply.headers, local, blocking ? 0 : waitMs) };
}
