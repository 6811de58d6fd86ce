/**
 * The logic of `npm run send`: build a sample event (or read one), apply `--set` edits, sign it
 * the way Authgear does, POST it, and judge the answer as Authgear would. No printing and no
 * `process.exit` here; `send-cli.ts` does that.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { ENV } from '../core/config';
import { BLOCKING_PATH_PREFIX, NON_BLOCKING_PATH, isBlockingEventType, type EventType } from '../core/constants';
import { parseSecretValue } from '../core/secret';
import { signBody } from '../core/verify';
import { judgeAnswer, type Verdict } from './check-response';
import { goJson } from './go-json';
import type { HandlerResult } from './handler-result';
import type { LocalServerState } from './local-state';
import { SAMPLE_EVENT_TYPES, eventId, isSampleEventType, sampleEvent, type SampleOptions } from './samples';

/** A problem with the input or the target, described in one line that says what to do. */
export class SendError extends Error {
  override readonly name = 'SendError';
}

/** Authgear's own timeouts: 5 s for a blocking hook (the default), 60 s for a non-blocking one. */
export const TIMEOUT_MS = { blocking: 5_000, nonBlocking: 60_000 } as const;

// ---------------------------------------------------------------------------------------------------------------------
// Event types
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Checks an event type given on the command line.
 *
 * @throws SendError naming the closest valid types.
 * @example
 * ```ts
 * requireEventType('user.created'); // 'user.created'
 * requireEventType('user.create');  // throws: unknown event type "user.create"; did you mean user.created or user.pre_create?
 * ```
 */
export function requireEventType(text: string): EventType {
  if (isSampleEventType(text)) return text;
  const close = SAMPLE_EVENT_TYPES.map((type) => ({ type, distance: editDistance(text, type) }))
    .filter((c) => c.distance <= Math.max(3, Math.floor(text.length / 4)))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 2)
    .map((c) => c.type);
  const hint = close.length > 0 ? `; did you mean ${close.join(' or ')}?` : '';
  throw new SendError(`unknown event type "${text}"${hint} (npm run send -- --list shows all ${SAMPLE_EVENT_TYPES.length})`);
}

/**
 * The route of an event type on the API and the local server.
 *
 * @example
 * ```ts
 * routeFor('user.pre_create'); // '/blocking/user.pre_create'
 * routeFor('user.created');    // '/non-blocking'
 * ```
 */
export function routeFor(type: EventType): string {
  return isBlockingEventType(type) ? `${BLOCKING_PATH_PREFIX}${type}` : NON_BLOCKING_PATH;
}

/**
 * The URL to POST an event of `type` to. `target` is a base URL (the route is appended), or
 * already a route URL (`…/blocking/<type>` or `…/non-blocking`), which is used as is.
 *
 * @throws SendError for anything that is not an http(s) URL.
 * @example
 * ```ts
 * endpointFor('https://abc.execute-api.eu-west-1.amazonaws.com/', 'user.created');
 * // 'https://abc.execute-api.eu-west-1.amazonaws.com/non-blocking'
 * ```
 */
export function endpointFor(target: string, type: EventType): string {
  const url = parseTarget(target);
  if (isRouteUrl(url)) return url.href;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${routeFor(type)}`;
  return url.href;
}

/**
 * True when `target` already names one route rather than a base URL.
 *
 * @example
 * ```ts
 * isRouteTarget('http://localhost:3000/non-blocking'); // true
 * ```
 */
export function isRouteTarget(target: string): boolean {
  return isRouteUrl(parseTarget(target));
}

function parseTarget(target: string): URL {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new SendError(
      `--url "${target}" is not a URL; give the base URL, e.g. http://localhost:3000 or https://<api id>.execute-api.<region>.amazonaws.com`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SendError(`--url "${target}" must start with http:// or https://`);
  url.search = '';
  url.hash = '';
  return url;
}

const isRouteUrl = (url: URL): boolean => /\/(blocking\/[^/]+|non-blocking)\/?$/.test(url.pathname);

// ---------------------------------------------------------------------------------------------------------------------
// --set
// ---------------------------------------------------------------------------------------------------------------------

/** One `--set path=value`, parsed. */
export interface Assignment {
  readonly text: string;
  readonly path: readonly string[];
  readonly value: unknown;
}

const ENVELOPE_KEYS: ReadonlySet<string> = new Set(['id', 'seq', 'type', 'payload', 'context']);

/**
 * Parses `--set path=value`. The path is dot-separated from the event's top (`payload.user.roles`,
 * `context.language`); array items are `identities.0` or `identities[0]`; keys with dots go in
 * brackets as JSON strings: `payload.jwt.payload["https://example.com/plan"]`. The value is JSON
 * when it parses (`42`, `true`, `null`, `["a"]`, `"007"`), else the text as a string.
 *
 * @throws SendError for a malformed path or a missing `=`.
 * @example
 * ```ts
 * parseAssignment('payload.user.roles=["admin"]'); // { path: ['payload', 'user', 'roles'], value: ['admin'], … }
 * ```
 */
export function parseAssignment(text: string): Assignment {
  const path: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new SendError(`--set ${text}: ${why}; write --set path=value, e.g. --set payload.user.standard_attributes.email=ana@example.com`);
  };
  for (;;) {
    if (text[i] === '[') {
      const close = text.indexOf(']', i);
      if (text[i + 1] === '"') {
        // A JSON string key: find the closing quote that is followed by "]".
        let end = i + 2;
        while (end < text.length && !(text[end] === '"' && text[end - 1] !== '\\' && text[end + 1] === ']')) end++;
        if (end >= text.length) fail('a ["…"] key is not closed');
        try {
          path.push(JSON.parse(text.slice(i + 1, end + 1)) as string);
        } catch {
          fail('a ["…"] key is not a valid JSON string');
        }
        i = end + 2;
      } else {
        const index = close === -1 ? '' : text.slice(i + 1, close);
        if (!/^\d+$/.test(index)) fail('brackets hold an array index like [0] or a quoted key like ["a.b"]');
        path.push(index);
        i = close + 1;
      }
    } else {
      let end = i;
      while (end < text.length && !'.=['.includes(text[end] as string)) end++;
      if (end === i) fail(i === 0 ? 'the path is empty' : 'the path has an empty part');
      path.push(text.slice(i, end));
      i = end;
    }
    const next = text[i];
    if (next === '=') break;
    if (next === undefined) fail('there is no "="');
    if (next === '.') i++;
    else if (next !== '[') fail(`unexpected "${next}" after ${path.join('.')}`);
  }
  const raw = text.slice(i + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // Not JSON: the text itself.
  }
  return { text, path, value };
}

/**
 * Applies one assignment to an event in place. Every part of the path but the last must exist, so
 * a typo is reported instead of creating a new branch; the last key may be new.
 *
 * @throws SendError naming the part of the path that does not exist or is not an object.
 * @example
 * ```ts
 * applyAssignment(event, parseAssignment('context.language=de'));
 * ```
 */
export function applyAssignment(event: Record<string, unknown>, assignment: Assignment): void {
  const { path, text } = assignment;
  const fail = (why: string): never => {
    throw new SendError(`--set ${text}: ${why}`);
  };
  const [top] = path;
  if (top === undefined || !ENVELOPE_KEYS.has(top))
    fail(`"${String(top)}" is not part of an event; paths start with payload., context., id, seq or type`);
  let node: unknown = event;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as string;
    const where = path.slice(0, i).join('.') || 'the event';
    const last = i === path.length - 1;
    if (Array.isArray(node)) {
      const index = /^\d+$/.test(key) ? Number(key) : Number.NaN;
      const limit = last ? node.length : node.length - 1;
      if (!(index <= limit)) fail(`${where} is a list of ${node.length}; "${key}" is not an index in it (0 to ${limit})`);
      if (last) node[index] = assignment.value;
      else node = node[index];
    } else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (last) record[key] = assignment.value;
      else if (!Object.hasOwn(record, key)) fail(`${where} has no "${key}" (it has: ${Object.keys(record).join(', ') || 'nothing'})`);
      else node = record[key];
    } else {
      fail(`${where} is ${node === null ? 'null' : `a ${typeof node}`}, so it has no "${key}"`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Building the event
// ---------------------------------------------------------------------------------------------------------------------

/** What to send: a sample or a payload file, with edits. */
export interface BuildOptions {
  /** Needed unless the payload file is a full event. */
  readonly type?: string;
  /** A JSON file with a full event (`type`, `payload`, `context`) or just a payload object. */
  readonly payloadFile?: string;
  /** `--set` arguments, applied in order. */
  readonly sets?: readonly string[];
  readonly sample?: SampleOptions;
  /** Clock for a full event's refreshed `context.timestamp`, replaceable in tests. */
  readonly now?: () => number;
}

/** An event ready to sign: the object and its exact bytes. */
export interface BuiltEvent {
  readonly type: EventType;
  readonly event: Record<string, unknown>;
  readonly body: string;
  /** Things worth telling the user, e.g. that a full event's timestamp was refreshed. */
  readonly notes: readonly string[];
}

/**
 * Builds the event to send. A payload file holding a full event is sent as it is, except that
 * `context.timestamp` is set to now (receivers refuse events older than a few minutes; a `--set
 * context.timestamp=…` still wins). A payload file holding only a payload object replaces the
 * sample's payload. `--set` edits come last; setting `seq` also sets `id`, as Authgear derives it.
 *
 * @throws SendError for an unknown type, an unreadable file or a bad `--set`.
 * @example
 * ```ts
 * const { body } = buildEvent({ type: 'user.pre_create', sets: ['payload.user.standard_attributes.email=x@mailinator.com'] });
 * ```
 */
export function buildEvent(options: BuildOptions): BuiltEvent {
  const notes: string[] = [];
  const assignments = (options.sets ?? []).map(parseAssignment);
  let type = options.type === undefined ? undefined : requireEventType(options.type);
  let event: Record<string, unknown>;

  if (options.payloadFile === undefined) {
    if (type === undefined) throw new SendError('name the event type to send, e.g. npm run send -- user.pre_create (or --all)');
    event = sampleEvent(type, options.sample) as unknown as Record<string, unknown>;
  } else {
    const content = readJsonFile(options.payloadFile);
    if (isFullEvent(content)) {
      const fileType = String(content.type);
      if (type !== undefined && fileType !== type) {
        throw new SendError(`${options.payloadFile} holds a ${fileType} event, not ${type}; drop the event type or use a matching file`);
      }
      type ??= requireEventType(fileType);
      event = content;
      const context = content.context as Record<string, unknown>;
      context.timestamp = Math.floor((options.now ?? Date.now)() / 1000);
      notes.push(`context.timestamp of ${options.payloadFile} set to now, so the receiver does not refuse it as stale`);
    } else {
      if (type === undefined)
        throw new SendError(
          `${options.payloadFile} holds a payload only; name its event type, e.g. npm run send -- user.created --payload ${options.payloadFile}`,
        );
      event = sampleEvent(type, options.sample) as unknown as Record<string, unknown>;
      event.payload = content;
    }
  }

  for (const assignment of assignments) applyAssignment(event, assignment);
  const setsSeq = assignments.some((a) => a.path.length === 1 && a.path[0] === 'seq');
  const setsId = assignments.some((a) => a.path.length === 1 && a.path[0] === 'id');
  if (setsSeq && !setsId && typeof event.seq === 'number' && Number.isSafeInteger(event.seq) && event.seq >= 0)
    event.id = eventId(event.seq);

  let body: string;
  try {
    body = goJson(event);
  } catch (error) {
    throw new SendError(`the event cannot be sent as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { type, event, body, notes };
}

function readJsonFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a folder'
          : code === 'EACCES'
            ? 'permission denied'
            : (error as Error).message;
    throw new SendError(`cannot read payload file ${path}: ${why}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new SendError(`payload file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SendError(`payload file ${path} must hold a JSON object: a full event or a payload`);
  }
  return value as Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isFullEvent = (value: Record<string, unknown>): boolean =>
  typeof value.type === 'string' && isObject(value.payload) && isObject(value.context);

// ---------------------------------------------------------------------------------------------------------------------
// The signing secret
// ---------------------------------------------------------------------------------------------------------------------

/** The secret to sign with and where it came from (for messages; never the value). */
export interface SecretChoice {
  readonly value: string;
  readonly source: string;
}

export interface SecretInputs {
  /** `--secret` */
  readonly secret?: string;
  /** `--secret-id`: a Secrets Manager name or ARN. */
  readonly secretId?: string;
  /** `process.env` merged with `.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The running `npm start` of this project, if any. */
  readonly localServer?: LocalServerState;
  /** The URL being sent to; the local server's generated secret is only used for that server. */
  readonly target: string;
  /** Reads a Secrets Manager secret; replaceable in tests. */
  readonly fetchSecret?: (secretId: string) => Promise<string>;
}

/**
 * Picks the signing secret: `--secret`, then `--secret-id`, then `AUTHGEAR_WEBHOOK_SECRET`, then
 * `AUTHGEAR_WEBHOOK_SECRET_ID` (environment or `.env`), then the secret a running `npm start`
 * generated. A stored JSON array (a rotation) signs with its first entry, the newest.
 *
 * @throws SendError when there is none, or Secrets Manager cannot be read.
 * @example
 * ```ts
 * const { value, source } = await resolveSecret({ env: process.env, target: 'http://localhost:3000' });
 * ```
 */
export async function resolveSecret(inputs: SecretInputs): Promise<SecretChoice> {
  const { env } = inputs;
  if (inputs.secret !== undefined) return { value: firstSecret(inputs.secret, '--secret'), source: '--secret' };
  if (inputs.secretId !== undefined) return fromSecretsManager(inputs.secretId, '--secret-id', inputs.fetchSecret);
  const direct = env[ENV.secret];
  if (direct) return { value: firstSecret(direct, ENV.secret), source: ENV.secret };
  const id = env[ENV.secretId];
  if (id) return fromSecretsManager(id, ENV.secretId, inputs.fetchSecret);
  const local = inputs.localServer;
  if (local?.secret !== undefined && sameServer(local.url, inputs.target)) {
    return { value: local.secret, source: 'the secret generated by the running npm start' };
  }
  throw new SendError(
    `no signing secret: pass --secret or --secret-id, set ${ENV.secret} (environment or .env), or start the local server with npm start in this folder`,
  );
}

function firstSecret(raw: string, where: string): string {
  try {
    const [first] = parseSecretValue(raw).secrets;
    if (first === undefined) throw new Error('it is empty');
    return first;
  } catch (error) {
    throw new SendError(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function fromSecretsManager(secretId: string, where: string, fetchSecret = readSecretsManager): Promise<SecretChoice> {
  let raw: string;
  try {
    raw = await fetchSecret(secretId);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SendError(`could not read the webhook secret ${secretId} (${where}) from AWS Secrets Manager: ${message.split('\n')[0]}`);
  }
  return { value: firstSecret(raw, `the secret ${secretId}`), source: `AWS Secrets Manager (${secretId})` };
}

async function readSecretsManager(secretId: string): Promise<string> {
  // Loaded only when needed: the AWS SDK takes a while to import and most sends never use it.
  const [{ SecretsManagerClient }, { secretsManagerSource }] = await Promise.all([
    import('@aws-sdk/client-secrets-manager'),
    import('../core/secrets-manager'),
  ]);
  // An ARN names its region; the SDK would otherwise need AWS_REGION.
  const region = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(secretId)?.[1];
  const client = new SecretsManagerClient({ ...(region ? { region } : {}), maxAttempts: 2 });
  try {
    return await secretsManagerSource(secretId, { client }).fetch();
  } finally {
    client.destroy();
  }
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

function sameServer(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    const loopback = LOOPBACK_HOSTS.has(x.hostname) && LOOPBACK_HOSTS.has(y.hostname);
    return x.protocol === y.protocol && x.port === y.port && (loopback || x.hostname === y.hostname);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------------------------------------------------

/** An HTTP answer as received. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly latencyMs: number;
}

/** One delivery and what Authgear would make of it. */
export interface DeliveryReport {
  readonly type: EventType;
  readonly url: string;
  readonly eventId: string;
  readonly bytes: number;
  /** Absent when no answer came. */
  readonly reply?: Reply;
  /** The target could not be reached at all (refused, unknown host, TLS): no point sending more. */
  readonly unreachable?: string;
  readonly verdict: Verdict;
  /** What the handler did (see `send-outcome.ts`); absent without an answer. */
  readonly handler?: HandlerResult;
}

/**
 * Posts signed bodies with the headers Authgear's Go client sends, reusing connections across
 * deliveries. Call {@link Sender.close} when done.
 *
 * @example
 * ```ts
 * const sender = new Sender();
 * const report = await sender.deliver({ type: 'user.created', event, body, secret, url });
 * sender.close();
 * ```
 */
export class Sender {
  readonly #http = new HttpAgent({ keepAlive: true });
  readonly #https = new HttpsAgent({ keepAlive: true });

  /** Sends one event and judges the answer; never throws for network problems. */
  async deliver(input: {
    type: EventType;
    event: Record<string, unknown>;
    body: string;
    secret: string;
    url: string;
  }): Promise<DeliveryReport> {
    const { type, body, url } = input;
    const blocking = isBlockingEventType(type);
    const base = { type, url, eventId: String(input.event.id), bytes: Buffer.byteLength(body) };
    const timeoutMs = blocking ? TIMEOUT_MS.blocking : TIMEOUT_MS.nonBlocking;
    const result = await this.post(url, body, signBody(body, input.secret), timeoutMs);
    if ('reply' in result) return { ...base, reply: result.reply, verdict: judgeAnswer(type, result.reply, input.event) };
    const problems = [result.problem];
    const verdict: Verdict = blocking ? { kind: 'rejected', problems } : { kind: 'failed', problems };
    return result.unreachable ? { ...base, unreachable: result.problem, verdict } : { ...base, verdict };
  }

  /** POSTs `body` with `signature`; resolves with the answer or a one-line problem. */
  post(
    url: string,
    body: string,
    signature: string,
    timeoutMs: number,
  ): Promise<{ reply: Reply } | { problem: string; unreachable: boolean }> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const started = performance.now();
    return new Promise((resolve) => {
      const request = (secure ? httpsRequest : httpRequest)(
        target,
        {
          method: 'POST',
          agent: secure ? this.#https : this.#http,
          // What Go's net/http sends for Authgear: its two headers plus the client's defaults.
          headers: {
            'User-Agent': 'Go-http-client/1.1',
            'Content-Length': String(Buffer.byteLength(body)),
            'Content-Type': 'application/json',
            'X-Authgear-Body-Signature': signature,
            'Accept-Encoding': 'gzip',
          },
        },
        (response) => {
          readText(response).then(
            (text) =>
              resolve({
                reply: { status: response.statusCode ?? 0, headers: response.headers, body: text, latencyMs: performance.now() - started },
              }),
            (error: unknown) => resolve({ problem: `the answer from ${url} broke off: ${(error as Error).message}`, unreachable: false }),
          );
        },
      );
      request.setTimeout(timeoutMs, () => request.destroy(new TimeoutError()));
      request.on('error', (error: NodeJS.ErrnoException) => resolve(describeNetworkError(error, url, timeoutMs)));
      request.end(body);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

function describeNetworkError(error: NodeJS.ErrnoException, url: string, timeoutMs: number): { problem: string; unreachable: boolean } {
  const { origin, hostname } = new URL(url);
  const local = LOOPBACK_HOSTS.has(hostname);
  if (error instanceof TimeoutError) {
    return { problem: `no answer within ${timeoutMs / 1000} s, when Authgear gives up`, unreachable: false };
  }
  switch (error.code) {
    case 'ECONNREFUSED':
      return {
        problem: `cannot reach ${origin}: connection refused${local ? '; is the local server running (npm start)?' : ''}`,
        unreachable: true,
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { problem: `cannot reach ${origin}: the host name ${hostname} does not resolve; check --url`, unreachable: true };
    case 'ECONNRESET':
      return { problem: `${origin} closed the connection without answering`, unreachable: false };
    default:
      return { problem: `cannot reach ${origin}: ${error.message}`, unreachable: true };
  }
}

/** Reads a response body as UTF-8, decompressing what `Accept-Encoding: gzip` may bring. */
function readText(response: IncomingMessage): Promise<string> {
  const encoding = String(response.headers['content-encoding'] ?? '').toLowerCase();
  const stream =
    encoding === 'gzip'
      ? response.pipe(createGunzip())
      : encoding === 'deflate'
        ? response.pipe(createInflate())
        : encoding === 'br'
          ? response.pipe(createBrotliDecompress())
          : response;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
    response.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------------------

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
