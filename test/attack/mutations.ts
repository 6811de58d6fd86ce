/** Byte-level changes made to a body after it is built (and, for some attacks, after it is signed). */
import fc from 'fast-check';
import { byte } from './arbitraries';

export type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'truncate'; readonly keep: number }
  | { readonly op: 'append'; readonly bytes: readonly number[] }
  | { readonly op: 'invalid utf-8'; readonly at: number; readonly bytes: readonly number[] };

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
