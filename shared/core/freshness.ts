/**
 * Replay defences. Authgear sends no timestamp header; the signed body carries
 * `context.timestamp` (Unix seconds, set when the event was built) and a unique `id`.
 */

export type Freshness = 'fresh' | 'stale' | 'future';

/**
 * Classifies a signed event's `context.timestamp`.
 *
 * @param maxAgeSeconds older events are `stale`; 0 turns the check off.
 * @param skewSeconds how far ahead of this machine's clock Authgear's may be.
 * @example
 * ```ts
 * checkFreshness(1787217331, Date.now(), 300, 60); // 'stale' for an August 2026 event read in November
 * ```
 */
export function checkFreshness(timestampSeconds: number, nowMs: number, maxAgeSeconds: number, skewSeconds: number): Freshness {
  if (maxAgeSeconds === 0) return 'fresh';
  const ageSeconds = nowMs / 1000 - timestampSeconds;
  if (ageSeconds > maxAgeSeconds) return 'stale';
  if (ageSeconds < -skewSeconds) return 'future';
  return 'fresh';
}

/**
 * Remembers keys (route + event id) for a window and reports repeats. Memory is per process: it
 * catches a replay that reaches the same warm container, not one spread across containers.
 */
export class ReplayGuard {
  readonly #windowMs: number;
  readonly #maxEntries: number;
  /** Insertion-ordered, so the oldest entries come first. */
  readonly #seenUntil = new Map<string, number>();

  constructor(windowMs: number, maxEntries = 50_000) {
    this.#windowMs = windowMs;
    this.#maxEntries = maxEntries;
  }

  /** Records `key` and returns true if it was already seen within the window. */
  isRepeat(key: string, nowMs: number): boolean {
    for (const [oldKey, until] of this.#seenUntil) {
      if (until > nowMs && this.#seenUntil.size < this.#maxEntries) break;
      this.#seenUntil.delete(oldKey);
    }
    const until = this.#seenUntil.get(key);
    if (until !== undefined && until > nowMs) return true;
    this.#seenUntil.set(key, nowMs + this.#windowMs);
    return false;
  }
}
