import { bodyText } from './body';
import type { EventEnvelope } from './events';

/**
 * Parses and checks an Authgear event envelope: a JSON object with string `id` and `type`, an
 * object `payload`, and a `context` with a numeric `timestamp`. Used on the signed HTTP body and
 * on a queued message alike.
 *
 * @param body bytes are decoded strictly as UTF-8 (see {@link bodyText}); a string is parsed as it is.
 * @returns the event, or `undefined` for anything that is not an Authgear event (including bytes
 * that are not UTF-8).
 * @example
 * ```ts
 * parseEnvelope(new TextEncoder().encode('{"id":"1","type":"user.created","payload":{},"context":{"timestamp":1}}'))?.type; // 'user.created'
 * parseEnvelope(new TextEncoder().encode('[]')); // undefined
 * ```
 */
export function parseEnvelope(body: Uint8Array | string): EventEnvelope | undefined {
  const text = typeof body === 'string' ? body : bodyText(body);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  if (typeof value.type !== 'string' || value.type === '' || typeof value.id !== 'string') return undefined;
  if (!isObject(value.payload) || !isObject(value.context) || typeof value.context.timestamp !== 'number') return undefined;
  return value as unknown as EventEnvelope;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
