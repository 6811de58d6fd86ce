/** Small building blocks the attack generators share. */
import fc from 'fast-check';

/** Lower-case hex strings of exactly `length` characters, like event ids and HMAC digests. */
export const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });

/** One byte value. */
export const byte = fc.integer({ min: 0, max: 255 });
