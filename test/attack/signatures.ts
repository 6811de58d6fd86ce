/** The signature header lines an attack sends: good, forged, malformed, repeated or under a near-miss name. */
import fc from 'fast-check';
import { hex } from './arbitraries';
import { SIGNATURE_HEADER, hmacHex } from './model';

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
