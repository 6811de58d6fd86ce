import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyString, bodyText, isLongerThan, wellFormed } from './body';

/** What the core did before string bodies: the adapter's `Buffer.from`, then a fatal decoder. */
const strict = new TextDecoder('utf-8', { fatal: true });
const throughBytes = (text: string): string => strict.decode(Buffer.from(text, 'utf8'));

/** Strings with the awkward parts: lone surrogates, pairs, byte-order marks, multi-byte text. */
const awkwardString = fc
  .array(fc.oneof(fc.string(), fc.constantFrom('\ud800', '\udfff', '\ud83d\ude00', '\ufeff', 'é', '山', '\u0000')), { maxLength: 12 })
  .map((parts) => parts.join(''));

describe('string bodies stand for their UTF-8 bytes', () => {
  it('gives the text, size, HMAC and stored copy that the bytes would give, for any string', () => {
    fc.assert(
      fc.property(awkwardString, fc.integer({ min: 0, max: 64 }), (raw, limit) => {
        // Act
        const body = wellFormed(raw);
        const bytes = Buffer.from(raw, 'utf8');

        // Assess
        expect(bodyText(body)).toBe(throughBytes(raw));
        expect(bodyText(bytes)).toBe(throughBytes(raw));
        expect(isLongerThan(body, limit)).toBe(bytes.byteLength > limit);
        expect(createHmac('sha256', 'k').update(body).digest('hex')).toBe(createHmac('sha256', 'k').update(bytes).digest('hex'));
        expect(bodyString(body)).toBe(bytes.toString('utf8'));
      }),
      { numRuns: 2_000 },
    );
  });

  it('replaces a lone surrogate by U+FFFD, as UTF-8 encoding does, and leaves well-formed strings alone', () => {
    // Prepare
    const text = '{"a":"x"}';

    // Act
    const fixed = wellFormed('a\ud800b');
    const same = wellFormed(text);

    // Assess
    expect(fixed).toBe('a\ufffdb');
    expect(same).toBe(text);
  });

  it('drops one leading byte-order mark, from a string as from bytes, like TextDecoder', () => {
    // Act
    const fromString = bodyText('\ufeff\ufeff{}');
    const fromBytes = bodyText(Buffer.from('\ufeff{}', 'utf8'));

    // Assess
    expect(fromString).toBe('\ufeff{}');
    expect(fromBytes).toBe('{}');
  });

  it('refuses bytes that are not UTF-8', () => {
    // Act
    const text = bodyText(new Uint8Array([0x7b, 0xff, 0x7d]));

    // Assess
    expect(text).toBeUndefined();
  });

  it('reads a view into a larger buffer without its neighbours', () => {
    // Prepare
    const whole = Buffer.from('xx{"a":1}yy', 'utf8');
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 2, 7);

    // Act
    const text = bodyText(view);

    // Assess
    expect(text).toBe('{"a":1}');
    expect(bodyString(view)).toBe('{"a":1}');
  });

  it('counts multi-byte text by its UTF-8 bytes at the limit', () => {
    // Prepare: 3 characters, 9 bytes
    const body = '山田川';

    // Act
    const results = [isLongerThan(body, 8), isLongerThan(body, 9), isLongerThan(Buffer.from(body), 8)];

    // Assess
    expect(results).toEqual([true, false, true]);
  });
});
