/**
 * What became of one delivery, as the local server knows it (its log lines), in a form the
 * inspector page and `npm run send` share, and the words both use for it.
 */

/** One step of a delivery: the core's answer, then each attempt of a queued event. */
export interface OutcomeStep {
  /** `allowed`, `denied`, `error_policy_deny`, `queued`, `handled`, `retry_scheduled`, `dead_lettered`, `ignored`, `rejected`… */
  readonly outcome: string;
  readonly reason?: string;
  /** The log line's message, e.g. "non-blocking handler failed (attempt 1 of 8); next retry in 500 ms". */
  readonly message?: string;
  /** `Error: boom` when the handler threw. */
  readonly error?: string;
}

/** A delivery the local server recorded, as `GET /_inspector/api/outcome` answers. */
export interface DeliveryOutcome {
  /** The inspector's number for the delivery (`#12`). */
  readonly id: number;
  readonly status: number;
  readonly type: string;
  /** The core's answer first, then one step per attempt of a queued event. */
  readonly steps: readonly OutcomeStep[];
  /** Broken rules of an answer the core refused. */
  readonly violations: readonly { readonly path: string; readonly rule: string }[];
  /** What the blocking handler returned, when the core refused it (JSON or a description). */
  readonly returned?: string;
  /** False while a queued event waits for its first attempt (the wait ended first). */
  readonly settled: boolean;
}

/** How a delivery ended, for counting and colouring. */
export type OutcomeKind =
  /** The handler answered (blocking) or handled the event (non-blocking). */
  | 'handled'
  /** A blocking handler failed and the error policy answered. */
  | 'error_policy'
  /** A non-blocking handler failed: retried later, or dead-lettered. */
  | 'failed'
  /** Queued; its first attempt has not ended yet. */
  | 'pending'
  /** A non-blocking type no handler here handles: acknowledged, not processed. */
  | 'no_handler'
  /** Refused before any handler ran (signature, age, size, route…) or a bug of ours. */
  | 'refused';

/**
 * Classifies a chain of outcomes (`queued → retry_scheduled → handled` judges by the last step).
 *
 * @example
 * ```ts
 * outcomeKind(['error_policy_deny']);           // 'error_policy'
 * outcomeKind(['queued', 'retry_scheduled']);   // 'failed'
 * outcomeKind(['queued']);                      // 'pending'
 * ```
 */
export function outcomeKind(chain: readonly string[]): OutcomeKind {
  const last = chain.at(-1) ?? 'unknown';
  if (last.startsWith('error_policy_')) return 'error_policy';
  switch (last) {
    case 'allowed':
    case 'denied':
    case 'handled':
    case 'duplicate':
      return 'handled';
    case 'handler_failed':
    case 'retry_scheduled':
    case 'dead_lettered':
    case 'released':
      return 'failed';
    case 'queued':
      return 'pending';
    case 'ignored':
      return 'no_handler';
    case 'duplicate dropped':
      // The queue dropped a copy of an event it already holds: nothing ran for this one.
      return 'no_handler';
    default:
      return 'refused';
  }
}

/**
 * One sentence for a failed step, e.g. "the handler threw (Error: boom); the error policy
 * answered deny", or "the handler failed (attempt 1 of 8): Error: crm down; next retry in 500 ms".
 *
 * @example
 * ```ts
 * explainStep({ outcome: 'error_policy_deny', reason: 'handler_threw', message: 'handler threw; answered by the deny error policy', error: 'Error: boom' });
 * // 'the handler threw (Error: boom); the error policy answered deny'
 * ```
 */
export function explainStep(step: OutcomeStep): string {
  const message = step.message ?? step.outcome;
  if (step.outcome.startsWith('error_policy_')) {
    const policy = step.outcome.slice('error_policy_'.length);
    const what = message.split('; answered by')[0] ?? message;
    return `the ${what}${step.error ? ` (${step.error})` : ''}; the error policy answered ${policy}`;
  }
  if (step.outcome === 'retry_scheduled' || step.outcome === 'dead_lettered' || step.outcome === 'handler_failed') {
    const [what = message, ...next] = message.replace(/^non-blocking handler/, 'the handler').split('; ');
    return [`${what}${step.error ? `: ${step.error}` : ''}`, ...next].join('; ');
  }
  if (step.outcome === 'ignored') return 'no handler for this event type here: acknowledged, not processed';
  return message;
}
