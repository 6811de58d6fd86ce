/**
 * Whether the handler did its job, next to whether Authgear would accept the answer: an answer
 * the error policy made is one Authgear accepts, but the handler failed. Against the local server
 * `npm run send` learns this, and why, from the server's record of the delivery; against a
 * deployment, from the answer header (`x-authgear-webhooks-answer`).
 */
import { ANSWER_HEADER, isAnsweredBy } from '../core/answer-header';
import { explainStep, outcomeKind, type DeliveryOutcome, type OutcomeKind } from './outcome';

/** What the handler made of one delivery. */
export interface HandlerResult {
  /** `unknown` when the receiver says nothing (an older deployment, or another receiver). */
  readonly kind: OutcomeKind | 'unknown';
  /** One sentence: "the handler threw (Error: boom); the error policy answered deny". */
  readonly words: string;
  /** The local server's record, when there is one. */
  readonly local?: DeliveryOutcome;
  /** Set when a queued event's first attempt had not ended when the sender stopped waiting. */
  readonly timedOut?: true;
}

/**
 * True when the handler failed: the error policy answered, or a non-blocking handler failed (or
 * its first attempt did not end while `npm run send` waited).
 *
 * @example
 * ```ts
 * if (isHandlerFailure(result)) process.exitCode = 1;
 * ```
 */
export function isHandlerFailure(result: HandlerResult | undefined): boolean {
  return result?.kind === 'error_policy' || result?.kind === 'failed' || result?.timedOut === true;
}

/**
 * Judges the handler's part from the local server's record of the delivery when there is one,
 * else from the answer header.
 *
 * @param waited - how long the sender waited for a queued event's first attempt (0: it did not wait).
 * @example
 * ```ts
 * judgeHandler({ 'x-authgear-webhooks-answer': 'error-policy' }, undefined, 0).kind; // 'error_policy'
 * ```
 */
export function judgeHandler(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  local: DeliveryOutcome | undefined,
  waitedMs: number,
): HandlerResult {
  if (local) return fromRecord(local, waitedMs);
  const by = headers[ANSWER_HEADER];
  if (!isAnsweredBy(by)) return { kind: 'unknown', words: 'the receiver does not say who answered' };
  switch (by) {
    case 'handler':
      return { kind: 'handled', words: 'the handler answered' };
    case 'error-policy':
      return { kind: 'error_policy', words: "the handler failed and the error policy answered; the function's log says why" };
    case 'queued':
      return { kind: 'pending', words: "queued; the handler runs from the queue (the worker's log says how it went)" };
    case 'no-handler':
      return { kind: 'no_handler', words: 'no handler for this event type: acknowledged, not processed' };
  }
}

function fromRecord(local: DeliveryOutcome, waitedMs: number): HandlerResult {
  const chain = local.steps.map((s) => s.outcome);
  const kind = outcomeKind(chain);
  const answer = local.steps[0];
  const attempt = local.steps[1];
  switch (kind) {
    case 'error_policy':
      return { kind, words: answer ? explainStep(answer) : 'the error policy answered', local };
    case 'failed':
      return { kind, words: explainStep(attempt ?? answer ?? { outcome: 'failed' }), local };
    case 'handled':
      return {
        kind,
        words: attempt
          ? attempt.outcome === 'duplicate'
            ? 'the handler had already handled this event id; this copy was acknowledged'
            : 'the queued handler ran and succeeded on its first attempt'
          : 'the handler answered',
        local,
      };
    case 'pending':
      return {
        kind,
        words:
          waitedMs > 0
            ? `queued; the handler's first attempt had not ended after ${Math.round(waitedMs / 100) / 10} s`
            : 'queued; not waiting for the handler (--no-wait)',
        local,
        ...(waitedMs > 0 ? { timedOut: true as const } : {}),
      };
    case 'no_handler':
      return {
        kind,
        words: chain.includes('duplicate dropped')
          ? 'the queue dropped this copy: it holds the same event id from the last 5 minutes'
          : 'no handler for this event type here: acknowledged, not processed',
        local,
      };
    default:
      return { kind, words: answer ? explainStep(answer) : 'refused', local };
  }
}
