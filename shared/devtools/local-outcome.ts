/**
 * Asks a local server (`npm start`) what became of a delivery it received: its inspector keeps
 * the log lines of every delivery, so it knows why the error policy answered, or how a queued
 * event's first attempt ended. Only a server on this machine answers; anything else gives
 * `undefined`, and the sender falls back to the answer header.
 */
import { INSPECTOR_PATH, INSPECTOR_REQUEST_HEADER } from '../local/inspector-page';
import type { DeliveryOutcome } from './outcome';

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * True when `url` points at this machine, where a local server's inspector can be asked.
 *
 * @example
 * ```ts
 * isLocalTarget('http://127.0.0.1:3000/blocking/user.pre_create'); // true
 * ```
 */
export function isLocalTarget(url: string): boolean {
  try {
    const { hostname, protocol } = new URL(url);
    return protocol === 'http:' && LOOPBACK_HOSTS.has(hostname);
  } catch {
    return false;
  }
}

/**
 * The local server's record of the latest delivery of `eventId`, waiting up to `waitMs` for a
 * queued event's first attempt; `undefined` when the target is no local server of this project.
 *
 * @example
 * ```ts
 * const outcome = await fetchLocalOutcome('http://127.0.0.1:3000/non-blocking', '00000000000004d2', 10_000);
 * outcome?.steps.at(-1)?.outcome; // 'handled'
 * ```
 */
export async function fetchLocalOutcome(url: string, eventId: string, waitMs: number): Promise<DeliveryOutcome | undefined> {
  if (!isLocalTarget(url)) return undefined;
  const query = new URLSearchParams({ event_id: eventId, wait_ms: String(waitMs) });
  try {
    const res = await fetch(`${new URL(url).origin}${INSPECTOR_PATH}/api/outcome?${query}`, {
      headers: { [INSPECTOR_REQUEST_HEADER]: '1' },
      signal: AbortSignal.timeout(waitMs + 5_000),
    });
    if (!res.ok) return undefined;
    const value: unknown = await res.json();
    return isOutcome(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isOutcome(value: unknown): value is DeliveryOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const { id, status, steps, violations, settled } = value as Record<string, unknown>;
  return (
    typeof id === 'number' &&
    typeof status === 'number' &&
    Array.isArray(steps) &&
    steps.every((s) => typeof s === 'object' && s !== null && typeof (s as { outcome?: unknown }).outcome === 'string') &&
    Array.isArray(violations) &&
    typeof settled === 'boolean'
  );
}
