/**
 * Attack tests. fast-check generates hostile deliveries (forged, mutated, truncated, oversized,
 * deeply nested, mis-routed, stale, badly framed) and sends them through the verify/dispatch core:
 * in process, through the Lambda adapter, and in a smaller run over real HTTP to the local server.
 *
 * A model of the documented order of checks (docs/architecture.md, "Order of checks") says what each request
 * must get. On top of that exact status, every request is checked for these invariants:
 *
 * - no handler runs unless the body's HMAC with the real secret matches the one signature header,
 *   and the handler then sees exactly the parse of those signed bytes;
 * - the status is one of the documented ones, a 401 body is always the generic one, and no body
 *   carries a stack trace, an internal message or the secret;
 * - nothing logs the secret, nothing takes the internal-error path, nothing rejects unhandled.
 *
 * FC_SEED=<integer> replays a run; FC_NUM_RUNS=<integer> sets the number of generated requests of
 * the core run (default 10,000).
 *
 * The runs: core.test.ts (in process and through the Lambda adapter), replay.test.ts (replays to
 * the same container) and http.test.ts (raw HTTP to the local server). This module holds what they
 * share: run parameters, recording handlers, the model, the tally and the judge; attacks.ts and the
 * modules it composes (bodies, mutations, signatures, headers, delivery, lambda-events) build the requests.
 */
import { createHmac } from 'node:crypto';
import type { LoadedHandlerModule } from '../../shared/core/assemble';
import { isBlockingEventType, type BlockingEventType, type NonBlockingEventType } from '../../shared/core/constants';
import { defineBlockingHandler, defineNonBlockingHandler, type BlockingHandler, type NonBlockingHandler } from '../../shared/core/handler';
import { createJsonLogger, type Logger } from '../../shared/core/logger';
import { staticSecretSource, type SecretSource } from '../../shared/core/secret';
import { VECTOR_SECRET } from '../fixtures/authgear-vectors';

// ---------------------------------------------------------------------------------------------
// Run parameters
// ---------------------------------------------------------------------------------------------

export const integerFromEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer (got "${raw}")`);
  return value;
};

export const SEED = integerFromEnv('FC_SEED', 20_261_126);
export const NUM_RUNS = integerFromEnv('FC_NUM_RUNS', 10_000);
/** The floor the issue sets for one default run. */
export const MIN_DEFAULT_RUNS = 10_000;

/** The real secret: the vectors are signed with it, so they verify as they are. */
export const SECRET = VECTOR_SECRET;
export const SIGNATURE_HEADER = 'x-authgear-body-signature';
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_AGE_MS = 300_000;
export const MAX_SKEW_MS = 60_000;

export const PUBLIC_BODIES = {
  unauthorized: '{"error":"unauthorized"}',
  notFound: '{"error":"not found"}',
  methodNotAllowed: '{"error":"method not allowed"}',
  tooLarge: '{"error":"payload too large"}',
  notAnEvent: '{"error":"body is not an Authgear event"}',
  wrongRoute: '{"error":"event type does not match this URL"}',
} as const;
export const ALLOW_BODY = '{"is_allowed":true}';

// ---------------------------------------------------------------------------------------------
// Recording handlers
// ---------------------------------------------------------------------------------------------

export interface Recorded {
  readonly route: string;
  readonly event: unknown;
}

/** Every handler invocation of the in-process and Lambda runs, in order. */
export const recorded: Recorded[] = [];

export const SERVED_BLOCKING: readonly BlockingEventType[] = [
  'user.pre_create',
  'oidc.jwt.pre_create',
  'authentication.pre_initialize',
  'authentication.pre_authenticated',
];
export const HANDLED_NON_BLOCKING: readonly NonBlockingEventType[] = ['user.created', 'user.authenticated', 'identity.email.added'];

export const blockingHandlers: BlockingHandler[] = SERVED_BLOCKING.map((type) =>
  defineBlockingHandler(type, (event) => {
    recorded.push({ route: type, event });
    return { is_allowed: true };
  }),
);
export const nonBlockingHandlers: NonBlockingHandler[] = HANDLED_NON_BLOCKING.map((type) =>
  defineNonBlockingHandler(type, (event) => {
    recorded.push({ route: 'non-blocking', event });
  }),
);

export const modulesOf = (handlers: readonly (BlockingHandler | NonBlockingHandler)[]): LoadedHandlerModule[] =>
  handlers.map((h) => ({ file: `functions/${h.kind}/${h.event}.ts`, kind: h.kind, eventType: h.event, exported: h }));

/** A static secret source that counts fetches, to show forged requests cannot amplify Secrets Manager calls. */
export const countingSource = (value: string): SecretSource & { calls: number } => {
  const inner = staticSecretSource(value, 'attack-test');
  const source = {
    kind: 'attack-test',
    calls: 0,
    fetch: async () => {
      source.calls += 1;
      return inner.fetch();
    },
  };
  return source;
};

/** Log lines are not kept (there are tens of thousands); each is checked as it is written. */
export const logAudit = { lines: 0, withSecret: 0, internalErrors: 0, errorLines: 0 };
export const auditingLogger = (): Logger =>
  createJsonLogger({
    level: 'info',
    sink: (level, line) => {
      logAudit.lines += 1;
      if (line.includes(SECRET)) logAudit.withSecret += 1;
      if (line.includes('"internal_error"')) logAudit.internalErrors += 1;
      if (level === 'error') logAudit.errorLines += 1;
    },
  });

// ---------------------------------------------------------------------------------------------
// The model: what the documented order of checks says a request must get
// ---------------------------------------------------------------------------------------------

export interface Served {
  readonly blocking: ReadonlySet<string>;
  readonly nonBlocking: boolean;
  readonly handled: ReadonlySet<string>;
}

export type Expected =
  | { readonly kind: 'refused'; readonly status: 400 | 401 | 404 | 405 | 413; readonly body: string; readonly why: string }
  | { readonly kind: 'blocking'; readonly event: unknown }
  | { readonly kind: 'non-blocking'; readonly event: unknown; readonly handled: boolean };

export interface ModelInput {
  readonly method: string;
  readonly path: string;
  /** The signature header values as the core sees them (all headers whose name matches, in any case). */
  readonly signatures: readonly string[];
  readonly body: Uint8Array;
  readonly tooLarge: boolean;
  readonly nowMs: number;
  /** MAX_BODY_BYTES of the server under test. */
  readonly maxBodyBytes: number;
}

export const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
export const hmacHex = (body: Uint8Array | string, secret = SECRET): string => createHmac('sha256', secret).update(body).digest('hex');
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const refuse = (status: 400 | 401 | 404 | 405 | 413, body: string, why: string): Expected => ({
  kind: 'refused',
  status,
  body,
  why,
});

export function model(input: ModelInput, served: Served): Expected {
  let routeType: string | undefined;
  if (input.path === '/non-blocking' && served.nonBlocking) routeType = 'non-blocking';
  else if (input.path.startsWith('/blocking/') && served.blocking.has(input.path.slice('/blocking/'.length)))
    routeType = input.path.slice('/blocking/'.length);
  if (routeType === undefined) return refuse(404, PUBLIC_BODIES.notFound, 'no route');
  if (input.method !== 'POST') return refuse(405, PUBLIC_BODIES.methodNotAllowed, 'method');
  if (input.tooLarge || input.body.byteLength > input.maxBodyBytes) return refuse(413, PUBLIC_BODIES.tooLarge, 'size');

  if (input.signatures.length > 1) return refuse(401, PUBLIC_BODIES.unauthorized, 'signature header repeated');
  const signature = input.signatures[0] ?? '';
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) return refuse(401, PUBLIC_BODIES.unauthorized, 'signature malformed');
  if (hmacHex(input.body) !== signature.toLowerCase()) return refuse(401, PUBLIC_BODIES.unauthorized, 'signature mismatch');

  let event: unknown;
  try {
    event = JSON.parse(strictUtf8.decode(input.body));
  } catch {
    return refuse(400, PUBLIC_BODIES.notAnEvent, 'not JSON');
  }
  if (!isPlainObject(event) || typeof event.id !== 'string' || typeof event.type !== 'string' || event.type === '') {
    return refuse(400, PUBLIC_BODIES.notAnEvent, 'not an envelope');
  }
  if (!isPlainObject(event.payload) || !isPlainObject(event.context) || typeof event.context.timestamp !== 'number') {
    return refuse(400, PUBLIC_BODIES.notAnEvent, 'not an envelope');
  }
  const ageMs = input.nowMs - event.context.timestamp * 1000;
  if (ageMs > MAX_AGE_MS) return refuse(401, PUBLIC_BODIES.unauthorized, 'stale');
  if (ageMs < -MAX_SKEW_MS) return refuse(401, PUBLIC_BODIES.unauthorized, 'future');

  if (routeType === 'non-blocking') {
    if (isBlockingEventType(event.type)) return refuse(400, PUBLIC_BODIES.wrongRoute, 'blocking event on /non-blocking');
    return { kind: 'non-blocking', event, handled: served.handled.has(event.type) };
  }
  if (event.type !== routeType) return refuse(400, PUBLIC_BODIES.wrongRoute, 'type does not match route');
  return { kind: 'blocking', event };
}

/** Deep equality of two JSON values without recursion (the bodies may be nested 100,000 deep). */
export function sameJson(a: unknown, b: unknown): boolean {
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop() as [unknown, unknown];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (kx.length !== ky.length) return false;
    for (const k of kx) {
      if (!Object.hasOwn(y, k)) return false;
      stack.push([(x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]]);
    }
  }
  return true;
}

/** Things that must never appear in an answer. */
export function leaks(body: string): string | undefined {
  if (body.includes('    at ')) return 'a stack trace';
  if (body.includes(SECRET)) return 'the secret';
  // Class names of thrown errors and the texts of JSON.parse and TextDecoder failures; the public
  // bodies use the lowercase key "error", which this does not match.
  if (/[A-Za-z]+Error\b|Exception|Unexpected token|Unexpected end|JSON\.parse|position \d|not valid JSON|encoded data/.test(body))
    return 'an internal error message';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Tally, printed at the end
// ---------------------------------------------------------------------------------------------

export class Tally {
  readonly #rows = new Map<string, { requests: number; statuses: Map<number, number> }>();

  add(key: string, status: number): void {
    let row = this.#rows.get(key);
    if (!row) this.#rows.set(key, (row = { requests: 0, statuses: new Map() }));
    row.requests += 1;
    row.statuses.set(status, (row.statuses.get(status) ?? 0) + 1);
  }

  get total(): number {
    let n = 0;
    for (const row of this.#rows.values()) n += row.requests;
    return n;
  }

  requests(key: string): number {
    return this.#rows.get(key)?.requests ?? 0;
  }

  render(title: string): string {
    const keys = [...this.#rows.keys()].sort();
    const width = Math.max(title.length, ...keys.map((k) => k.length));
    const lines = [`${title.padEnd(width)}  requests  statuses`];
    for (const key of keys) {
      const row = this.#rows.get(key)!;
      const statuses = [...row.statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ');
      lines.push(`${key.padEnd(width)}  ${String(row.requests).padStart(8)}  ${statuses}`);
    }
    lines.push(`${'total'.padEnd(width)}  ${String(this.total).padStart(8)}`);
    return lines.join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// Checking one answer
// ---------------------------------------------------------------------------------------------

export interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** Asserts everything the issue promises about one answer; returns a problem description or undefined. */
export function judge(expected: Expected, answer: Answer, newRecords: readonly Recorded[]): string | undefined {
  const leak = leaks(answer.body);
  if (leak) return `the answer contains ${leak}: ${answer.body.slice(0, 200)}`;
  if (answer.contentType !== 'application/json') return `content-type ${String(answer.contentType)}`;
  if (answer.status === 401 && answer.body !== PUBLIC_BODIES.unauthorized) return `a 401 with a non-generic body ${answer.body}`;

  switch (expected.kind) {
    case 'refused':
      if (answer.status !== expected.status)
        return `expected ${expected.status} (${expected.why}), got ${answer.status} ${answer.body.slice(0, 200)}`;
      if (answer.body !== expected.body) return `expected body ${expected.body}, got ${answer.body.slice(0, 200)}`;
      if (newRecords.length > 0) return `a handler ran on a refused request (${expected.why})`;
      return undefined;
    case 'blocking':
      if (answer.status !== 200 || answer.body !== ALLOW_BODY)
        return `expected 200 ${ALLOW_BODY}, got ${answer.status} ${answer.body.slice(0, 200)}`;
      if (newRecords.length !== 1) return `expected exactly one handler call, got ${newRecords.length}`;
      if (!sameJson(newRecords[0]!.event, expected.event)) return 'the handler saw something other than the parse of the signed bytes';
      return undefined;
    case 'non-blocking':
      // In process today; the non-blocking route may hand events to a queue instead, so only
      // the documented status classes are required, and a handler call (if any) must be this event.
      if (!((answer.status >= 200 && answer.status < 300) || (answer.status >= 500 && answer.status < 600)))
        return `non-blocking answer ${answer.status}`;
      if (newRecords.length > (expected.handled ? 1 : 0)) return `unexpected handler calls: ${newRecords.length}`;
      if (newRecords.length === 1 && !sameJson(newRecords[0]!.event, expected.event))
        return 'the handler saw something other than the parse of the signed bytes';
      return undefined;
  }
}

export const DOCUMENTED_STATUSES = new Set([200, 400, 401, 404, 405, 413, 503]);
export const documentedFor = (path: string, status: number): boolean =>
  DOCUMENTED_STATUSES.has(status) || (path === '/non-blocking' && ((status >= 200 && status < 300) || (status >= 500 && status < 600)));
