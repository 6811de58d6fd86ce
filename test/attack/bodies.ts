/** The bodies an attack sends before any mutation: signed vectors, generated events, raw and oversized bodies. */
import fc from 'fast-check';
import { BLOCKING_EVENT_TYPES, NON_BLOCKING_EVENT_TYPES } from '../../shared/core/constants';
import { VECTORS } from '../fixtures/authgear-vectors';
import { goJson, trickyPreCreateBody } from '../fixtures/go-json';
import { utf8 } from '../support/app-harness';
import { hex } from './arbitraries';
import { MAX_BODY_BYTES } from './model';

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

export const T0_SECONDS = 1_795_000_000; // November 2026

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
