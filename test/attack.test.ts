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
 */
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLambdaHandler, type LambdaHandler } from '../shared/adapters/lambda';
import { createReceiverHandler } from '../shared/adapters/lambda-receiver';
import { createInlineQueue } from '../shared/queue/inline-queue';
import { createWebhookApp, type WebhookApp } from '../shared/core/app';
import type { LoadedHandlerModule } from '../shared/core/assemble';
import { readConfig } from '../shared/core/config';
import {
  BLOCKING_EVENT_TYPES,
  NON_BLOCKING_EVENT_TYPES,
  isBlockingEventType,
  type BlockingEventType,
  type NonBlockingEventType,
} from '../shared/core/constants';
import { defineBlockingHandler, defineNonBlockingHandler, type BlockingHandler, type NonBlockingHandler } from '../shared/core/handler';
import { createJsonLogger, type Logger } from '../shared/core/logger';
import { SecretStore, staticSecretSource, type SecretSource } from '../shared/core/secret';
import { startLocalServer, type LocalServer } from '../shared/local/server';
import { VECTORS, VECTOR_SECRET } from './fixtures/authgear-vectors';
import { goJson, trickyPreCreateBody } from './fixtures/go-json';
import { SHARED_FROM_HANDLER } from './support/paths';

// ---------------------------------------------------------------------------------------------
// Run parameters
// ---------------------------------------------------------------------------------------------

const integerFromEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer (got "${raw}")`);
  return value;
};

const SEED = integerFromEnv('FC_SEED', 20_261_126);
const NUM_RUNS = integerFromEnv('FC_NUM_RUNS', 10_000);
/** The floor the issue sets for one default run. */
const MIN_DEFAULT_RUNS = 10_000;

/** The real secret: the vectors are signed with it, so they verify as they are. */
const SECRET = VECTOR_SECRET;
const SIGNATURE_HEADER = 'x-authgear-body-signature';
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_AGE_MS = 300_000;
const MAX_SKEW_MS = 60_000;

const PUBLIC_BODIES = {
  unauthorized: '{"error":"unauthorized"}',
  notFound: '{"error":"not found"}',
  methodNotAllowed: '{"error":"method not allowed"}',
  tooLarge: '{"error":"payload too large"}',
  notAnEvent: '{"error":"body is not an Authgear event"}',
  wrongRoute: '{"error":"event type does not match this URL"}',
} as const;
const ALLOW_BODY = '{"is_allowed":true}';

// ---------------------------------------------------------------------------------------------
// Recording handlers
// ---------------------------------------------------------------------------------------------

interface Recorded {
  readonly route: string;
  readonly event: unknown;
}

/** Every handler invocation of the in-process and Lambda runs, in order. */
const recorded: Recorded[] = [];

const SERVED_BLOCKING: readonly BlockingEventType[] = [
  'user.pre_create',
  'oidc.jwt.pre_create',
  'authentication.pre_initialize',
  'authentication.pre_authenticated',
];
const HANDLED_NON_BLOCKING: readonly NonBlockingEventType[] = ['user.created', 'user.authenticated', 'identity.email.added'];

const blockingHandlers: BlockingHandler[] = SERVED_BLOCKING.map((type) =>
  defineBlockingHandler(type, (event) => {
    recorded.push({ route: type, event });
    return { is_allowed: true };
  }),
);
const nonBlockingHandlers: NonBlockingHandler[] = HANDLED_NON_BLOCKING.map((type) =>
  defineNonBlockingHandler(type, (event) => {
    recorded.push({ route: 'non-blocking', event });
  }),
);

const modulesOf = (handlers: readonly (BlockingHandler | NonBlockingHandler)[]): LoadedHandlerModule[] =>
  handlers.map((h) => ({ file: `functions/${h.kind}/${h.event}.ts`, kind: h.kind, eventType: h.event, exported: h }));

/** A static secret source that counts fetches, to show forged requests cannot amplify Secrets Manager calls. */
const countingSource = (value: string): SecretSource & { calls: number } => {
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
const logAudit = { lines: 0, withSecret: 0, internalErrors: 0, errorLines: 0 };
const auditingLogger = (): Logger =>
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

interface Served {
  readonly blocking: ReadonlySet<string>;
  readonly nonBlocking: boolean;
  readonly handled: ReadonlySet<string>;
}

type Expected =
  | { readonly kind: 'refused'; readonly status: 400 | 401 | 404 | 405 | 413; readonly body: string; readonly why: string }
  | { readonly kind: 'blocking'; readonly event: unknown }
  | { readonly kind: 'non-blocking'; readonly event: unknown; readonly handled: boolean };

interface ModelInput {
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

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const hmacHex = (body: Uint8Array | string, secret = SECRET): string => createHmac('sha256', secret).update(body).digest('hex');
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const refuse = (status: 400 | 401 | 404 | 405 | 413, body: string, why: string): Expected => ({ kind: 'refused', status, body, why });

function model(input: ModelInput, served: Served): Expected {
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
function sameJson(a: unknown, b: unknown): boolean {
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
function leaks(body: string): string | undefined {
  if (body.includes('    at ')) return 'a stack trace';
  if (body.includes(SECRET)) return 'the secret';
  // Class names of thrown errors and the texts of JSON.parse and TextDecoder failures; the public
  // bodies use the lowercase key "error", which this does not match.
  if (/[A-Za-z]+Error\b|Exception|Unexpected token|Unexpected end|JSON\.parse|position \d|not valid JSON|encoded data/.test(body))
    return 'an internal error message';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Generated requests
// ---------------------------------------------------------------------------------------------

/** Real payloads, so generated events of a known type look like Authgear's. */
const VECTOR_EVENTS = VECTORS.map((v) => JSON.parse(v.body) as { type: string; payload: unknown; context: Record<string, unknown> });
const REAL_PAYLOADS = VECTOR_EVENTS.map((e) => e.payload);
const REAL_CONTEXT = VECTOR_EVENTS[0]!.context;
const TRICKY = trickyPreCreateBody();

const DEEP = 100_000;
const RAW_BODIES = {
  empty: '',
  'json null': 'null',
  'json array': '[1,2,3]',
  'json string': '"user.pre_create"',
  'deep arrays (100k)': `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`,
  'deep objects (50k)': `${'{"a":'.repeat(DEEP / 2)}1${'}'.repeat(DEEP / 2)}`,
  'unclosed deep arrays': '['.repeat(DEEP),
} as const;
type RawBodyName = keyof typeof RAW_BODIES;

type EnvelopeTemplate =
  | { readonly kind: 'vector'; readonly index: number }
  | { readonly kind: 'tricky' }
  | { readonly kind: 'generated'; readonly event: GeneratedEvent }
  | { readonly kind: 'deep payload'; readonly type: string }
  | { readonly kind: 'invalid utf-8 in envelope'; readonly type: string }
  | { readonly kind: 'raw'; readonly name: RawBodyName }
  | { readonly kind: 'random bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'oversized'; readonly extra: number; readonly flagOnly: boolean };

interface GeneratedEvent {
  readonly id: unknown;
  readonly seq: number;
  readonly type: unknown;
  readonly payload: unknown;
  readonly timestamp: 'number' | 'fraction' | 'string' | 'missing' | 'huge' | 'negative';
  readonly context: 'real' | 'minimal' | 'not an object';
  readonly extra: Readonly<Record<string, string>>;
  readonly style: 'go' | 'pretty';
}

type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'truncate'; readonly keep: number }
  | { readonly op: 'append'; readonly bytes: readonly number[] }
  | { readonly op: 'invalid utf-8'; readonly at: number; readonly bytes: readonly number[] };

type SignatureMode =
  | {
      readonly mode:
        | 'good'
        | 'good, upper-case hex'
        | 'good, mixed-case hex'
        | 'of the unmutated body'
        | 'wrong secret'
        | 'missing'
        | 'empty';
    }
  | { readonly mode: 'good, padded with spaces' }
  | { readonly mode: 'bit flipped'; readonly nibble: number; readonly bit: number }
  | { readonly mode: 'truncated'; readonly drop: number }
  | { readonly mode: 'extended'; readonly suffix: string }
  | { readonly mode: 'random hex'; readonly hex: string }
  | { readonly mode: 'not hex'; readonly at: number; readonly char: string }
  | { readonly mode: 'sent twice, same value' }
  | { readonly mode: 'sent twice, good and flipped' }
  | { readonly mode: 'two names differing in case' }
  | { readonly mode: 'near-miss header name'; readonly name: string };

type Route = { readonly to: 'own' | 'other blocking' | 'non-blocking' } | { readonly to: 'unknown'; readonly path: string };

type LambdaBody = 'truthful' | 'base64' | 'flag says base64, body is text' | 'flag says text, body is base64' | 'no body';

interface Attack {
  readonly transport: 'core' | 'lambda';
  readonly template: EnvelopeTemplate;
  readonly mutations: readonly Mutation[];
  readonly signature: SignatureMode;
  /** Header name casing: bit i upper-cases character i. */
  readonly casing: number;
  readonly method: string;
  readonly route: Route;
  /** Age of the event at delivery in ms (negative: stamped in the future). */
  readonly ageMs: number;
  readonly lambdaBody: LambdaBody;
  readonly junkHeaders: readonly (readonly [string, string])[];
}

const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const byte = fc.integer({ min: 0, max: 255 });

const generatedEventArb: fc.Arbitrary<GeneratedEvent> = fc.record({
  id: fc.oneof({ weight: 12, arbitrary: hex(16) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }),
  seq: fc.nat(),
  type: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...BLOCKING_EVENT_TYPES) },
    { weight: 4, arbitrary: fc.constantFrom(...NON_BLOCKING_EVENT_TYPES) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('user.future_event', 'User.Pre_Create', 'user.pre_create ', '__proto__', 'constructor', 'toString', ''),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  ),
  payload: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...REAL_PAYLOADS) },
    { weight: 2, arbitrary: fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  ),
  timestamp: fc.oneof(
    { weight: 20, arbitrary: fc.constant('number' as const) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('fraction' as const, 'string' as const, 'missing' as const, 'huge' as const, 'negative' as const),
    },
  ),
  context: fc.oneof(
    { weight: 10, arbitrary: fc.constant('real' as const) },
    { weight: 2, arbitrary: fc.constant('minimal' as const) },
    { weight: 1, arbitrary: fc.constant('not an object' as const) },
  ),
  extra: fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 16 }), { maxKeys: 2 }),
  style: fc.constantFrom('go' as const, 'pretty' as const),
});

const templateArb: fc.Arbitrary<EnvelopeTemplate> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('vector' as const), index: fc.nat(VECTORS.length - 1) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'tricky' as const }) },
  { weight: 40, arbitrary: fc.record({ kind: fc.constant('generated' as const), event: generatedEventArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('deep payload' as const), type: fc.constantFrom('user.pre_create', 'user.created') }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('invalid utf-8 in envelope' as const),
      type: fc.constantFrom('user.pre_create', 'user.created'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('raw' as const), name: fc.constantFrom(...(Object.keys(RAW_BODIES) as RawBodyName[])) }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('random bytes' as const), bytes: fc.uint8Array({ maxLength: 256 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('oversized' as const), extra: fc.integer({ min: 1, max: 64 }), flagOnly: fc.boolean() }),
  },
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(byte, { minLength: 1, maxLength: 4 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('truncate' as const), keep: fc.double({ min: 0, max: 1, noNaN: true }).map((k) => Math.min(k, 0.999)) }),
  fc.record({ op: fc.constant('append' as const), bytes: fc.array(byte, { minLength: 1, maxLength: 4 }) }),
  fc.record({
    op: fc.constant('invalid utf-8' as const),
    at: fc.nat(),
    bytes: fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]),
  }),
);

const signatureArb: fc.Arbitrary<SignatureMode> = fc.oneof(
  { weight: 40, arbitrary: fc.constant({ mode: 'good' as const }) },
  { weight: 3, arbitrary: fc.constantFrom({ mode: 'good, upper-case hex' as const }, { mode: 'good, mixed-case hex' as const }) },
  { weight: 6, arbitrary: fc.constant({ mode: 'of the unmutated body' as const }) },
  { weight: 6, arbitrary: fc.record({ mode: fc.constant('bit flipped' as const), nibble: fc.nat(63), bit: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ mode: fc.constant('truncated' as const), drop: fc.integer({ min: 1, max: 64 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      mode: fc.constant('extended' as const),
      suffix: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 64 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ mode: fc.constant('random hex' as const), hex: hex(64) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      mode: fc.constant('not hex' as const),
      at: fc.nat(63),
      char: fc.constantFrom('g', 'z', 'G', ' ', '-', '\u00e9', 'x'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      { mode: 'wrong secret' as const },
      { mode: 'missing' as const },
      { mode: 'empty' as const },
      { mode: 'good, padded with spaces' as const },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      { mode: 'sent twice, same value' as const },
      { mode: 'sent twice, good and flipped' as const },
      { mode: 'two names differing in case' as const },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      mode: fc.constant('near-miss header name' as const),
      name: fc.constantFrom(
        'x-authgear-body-signatur',
        'x-authgear-signature',
        'x-authgear-body-signature-2',
        'x-authgear-body_signature',
        ' x-authgear-body-signature',
        'authgear-body-signature',
      ),
    }),
  },
);

const methodArb = fc.oneof(
  { weight: 30, arbitrary: fc.constant('POST') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'post', 'Post', 'POST ', ''),
  },
);

const routeArb: fc.Arbitrary<Route> = fc.oneof(
  { weight: 30, arbitrary: fc.constant({ to: 'own' as const }) },
  { weight: 2, arbitrary: fc.constantFrom({ to: 'other blocking' as const }, { to: 'non-blocking' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      to: fc.constant('unknown' as const),
      path: fc.oneof(
        fc.constantFrom(
          '',
          '/',
          '/blocking',
          '/blocking/',
          '/blocking/USER.PRE_CREATE',
          '/blocking/user.pre_create/',
          '/blocking/user.pre_create%00',
          '/blocking/%75ser.pre_create',
          '/blocking/../non-blocking',
          '//non-blocking',
          '/non-blocking/',
          '/Non-Blocking',
          '/blocking/user.created',
          '/blocking/user.profile.pre_update',
          '/blocking/__proto__',
          '/blocking/constructor',
        ),
        fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => `/${s}`),
      ),
    }),
  },
);

/** Age at delivery: mostly fresh, sometimes exactly on a boundary, stale or too far ahead. */
const ageArb = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: -MAX_SKEW_MS, max: MAX_AGE_MS }) },
  { weight: 1, arbitrary: fc.constantFrom(MAX_AGE_MS, MAX_AGE_MS + 1, -MAX_SKEW_MS, -MAX_SKEW_MS - 1, 0) },
  { weight: 1, arbitrary: fc.integer({ min: MAX_AGE_MS + 1, max: 10 * 365 * 86_400_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: -10 * 365 * 86_400_000, max: -MAX_SKEW_MS - 1 }) },
);

const lambdaBodyArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('truthful' as const, 'base64' as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('flag says base64, body is text' as const, 'flag says text, body is base64' as const, 'no body' as const),
  },
);

const junkHeadersArb = fc.array(
  fc.tuple(
    fc.constantFrom('content-type', 'Content-Type', 'user-agent', 'x-forwarded-for', 'traceparent', 'content-length', 'x-amzn-trace-id'),
    fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
  ),
  { maxLength: 3 },
);

const attackArb: fc.Arbitrary<Attack> = fc.record({
  transport: fc.oneof({ weight: 7, arbitrary: fc.constant('core' as const) }, { weight: 3, arbitrary: fc.constant('lambda' as const) }),
  template: templateArb,
  mutations: fc.oneof(
    { weight: 6, arbitrary: fc.constant([]) },
    { weight: 4, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 3 }) },
  ),
  signature: signatureArb,
  casing: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat() }),
  method: methodArb,
  route: routeArb,
  ageMs: ageArb,
  lambdaBody: lambdaBodyArb,
  junkHeaders: junkHeadersArb,
});

// ---------------------------------------------------------------------------------------------
// Building a request from an attack
// ---------------------------------------------------------------------------------------------

const T0_SECONDS = 1_795_000_000; // November 2026

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');

/** The body before mutations, and the type it claims (for choosing its own route). */
function bodyOf(template: EnvelopeTemplate, timestamp: number, restamp: boolean): { bytes: Uint8Array; type: string; tooLarge?: boolean } {
  switch (template.kind) {
    case 'vector': {
      const v = VECTORS[template.index]!;
      if (!restamp) return { bytes: utf8(v.body), type: v.type };
      const event = JSON.parse(v.body) as { context: { timestamp: number } };
      event.context.timestamp = timestamp;
      return { bytes: utf8(goJson(event)), type: v.type };
    }
    case 'tricky': {
      const event = JSON.parse(TRICKY) as { context: { timestamp: number } };
      event.context.timestamp = timestamp;
      return { bytes: utf8(goJson(event)), type: 'user.pre_create' };
    }
    case 'generated': {
      const g = template.event;
      const ts =
        g.timestamp === 'number'
          ? timestamp
          : g.timestamp === 'fraction'
            ? timestamp + 0.25
            : g.timestamp === 'string'
              ? String(timestamp)
              : g.timestamp === 'huge'
                ? 1e300
                : g.timestamp === 'negative'
                  ? -timestamp
                  : undefined;
      const context =
        g.context === 'not an object'
          ? [ts]
          : g.context === 'minimal'
            ? { timestamp: ts, ...g.extra }
            : { ...REAL_CONTEXT, timestamp: ts, ...g.extra };
      const event = { id: g.id, seq: g.seq, type: g.type, payload: g.payload, context };
      const text = g.style === 'go' ? goJson(event) : JSON.stringify(event, null, 2);
      return { bytes: utf8(text), type: typeof g.type === 'string' ? g.type : '' };
    }
    case 'deep payload':
      return {
        bytes: utf8(
          `{"id":"00000000000d0e01","seq":1,"type":"${template.type}","payload":{"deep":${RAW_BODIES['deep arrays (100k)']}},"context":{"timestamp":${timestamp}}}`,
        ),
        type: template.type,
      };
    case 'invalid utf-8 in envelope':
      return {
        bytes: Buffer.concat([
          utf8(`{"id":"00000000000d0e02","seq":2,"type":"${template.type}","payload":{"name":"`),
          Buffer.from([0xc3, 0x28, 0xff]),
          utf8(`"},"context":{"timestamp":${timestamp}}}`),
        ]),
        type: template.type,
      };
    case 'raw':
      return { bytes: utf8(RAW_BODIES[template.name]), type: 'user.pre_create' };
    case 'random bytes':
      return { bytes: template.bytes, type: 'user.created' };
    case 'oversized':
      return template.flagOnly && !restamp
        ? { bytes: utf8('{}'), type: 'user.pre_create', tooLarge: true }
        : { bytes: Buffer.alloc(MAX_BODY_BYTES + template.extra, 0x7b), type: 'user.pre_create' };
  }
}

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = Buffer.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : 'at' in m ? m.at % (out.length + 1) : 0;
    switch (m.op) {
      case 'flip':
        if (out.length > 0) out[at % out.length]! ^= 1 << m.bit;
        break;
      case 'insert':
      case 'invalid utf-8':
        out = Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]);
        break;
      case 'delete':
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.length)]);
        break;
      case 'truncate':
        out = out.subarray(0, Math.floor(out.length * m.keep));
        break;
      case 'append':
        out = Buffer.concat([out, Buffer.from(m.bytes)]);
        break;
    }
  }
  return out;
}

const applyCasing = (name: string, casing: number): string =>
  [...name].map((c, i) => (i < 31 && (casing >>> i) & 1 ? c.toUpperCase() : c)).join('');

function flipNibble(signature: string, nibble: number, bit: number): string {
  const value = parseInt(signature[nibble]!, 16) ^ (1 << bit);
  return `${signature.slice(0, nibble)}${value.toString(16)}${signature.slice(nibble + 1)}`;
}

/** The signature header lines an attack sends, as [name, value] pairs in order. */
function signatureHeaders(
  s: SignatureMode,
  name: string,
  body: Uint8Array,
  unmutated: Uint8Array,
  storedSignature: string | undefined,
): [string, string][] {
  const good = hmacHex(body);
  switch (s.mode) {
    case 'good':
      return [[name, good]];
    case 'good, upper-case hex':
      return [[name, good.toUpperCase()]];
    case 'good, mixed-case hex':
      return [[name, [...good].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('')]];
    case 'good, padded with spaces':
      return [[name, ` ${good} `]];
    case 'of the unmutated body':
      return [[name, storedSignature ?? hmacHex(unmutated)]];
    case 'wrong secret':
      return [[name, hmacHex(body, 'someone-elses-secret-0123456789ab')]];
    case 'missing':
      return [];
    case 'empty':
      return [[name, '']];
    case 'bit flipped':
      return [[name, flipNibble(good, s.nibble, s.bit)]];
    case 'truncated':
      return [[name, good.slice(0, 64 - s.drop)]];
    case 'extended':
      return [[name, good + s.suffix]];
    case 'random hex':
      return [[name, s.hex]];
    case 'not hex':
      return [[name, `${good.slice(0, s.at)}${s.char}${good.slice(s.at + 1)}`]];
    case 'sent twice, same value':
      return [
        [name, good],
        [name, good],
      ];
    case 'sent twice, good and flipped':
      return [
        [name, good],
        [name, flipNibble(good, 0, 0)],
      ];
    case 'two names differing in case':
      return [
        [SIGNATURE_HEADER, good],
        [SIGNATURE_HEADER.toUpperCase(), good],
      ];
    case 'near-miss header name':
      return [[s.name, good]];
  }
}

function pathFor(route: Route, type: string, pick: number): string {
  switch (route.to) {
    case 'own':
      return isBlockingEventType(type) ? `/blocking/${type}` : '/non-blocking';
    case 'other blocking':
      return `/blocking/${SERVED_BLOCKING[pick % SERVED_BLOCKING.length]!}`;
    case 'non-blocking':
      return '/non-blocking';
    case 'unknown':
      return route.path;
  }
}

/** A short name for what an attack mainly tries, for the printed counts. */
function categoryOf(a: Attack): string {
  if (a.route.to === 'unknown') return 'unknown path';
  if (a.method !== 'POST') return 'non-POST method';
  if (a.template.kind === 'oversized') return a.template.flagOnly ? 'oversized (adapter flag)' : 'oversized body';
  if (a.transport === 'lambda' && a.lambdaBody !== 'truthful' && a.lambdaBody !== 'base64') return `lambda: ${a.lambdaBody}`;
  if (a.signature.mode !== 'good' && a.signature.mode !== 'of the unmutated body') return `signature: ${a.signature.mode}`;
  if (a.mutations.length > 0) return a.signature.mode === 'good' ? 'mutated body, re-signed' : 'mutated body, original signature';
  if (a.template.kind === 'raw') return `signed ${a.template.name}`;
  if (a.template.kind !== 'vector' && a.template.kind !== 'tricky' && a.template.kind !== 'generated') return `signed ${a.template.kind}`;
  if (a.ageMs > MAX_AGE_MS) return 'stale timestamp';
  if (a.ageMs < -MAX_SKEW_MS) return 'future timestamp';
  if (a.route.to !== 'own') return 'route/type mismatch';
  return a.template.kind === 'generated' ? 'generated event' : 'signed vector';
}

// ---------------------------------------------------------------------------------------------
// Tally, printed at the end
// ---------------------------------------------------------------------------------------------

class Tally {
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

interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** Asserts everything the issue promises about one answer; returns a problem description or undefined. */
function judge(expected: Expected, answer: Answer, newRecords: readonly Recorded[]): string | undefined {
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

const DOCUMENTED_STATUSES = new Set([200, 400, 401, 404, 405, 413, 503]);
const documentedFor = (path: string, status: number): boolean =>
  DOCUMENTED_STATUSES.has(status) || (path === '/non-blocking' && ((status >= 200 && status < 300) || (status >= 500 && status < 600)));

// ---------------------------------------------------------------------------------------------
// In process and through the Lambda adapter
// ---------------------------------------------------------------------------------------------

describe('attack: generated hostile deliveries through the core and the Lambda adapter', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it(`answers ${NUM_RUNS} generated requests exactly as documented, never runs a handler on an unverified body, and leaks nothing`, async () => {
    // Prepare
    let clock = T0_SECONDS * 1000;
    const config = readConfig({ LOG_LEVEL: 'info' });
    const logger = auditingLogger();
    const coreSource = countingSource(SECRET);
    const coreHandlers = {
      blocking: new Map(blockingHandlers.map((h) => [h.event, h])),
      nonBlocking: new Map(nonBlockingHandlers.map((h) => [h.event, h])),
    };
    // Non-blocking events go through the queue processor within the request, so a handler call
    // shows up as it would from the worker.
    const core: WebhookApp = createWebhookApp({
      handlers: coreHandlers,
      nonBlockingQueue: createInlineQueue({ handlers: coreHandlers, config, logger, now: () => clock }),
      secrets: new SecretStore({
        source: coreSource,
        logger,
        ttlMs: config.secretCacheTtlMs,
        refreshIntervalMs: config.secretRefreshIntervalMs,
      }),
      config,
      logger,
      now: () => clock,
    });
    const lambdaSources = { blocking: countingSource(SECRET), nonBlocking: countingSource(SECRET) };
    const lambdaEnv = { LOG_LEVEL: 'info' };
    const lambdas: Record<'blocking' | 'non-blocking', LambdaHandler> = {
      blocking: createLambdaHandler({
        serve: 'blocking',
        modules: modulesOf(blockingHandlers),
        env: lambdaEnv,
        logger,
        secretSource: lambdaSources.blocking,
      }),
      'non-blocking': createReceiverHandler({
        eventTypes: HANDLED_NON_BLOCKING,
        env: lambdaEnv,
        logger,
        secretSource: lambdaSources.nonBlocking,
        queue: createInlineQueue({ handlers: { nonBlocking: coreHandlers.nonBlocking }, config: readConfig(lambdaEnv), logger }),
      }),
    };
    const served = {
      core: { blocking: new Set<string>(SERVED_BLOCKING), nonBlocking: true, handled: new Set<string>(HANDLED_NON_BLOCKING) },
      blocking: { blocking: new Set<string>(SERVED_BLOCKING), nonBlocking: false, handled: new Set<string>() },
      'non-blocking': { blocking: new Set<string>(), nonBlocking: true, handled: new Set<string>(HANDLED_NON_BLOCKING) },
    } satisfies Record<string, Served>;
    const byCategory = new Tally();
    const byTransport = new Tally();
    const byOutcome = new Tally();
    const undocumented: string[] = [];
    let handlerCalls = 0;
    const startedAt = Date.now();

    // Act
    const run = fc.asyncProperty(attackArb, fc.nat(), async (attack, pick) => {
      const lambda = attack.transport === 'lambda';
      // The core run gets a clock set exactly relative to the event; the Lambda adapter reads the
      // real clock, so its events are stamped relative to it, away from the window's edges.
      const realNow = Date.now();
      const ageMs = lambda ? lambdaSafeAge(attack.ageMs) : attack.ageMs;
      const timestamp = lambda ? Math.floor(realNow / 1000) - Math.round(ageMs / 1000) : T0_SECONDS + (pick % 1000);
      const vectorTimestamp =
        attack.template.kind === 'vector' ? (VECTOR_EVENTS[attack.template.index]!.context.timestamp as number) : undefined;
      const base = bodyOf(attack.template, timestamp, lambda);
      const eventTimestamp = vectorTimestamp !== undefined && !lambda ? vectorTimestamp : timestamp;
      clock = eventTimestamp * 1000 + ageMs;

      const body = mutate(base.bytes, attack.mutations);
      const storedSignature = attack.template.kind === 'vector' && !lambda ? VECTORS[attack.template.index]!.signature : undefined;
      const name = applyCasing(SIGNATURE_HEADER, attack.casing);
      const signatureLines = signatureHeaders(attack.signature, name, body, base.bytes, storedSignature);
      const path = pathFor(attack.route, base.type, pick);
      const category = categoryOf(attack);
      // Only this request's calls are kept: the deep bodies would otherwise pile up in memory.
      recorded.length = 0;
      const before = 0;

      let answer: Answer;
      let expected: Expected;
      let target: string;
      if (!lambda) {
        target = 'core (in process)';
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of [...attack.junkHeaders, ...signatureLines]) {
          const existing = headers[k];
          headers[k] = existing === undefined ? v : [...(Array.isArray(existing) ? existing : [existing]), v];
        }
        const signatures = Object.entries(headers)
          .filter(([k]) => k.toLowerCase() === SIGNATURE_HEADER)
          .flatMap(([, v]) => (Array.isArray(v) ? v : [v]));
        expected = model(
          { method: attack.method, path, signatures, body, tooLarge: base.tooLarge === true, nowMs: clock, maxBodyBytes: MAX_BODY_BYTES },
          served.core,
        );
        const response = await core.handle({
          method: attack.method,
          path,
          headers,
          body,
          ...(base.tooLarge ? { bodyTooLarge: true } : {}),
        });
        answer = { status: response.status, contentType: response.headers['content-type'], body: response.body };
      } else {
        // API Gateway routes /non-blocking to one function and each blocking path to the other;
        // a path it has no route for would never reach either, but both must still refuse it.
        const fn = path === '/non-blocking' || (attack.route.to === 'unknown' && pick % 2 === 0) ? 'non-blocking' : 'blocking';
        target = `lambda ${fn}`;
        // API Gateway joins repeated headers with commas.
        const headers: Record<string, string> = {};
        for (const [k, v] of [...attack.junkHeaders, ...signatureLines]) headers[k] = headers[k] === undefined ? v : `${headers[k]},${v}`;
        const { payload, isBase64Encoded, received } = lambdaBody(attack.lambdaBody, body);
        const signatures = Object.entries(headers)
          .filter(([k]) => k.toLowerCase() === SIGNATURE_HEADER)
          .map(([, v]) => v);
        expected = model(
          { method: attack.method, path, signatures, body: received, tooLarge: false, nowMs: Date.now(), maxBodyBytes: MAX_BODY_BYTES },
          served[fn],
        );
        const result = await lambdas[fn](lambdaEvent(attack.method, path, headers, payload, isBase64Encoded));
        answer = lambdaAnswer(result);
      }

      handlerCalls += recorded.length;
      const problem = judge(expected, answer, recorded.slice(before));
      if (!documentedFor(path, answer.status)) undocumented.push(`${answer.status} on ${path}`);
      byCategory.add(category, answer.status);
      byTransport.add(target, answer.status);
      byOutcome.add(expected.kind === 'refused' ? `refused: ${expected.why}` : `verified ${expected.kind}`, answer.status);
      if (problem) throw new Error(`${target}, ${category}: ${problem}`);
    });
    await fc.assert(run, { numRuns: NUM_RUNS, seed: SEED });
    const elapsedMs = Date.now() - startedAt;

    // Assess
    console.log(
      [
        `attack run: ${byCategory.total} requests, seed ${SEED} (FC_SEED), ${NUM_RUNS} runs (FC_NUM_RUNS), ${elapsedMs} ms`,
        byCategory.render('category'),
        byTransport.render('transport'),
        byOutcome.render('model verdict'),
        `handler calls: ${handlerCalls}; log lines: ${logAudit.lines}; secret fetches: core ${coreSource.calls}, lambda ${lambdaSources.blocking.calls}+${lambdaSources.nonBlocking.calls}`,
      ].join('\n\n'),
    );
    expect(byCategory.total).toBe(NUM_RUNS);
    expect(undocumented).toEqual([]);
    expect(unhandled).toEqual([]);
    expect(logAudit.withSecret).toBe(0);
    expect(logAudit.internalErrors).toBe(0);
    // Forged requests may trigger a re-fetch for a rotated secret, but at most one per refresh interval.
    const allowedFetches = 1 + Math.ceil(elapsedMs / config.secretRefreshIntervalMs);
    for (const calls of [coreSource.calls, lambdaSources.blocking.calls, lambdaSources.nonBlocking.calls])
      expect(calls).toBeLessThanOrEqual(allowedFetches);
    // The generator really covered what it claims (only checked at the default size).
    if (NUM_RUNS >= MIN_DEFAULT_RUNS) {
      expect(byTransport.requests('lambda blocking') + byTransport.requests('lambda non-blocking')).toBeGreaterThan(NUM_RUNS / 5);
      expect(byOutcome.requests('verified blocking')).toBeGreaterThan(NUM_RUNS / 20);
      expect(byOutcome.requests('verified non-blocking')).toBeGreaterThan(NUM_RUNS / 20);
      for (const why of [
        'stale',
        'future',
        'not JSON',
        'not an envelope',
        'signature mismatch',
        'signature malformed',
        'signature header repeated',
        'type does not match route',
        'size',
        'method',
        'no route',
      ]) {
        expect(byOutcome.requests(`refused: ${why}`), why).toBeGreaterThan(0);
      }
    }
  }, 180_000);
});

/** The same kind of age, moved at least 5 s away from the window's edges (the real clock ticks on). */
function lambdaSafeAge(ageMs: number): number {
  if (ageMs > MAX_AGE_MS) return Math.max(ageMs, MAX_AGE_MS + 5_000);
  if (ageMs < -MAX_SKEW_MS) return Math.min(ageMs, -MAX_SKEW_MS - 5_000);
  return Math.min(Math.max(ageMs, -MAX_SKEW_MS + 5_000), MAX_AGE_MS - 5_000);
}

/** What API Gateway would put in the event for `body`, and the bytes the adapter must decode from it. */
function lambdaBody(mode: LambdaBody, body: Uint8Array): { payload: string | undefined; isBase64Encoded: boolean; received: Uint8Array } {
  const base64 = Buffer.from(body).toString('base64');
  const text = Buffer.from(body).toString('utf8');
  const validUtf8 = Buffer.from(text, 'utf8').equals(body);
  switch (mode) {
    case 'truthful':
      return validUtf8
        ? { payload: text, isBase64Encoded: false, received: body }
        : { payload: base64, isBase64Encoded: true, received: body };
    case 'base64':
      return { payload: base64, isBase64Encoded: true, received: body };
    case 'flag says base64, body is text':
      return { payload: text, isBase64Encoded: true, received: Buffer.from(text, 'base64') };
    case 'flag says text, body is base64':
      return { payload: base64, isBase64Encoded: false, received: Buffer.from(base64, 'utf8') };
    case 'no body':
      return { payload: undefined, isBase64Encoded: false, received: new Uint8Array(0) };
  }
}

function lambdaEvent(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
  isBase64Encoded: boolean,
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'attack',
      domainName: 'attack.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'attack',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Go-http-client/1.1' },
      requestId: 'attack-request',
      routeKey: '$default',
      stage: '$default',
      time: '26/Nov/2026:12:00:00 +0000',
      timeEpoch: Date.now(),
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded,
  };
}

function lambdaAnswer(result: APIGatewayProxyStructuredResultV2): Answer {
  const headers = result.headers ?? {};
  const contentType = headers['content-type'];
  return {
    status: result.statusCode ?? 0,
    contentType: typeof contentType === 'string' ? contentType : undefined,
    body: result.body ?? '',
  };
}

// ---------------------------------------------------------------------------------------------
// Replays to the same container
// ---------------------------------------------------------------------------------------------

describe('attack: replays with REJECT_REPEATED_BLOCKING_EVENTS on', () => {
  // The option promises that a blocking event this container already answered is refused when
  // it comes again. Together with the freshness window that means: each signed blocking event is
  // accepted at most once per container, whatever its (fresh) timestamp and whenever the replay
  // comes. Authgear's clock may legitimately run up to MAX_CLOCK_SKEW_SECONDS ahead.
  it('accepts each signed blocking event at most once, for any fresh timestamp and any replay time', async () => {
    // Prepare
    const config = readConfig({ LOG_LEVEL: 'silent', REJECT_REPEATED_BLOCKING_EVENTS: 'true' });
    const logger = createJsonLogger({ level: 'silent' });
    const handler = defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }));
    const schedule = fc.record({
      // How far ahead of this machine's clock Authgear stamped each event (seconds), within what is accepted.
      stamps: fc.array(fc.integer({ min: -299, max: 60 }), { minLength: 1, maxLength: 3 }),
      // Small steps, steps around the 300 s age window, and long gaps.
      deliveries: fc.array(
        fc.record({
          event: fc.nat(2),
          advanceMs: fc.oneof(
            fc.integer({ min: 0, max: 10_000 }),
            fc.integer({ min: 240_000, max: 370_000 }),
            fc.integer({ min: 0, max: 400_000 }),
          ),
        }),
        { minLength: 2, maxLength: 8 },
      ),
    });
    const vector = JSON.parse(VECTORS[0]!.body) as { id: string; context: { timestamp: number } };

    // Act
    const run = fc.asyncProperty(schedule, async ({ stamps, deliveries }) => {
      let clock = T0_SECONDS * 1000;
      const app = createWebhookApp({
        handlers: { blocking: new Map([['user.pre_create', handler]]) },
        secrets: new SecretStore({
          source: staticSecretSource(SECRET),
          logger,
          ttlMs: config.secretCacheTtlMs,
          refreshIntervalMs: config.secretRefreshIntervalMs,
        }),
        config,
        logger,
        now: () => clock,
      });
      const bodies = stamps.map((ahead, i) => {
        const event = structuredClone(vector);
        event.id = `00000000000e0${String(i).padStart(3, '0')}`;
        event.context.timestamp = T0_SECONDS + ahead;
        return utf8(goJson(event));
      });
      const accepted = bodies.map(() => 0);
      const log: string[] = [];
      for (const d of deliveries) {
        clock += d.advanceMs;
        const index = d.event % bodies.length;
        const body = bodies[index]!;
        const response = await app.handle({
          method: 'POST',
          path: '/blocking/user.pre_create',
          headers: { [SIGNATURE_HEADER]: hmacHex(body) },
          body,
        });
        log.push(`t+${(clock - T0_SECONDS * 1000) / 1000}s event ${index} (stamped ${stamps[index]}s ahead) → ${response.status}`);
        if (response.status === 200) accepted[index]! += 1;
      }
      if (accepted.some((n) => n > 1)) throw new Error(`a replay was accepted:\n${log.join('\n')}`);
    });

    // Assess
    await fc.assert(run, { numRuns: 300, seed: SEED });
  });

  it('refuses a replay, 320 s after the first delivery, of an event stamped 59 s ahead (within MAX_CLOCK_SKEW_SECONDS)', async () => {
    // Prepare
    let clock = T0_SECONDS * 1000;
    const config = readConfig({ LOG_LEVEL: 'silent', REJECT_REPEATED_BLOCKING_EVENTS: 'true' });
    const logger = createJsonLogger({ level: 'silent' });
    const app = createWebhookApp({
      handlers: { blocking: new Map([['user.pre_create', defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }))]]) },
      secrets: new SecretStore({
        source: staticSecretSource(SECRET),
        logger,
        ttlMs: config.secretCacheTtlMs,
        refreshIntervalMs: config.secretRefreshIntervalMs,
      }),
      config,
      logger,
      now: () => clock,
    });
    const event = JSON.parse(VECTORS[0]!.body) as { context: { timestamp: number } };
    event.context.timestamp = T0_SECONDS + 59;
    const body = utf8(goJson(event));
    const request = { method: 'POST', path: '/blocking/user.pre_create', headers: { [SIGNATURE_HEADER]: hmacHex(body) }, body };

    // Act
    const first = await app.handle(request);
    clock += 10_000;
    const soon = await app.handle(request);
    clock += 310_000; // 320 s after the first delivery; the event is 261 s old, still fresh
    const late = await app.handle(request);

    // Assess
    expect(first.status).toBe(200);
    expect(soon.status).toBe(401);
    expect(late.status).toBe(401);
  });
});

// ---------------------------------------------------------------------------------------------
// Over real HTTP, against the local server
// ---------------------------------------------------------------------------------------------

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HTTP_MAX_BODY_BYTES = 8192;
const HTTP_RUNS = 300;
const RECORDER = Symbol.for('authgear-webhooks.attack-test.recorder');

type Framing =
  | { readonly kind: 'content-length' }
  | { readonly kind: 'chunked'; readonly sizes: readonly number[] }
  | { readonly kind: 'content-length too small'; readonly by: number }
  | { readonly kind: 'content-length too large'; readonly by: number }
  | { readonly kind: 'content-length and chunked' }
  | { readonly kind: 'content-length twice'; readonly same: boolean };

interface HttpAttack {
  readonly vector: number;
  readonly ageSeconds: number;
  readonly mutate: boolean;
  readonly signature: 'good' | 'upper' | 'padded' | 'flipped' | 'missing' | 'twice' | 'twice, other case' | 'good and flipped';
  readonly casing: number;
  readonly framing: Framing;
  readonly oversized: boolean;
  readonly method: string;
  readonly route: 'own' | 'wrong' | 'unknown';
  readonly split: readonly number[];
}

const httpAttackArb: fc.Arbitrary<HttpAttack> = fc.record({
  vector: fc.nat(VECTORS.length - 1),
  ageSeconds: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: -50, max: 290 }) },
    { weight: 1, arbitrary: fc.constantFrom(-3600, 400, 86_400) },
  ),
  mutate: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  signature: fc.oneof(
    { weight: 3, arbitrary: fc.constant('good' as const) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'upper' as const,
        'padded' as const,
        'flipped' as const,
        'missing' as const,
        'twice' as const,
        'twice, other case' as const,
        'good and flipped' as const,
      ),
    },
  ),
  casing: fc.nat(),
  framing: fc.oneof(
    { weight: 4, arbitrary: fc.constant({ kind: 'content-length' as const }) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('chunked' as const),
        sizes: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 6 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('content-length too small' as const), by: fc.integer({ min: 1, max: 200 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('content-length too large' as const), by: fc.integer({ min: 1, max: 200 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'content-length and chunked' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('content-length twice' as const), same: fc.boolean() }) },
  ),
  oversized: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  method: fc.oneof(
    { weight: 12, arbitrary: fc.constant('POST') },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'OPTIONS') },
  ),
  route: fc.oneof(
    { weight: 10, arbitrary: fc.constant('own' as const) },
    { weight: 1, arbitrary: fc.constantFrom('wrong' as const, 'unknown' as const) },
  ),
  split: fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 4 }),
});

interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Sends raw bytes on a fresh connection in the given pieces, half-closes, and parses every answer. */
function rawExchange(port: number, pieces: readonly Buffer[]): Promise<RawResponse[]> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the answers were written still leaves those answers to parse.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      try {
        resolvePromise(parseResponses(Buffer.concat(received)));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('connect', async () => {
      for (const piece of pieces) {
        if (socket.destroyed) return;
        socket.write(piece);
        await new Promise((done) => setImmediate(done));
      }
      socket.end();
    });
  });
}

function parseResponses(raw: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) throw new Error(`incomplete answer: ${JSON.stringify(rest.toString('latin1').slice(0, 200))}`);
    const [statusLine = '', ...headerLines] = rest.subarray(0, headEnd).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
    if (!status) throw new Error(`not an HTTP answer: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    rest = rest.subarray(headEnd + 4);
    let body: Buffer = Buffer.alloc(0);
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      body = rest.subarray(0, length);
      rest = rest.subarray(length);
    } else if (headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
        rest = rest.subarray(lineEnd + 2);
        if (size === 0) {
          rest = rest.subarray(2);
          break;
        }
        parts.push(rest.subarray(0, size));
        rest = rest.subarray(size + 2);
      }
      body = Buffer.concat(parts);
    }
    responses.push({ status: Number(status[1]), headers, body: body.toString('utf8') });
  }
  return responses;
}

/** Splits `bytes` at the given sizes (the remainder is the last piece). */
function pieces(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) out.push(bytes.subarray(at));
  return out;
}

describe('attack: header handling and framing over HTTP against the local server', () => {
  let server: LocalServer;
  let root: string;
  const recordedHttp: Recorded[] = [];
  const logLines: string[] = [];

  beforeAll(async () => {
    (globalThis as Record<symbol, unknown>)[RECORDER] = recordedHttp;
    root = mkdtempSync(join(tmpdir(), 'attack-http-'));
    symlinkSync(join(REPO, 'shared'), join(root, 'shared'));
    const files: Record<string, string> = {};
    for (const type of SERVED_BLOCKING) {
      files[`functions/blocking/${type}.ts`] =
        `import { defineBlockingHandler } from '${SHARED_FROM_HANDLER}';\n` +
        `export default defineBlockingHandler('${type}', (event) => {\n` +
        `  ((globalThis as Record<symbol, unknown>)[Symbol.for('authgear-webhooks.attack-test.recorder')] as unknown[]).push({ route: '${type}', event });\n` +
        `  return { is_allowed: true };\n});\n`;
    }
    for (const type of HANDLED_NON_BLOCKING) {
      files[`functions/non-blocking/${type}.ts`] =
        `import { defineNonBlockingHandler } from '${SHARED_FROM_HANDLER}';\n` +
        `export default defineNonBlockingHandler('${type}', (event) => {\n` +
        `  ((globalThis as Record<symbol, unknown>)[Symbol.for('authgear-webhooks.attack-test.recorder')] as unknown[]).push({ route: 'non-blocking', event });\n});\n`;
    }
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    }
    const logger = createJsonLogger({ level: 'info', sink: (_level, line) => logLines.push(line) });
    server = await startLocalServer({
      projectRoot: root,
      port: 0,
      env: { AUTHGEAR_WEBHOOK_SECRET: SECRET, MAX_BODY_BYTES: String(HTTP_MAX_BODY_BYTES), LOG_LEVEL: 'info' },
      logger,
    });
  });

  afterAll(async () => {
    await server?.close();
    delete (globalThis as Record<symbol, unknown>)[RECORDER];
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it(`answers ${HTTP_RUNS} raw requests with odd headers and framing as documented, and runs no handler on an unverified body`, async () => {
    // Prepare
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    const served: Served = { blocking: new Set(SERVED_BLOCKING), nonBlocking: true, handled: new Set(HANDLED_NON_BLOCKING) };
    const tally = new Tally();
    /** The parse of every body that was correctly signed, as JSON text. */
    const verifiedEvents = new Set<string>();
    let checkedUpTo = 0;
    const checkQueuedRecords = (): void => {
      for (; checkedUpTo < recordedHttp.length; checkedUpTo += 1) {
        const r = recordedHttp[checkedUpTo]!;
        if (r.route === 'non-blocking' && !verifiedEvents.has(JSON.stringify(r.event)))
          throw new Error('a non-blocking handler ran on an event no verified request carried');
      }
    };

    // Act
    const run = fc.asyncProperty(httpAttackArb, async (a) => {
      const vector = VECTOR_EVENTS[a.vector]!;
      const event = structuredClone(vector);
      event.context.timestamp = Math.floor(Date.now() / 1000) - a.ageSeconds;
      let body = Buffer.from(goJson(event), 'utf8');
      if (a.oversized) body = Buffer.concat([body, Buffer.alloc(HTTP_MAX_BODY_BYTES, 0x20)]);
      const signed = hmacHex(body);
      if (a.mutate) body = Buffer.from(mutate(body, [{ op: 'flip', at: a.casing, bit: a.casing % 8 }]));
      const name = applyCasing(SIGNATURE_HEADER, a.casing);
      const flipped = flipNibble(signed, a.casing % 64, 0);
      const sigLines: [string, string][] = {
        good: [[name, signed]],
        upper: [[name, signed.toUpperCase()]],
        padded: [[name, `  ${signed}\t`]],
        flipped: [[name, flipped]],
        missing: [],
        twice: [
          [name, signed],
          [name, signed],
        ],
        'twice, other case': [
          [SIGNATURE_HEADER, signed],
          [SIGNATURE_HEADER.toUpperCase(), signed],
        ],
        'good and flipped': [
          [name, signed],
          [name, flipped],
        ],
      }[a.signature] as [string, string][];
      const ownPath = isBlockingEventType(event.type) ? `/blocking/${event.type}` : '/non-blocking';
      const path =
        a.route === 'own'
          ? ownPath
          : a.route === 'wrong'
            ? ownPath === '/non-blocking'
              ? '/blocking/user.pre_create'
              : '/non-blocking'
            : '/blocking/nothing.here';

      const head = [
        `${a.method} ${path} HTTP/1.1`,
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        ...sigLines.map(([k, v]) => `${k}: ${v}`),
      ];
      let payload: Buffer;
      let received: Buffer | undefined = body; // what the server reads as the body, if it reads one
      switch (a.framing.kind) {
        case 'content-length':
          head.push(`Content-Length: ${body.length}`);
          payload = body;
          break;
        case 'chunked': {
          head.push('Transfer-Encoding: chunked');
          const chunks = pieces(body, a.framing.sizes);
          payload = Buffer.concat([
            ...chunks.flatMap((c) => [Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]),
            Buffer.from('0\r\n\r\n'),
          ]);
          break;
        }
        case 'content-length too small': {
          const declared = Math.max(0, body.length - a.framing.by);
          head.push(`Content-Length: ${declared}`);
          payload = body;
          received = body.subarray(0, declared);
          break;
        }
        case 'content-length too large':
          head.push(`Content-Length: ${body.length + a.framing.by}`);
          payload = body;
          received = undefined;
          break;
        case 'content-length and chunked':
          head.push(`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked');
          payload = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
          received = undefined;
          break;
        case 'content-length twice':
          head.push(`Content-Length: ${body.length}`, `Content-Length: ${a.framing.same ? body.length : body.length + 1}`);
          payload = body;
          received = undefined;
          break;
      }
      const request = Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
      // Node trims spaces and tabs around header values; a repeated header stays repeated.
      const signatures = sigLines.map(([, v]) => v.trim());
      const before = recordedHttp.length;

      const responses = await rawExchange(server.port, pieces(request, a.split));

      const statuses = responses.map((r) => r.status);
      tally.add(`${a.framing.kind}; signature ${a.signature}`, statuses.at(-1) ?? 0);
      // Blocking handlers run inside the request. The local server queues non-blocking events
      // and runs their handlers after answering, so those calls are matched against every
      // verified request so far instead (checkQueuedRecords).
      const newBlocking = recordedHttp.slice(before).filter((r) => r.route !== 'non-blocking');
      const framingOk = a.framing.kind === 'content-length' || a.framing.kind === 'chunked';
      const declared =
        a.framing.kind === 'content-length too large'
          ? body.length + a.framing.by
          : a.framing.kind === 'content-length too small'
            ? Math.max(0, body.length - a.framing.by)
            : body.length;
      const declaredTooLarge = declared > HTTP_MAX_BODY_BYTES;
      for (const r of responses) {
        if (!DOCUMENTED_STATUSES.has(r.status) && !(path === '/non-blocking' && r.status >= 500))
          throw new Error(`undocumented status ${r.status}`);
        const leak = leaks(r.body);
        if (leak) throw new Error(`an answer contains ${leak}`);
        if (r.status === 401 && r.body !== PUBLIC_BODIES.unauthorized) throw new Error(`401 with body ${r.body}`);
      }

      if (framingOk) {
        const expected = model(
          { method: a.method, path, signatures, body, tooLarge: false, nowMs: Date.now(), maxBodyBytes: HTTP_MAX_BODY_BYTES },
          served,
        );
        if (responses.length !== 1) throw new Error(`expected one answer, got ${statuses.join(',')}`);
        const first = responses[0]!;
        if (expected.kind !== 'refused') verifiedEvents.add(JSON.stringify(expected.event));
        const problem = judge(
          expected,
          { status: first.status, contentType: first.headers['content-type'], body: first.body },
          newBlocking,
        );
        if (problem) throw new Error(`${a.framing.kind}: ${problem}`);
        checkQueuedRecords();
        return;
      }
      // Broken framing: Node's HTTP parser refuses it with a bare 400. The only other answer a
      // client may see is the app's answer to the bytes the server did read as a body.
      const ownAnswer =
        received === undefined
          ? undefined
          : model(
              { method: a.method, path, signatures, body: received, tooLarge: false, nowMs: Date.now(), maxBodyBytes: HTTP_MAX_BODY_BYTES },
              served,
            );
      // A declared length over the limit is answered before the body is read, as the core decides
      // for a body flagged too large (404, 405 or 413).
      const early = declaredTooLarge
        ? model(
            {
              method: a.method,
              path,
              signatures,
              body: Buffer.alloc(0),
              tooLarge: true,
              nowMs: Date.now(),
              maxBodyBytes: HTTP_MAX_BODY_BYTES,
            },
            served,
          )
        : undefined;
      const finalOk = statuses.at(-1) === 400 || (early?.kind === 'refused' && statuses.at(-1) === early.status);
      if (!finalOk) throw new Error(`${a.framing.kind}: expected a final 400, got ${statuses.join(',')}`);
      const verified = ownAnswer !== undefined && ownAnswer.kind !== 'refused';
      if (verified) verifiedEvents.add(JSON.stringify(ownAnswer.event));
      if (newBlocking.length > (verified ? 1 : 0))
        throw new Error(`${a.framing.kind}: a blocking handler ran on a body that was not verified`);
      checkQueuedRecords();
    });
    await fc.assert(run, { numRuns: HTTP_RUNS, seed: SEED });
    // Let queued non-blocking handlers finish, then check their calls too.
    let seen = -1;
    while (seen !== recordedHttp.length) {
      seen = recordedHttp.length;
      await new Promise((done) => setTimeout(done, 300));
    }
    checkQueuedRecords();
    process.off('unhandledRejection', onUnhandled);

    // Assess
    console.log(
      `HTTP attack run: ${tally.total} raw requests against the local server, seed ${SEED}; ${verifiedEvents.size} verified, ${recordedHttp.length} handler calls\n\n${tally.render('framing; signature')}`,
    );
    expect(tally.total).toBe(HTTP_RUNS);
    expect(unhandled).toEqual([]);
    expect(logLines.some((line) => line.includes(SECRET))).toBe(false);
    expect(logLines.some((line) => line.includes('"internal_error"'))).toBe(false);
    // The server still serves a plain delivery after all of that.
    const v = VECTOR_EVENTS.find((e) => e.type === 'user.pre_create')!;
    const fresh = Buffer.from(goJson({ ...v, context: { ...v.context, timestamp: Math.floor(Date.now() / 1000) } }));
    const [after] = await rawExchange(server.port, [
      Buffer.from(
        `POST /blocking/user.pre_create HTTP/1.1\r\nHost: 127.0.0.1\r\n${SIGNATURE_HEADER}: ${hmacHex(fresh)}\r\nContent-Length: ${fresh.length}\r\n\r\n`,
      ),
      fresh,
    ]);
    expect(after?.status).toBe(200);
  }, 120_000);
});
