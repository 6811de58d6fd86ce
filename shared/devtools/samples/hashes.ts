/** Reproducible ids and small object helpers for the samples. */
import { createHash } from 'node:crypto';

export function digest(...parts: readonly string[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

/** A version-4-shaped UUID derived from `parts`, so samples are reproducible. */
export function uuid(...parts: readonly string[]): string {
  const hex = digest(...parts).toString('hex');
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Go's `omitempty` leaves these keys out; the sample objects should not carry them either. */
export function dropUndefined(object: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}
