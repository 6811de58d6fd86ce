import { AdminApiConfigError } from './errors';
import { type AdminApiKey, parseAdminApiKey } from './key';

export interface AdminApiKeyStoreOptions {
  /** Reads the stored key: the PEM, or JSON `{keyId, privateKey}`. Called lazily, at the first request. */
  readonly load: () => Promise<string>;
  /** The key id for a bare PEM. */
  readonly keyId: string | undefined;
  /** How long a loaded key is used before it is read again (a rotation is picked up then). */
  readonly ttlMs: number;
  /** After Authgear refused a token, read the key again at most this often. */
  readonly refreshIntervalMs: number;
  /** Names the key's origin in errors, e.g. `the secret arn:…`. */
  readonly where: string;
  readonly now?: () => number;
}

/**
 * The Admin API key, read on first use and then kept: one read shared by concurrent requests, the
 * last good key kept when a re-read fails, and an early re-read when Authgear refuses the token
 * (the key may have been rotated).
 */
export class AdminApiKeyStore {
  readonly #options: AdminApiKeyStoreOptions;
  readonly #now: () => number;
  #key: AdminApiKey | undefined;
  #loadedAt = 0;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<AdminApiKey> | undefined;

  constructor(options: AdminApiKeyStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The key; reads it on first use, or again once it is older than the TTL. */
  async get(): Promise<AdminApiKey> {
    const key = this.#key;
    if (key && this.#now() - this.#loadedAt < this.#options.ttlMs) return key;
    if (key) {
      // Expired: keep using it while one re-read runs, as a failed re-read must not stop the handlers.
      if (!this.#inFlight) void this.#load().catch(() => undefined);
      return key;
    }
    return this.#inFlight ?? this.#load();
  }

  /**
   * Called after a 403: reads the key again unless that was just done.
   * @returns true when the key (or its id) changed, so the request is worth one more try.
   */
  async refreshAfterRefusal(): Promise<boolean> {
    const before = this.#key;
    if (!this.#inFlight && this.#now() - this.#lastAttempt < this.#options.refreshIntervalMs) return false;
    try {
      const after = await (this.#inFlight ?? this.#load());
      return after !== before;
    } catch {
      return false;
    }
  }

  #load(): Promise<AdminApiKey> {
    const { load, keyId, where } = this.#options;
    this.#lastAttempt = this.#now();
    const attempt = Promise.resolve()
      .then(load)
      .then(
        (raw) => {
          const parsed = parseAdminApiKey(raw, keyId, where);
          const current = this.#key;
          // Same key as before: keep the object, so the cached token stays valid.
          const same = current && current.keyId === parsed.keyId && current.privateKey.equals(parsed.privateKey);
          if (!same) this.#key = parsed;
          this.#loadedAt = this.#now();
          return this.#key as AdminApiKey;
        },
        (error: unknown) => {
          throw new AdminApiConfigError(`${where} could not be loaded: ${error instanceof Error ? error.message : String(error)}`, {
            cause: error,
          });
        },
      )
      .finally(() => {
        this.#inFlight = undefined;
      });
    this.#inFlight = attempt;
    return attempt;
  }
}
