/**
 * The record that lets each queued event's handler succeed once, whichever process a delivery
 * reaches. The queued processor (`queued.ts`) runs every handler through an {@link EventClaims};
 * the SQS worker gives it one backed by DynamoDB (`shared/aws/dynamodb-claims.ts`), `npm start` the
 * in-memory {@link MemoryEventClaims} with the same rules.
 */

/** What became of {@link EventClaims.run}. */
export type ClaimedRun<T> =
  /** The claim was taken and `work` ran; `result` is what it returned. */
  | {
      readonly outcome: 'ran';
      readonly result: T;
      /**
       * Set when the record could not be updated after `work`: marked done after a success (a
       * later delivery may then run the event again once the claim expires), or released after a
       * failure (the retry then waits until the claim expires).
       */
      readonly recordError?: unknown;
    }
  /** The event is recorded as handled: `work` did not run. */
  | { readonly outcome: 'done' }
  /** Another delivery holds an unexpired claim on the event: `work` did not run. */
  | { readonly outcome: 'busy' }
  /** The record could not be read or written: `work` did not run. */
  | { readonly outcome: 'unavailable'; readonly error: unknown };

export interface ClaimOptions {
  /**
   * How long the claim holds if this process never comes back to mark it done or release it (a
   * crash, a timeout). Lambda passes the invocation's remaining time: once it has passed, the
   * invocation is over, so no handler can still be running under the claim.
   */
  readonly claimMs: number;
}

/**
 * A shared record per event id with three states: absent, in progress (claimed, with an expiry)
 * and done (until the record itself expires).
 *
 * - `run` claims the id with one conditional write (absent, expired, or a claim past its expiry),
 *   runs `work`, then marks the id done when `work` succeeded (`ok: true`) or deletes the claim
 *   when it failed, so that the retry runs. A done id answers `done`, an unexpired claim `busy`.
 * - `isDone` only reads.
 *
 * `run` rejects only when `work` throws (the claim is released first); a store that cannot be
 * reached answers `unavailable`, without running `work`. `isDone` rejects when the record cannot
 * be read.
 */
export interface EventClaims {
  run<T extends { readonly ok: boolean }>(eventId: string, work: () => Promise<T>, options: ClaimOptions): Promise<ClaimedRun<T>>;
  /** Whether `eventId` is recorded as handled. Rejects when the record cannot be read. */
  isDone(eventId: string): Promise<boolean>;
}

interface MemoryRecord {
  readonly done: boolean;
  /** End of the record's retention, ms since the epoch. */
  readonly expiresAt: number;
  /** For a claim: when it stops holding, ms since the epoch. */
  readonly claimExpiresAt: number;
}

/**
 * {@link EventClaims} in the memory of one process, with the rules of the DynamoDB record: for
 * `npm start`, whose queue lives in the same process, and for a worker started without a table.
 * At most `maxEntries` records are kept (oldest dropped first) and each for `retentionMs`.
 *
 * @example
 * ```ts
 * const claims = new MemoryEventClaims({ retentionMs: 24 * 3_600_000 });
 * const run = await claims.run('000000000000bc56', async () => ({ ok: true }), { claimMs: 90_000 });
 * run.outcome; // 'ran'
 * (await claims.run('000000000000bc56', async () => ({ ok: true }), { claimMs: 90_000 })).outcome; // 'done'
 * ```
 */
export class MemoryEventClaims implements EventClaims {
  readonly #retentionMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** Insertion-ordered: the oldest record comes first. */
  readonly #records = new Map<string, MemoryRecord>();

  constructor(options: { readonly retentionMs?: number; readonly maxEntries?: number; readonly now?: () => number } = {}) {
    this.#retentionMs = options.retentionMs ?? 24 * 3_600_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  async run<T extends { readonly ok: boolean }>(eventId: string, work: () => Promise<T>, options: ClaimOptions): Promise<ClaimedRun<T>> {
    const now = this.#now();
    const existing = this.#records.get(eventId);
    if (existing && existing.expiresAt > now) {
      if (existing.done) return { outcome: 'done' };
      if (existing.claimExpiresAt > now) return { outcome: 'busy' };
    }
    this.#put(eventId, { done: false, expiresAt: now + this.#retentionMs, claimExpiresAt: now + options.claimMs });
    let result: T;
    try {
      result = await work();
    } catch (error) {
      // `work` is not expected to throw; if it does, release the claim so that the retry runs.
      this.#records.delete(eventId);
      throw error;
    }
    if (result.ok) {
      const at = this.#now();
      this.#put(eventId, { done: true, expiresAt: at + this.#retentionMs, claimExpiresAt: at });
    } else {
      this.#records.delete(eventId);
    }
    return { outcome: 'ran', result };
  }

  async isDone(eventId: string): Promise<boolean> {
    const record = this.#records.get(eventId);
    return record?.done === true && record.expiresAt > this.#now();
  }

  #put(eventId: string, record: MemoryRecord): void {
    this.#records.delete(eventId);
    this.#records.set(eventId, record);
    const now = this.#now();
    for (const [id, old] of this.#records) {
      if (old.expiresAt > now && this.#records.size <= this.#maxEntries) break;
      // Never drop a live claim: that would let a second delivery run beside it.
      if (!old.done && old.claimExpiresAt > now && old.expiresAt > now) continue;
      this.#records.delete(id);
    }
  }
}
