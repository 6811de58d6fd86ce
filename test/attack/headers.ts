/** Header names and extra headers an attack sends besides the signature. */
import fc from 'fast-check';

/** Header name casing: bit i of `casing` upper-cases character i of `name`. */
export const applyCasing = (name: string, casing: number): string =>
  [...name].map((c, i) => (i < 31 && (casing >>> i) & 1 ? c.toUpperCase() : c)).join('');

export const junkHeadersArb = fc.array(
  fc.tuple(
    fc.constantFrom('content-type', 'Content-Type', 'user-agent', 'x-forwarded-for', 'traceparent', 'content-length', 'x-amzn-trace-id'),
    fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
  ),
  { maxLength: 3 },
);
