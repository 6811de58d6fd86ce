import type { LogFields, Logger } from '../logger';
import type { Outcome, WebhookResponse } from './types';

/**
 * Step 6: writes the request's one log line and returns its answer. The line's keys, in order,
 * are those of `{ ...log, status, outcome, ...fields, latency_ms }`.
 *
 * @example
 * ```ts
 * const response = finish(outcome, started, log, logger, Date.now);
 * ```
 */
export function finish(result: Outcome, started: number, log: LogFields, logger: Logger, now: () => number): WebhookResponse {
  // Added to `log` itself rather than to a copy: nothing writes to `log` afterwards.
  log.status = result.response.status;
  log.outcome = result.outcome;
  if (result.fields) Object.assign(log, result.fields);
  log.latency_ms = now() - started;
  logger[result.level](result.message, log);
  return result.response;
}
