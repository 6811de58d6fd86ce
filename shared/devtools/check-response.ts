/**
 * Judges an HTTP answer to a delivery the way Authgear does: a blocking answer needs a 2xx status
 * and a body its response schema accepts (the rules live in one place, `checkBlockingResponse`);
 * a non-blocking answer only needs a 2xx status, its body is ignored.
 */
import { isBlockingEventType } from '../core/constants';
import { checkBlockingResponse } from '../core/response-check';

/** What Authgear would make of one answer. */
export type Verdict =
  /** Blocking: a valid answer. `allowed` says which way it went. */
  | { readonly kind: 'accepted'; readonly allowed: boolean }
  /** Non-blocking: a 2xx, which is all Authgear checks. */
  | { readonly kind: 'delivered' }
  /** 404: nothing handles this event type at that URL. */
  | { readonly kind: 'not_served' }
  /** Blocking: Authgear would fail the user's operation; one entry per broken rule. */
  | { readonly kind: 'rejected'; readonly problems: readonly string[]; readonly notJson?: true }
  /** Non-blocking: Authgear would log the delivery as failed. */
  | { readonly kind: 'failed'; readonly problems: readonly string[] };

/** The parts of an HTTP answer the verdict depends on. */
export interface Answer {
  readonly status: number;
  readonly body: string;
}

/**
 * Judges an answer to a delivery of `eventType` as Authgear would.
 *
 * @param event - the event as sent; needed for the rule that a token mutation keeps every claim.
 * @example
 * ```ts
 * judgeAnswer('user.pre_create', { status: 200, body: '{"is_allowed":true,"reason":""}' });
 * // { kind: 'rejected', problems: ['reason: reason is not allowed when is_allowed is true'] }
 * ```
 */
export function judgeAnswer(eventType: string, answer: Answer, event?: { readonly payload?: unknown }): Verdict {
  if (answer.status === 404) return { kind: 'not_served' };
  const statusProblem = describeStatus(answer.status);
  if (!isBlockingEventType(eventType)) {
    return statusProblem ? { kind: 'failed', problems: [statusProblem] } : { kind: 'delivered' };
  }
  if (statusProblem) return { kind: 'rejected', problems: [statusProblem] };

  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return {
      kind: 'rejected',
      problems: [`the body is not JSON (${describeBody(answer.body)}); Authgear needs a JSON object such as {"is_allowed":true}`],
      notJson: true,
    };
  }
  const check = checkBlockingResponse(eventType, parsed, event);
  if (!check.ok) return { kind: 'rejected', problems: check.violations.map((v) => (v.path === '' ? v.rule : `${v.path}: ${v.rule}`)) };
  return { kind: 'accepted', allowed: (parsed as { is_allowed: boolean }).is_allowed };
}

/**
 * True when the verdict means the delivery went wrong (a rejected or failed answer).
 *
 * @example
 * ```ts
 * isFailure({ kind: 'not_served' }); // false
 * ```
 */
export function isFailure(verdict: Verdict): boolean {
  return verdict.kind === 'rejected' || verdict.kind === 'failed';
}

/**
 * A short text for a verdict, as the summary table shows it.
 *
 * @example
 * ```ts
 * describeVerdict({ kind: 'accepted', allowed: false }); // 'accepted: denied'
 * ```
 */
export function describeVerdict(verdict: Verdict): string {
  switch (verdict.kind) {
    case 'accepted':
      return verdict.allowed ? 'accepted: allowed' : 'accepted: denied';
    case 'delivered':
      return 'delivered';
    case 'not_served':
      return 'not served (no handler at this URL)';
    case 'rejected':
    case 'failed': {
      const [first = '', ...rest] = verdict.problems;
      const more = rest.length > 0 ? ` (+${rest.length} more)` : '';
      return `${verdict.kind === 'rejected' ? 'REJECTED' : 'FAILED'}: ${first}${more}`;
    }
  }
}

function describeStatus(status: number): string | undefined {
  if (status >= 200 && status <= 299) return undefined;
  if (status >= 300 && status <= 399) return `HTTP ${status}: Authgear does not follow redirects and needs a 2xx status`;
  return `HTTP ${status}: Authgear needs a 2xx status`;
}

function describeBody(body: string): string {
  if (body.trim() === '') return 'it is empty';
  const flat = body.replace(/\s+/g, ' ').trim();
  return `starts with ${JSON.stringify(flat.length > 40 ? `${flat.slice(0, 40)}…` : flat)}`;
}
