/**
 * The HTML of the local inspector (`/_inspector`): server-rendered, every value escaped, plus a
 * small inline script that polls for new and changed rows and drives the replay and send buttons.
 * No framework and no build step.
 */
import { SAMPLE_EVENT_TYPES } from '../devtools/samples';
import { isBlockingEventType } from '../core/constants';
import type { HeaderBag } from '../core/verify';
import { explainStep, outcomeKind, type DeliveryOutcome, type OutcomeKind, type OutcomeStep } from '../devtools/outcome';
import { INSPECTOR_STYLE, inspectorScript } from './inspector-assets';

/** A line of the log written while a delivery was handled (the core's, the handler's, the queue's). */
export type LogLine = Readonly<Record<string, unknown>> & { readonly level: string; readonly msg: string };

/** One request to the local server as the inspector recorded it. */
export interface DeliveryRecord {
  readonly id: number;
  /** Epoch ms when the request reached the core. */
  readonly receivedAt: number;
  readonly source:
    | { readonly kind: 'http' }
    | { readonly kind: 'sample' }
    | { readonly kind: 'replay'; readonly of: number; readonly fresh: boolean };
  readonly method: string;
  readonly path: string;
  /** Header lines in the order and case they arrived. */
  readonly rawHeaders: readonly (readonly [string, string])[];
  /** The headers as the core saw them, kept for replays. */
  readonly headers: HeaderBag;
  /** The exact body bytes, or their first bytes when `bodyTruncated` (empty when refused as too large). */
  readonly body: Uint8Array;
  /** The size of the whole body as received, in bytes. */
  readonly bodySize: number;
  /** Only the first bytes of the body were kept (see `inspector-limits.ts`). */
  readonly bodyTruncated: boolean;
  /** The type and id the whole body claimed, read before it was cut (so a cut record can still be found by its id). */
  readonly claimed?: { readonly type?: string; readonly id?: string };
  readonly bodyTooLarge: boolean;
  readonly status: number;
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly responseBody: string;
  readonly latencyMs: number;
  /** Grows after the answer when the event is processed later (the local queue). */
  readonly lines: readonly LogLine[];
  /** How many of `lines` were written before the answer. */
  readonly linesAtAnswer: number;
  /** What a blocking handler returned (JSON, or a description), when it returned at all. */
  readonly handlerReturned?: string;
}

/** What the page needs besides the deliveries. */
export interface PageModel {
  readonly deliveries: readonly DeliveryRecord[];
  /** Change counter the script polls from. */
  readonly version: number;
  /** Blocking event types that have a handler here; the others answer 404. */
  readonly servedBlocking: ReadonlySet<string>;
  readonly maxEventAgeSeconds: number;
  /** Nonce of the inline script and style (Content-Security-Policy). */
  readonly nonce: string;
  /** Removes secrets from any text before it is shown. */
  readonly redact: (text: string) => string;
}

/** URL path of the inspector; its API lives under it. */
export const INSPECTOR_PATH = '/_inspector';

/** Sent by the page's script on every API call: a cross-site page cannot add it without a CORS preflight this server never answers. */
export const INSPECTOR_REQUEST_HEADER = 'x-inspector-request';

const MAX_BODY_SHOWN = 100_000;
const utf8 = new TextDecoder('utf-8');

/**
 * Escapes text for HTML element content and double-quoted attribute values.
 *
 * @example
 * ```ts
 * escapeHtml('<a href="x">&</a>'); // '&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** What a delivery's log says about it, for the row summary. */
export interface DeliverySummary {
  /** Event type from the verified body, else what the body claims, else the path. */
  readonly type: string;
  readonly eventId: string | undefined;
  /** `valid`, `mismatch`, `missing`, `not_hex`, `wrong_length`, `duplicated` or `not checked`. */
  readonly signature: string;
  /** The core's outcome, followed by later outcomes of queued processing: `queued → handled`. */
  readonly outcome: string;
  readonly reason: string | undefined;
  readonly message: string | undefined;
  readonly violations: readonly { readonly path: string; readonly rule: string }[];
  readonly error: string | undefined;
}

const NOT_CHECKED_REASONS: ReadonlySet<string> = new Set(['not_found', 'method_not_allowed', 'body_too_large', 'secret_unavailable']);

/**
 * Reads a delivery's outcome from the core's log line about it (the one with `status` and `outcome`).
 *
 * @example
 * ```ts
 * summarise(record).signature; // 'mismatch'
 * ```
 */
export function summarise(record: DeliveryRecord): DeliverySummary {
  const answerLines = record.lines.slice(0, record.linesAtAnswer);
  const core = answerLines.findLast((line) => typeof line.outcome === 'string' && typeof line.status === 'number');
  const reason = typeof core?.reason === 'string' ? core.reason : undefined;
  let signature = 'valid';
  if (reason?.startsWith('signature_')) signature = reason.slice('signature_'.length).replace('header_duplicated', 'duplicated');
  else if ((reason && NOT_CHECKED_REASONS.has(reason)) || core === undefined || core.outcome === 'internal_error')
    signature = 'not checked';

  const claimed = record.claimed ?? claimedEvent(record.body);
  const verifiedType = typeof core?.event_type === 'string' ? core.event_type : undefined;
  const type = verifiedType ?? (claimed.type ? `${claimed.type} (unverified)` : record.path);
  const later = record.lines
    .slice(record.linesAtAnswer)
    .filter((line) => typeof line.outcome === 'string')
    .map((line) => String(line.outcome));
  // The local queue drops a second copy of an event id within 5 minutes, as SQS FIFO does.
  const dropped = answerLines.some((line) => line.reason === 'duplicate_enqueue') ? ['duplicate dropped'] : [];
  const outcomes = [core ? String(core.outcome) : 'unknown', ...dropped, ...later];
  const violations = Array.isArray(core?.violations) ? (core.violations as { path: string; rule: string }[]) : [];
  const error =
    typeof core?.error_message === 'string'
      ? `${typeof core.error_name === 'string' ? `${core.error_name}: ` : ''}${core.error_message}`
      : undefined;
  return {
    type,
    eventId: typeof core?.event_id === 'string' ? core.event_id : claimed.id,
    signature,
    outcome: outcomes.join(' → '),
    reason,
    message: typeof core?.msg === 'string' ? core.msg : undefined,
    violations,
    error,
  };
}

/** The `type` and `id` a body says it has, whether or not it was verified: labels only, never trusted. */
export function claimedEvent(body: Uint8Array): { type?: string; id?: string } {
  try {
    const value = JSON.parse(utf8.decode(body)) as { type?: unknown; id?: unknown };
    return { ...(typeof value.type === 'string' ? { type: value.type } : {}), ...(typeof value.id === 'string' ? { id: value.id } : {}) };
  } catch {
    return {};
  }
}

/** Icon and words for each kind of outcome: never colour alone. */
const KIND_LOOK: Readonly<Record<OutcomeKind, { readonly icon: string; readonly label: string }>> = {
  handled: { icon: '✓', label: 'Handled' },
  error_policy: { icon: '✗', label: 'Error policy answered' },
  failed: { icon: '✗', label: 'Failed' },
  pending: { icon: '…', label: 'Waiting' },
  no_handler: { icon: '–', label: 'No handler' },
  refused: { icon: '!', label: 'Refused' },
};

/** The filter options above the list: value, label. */
const FILTERS: readonly (readonly [string, string])[] = [
  ['problems', 'Problems: error policy, failed, refused'],
  ['error_policy', 'Error policy answered'],
  ['failed', 'Failed or dead-lettered'],
  ['refused', 'Refused'],
  ['handled', 'Handled'],
  ['pending', 'Waiting in the queue'],
  ['no_handler', 'No handler'],
];

/**
 * A short label for where a delivery ended: "allowed", "error policy: deny", "dead-lettered
 * after 8 attempts", "failed on attempt 2, retrying", "refused: signature_mismatch".
 *
 * @example
 * ```ts
 * finalLabel(['queued', 'retry_scheduled', 'dead_lettered'], undefined); // 'dead-lettered after 2 attempts'
 * ```
 */
export function finalLabel(chain: readonly string[], reason: string | undefined): string {
  const last = chain.at(-1) ?? 'unknown';
  const attempts = chain.filter((o) => o !== 'queued' && o !== 'duplicate dropped').length - (chain[0] === 'queued' ? 0 : 1);
  if (last.startsWith('error_policy_')) return `error policy: ${last.slice('error_policy_'.length)}`;
  switch (last) {
    case 'handled':
      return attempts > 1 ? `handled on attempt ${attempts}` : 'handled';
    case 'retry_scheduled':
      return `failed on attempt ${attempts}, retrying`;
    case 'dead_lettered':
      return `dead-lettered after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
    case 'released':
      return 'no attempts left: dead-lettered';
    case 'handler_failed':
      return 'handler failed';
    case 'queued':
      return 'queued, waiting for its first attempt';
    case 'ignored':
      return 'no handler: acknowledged';
    case 'duplicate dropped':
      return 'copy of a queued event: dropped';
    case 'duplicate':
      return 'already handled: acknowledged';
    case 'rejected':
      return `refused: ${reason ?? 'see the log'}`;
    case 'internal_error':
      return 'internal error (a bug): see the log';
    default:
      return last;
  }
}

/**
 * One delivery as a `<details>` row: a summary line that says how it ended (icon, words, colour)
 * and that it opens; opened, the outcome chain step by step, what a refused handler returned and
 * why, the request and the answer (JSON formatted, with copy buttons; the exact bytes too) and
 * the log.
 *
 * @example
 * ```ts
 * const html = renderDelivery(record, (text) => text);
 * ```
 */
export function renderDelivery(record: DeliveryRecord, redact: (text: string) => string): string {
  const e = (text: string): string => escapeHtml(redact(text));
  const s = summarise(record);
  const d = describeRecord(record, redact);
  const chain = d.steps.map((step) => step.outcome);
  const kind = outcomeKind(chain);
  const look = KIND_LOOK[kind];
  const statusClass =
    kind === 'handled' ? 'ok' : kind === 'error_policy' || kind === 'failed' ? 'bad' : kind === 'refused' ? 'warn' : 'muted';
  const source =
    record.source.kind === 'replay'
      ? `replay of #${record.source.of}${record.source.fresh ? ', fresh timestamp' : ''}`
      : record.source.kind === 'sample'
        ? 'sample from this page'
        : 'HTTP';
  const requestHead = [`${record.method} ${record.path}`, ...record.rawHeaders.map(([name, value]) => `${name}: ${value}`)].join('\n');
  const bodyText = record.bodyTooLarge
    ? '(refused as too large; not kept)'
    : `${truncate(utf8.decode(record.body))}${record.bodyTruncated ? `\n… (truncated: the first ${record.body.byteLength} of ${record.bodySize} bytes were kept)` : ''}`;
  const responseHead = [
    `HTTP ${record.status}`,
    ...Object.entries(record.responseHeaders).map(([name, value]) => `${name}: ${value}`),
  ].join('\n');
  const replayable = !record.bodyTooLarge && !record.bodyTruncated && record.method === 'POST';
  const id = (part: string): string => `d${record.id}-${part}`;
  const block = (part: string, title: string, text: string, extra = ''): string =>
    `<div class="block"><div class="block-head"><span>${title}</span><button type="button" data-copy="${id(part)}" aria-label="Copy ${escapeHtml(title.toLowerCase())} of #${record.id}">Copy</button></div><pre id="${id(part)}" class="${part}"${extra}>${e(text)}</pre></div>`;
  const pretty = prettyJson(bodyText);
  const refused = d.returned !== undefined || d.violations.length > 0;

  return `<details class="delivery k-${kind}" id="delivery-${record.id}" data-id="${record.id}" data-kind="${kind}" data-outcome="${e(chain.join(' → '))}" data-type="${e(s.type)}" data-status="${record.status}" data-signature="${e(s.signature)}">
<summary title="Open for the outcome chain, the request and the answer"><span class="c-id">#${record.id}</span><span class="c-time" title="${e(clock(record.receivedAt))}">${e(clock(record.receivedAt).slice(0, 8))}</span><span class="c-type">${e(s.type)}</span><span class="c-sig sig-${s.signature === 'valid' ? 'ok' : s.signature === 'not checked' ? 'na' : 'bad'}">${e(s.signature)}</span><span class="c-status st-${statusClass}">${record.status}</span><span class="c-outcome"><span class="badge o-${kind}"><span aria-hidden="true">${look.icon}</span> <span class="sr-only">${look.label}: </span>${e(finalLabel(chain, s.reason))}</span></span><span class="c-latency">${e(formatMs(record.latencyMs))}</span><span class="c-source">${e(source)}</span><span class="c-open" aria-hidden="true"></span></summary>
<div class="detail">
<h3>Outcome: ${look.label.toLowerCase()}</h3>
<ol class="chain">${d.steps.map((step, i) => renderStep(step, i, e)).join('')}</ol>
${refused ? renderRefusal(d, e, block) : ''}
${replayable ? `<p class="actions"><button type="button" data-action="replay" data-id="${record.id}">Replay exact bytes</button> <button type="button" data-action="replay-fresh" data-id="${record.id}">Replay with a fresh timestamp</button></p>` : ''}
<h3>Request${s.eventId ? ` <small>event id ${e(s.eventId)}</small>` : ''}</h3>
<pre class="request-headers">${e(requestHead)}</pre>
${pretty === undefined ? block('request-body', 'Body', bodyText) : `${block('request-json', 'Body (JSON, formatted)', pretty)}\n<details class="bytes"><summary>Exact bytes as received</summary>${block('request-body', 'Exact bytes', bodyText)}</details>`}
<h3>Response <small>${e(formatMs(record.latencyMs))}</small></h3>
<pre class="response-headers">${e(responseHead)}</pre>
${block('response-body', 'Body', prettyJson(record.responseBody) ?? truncate(record.responseBody))}
<h3>Log</h3>
${block('log', 'Log lines', record.lines.map((line) => JSON.stringify(line)).join('\n') || '(no log lines)')}
</div>
</details>`;
}

function renderStep(step: OutcomeStep, index: number, e: (text: string) => string): string {
  const kind = outcomeKind([step.outcome]);
  const failed = kind === 'error_policy' || kind === 'failed';
  const words = failed || kind === 'no_handler' ? explainStep(step) : step.message;
  const label = index === 0 ? 'Answer' : `Attempt ${index}`;
  return `<li class="o-${kind}"><strong>${label}: ${e(step.outcome)}</strong>${words ? `<span class="why">${e(words)}</span>` : ''}${
    step.error && !failed ? `<span class="why error">${e(step.error)}</span>` : ''
  }</li>`;
}

function renderRefusal(
  d: DeliveryOutcome,
  e: (text: string) => string,
  block: (part: string, title: string, text: string) => string,
): string {
  const parts = ["<h3>Why the handler's answer was refused</h3>"];
  if (d.returned !== undefined) parts.push(block('returned', 'What the handler returned', prettyJson(d.returned) ?? d.returned));
  if (d.violations.length > 0)
    parts.push(
      '<p>Authgear would reject it because:</p>',
      `<ul class="violations">${d.violations.map((v) => `<li><code>${e(v.path || '(response)')}</code> ${e(v.rule)}</li>`).join('')}</ul>`,
    );
  return parts.join('\n');
}

/** The text as indented JSON, or `undefined` when it is not JSON (then it is shown as it came). */
function prettyJson(text: string): string | undefined {
  try {
    return truncate(JSON.stringify(JSON.parse(text), null, 2));
  } catch {
    return undefined;
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

/**
 * The whole inspector page.
 *
 * @example
 * ```ts
 * const html = renderInspectorPage({ deliveries, version, servedBlocking, maxEventAgeSeconds: 300, nonce, redact });
 * ```
 */
export function renderInspectorPage(model: PageModel): string {
  const options = (types: readonly string[]): string =>
    types
      .map((type) => {
        const missing = isBlockingEventType(type) && !model.servedBlocking.has(type);
        return `<option value="${escapeHtml(type)}">${escapeHtml(type)}${missing ? ' (no handler: 404)' : ''}</option>`;
      })
      .join('');
  const blocking = SAMPLE_EVENT_TYPES.filter((t) => isBlockingEventType(t));
  const nonBlocking = SAMPLE_EVENT_TYPES.filter((t) => !isBlockingEventType(t));
  const rows = [...model.deliveries]
    .reverse()
    .map((record) => renderDelivery(record, model.redact))
    .join('\n');
  const age = model.maxEventAgeSeconds;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Deliveries · Authgear webhooks inspector</title>
<style nonce="${model.nonce}">${INSPECTOR_STYLE}</style>
</head>
<body>
<header>
<h1>Authgear webhooks inspector</h1>
<p>Every request this local server received, newest first, with its exact bytes and what the handler made of it. Only this machine can open this page.</p>
</header>
<section class="panel">
<h2>Send a sample</h2>
<form id="sample-form">
<label>Event type <select name="type" id="sample-type"><optgroup label="Blocking">${options(blocking)}</optgroup><optgroup label="Non-blocking">${options(nonBlocking)}</optgroup></select></label>
<label>User e-mail <input name="email" id="sample-email" type="text" placeholder="zoe.muller@example.com" autocomplete="off"></label>
<button type="submit">Sign and send</button>
</form>
<p class="hint">A realistic event, signed with this server's secret, sent through the same code as a real delivery.</p>
</section>
<p id="status" role="status" aria-live="polite"></p>
<section>
<h2>Deliveries</h2>
<p class="hint"><strong>About replays.</strong> <em>Replay exact bytes</em> sends the recorded body and headers again, signature included. An Authgear event carries the time it was made (<code>context.timestamp</code>), and this server refuses events older than ${age === 0 ? 'MAX_EVENT_AGE_SECONDS (the check is off now)' : `${age} s (MAX_EVENT_AGE_SECONDS)`} as replays, so an exact replay of an older delivery gets <code>401</code> <code>timestamp_stale</code>. <em>Replay with a fresh timestamp</em> sets <code>context.timestamp</code> to now and signs the body again with this server's secret. Both keep the event id: the queue of non-blocking events drops a copy of an id it saw in the last 5 minutes (as SQS FIFO does), and with REJECT_REPEATED_BLOCKING_EVENTS on, a repeated blocking id gets <code>401</code>. To run a handler again with a new id, send a sample.</p>
<div class="filters" role="group" aria-label="Filter deliveries">
<label>Outcome <select id="filter-outcome"><option value="">All outcomes</option>${FILTERS.map(([value, label]) => `<option value="${value}" data-label="${escapeHtml(label)}">${escapeHtml(label)}</option>`).join('')}</select></label>
<label>Event type <select id="filter-type"><option value="">All event types</option></select></label>
<span id="shown" role="status" aria-live="polite"></span>
</div>
<p class="hint">Each row opens (click, or Tab to it and press Enter) to show the outcome step by step, the request and the answer.</p>
<div class="list-head" aria-hidden="true"><span>#</span><span>Time</span><span>Event type</span><span>Signature</span><span>Status</span><span>Outcome</span><span>Latency</span><span>Source</span><span></span></div>
<div id="deliveries" data-version="${model.version}">
${rows}
</div>
<p id="empty"${model.deliveries.length > 0 ? ' hidden' : ''}>No deliveries yet. Send a sample above, run <code>npm run send -- --all</code>, or point Authgear at this server.</p>
</section>
<script nonce="${model.nonce}">${inspectorScript(INSPECTOR_PATH, INSPECTOR_REQUEST_HEADER)}</script>
</body>
</html>
`;
}

function truncate(text: string): string {
  return text.length > MAX_BODY_SHOWN
    ? `${text.slice(0, MAX_BODY_SHOWN)}\n… (${text.length - MAX_BODY_SHOWN} more characters not shown)`
    : text;
}

function clock(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
