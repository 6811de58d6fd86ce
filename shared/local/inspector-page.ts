/**
 * The HTML of the local inspector (`/_inspector`): server-rendered, every value escaped, plus a
 * small inline script that polls for new and changed rows and drives the replay and send buttons.
 * No framework and no build step.
 */
import { SAMPLE_EVENT_TYPES } from '../devtools/samples';
import { isBlockingEventType } from '../core/constants';
import type { HeaderBag } from '../core/verify';

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
  readonly bodyTooLarge: boolean;
  readonly status: number;
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly responseBody: string;
  readonly latencyMs: number;
  /** Grows after the answer when the event is processed later (the local queue). */
  readonly lines: readonly LogLine[];
  /** How many of `lines` were written before the answer. */
  readonly linesAtAnswer: number;
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

  const claimed = claimedEvent(record.body);
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

function claimedEvent(body: Uint8Array): { type?: string; id?: string } {
  try {
    const value = JSON.parse(utf8.decode(body)) as { type?: unknown; id?: unknown };
    return { ...(typeof value.type === 'string' ? { type: value.type } : {}), ...(typeof value.id === 'string' ? { id: value.id } : {}) };
  } catch {
    return {};
  }
}

/**
 * One delivery as a `<details>` row: the summary line, and when expanded the exact request
 * (headers and body bytes as received), the response, the outcome and the log.
 *
 * @example
 * ```ts
 * const html = renderDelivery(record, (text) => text);
 * ```
 */
export function renderDelivery(record: DeliveryRecord, redact: (text: string) => string): string {
  const e = (text: string): string => escapeHtml(redact(text));
  const s = summarise(record);
  const statusClass = record.status >= 200 && record.status < 300 ? 'ok' : record.status >= 500 ? 'error' : 'warn';
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

  const outcomeDetails: string[] = [];
  if (s.message) outcomeDetails.push(`<p>${e(s.message)}${s.reason ? ` <code>${e(s.reason)}</code>` : ''}</p>`);
  if (s.violations.length > 0) {
    outcomeDetails.push(
      `<ul class="violations">${s.violations.map((v) => `<li><code>${e(v.path || '(response)')}</code> ${e(v.rule)}</li>`).join('')}</ul>`,
    );
  }
  if (s.error) outcomeDetails.push(`<p class="error">${e(s.error)}</p>`);

  return `<details class="delivery" id="delivery-${record.id}" data-id="${record.id}" data-type="${e(s.type)}" data-status="${record.status}" data-signature="${e(s.signature)}">
<summary><span class="c-id">#${record.id}</span><span class="c-time">${e(clock(record.receivedAt))}</span><span class="c-type">${e(s.type)}</span><span class="c-sig sig-${s.signature === 'valid' ? 'ok' : s.signature === 'not checked' ? 'na' : 'bad'}">signature ${e(s.signature)}</span><span class="c-status st-${statusClass}">${record.status}</span><span class="c-latency">${e(formatMs(record.latencyMs))}</span><span class="c-outcome">${e(s.outcome)}</span><span class="c-source">${e(source)}</span></summary>
<div class="detail">
${replayable ? `<p class="actions"><button type="button" data-action="replay" data-id="${record.id}">Replay exact bytes</button> <button type="button" data-action="replay-fresh" data-id="${record.id}">Replay with a fresh timestamp</button></p>` : ''}
<h3>Request${s.eventId ? ` <small>event id ${e(s.eventId)}</small>` : ''}</h3>
<pre class="request-headers">${e(requestHead)}</pre>
<pre class="request-body">${e(bodyText)}</pre>
<h3>Response <small>${e(formatMs(record.latencyMs))}</small></h3>
<pre class="response-headers">${e(responseHead)}</pre>
<pre class="response-body">${e(truncate(record.responseBody))}</pre>
${outcomeDetails.length > 0 ? `<h3>Outcome</h3>\n${outcomeDetails.join('\n')}` : ''}
<h3>Log</h3>
<pre class="log">${e(record.lines.map((line) => JSON.stringify(line)).join('\n') || '(no log lines)')}</pre>
</div>
</details>`;
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
<style nonce="${model.nonce}">${STYLE}</style>
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
<div class="list-head" aria-hidden="true"><span>#</span><span>Time</span><span>Event type</span><span>Signature</span><span>Status</span><span>Latency</span><span>Outcome</span><span>Source</span></div>
<div id="deliveries" data-version="${model.version}">
${rows}
</div>
<p id="empty"${model.deliveries.length > 0 ? ' hidden' : ''}>No deliveries yet. Send a sample above, run <code>npm run send -- --all</code>, or point Authgear at this server.</p>
</section>
<script nonce="${model.nonce}">${SCRIPT}</script>
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

const STYLE = `
:root { color-scheme: light dark; --muted: #6b7280; --ok: #15803d; --bad: #b91c1c; --warn: #b45309; --line: #d1d5db; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 4rem; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; } h3 { font-size: .95rem; margin: 1rem 0 .3rem; }
.hint, header p { color: var(--muted); max-width: 70rem; }
.panel { border: 1px solid var(--line); border-radius: 6px; padding: .2rem 1rem .6rem; }
form { display: flex; flex-wrap: wrap; gap: .8rem; align-items: end; } label { display: flex; flex-direction: column; gap: .2rem; font-size: .85rem; }
select, input, button { font: inherit; padding: .3rem .5rem; }
#status:empty { display: none; } #status { padding: .4rem .8rem; border-left: 4px solid var(--ok); background: rgba(127,127,127,.1); }
#status.failed { border-color: var(--bad); }
.delivery { border-bottom: 1px solid var(--line); }
.delivery summary, .list-head { display: grid; grid-template-columns: 3.5rem 7rem minmax(14rem, 2fr) 10rem 3.5rem 5rem minmax(8rem, 1.5fr) 10rem; gap: .6rem; padding: .35rem .2rem; font-variant-numeric: tabular-nums; }
.delivery summary { cursor: pointer; }
.list-head { color: var(--muted); font-size: .8rem; border-bottom: 1px solid var(--line); }
.delivery summary > span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.c-id, .c-time, .c-source, .c-latency { color: var(--muted); }
.sig-ok, .st-ok { color: var(--ok); } .sig-bad, .st-error { color: var(--bad); font-weight: 600; } .st-warn { color: var(--warn); font-weight: 600; } .sig-na { color: var(--muted); }
.detail { padding: 0 .5rem 1rem 4rem; }
pre { background: rgba(127,127,127,.1); padding: .5rem .7rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: .3rem 0; }
.error { color: var(--bad); } .violations { margin: .2rem 0; }
`;

// Plain browser JavaScript; everything it inserts comes from the server already escaped.
const SCRIPT = `
(() => {
  const list = document.getElementById('deliveries');
  const empty = document.getElementById('empty');
  const status = document.getElementById('status');
  let version = Number(list.dataset.version);
  let timer;

  async function refresh() {
    clearTimeout(timer);
    try {
      const res = await fetch('${INSPECTOR_PATH}/api/rows?since=' + version, { headers: { '${INSPECTOR_REQUEST_HEADER}': '1' } });
      if (res.ok) {
        const data = await res.json();
        for (const row of data.rows) {
          const existing = document.getElementById('delivery-' + row.id);
          if (existing) {
            const open = existing.open;
            existing.insertAdjacentHTML('afterend', row.html);
            existing.remove();
            if (open) document.getElementById('delivery-' + row.id).open = true;
          } else {
            list.insertAdjacentHTML('afterbegin', row.html);
          }
        }
        version = data.version;
        empty.hidden = list.children.length > 0;
      }
    } catch (error) {
      // The server is restarting or gone; keep polling.
    }
    timer = setTimeout(refresh, 1000);
  }

  async function post(path, body) {
    status.className = '';
    status.textContent = 'Sending…';
    try {
      const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', '${INSPECTOR_REQUEST_HEADER}': '1' }, body: JSON.stringify(body) });
      const data = await res.json();
      status.textContent = res.ok ? data.message : data.error;
      status.className = res.ok ? '' : 'failed';
    } catch (error) {
      status.textContent = 'The local server did not answer: is npm start still running?';
      status.className = 'failed';
    }
    await refresh();
  }

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    post('${INSPECTOR_PATH}/api/replay', { id: Number(button.dataset.id), fresh: button.dataset.action === 'replay-fresh' });
  });

  document.getElementById('sample-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    post('${INSPECTOR_PATH}/api/send', { type: form.get('type'), email: form.get('email') || undefined });
  });

  timer = setTimeout(refresh, 1000);
})();
`;
