/** Generated hostile requests for the attack tests (see model.ts), and building a request from one. */

import fc from 'fast-check';
import { BLOCKING_EVENT_TYPES, NON_BLOCKING_EVENT_TYPES, isBlockingEventType } from '../../shared/core/constants';
import { VECTORS } from '../fixtures/authgear-vectors';
import { goJson, trickyPreCreateBody } from '../fixtures/go-json';
import { SIGNATURE_HEADER, MAX_BODY_BYTES, MAX_AGE_MS, MAX_SKEW_MS, SERVED_BLOCKING, hmacHex } from './model';

// ---------------------------------------------------------------------------------------------
// Generated requests
// ---------------------------------------------------------------------------------------------

/** Real payloads, so generated events of a known type look like Authgear's. */
export const VECTOR_EVENTS = VECTORS.map((v) => JSON.parse(v.body) as { type: string; payload: unknown; context: Record<string, unknown> });
export const REAL_PAYLOADS = VECTOR_EVENTS.map((e) => e.payload);
export const REAL_CONTEXT = VECTOR_EVENTS[0]!.context;
export const TRICKY = trickyPreCreateBody();

export const DEEP = 100_000;
export const RAW_BODIES = {
  empty: '',
  'json null': 'null',
  'json array': '[1,2,3]',
  'json string': '"user.pre_create"',
  'deep arrays (100k)': `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`,
  'deep objects (50k)': `${'{"a":'.repeat(DEEP / 2)}1${'}'.repeat(DEEP / 2)}`,
  'unclosed deep arrays': '['.repeat(DEEP),
} as const;
export type RawBodyName = keyof typeof RAW_BODIES;

export type EnvelopeTemplate =
  | { readonly kind: 'vector'; readonly index: number }
  | { readonly kind: 'tricky' }
  | { readonly kind: 'generated'; readonly event: GeneratedEvent }
  | { readonly kind: 'deep payload'; readonly type: string }
  | { readonly kind: 'invalid utf-8 in envelope'; readonly type: string }
  | { readonly kind: 'raw'; readonly name: RawBodyName }
  | { readonly kind: 'random bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'oversized'; readonly extra: number; readonly flagOnly: boolean };

export interface GeneratedEvent {
  readonly id: unknown;
  readonly seq: number;
  readonly type: unknown;
  readonly payload: unknown;
  readonly timestamp: 'number' | 'fraction' | 'string' | 'missing' | 'huge' | 'negative';
  readonly context: 'real' | 'minimal' | 'not an object';
  readonly extra: Readonly<Record<string, string>>;
  readonly style: 'go' | 'pretty';
}

export type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'truncate'; readonly keep: number }
  | { readonly op: 'append'; readonly bytes: readonly number[] }
  | { readonly op: 'invalid utf-8'; readonly at: number; readonly bytes: readonly number[] };

export type SignatureMode =
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

export type Route = { readonly to: 'own' | 'other blocking' | 'non-blocking' } | { readonly to: 'unknown'; readonly path: string };

export type LambdaBody = 'truthful' | 'base64' | 'flag says base64, body is text' | 'flag says text, body is base64' | 'no body';

export interface Attack {
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

export const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
export const byte = fc.integer({ min: 0, max: 255 });

export const generatedEventArb: fc.Arbitrary<GeneratedEvent> = fc.record({
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

export const templateArb: fc.Arbitrary<EnvelopeTemplate> = fc.oneof(
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

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
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

export const signatureArb: fc.Arbitrary<SignatureMode> = fc.oneof(
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

export const methodArb = fc.oneof(
  { weight: 30, arbitrary: fc.constant('POST') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'post', 'Post', 'POST ', ''),
  },
);

export const routeArb: fc.Arbitrary<Route> = fc.oneof(
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
export const ageArb = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: -MAX_SKEW_MS, max: MAX_AGE_MS }) },
  { weight: 1, arbitrary: fc.constantFrom(MAX_AGE_MS, MAX_AGE_MS + 1, -MAX_SKEW_MS, -MAX_SKEW_MS - 1, 0) },
  { weight: 1, arbitrary: fc.integer({ min: MAX_AGE_MS + 1, max: 10 * 365 * 86_400_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: -10 * 365 * 86_400_000, max: -MAX_SKEW_MS - 1 }) },
);

export const lambdaBodyArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('truthful' as const, 'base64' as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('flag says base64, body is text' as const, 'flag says text, body is base64' as const, 'no body' as const),
  },
);

export const junkHeadersArb = fc.array(
  fc.tuple(
    fc.constantFrom('content-type', 'Content-Type', 'user-agent', 'x-forwarded-for', 'traceparent', 'content-length', 'x-amzn-trace-id'),
    fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
  ),
  { maxLength: 3 },
);

export const attackArb: fc.Arbitrary<Attack> = fc.record({
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

export const T0_SECONDS = 1_795_000_000; // November 2026

export const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');

/** The body before mutations, and the type it claims (for choosing its own route). */
export function bodyOf(
  template: EnvelopeTemplate,
  timestamp: number,
  restamp: boolean,
): { bytes: Uint8Array; type: string; tooLarge?: boolean } {
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

export function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
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

export const applyCasing = (name: string, casing: number): string =>
  [...name].map((c, i) => (i < 31 && (casing >>> i) & 1 ? c.toUpperCase() : c)).join('');

export function flipNibble(signature: string, nibble: number, bit: number): string {
  const value = parseInt(signature[nibble]!, 16) ^ (1 << bit);
  return `${signature.slice(0, nibble)}${value.toString(16)}${signature.slice(nibble + 1)}`;
}

/** The signature header lines an attack sends, as [name, value] pairs in order. */
export function signatureHeaders(
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

export function pathFor(route: Route, type: string, pick: number): string {
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
export function categoryOf(a: Attack): string {
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
