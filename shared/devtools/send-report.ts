/**
 * Text output of `npm run send`: one delivery in detail, or the summary table of `--all`.
 */
import { isBlockingEventType } from '../core/constants';
import { describeVerdict, isFailure } from './check-response';
import { isHandlerFailure } from './handler-result';
import type { DeliveryReport } from './send';

const MAX_BODY_SHOWN = 4_000;

/**
 * Describes one delivery: where it went, the answer, and what Authgear would make of it.
 *
 * @param secretSource - where the signing secret came from (never the secret itself).
 * @example
 * ```ts
 * process.stdout.write(formatDelivery(report, 'AUTHGEAR_WEBHOOK_SECRET'));
 * ```
 */
export function formatDelivery(report: DeliveryReport, secretSource: string): string {
  const lines = [`POST ${report.url}`, `  ${report.type}, id ${report.eventId}, ${report.bytes} bytes, signed with ${secretSource}`];
  const { reply, verdict } = report;
  if (reply) {
    lines.push(`HTTP ${reply.status} in ${formatLatency(reply.latencyMs)}`);
    const shown =
      reply.body.length > MAX_BODY_SHOWN ? `${reply.body.slice(0, MAX_BODY_SHOWN)}… (${reply.body.length} characters)` : reply.body;
    lines.push(`  ${shown === '' ? '(empty body)' : shown}`);
  }
  const blocking = isBlockingEventType(report.type);
  switch (verdict.kind) {
    case 'accepted':
      lines.push(`Authgear would accept this answer: the user's operation is ${verdict.allowed ? 'allowed' : 'denied'}.`);
      break;
    case 'delivered':
      lines.push('Authgear would count this delivery as successful (it ignores the body of a non-blocking answer).');
      break;
    case 'not_served':
      lines.push(
        blocking
          ? `Nothing handles ${report.type} at this URL (404): add functions/blocking/${report.type}.ts, or check --url.`
          : 'Nothing handles non-blocking events at this URL (404): add a file under functions/non-blocking/, or check --url.',
      );
      break;
    case 'rejected':
      lines.push("Authgear would REJECT this answer, and the user's operation would fail:", ...verdict.problems.map((p) => `  - ${p}`));
      break;
    case 'failed':
      lines.push('Authgear would log this delivery as failed:', ...verdict.problems.map((p) => `  - ${p}`));
      break;
  }
  lines.push(...describeHandler(report));
  if (reply?.status === 401) {
    lines.push(`Hint: a 401 means the receiver refused the signature or the event's age; this request was signed with ${secretSource}.`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The summary table of `--all`: type, status, latency and verdict per delivery, then a count and
 * the broken rules of every rejected answer.
 *
 * @example
 * ```ts
 * process.stdout.write(formatTable(reports, 'http://127.0.0.1:3000'));
 * ```
 */
export function formatTable(reports: readonly DeliveryReport[], target: string): string {
  const typeWidth = Math.max(4, ...reports.map((r) => r.type.length));
  const row = (type: string, status: string, latency: string, verdict: string): string =>
    `${type.padEnd(typeWidth)}  ${status.padEnd(6)}  ${latency.padStart(8)}  ${verdict}`.trimEnd();
  const lines = [row('TYPE', 'STATUS', 'LATENCY', 'VERDICT')];
  for (const r of reports) {
    lines.push(row(r.type, r.reply ? String(r.reply.status) : '-', r.reply ? formatLatency(r.reply.latencyMs) : '-', tableVerdict(r)));
  }
  const counts = new Map<Category, number>();
  for (const r of reports) counts.set(category(r), (counts.get(category(r)) ?? 0) + 1);
  // Failures are always counted, even at zero: "0 failed" is the line a pipeline looks for.
  const shown = CATEGORIES.filter(([key]) => ALWAYS_COUNTED.has(key) || (counts.get(key) ?? 0) > 0);
  lines.push(
    '',
    `${reports.length} events sent to ${target}: ${shown.map(([key, words]) => `${counts.get(key) ?? 0} ${words}`).join(', ')}`,
  );
  // The table shows one problem per row; list them all where there are more.
  for (const { type, verdict, handler } of reports) {
    if ((verdict.kind === 'rejected' || verdict.kind === 'failed') && verdict.problems.length > 1) {
      lines.push('', `${type}:`, ...verdict.problems.map((p) => `  - ${p}`));
    }
    // And why the core refused what a handler returned.
    if (handler?.kind === 'error_policy' && handler.local?.returned !== undefined) {
      lines.push('', `${type}: the handler returned ${handler.local.returned}`);
      lines.push(...handler.local.violations.map((v) => `  - ${v.path ? `${v.path}: ` : ''}${v.rule}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** How one delivery counts in the summary line of `--all`. */
type Category = 'answered' | 'error_policy' | 'handled' | 'delivered' | 'queued' | 'no_handler' | 'not_served' | 'failed';

const CATEGORIES: readonly (readonly [Category, string])[] = [
  ['answered', 'answered by their handler'],
  ['error_policy', 'answered by the error policy'],
  ['handled', 'handled'],
  ['delivered', 'delivered'],
  ['queued', 'queued'],
  ['no_handler', 'no handler'],
  ['not_served', 'not served'],
  ['failed', 'failed'],
];
const ALWAYS_COUNTED: ReadonlySet<Category> = new Set(['error_policy', 'failed']);

function category(r: DeliveryReport): Category {
  if (r.verdict.kind === 'not_served') return 'not_served';
  if (isFailure(r.verdict) || r.handler?.kind === 'failed' || r.handler?.timedOut) return 'failed';
  if (r.handler?.kind === 'error_policy') return 'error_policy';
  if (r.handler?.kind === 'no_handler') return 'no_handler';
  if (r.handler?.kind === 'pending') return 'queued';
  if (isBlockingEventType(r.type)) return 'answered';
  return r.handler?.kind === 'handled' ? 'handled' : 'delivered';
}

/** The VERDICT column: Authgear's view, unless the handler's part says more. */
function tableVerdict(r: DeliveryReport): string {
  const h = r.handler;
  if (isFailure(r.verdict) || r.verdict.kind === 'not_served' || !h) return describeVerdict(r.verdict);
  if (h.kind === 'error_policy') return `ERROR POLICY: ${h.words}`;
  if (isHandlerFailure(h)) return `FAILED: ${h.words}`;
  if (h.kind === 'no_handler') return 'no handler (acknowledged, not processed)';
  if (h.kind === 'pending') return 'queued';
  if (h.kind === 'handled' && !isBlockingEventType(r.type)) return 'handled';
  return describeVerdict(r.verdict);
}

/** The lines of a single delivery about the handler's part. */
function describeHandler(report: DeliveryReport): string[] {
  const h = report.handler;
  if (!h) return [];
  const blocking = isBlockingEventType(report.type);
  switch (h.kind) {
    case 'error_policy': {
      const lines = [`FAILED: ${h.words}. Authgear gets the error policy's answer, not your handler's.`];
      if (h.local?.returned !== undefined) lines.push(`  The handler returned: ${h.local.returned}`);
      if (h.local && h.local.violations.length > 0)
        lines.push('  Refused because:', ...h.local.violations.map((v) => `    - ${v.path ? `${v.path}: ` : ''}${v.rule}`));
      return lines;
    }
    case 'failed':
      return [`FAILED: ${h.words}.`];
    case 'pending':
      return [h.timedOut ? `FAILED: ${h.words} (--wait sets how long to wait).` : `Queued: ${h.words.replace(/^queued; /, '')}.`];
    case 'handled':
      return [blocking ? 'Answered by your handler.' : `Handled: ${h.words}.`];
    case 'no_handler':
      return [
        h.words.startsWith('no handler')
          ? `No handler for ${report.type} here: acknowledged, not processed (add functions/non-blocking/${report.type}.ts to handle it).`
          : `Not processed: ${h.words}.`,
      ];
    case 'refused':
      return h.local ? [`The server refused it: ${h.words}.`] : [];
    case 'unknown':
      return report.reply && report.reply.status < 300
        ? ['The receiver does not say whether your handler or the error policy answered.']
        : [];
  }
}

/**
 * Milliseconds for people: `12 ms`, `1.4 s`.
 *
 * @example
 * ```ts
 * formatLatency(1432.7); // '1.4 s'
 * ```
 */
export function formatLatency(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}
