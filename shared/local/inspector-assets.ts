/**
 * The inspector page's style sheet and script, inline in the page (with a CSP nonce): no build
 * step, no framework, nothing fetched from elsewhere.
 */

/**
 * The style sheet. Outcomes are told apart by an icon and words as well as by colour; the row
 * grid fits a 900 px window, and below 760 px its minor columns go under the main ones.
 */
export const INSPECTOR_STYLE = `
:root { color-scheme: light dark; --muted: #6b7280; --ok: #15803d; --bad: #b91c1c; --warn: #b45309; --line: #d1d5db; --bad-bg: rgba(220,38,38,.09); --warn-bg: rgba(217,119,6,.09); --focus: #2563eb; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 4rem; overflow-wrap: anywhere; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; } h3 { font-size: .95rem; margin: 1rem 0 .3rem; }
.hint, header p { color: var(--muted); max-width: 70rem; }
.panel { border: 1px solid var(--line); border-radius: 6px; padding: .2rem 1rem .6rem; }
form, .filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: end; } label { display: flex; flex-direction: column; gap: .2rem; font-size: .85rem; }
select, input, button { font: inherit; padding: .3rem .5rem; max-width: 100%; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
#status:empty { display: none; } #status { padding: .4rem .8rem; border-left: 4px solid var(--ok); background: rgba(127,127,127,.1); }
#status.failed { border-color: var(--bad); }
.filters { margin: .4rem 0 .8rem; } #shown { color: var(--muted); font-size: .85rem; align-self: center; }
.delivery { border-bottom: 1px solid var(--line); border-left: 4px solid transparent; }
.delivery.k-error_policy, .delivery.k-failed { border-left-color: var(--bad); background: var(--bad-bg); }
.delivery.k-refused { border-left-color: var(--warn); background: var(--warn-bg); }
.delivery summary, .list-head { display: grid; grid-template-columns: 2.6rem 4.6rem minmax(10rem, 1.7fr) 5.6rem 2.6rem minmax(9rem, 1.4fr) 3.8rem minmax(3rem, .6fr) 3.8rem; gap: .5rem; padding: .35rem .3rem; font-variant-numeric: tabular-nums; align-items: baseline; }
.delivery summary { cursor: pointer; list-style: none; } .delivery summary::-webkit-details-marker { display: none; }
.delivery summary:hover { background: rgba(127,127,127,.08); }
.list-head { color: var(--muted); font-size: .8rem; border-bottom: 1px solid var(--line); }
.delivery summary > span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
.delivery summary > .c-outcome { white-space: normal; }
.c-id, .c-time, .c-source, .c-latency { color: var(--muted); }
.c-open { color: var(--focus); font-size: .85rem; text-align: right; }
.c-open::after { content: 'Open ▸'; } .delivery[open] .c-open::after { content: 'Close ▾'; }
.sig-ok { color: var(--ok); } .sig-bad { color: var(--bad); font-weight: 600; } .sig-na { color: var(--muted); }
.st-ok { color: var(--ok); } .st-bad { color: var(--bad); font-weight: 600; } .st-warn { color: var(--warn); font-weight: 600; } .st-muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 .45rem; border-radius: .4rem; border: 1px solid currentColor; font-size: .85rem; }
.o-handled { color: var(--ok); } .o-error_policy, .o-failed { color: var(--bad); font-weight: 600; } .o-refused { color: var(--warn); font-weight: 600; } .o-pending { color: var(--warn); } .o-no_handler { color: var(--muted); }
.detail { padding: 0 .6rem 1rem 1.2rem; }
.chain { margin: .2rem 0 .6rem; padding-left: 1.4rem; } .chain li { margin: .15rem 0; } .chain .why { display: block; color: var(--muted); }
.block { margin: .5rem 0; } .block-head { display: flex; justify-content: space-between; align-items: center; gap: .5rem; font-size: .85rem; color: var(--muted); }
.block-head button { font-size: .8rem; padding: .1rem .5rem; }
pre { background: rgba(127,127,127,.1); padding: .5rem .7rem; white-space: pre-wrap; word-break: break-all; margin: .2rem 0; max-height: 28rem; overflow: auto; }
details.bytes > summary { cursor: pointer; color: var(--muted); font-size: .85rem; }
.error { color: var(--bad); } .violations { margin: .2rem 0; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 760px) {
  .delivery summary { grid-template-columns: 2.6rem 1fr 2.8rem 3.8rem; }
  .delivery summary > .c-time, .delivery summary > .c-latency, .delivery summary > .c-source, .delivery summary > .c-sig { display: none; }
  .delivery summary > .c-outcome { grid-column: 2 / -1; }
  .list-head { display: none; }
}
`;

/**
 * The script: polls for new and changed rows, applies the filters, copies blocks, drives the
 * replay and send buttons. Everything it inserts comes from the server already escaped.
 *
 * @example
 * ```ts
 * const js = inspectorScript('/_inspector', 'x-inspector-request');
 * ```
 */
export function inspectorScript(path: string, requestHeader: string): string {
  return `
(() => {
  const list = document.getElementById('deliveries');
  const empty = document.getElementById('empty');
  const status = document.getElementById('status');
  const byOutcome = document.getElementById('filter-outcome');
  const byType = document.getElementById('filter-type');
  const shown = document.getElementById('shown');
  let version = Number(list.dataset.version);
  let timer;

  function matches(row) {
    const kind = byOutcome.value;
    const okKind = kind === '' || (kind === 'problems' ? ['error_policy', 'failed', 'refused'].includes(row.dataset.kind) : row.dataset.kind === kind);
    return okKind && (byType.value === '' || row.dataset.type === byType.value);
  }

  function apply() {
    const rows = [...list.children];
    let visible = 0;
    const types = new Set();
    const counts = {};
    for (const row of rows) {
      row.hidden = !matches(row);
      if (!row.hidden) visible += 1;
      types.add(row.dataset.type);
      counts[row.dataset.kind] = (counts[row.dataset.kind] || 0) + 1;
    }
    counts.problems = (counts.error_policy || 0) + (counts.failed || 0) + (counts.refused || 0);
    for (const option of byOutcome.options) {
      if (option.value) option.textContent = option.dataset.label + ' (' + (counts[option.value] || 0) + ')';
    }
    const known = new Set([...byType.options].map((o) => o.value));
    for (const type of [...types].sort()) {
      if (!known.has(type)) byType.add(new Option(type, type));
    }
    shown.textContent = rows.length === visible ? rows.length + ' shown' : visible + ' of ' + rows.length + ' shown';
    empty.hidden = rows.length > 0;
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      const res = await fetch('${path}/api/rows?since=' + version, { headers: { '${requestHeader}': '1' } });
      if (res.ok) {
        const data = await res.json();
        for (const row of data.rows) {
          const existing = document.getElementById('delivery-' + row.id);
          if (existing) {
            const open = existing.open;
            const focused = existing.contains(document.activeElement) ? document.activeElement.tagName : '';
            existing.insertAdjacentHTML('afterend', row.html);
            existing.remove();
            const fresh = document.getElementById('delivery-' + row.id);
            if (open) fresh.open = true;
            if (focused === 'SUMMARY') fresh.querySelector('summary').focus();
          } else {
            list.insertAdjacentHTML('afterbegin', row.html);
          }
        }
        version = data.version;
        apply();
      }
    } catch (error) {
      // The server is restarting or gone; keep polling.
    }
    timer = setTimeout(refresh, 1000);
  }

  async function post(url, body) {
    status.className = '';
    status.textContent = 'Sending…';
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', '${requestHeader}': '1' }, body: JSON.stringify(body) });
      const data = await res.json();
      status.textContent = res.ok ? data.message : data.error;
      status.className = res.ok ? '' : 'failed';
    } catch (error) {
      status.textContent = 'The local server did not answer: is npm start still running?';
      status.className = 'failed';
    }
    await refresh();
  }

  async function copy(button) {
    const text = document.getElementById(button.dataset.copy).textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied';
    } catch (error) {
      // No clipboard access: select the text so Ctrl+C copies it.
      const range = document.createRange();
      range.selectNodeContents(document.getElementById(button.dataset.copy));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      button.textContent = 'Selected: press Ctrl+C';
    }
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  }

  document.addEventListener('click', (event) => {
    const copyButton = event.target.closest('button[data-copy]');
    if (copyButton) return void copy(copyButton);
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    post('${path}/api/replay', { id: Number(button.dataset.id), fresh: button.dataset.action === 'replay-fresh' });
  });

  byOutcome.addEventListener('change', apply);
  byType.addEventListener('change', apply);

  document.getElementById('sample-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    post('${path}/api/send', { type: form.get('type'), email: form.get('email') || undefined });
  });

  apply();
  timer = setTimeout(refresh, 1000);
})();
`;
}
