/**
 * The local inspector at `/_inspector`: a live list of the deliveries `npm start` received, with
 * their exact bytes, the answer, and the outcome the core logged, plus replay and "send sample".
 *
 * It attaches at three seams and leaves the core unaware of it: it wraps the `WebhookApp` (to
 * record each request and answer), the `Logger` (to file the core's log line, and the handler's,
 * under the delivery they belong to, found through AsyncLocalStorage), and the node listener (to
 * serve its page before the webhook routes). Only requests made on this machine reach the page.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { NodeListener } from '../adapters/node-http';
import type { WebhookApp, WebhookRequest } from '../core/app';
import { SIGNATURE_HEADER } from '../core/constants';
import { routePath } from '../core/routes';
import { describeError, type LogFields, type Logger } from '../core/logger';
import { signBody, type HeaderBag } from '../core/verify';
import { goJson } from '../devtools/go-json';
import { isSampleEventType, sampleBody } from '../devtools/samples';
import { boundLine, DEFAULT_INSPECTOR_LIMITS, keepPrefix, truncateText, wasVerified, type InspectorLimits } from './inspector-limits';
import {
  INSPECTOR_PATH,
  INSPECTOR_REQUEST_HEADER,
  claimedEvent,
  renderDelivery,
  renderInspectorPage,
  summarise,
  type DeliveryRecord,
  type LogLine,
} from './inspector-page';

import { waitForOutcome } from './outcome-api';

export { INSPECTOR_PATH } from './inspector-page';

export interface InspectorOptions {
  /** The server's current secrets; the first one signs replays and samples. Never shown. */
  readonly secrets: () => Promise<readonly string[]>;
  /** For the page's note on why exact replays of older events are refused. */
  readonly maxEventAgeSeconds: number;
  /** What is kept, at most; see `inspector-limits.ts` for the defaults (500 deliveries, 64 KiB per body, 8 MiB in all). */
  readonly limits?: Partial<InspectorLimits>;
  /** Where the inspector's own problems go. */
  readonly logger?: Logger;
}

export interface Inspector {
  /** Records every delivery the app handles. */
  wrapApp(app: WebhookApp): WebhookApp;
  /** Files each log line under the delivery being handled; every line still reaches `logger`. */
  wrapLogger(logger: Logger): Logger;
  /** Serves `/_inspector` (to this machine only) and passes everything else to `listener`. */
  wrapListener(listener: NodeListener): NodeListener;
  /** The recorded deliveries, oldest first (a snapshot). */
  deliveries(): readonly DeliveryRecord[];
  /** Notes what the blocking handler of the delivery being handled returned, shown when the core refuses it. */
  noteReturned(value: unknown): void;
}

/** Per request: the raw headers from the listener, the log lines, and whom to tell when lines arrive later. */
interface RequestScope {
  readonly rawHeaders?: readonly string[];
  readonly lines?: LogLine[];
  touch?: () => void;
  readonly source?: DeliveryRecord['source'];
  /** Set once the delivery is recorded, for the inspector's own in-process deliveries. */
  recorded?: DeliveryRecord;
  /** What the blocking handler returned, as JSON (or a description when it is not JSON). */
  returned?: string;
}

/** Headers a proxy or tunnel adds; a request carrying one did not come from this machine's browser. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'cf-connecting-ip', 'true-client-ip'];
const MAX_API_BODY = 64 * 1024;

/**
 * Creates the inspector. Wire it in where the local server is built:
 *
 * @example
 * ```ts
 * const inspector = createInspector({ secrets: () => secrets.get(), maxEventAgeSeconds: config.maxEventAgeSeconds });
 * const logger = inspector.wrapLogger(createJsonLogger());
 * const app = inspector.wrapApp(createWebhookApp({ handlers, secrets, config, logger }));
 * const server = createServer(inspector.wrapListener(createNodeListener(app, { maxBodyBytes, logger })));
 * ```
 */
export function createInspector(options: InspectorOptions): Inspector {
  const scope = new AsyncLocalStorage<RequestScope>();
  const records: DeliveryRecord[] = [];
  /** Change counter: bumped for each new delivery and each late log line; the page polls from it. */
  let version = 0;
  /** Version at which each delivery last changed. */
  const changedAt = new Map<number, number>();
  let nextId = 1;
  const limits: InspectorLimits = { ...DEFAULT_INSPECTOR_LIMITS, ...options.limits };
  const max = limits.maxDeliveries;
  /** Bytes of request and answer bodies over all kept deliveries. */
  let keptBytes = 0;
  let inner: WebhookApp | undefined;

  function record(
    request: WebhookRequest,
    meta: RequestScope,
    result: { status: number; headers: Readonly<Record<string, string>>; body: string },
    receivedAt: number,
    latencyMs: number,
    lines: LogLine[],
    returned: string | undefined,
  ): DeliveryRecord {
    // A request that was not verified may be anyone's junk: keep only enough to recognise it.
    const kept = request.bodyTooLarge
      ? { bytes: new Uint8Array(0), size: 0, truncated: false }
      : keepPrefix(request.body, wasVerified(lines) ? limits.maxBodyBytes : limits.unverifiedBodyBytes);
    // Read before the cut, from a body no larger than a verified one may keep: labels only.
    const claimed =
      kept.truncated && !request.bodyTooLarge && kept.size <= limits.maxBodyBytes
        ? claimedEvent(typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : request.body)
        : undefined;
    const responseBody = truncateText(result.body, limits.maxBodyBytes);
    const entry: DeliveryRecord = {
      id: nextId++,
      receivedAt,
      source: meta.source ?? { kind: 'http' },
      method: request.method,
      path: request.path,
      rawHeaders: meta.rawHeaders ? pairs(meta.rawHeaders) : headerPairs(request.headers),
      headers: request.headers,
      body: kept.bytes,
      bodySize: kept.size,
      bodyTruncated: kept.truncated,
      ...(claimed ? { claimed } : {}),
      bodyTooLarge: request.bodyTooLarge === true,
      status: result.status,
      responseHeaders: result.headers,
      responseBody,
      latencyMs,
      lines,
      linesAtAnswer: lines.length,
      ...(returned === undefined ? {} : { handlerReturned: returned }),
    };
    records.push(entry);
    keptBytes += sizeOf(entry);
    changedAt.set(entry.id, ++version);
    while (records.length > max || (keptBytes > limits.maxTotalBodyBytes && records.length > 1)) {
      const dropped = records.shift();
      if (!dropped) break;
      keptBytes -= sizeOf(dropped);
      changedAt.delete(dropped.id);
    }
    return entry;
  }

  const wrapApp = (app: WebhookApp): WebhookApp => {
    const wrapped: WebhookApp = {
      // A getter: `npm start` swaps the app behind `app` when a handler file changes.
      get routes() {
        return app.routes;
      },
      async handle(request) {
        const meta = scope.getStore() ?? {};
        const lines: LogLine[] = [];
        const own: RequestScope = { ...meta, lines };
        const receivedAt = Date.now();
        const started = performance.now();
        const response = await scope.run(own, () => app.handle(request));
        const entry = record(request, meta, response, receivedAt, performance.now() - started, lines, own.returned);
        meta.recorded = entry;
        // Lines written later (a queued event being processed) update the row.
        own.touch = () => changedAt.has(entry.id) && changedAt.set(entry.id, ++version);
        return response;
      },
    };
    inner = wrapped;
    return wrapped;
  };

  const wrapLogger = (logger: Logger): Logger => {
    const file = (level: string, msg: string, fields?: LogFields): void => {
      const current = scope.getStore();
      // Bounded: a handler that logs in a loop fills its delivery's share, but the core's line
      // with the outcome is always kept.
      if (current?.lines && (current.lines.length < limits.maxLinesPerDelivery || typeof fields?.outcome === 'string')) {
        current.lines.push(boundLine({ level, msg, ...fields }, limits.maxLineBytes));
        current.touch?.();
      }
    };
    return {
      debug: (msg, fields) => {
        file('debug', msg, fields);
        logger.debug(msg, fields);
      },
      info: (msg, fields) => {
        file('info', msg, fields);
        logger.info(msg, fields);
      },
      warn: (msg, fields) => {
        file('warn', msg, fields);
        logger.warn(msg, fields);
      },
      error: (msg, fields) => {
        file('error', msg, fields);
        logger.error(msg, fields);
      },
    };
  };

  // --- the page and its API ------------------------------------------------------------------

  /** Secrets to blank out of the page; re-read at most every 30 s, so an open page never drives Secrets Manager calls. */
  let redactable: { readonly at: number; readonly secrets: readonly string[] } | undefined;
  async function redactor(): Promise<(text: string) => string> {
    if (!redactable || Date.now() - redactable.at > 30_000) {
      const known = await options.secrets().catch(() => redactable?.secrets ?? []);
      redactable = { at: Date.now(), secrets: known.filter((s) => s.length >= 4) };
    }
    const { secrets } = redactable;
    return (text) => secrets.reduce((out, secret) => out.split(secret).join('[secret]'), text);
  }

  function servedBlocking(): ReadonlySet<string> {
    return new Set((inner?.routes ?? []).flatMap((r) => (r.route.kind === 'blocking' ? [r.route.eventType] : [])));
  }

  /** Runs a delivery in-process through the recorded app, as if it had arrived over HTTP. */
  async function deliver(path: string, headers: HeaderBag, body: Uint8Array, source: DeliveryRecord['source']): Promise<DeliveryRecord> {
    if (!inner) throw new InspectorError(503, 'the inspector is not connected to the webhook app');
    const app = inner;
    const own: RequestScope = { source };
    await scope.run(own, () => app.handle({ method: 'POST', path, headers, body }));
    if (!own.recorded) throw new InspectorError(500, 'the delivery was not recorded');
    return own.recorded;
  }

  async function signingSecret(): Promise<string> {
    let secrets: readonly string[];
    try {
      secrets = await options.secrets();
    } catch {
      secrets = [];
    }
    const [first] = secrets;
    if (first === undefined) throw new InspectorError(503, 'this server has no webhook secret yet, so it cannot sign; see its log');
    return first;
  }

  async function replay(input: Record<string, unknown>): Promise<string> {
    const original = records.find((r) => r.id === input.id);
    if (!original) throw new InspectorError(404, `delivery #${String(input.id)} is no longer kept; only the last ${max} are`);
    if (original.bodyTooLarge) throw new InspectorError(400, `delivery #${original.id} was refused as too large, so its body was not kept`);
    if (original.bodyTruncated)
      throw new InspectorError(
        400,
        `only the first ${original.body.byteLength} of ${original.bodySize} bytes of delivery #${original.id} were kept`,
      );
    const fresh = input.fresh === true;
    let body = original.body;
    let headers = original.headers;
    if (fresh) {
      let event: unknown;
      try {
        event = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(original.body));
      } catch {
        throw new InspectorError(400, `delivery #${original.id} is not JSON; only an exact replay is possible`);
      }
      const context = isRecord(event) ? event.context : undefined;
      if (!isRecord(context))
        throw new InspectorError(400, `delivery #${original.id} has no context to stamp; only an exact replay is possible`);
      context.timestamp = Math.floor(Date.now() / 1000);
      const text = goJson(event);
      body = Buffer.from(text, 'utf8');
      headers = { ...withoutHeader(original.headers, SIGNATURE_HEADER), [SIGNATURE_HEADER]: [signBody(text, await signingSecret())] };
    }
    const entry = await deliver(original.path, headers, body, { kind: 'replay', of: original.id, fresh });
    return `Replayed #${original.id}${fresh ? ' with a fresh timestamp' : ''} as #${entry.id}: HTTP ${entry.status}, ${summarise(entry).outcome}`;
  }

  async function sendSample(input: Record<string, unknown>): Promise<string> {
    const type = input.type;
    if (typeof type !== 'string' || !isSampleEventType(type))
      throw new InspectorError(400, `"${String(type)}" is not an event type Authgear sends to webhooks`);
    const email = typeof input.email === 'string' && input.email.trim() !== '' ? input.email.trim() : undefined;
    const body = sampleBody(type, email === undefined ? {} : { email });
    const headers: HeaderBag = {
      'user-agent': ['Go-http-client/1.1'],
      'content-type': ['application/json'],
      [SIGNATURE_HEADER]: [signBody(body, await signingSecret())],
    };
    const path = routePath(type);
    const entry = await deliver(path, headers, Buffer.from(body, 'utf8'), { kind: 'sample' });
    return `Sent a ${type} sample as #${entry.id}: HTTP ${entry.status}, ${summarise(entry).outcome}`;
  }

  async function serveInspector(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (!isLocalRequest(req)) {
      return send(
        res,
        403,
        'text/plain; charset=utf-8',
        'The inspector answers only requests made on this machine (loopback address and Host, no proxy or tunnel). Open it at http://localhost:<port>/_inspector.\n',
      );
    }
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    if (req.method === 'GET' && (path === INSPECTOR_PATH || path === `${INSPECTOR_PATH}/`)) {
      const nonce = randomBytes(16).toString('base64');
      const html = renderInspectorPage({
        deliveries: records,
        version,
        servedBlocking: servedBlocking(),
        maxEventAgeSeconds: options.maxEventAgeSeconds,
        nonce,
        redact: await redactor(),
      });
      return send(res, 200, 'text/html; charset=utf-8', html, {
        'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'`,
      });
    }
    if (!isApiCall(req))
      return sendJson(res, 403, {
        error: `inspector API calls need the ${INSPECTOR_REQUEST_HEADER} header and must come from the inspector page`,
      });
    try {
      if (req.method === 'GET' && path === `${INSPECTOR_PATH}/api/rows`) {
        const since = Number(query.get('since') ?? 0);
        const redact = await redactor();
        const rows = records.filter((r) => (changedAt.get(r.id) ?? 0) > since).map((r) => ({ id: r.id, html: renderDelivery(r, redact) }));
        return sendJson(res, 200, { version, rows });
      }
      if (req.method === 'GET' && path === `${INSPECTOR_PATH}/api/outcome`) {
        // For npm run send: what became of its delivery, waiting for a queued event's first attempt.
        const eventId = query.get('event_id') ?? '';
        const outcome = await waitForOutcome(() => records, eventId, Number(query.get('wait_ms') ?? 0), await redactor());
        return outcome ? sendJson(res, 200, outcome) : sendJson(res, 404, { error: `no delivery of event ${eventId} was recorded` });
      }
      if (req.method === 'POST' && path === `${INSPECTOR_PATH}/api/replay`)
        return sendJson(res, 200, { message: await replay(await readJson(req)) });
      if (req.method === 'POST' && path === `${INSPECTOR_PATH}/api/send`)
        return sendJson(res, 200, { message: await sendSample(await readJson(req)) });
      return sendJson(res, 404, { error: `no inspector endpoint ${req.method ?? ''} ${path}` });
    } catch (error) {
      if (error instanceof InspectorError) return sendJson(res, error.status, { error: error.message });
      options.logger?.error('inspector request failed', { reason: 'inspector_error', ...describeError(error) });
      return sendJson(res, 500, { error: 'the inspector failed; see the server log' });
    }
  }

  const wrapListener =
    (listener: NodeListener): NodeListener =>
    (req, res) => {
      const path = (req.url ?? '').split(/[?#]/)[0] ?? '';
      if (path === INSPECTOR_PATH || path.startsWith(`${INSPECTOR_PATH}/`)) {
        serveInspector(req, res, path).catch(() => {
          if (!res.headersSent) sendJson(res, 500, { error: 'the inspector failed' });
          else res.destroy();
        });
        return;
      }
      scope.run({ rawHeaders: req.rawHeaders }, () => listener(req, res));
    };

  const noteReturned = (value: unknown): void => {
    const current = scope.getStore();
    if (current?.lines) current.returned = describeReturned(value);
  };

  return { wrapApp, wrapLogger, wrapListener, deliveries: () => records.slice(), noteReturned };
}

/** A handler's return value as the core would send it (JSON), or what it is when it is not JSON. */
function describeReturned(value: unknown): string {
  if (value === undefined) return 'undefined (the handler returned nothing)';
  try {
    const json = JSON.stringify(value);
    return json === undefined ? `${typeof value} (not JSON)` : json;
  } catch (error) {
    return `a value that cannot be made JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** What a kept delivery costs in body bytes (request prefix and answer, as stored). */
const sizeOf = (record: DeliveryRecord): number => record.body.byteLength + record.responseBody.length;

class InspectorError extends Error {
  override readonly name = 'InspectorError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * True for a request made on this machine: loopback peer, a loopback `Host` (which defeats DNS
 * rebinding) and no proxy headers (a tunnel client also connects from loopback).
 *
 * @example
 * ```ts
 * if (!isLocalRequest(req)) return forbidden(res);
 * ```
 */
export function isLocalRequest(req: IncomingMessage): boolean {
  const remote = req.socket.remoteAddress ?? '';
  const loopbackPeer = remote === '::1' || remote.startsWith('127.') || remote.startsWith('::ffff:127.');
  const host = (req.headers.host ?? '').toLowerCase();
  const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
  const loopbackHost = hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
  return loopbackPeer && loopbackHost && !PROXY_HEADERS.some((name) => req.headers[name] !== undefined);
}

/** The page's own calls: the custom header (a cross-site form cannot send it) and, if present, a same-origin Origin. */
function isApiCall(req: IncomingMessage): boolean {
  if (req.headers[INSPECTOR_REQUEST_HEADER] !== '1') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${req.headers.host ?? ''}`;
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_API_BODY) {
        reject(new InspectorError(413, 'request too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (isRecord(value)) resolve(value);
        else reject(new InspectorError(400, 'send a JSON object'));
      } catch {
        reject(new InspectorError(400, 'send a JSON object'));
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    ...extra,
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json', JSON.stringify(value));
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i] as string, raw[i + 1] as string]);
  return out;
}

function headerPairs(headers: HeaderBag): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of typeof value === 'string' ? [value] : value) out.push([name, item]);
  }
  return out;
}

function withoutHeader(headers: HeaderBag, lowerCaseName: string): Record<string, string | readonly string[] | undefined> {
  const out: Record<string, string | readonly string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() !== lowerCaseName) out[name] = value;
  return out;
}
