/**
 * How much the inspector keeps, so that whatever is sent to `npm start` its memory and its page
 * stay small: at most `maxDeliveries` deliveries and `maxTotalBodyBytes` of bodies in all, a body
 * cut to `maxBodyBytes` (marked truncated), only a short prefix of a body that was not verified
 * (an unsigned or forged request, a wrong path or method, a refused size), and a bounded log per
 * delivery.
 */
import type { RawBody } from '../core/body';
import type { LogLine } from './inspector-page';

export interface InspectorLimits {
  /** Deliveries kept, oldest dropped first. */
  readonly maxDeliveries: number;
  /** Bytes kept of a verified request's body, and of any answer's body. */
  readonly maxBodyBytes: number;
  /** Bytes kept of the body of a request that was not verified. */
  readonly unverifiedBodyBytes: number;
  /** Bytes of bodies kept over all deliveries; the oldest deliveries go first. */
  readonly maxTotalBodyBytes: number;
  /** Log lines kept per delivery. */
  readonly maxLinesPerDelivery: number;
  /** A log line longer than this (as JSON) is kept as its level, message and a truncated text. */
  readonly maxLineBytes: number;
}

export const DEFAULT_INSPECTOR_LIMITS: InspectorLimits = Object.freeze({
  maxDeliveries: 500,
  maxBodyBytes: 64 * 1024,
  unverifiedBodyBytes: 1024,
  maxTotalBodyBytes: 8 * 1024 * 1024,
  maxLinesPerDelivery: 100,
  maxLineBytes: 8 * 1024,
});

/** A body as kept: its first bytes, and how large it was. */
export interface KeptBody {
  readonly bytes: Uint8Array;
  /** The size of the whole body, in bytes. */
  readonly size: number;
  readonly truncated: boolean;
}

/**
 * Copies at most `limit` bytes of `body`: never the whole of a large body, so a refused 1 MB
 * request costs its prefix, not a megabyte.
 *
 * @example
 * ```ts
 * keepPrefix(Buffer.alloc(1_000_000), 1024); // { bytes: <1024 bytes>, size: 1000000, truncated: true }
 * ```
 */
export function keepPrefix(body: RawBody, limit: number): KeptBody {
  if (typeof body === 'string') {
    const size = Buffer.byteLength(body, 'utf8');
    // A UTF-16 unit is at most 3 bytes: `limit` units hold at least `limit` bytes.
    const bytes = Buffer.from(size > limit ? body.slice(0, limit) : body, 'utf8').subarray(0, limit);
    return { bytes: Uint8Array.from(bytes), size, truncated: size > limit };
  }
  return { bytes: body.slice(0, limit), size: body.byteLength, truncated: body.byteLength > limit };
}

/**
 * True when the core verified the delivery: only then does its log line carry the event id.
 *
 * @example
 * ```ts
 * wasVerified([{ level: 'warn', msg: 'signature does not match', reason: 'signature_mismatch' }]); // false
 * ```
 */
export function wasVerified(lines: readonly LogLine[]): boolean {
  return lines.some((line) => typeof line.event_id === 'string');
}

/**
 * Text cut to `limit` UTF-16 units, with a note saying how much was left out.
 *
 * @example
 * ```ts
 * truncateText('abcdef', 3); // 'abc… (3 more characters not kept)'
 * ```
 */
export function truncateText(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length - limit} more characters not kept)`;
}

/** A log line as kept: itself, or when too long its level, message and a truncated JSON text. */
export function boundLine(line: LogLine, maxBytes: number): LogLine {
  let text: string;
  try {
    text = JSON.stringify(line);
  } catch {
    return { level: line.level, msg: truncateText(String(line.msg), maxBytes), truncated: true };
  }
  if (text.length <= maxBytes) return line;
  return { level: line.level, msg: truncateText(String(line.msg), 1024), truncated: true, text: truncateText(text, maxBytes) };
}
