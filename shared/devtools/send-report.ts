/**
 * Text output of `npm run send`: one delivery in detail, or the summary table of `--all`.
 */
import { isBlockingEventType } from '../core/constants';
import { describeVerdict, isFailure } from './check-response';
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
    lines.push(
      row(r.type, r.reply ? String(r.reply.status) : '-', r.reply ? formatLatency(r.reply.latencyMs) : '-', describeVerdict(r.verdict)),
    );
  }
  const count = (kinds: readonly string[]): number => reports.filter((r) => kinds.includes(r.verdict.kind)).length;
  const failed = reports.filter((r) => isFailure(r.verdict)).length;
  lines.push(
    '',
    `${reports.length} events sent to ${target}: ${count(['accepted', 'delivered'])} accepted, ${count(['not_served'])} not served, ${failed} failed`,
  );
  // The table shows one problem per row; list them all where there are more.
  for (const { type, verdict } of reports) {
    if ((verdict.kind === 'rejected' || verdict.kind === 'failed') && verdict.problems.length > 1) {
      lines.push('', `${type}:`, ...verdict.problems.map((p) => `  - ${p}`));
    }
  }
  return `${lines.join('\n')}\n`;
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
