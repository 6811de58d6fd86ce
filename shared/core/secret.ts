import { SecretUnavailableError } from './errors';
import { describeError, type Logger } from './logger';
import { MAX_SECRET_CANDIDATES, type SecretWarning, unquote, weakSecretWarnings } from './secret-hygiene';

/** Where the stored secret value comes from (Secrets Manager in AWS, an environment variable locally). */
export interface SecretSource {
  /** For logs, e.g. `secrets-manager` or `environment`; never the value. */
  readonly kind: string;
  /** Returns the stored value as is (a plain string, or a JSON array of strings). */
  fetch(): Promise<string>;
}

export interface ParsedSecret {
  /** Candidate secrets, newest first as stored. */
  readonly secrets: readonly string[];
  /** Problems that did not prevent use, e.g. surrounding whitespace or quotes, or a short secret. */
  readonly warnings: readonly SecretWarning[];
}

/**
 * Interprets a stored secret value: the plain string the Authgear portal shows, or a JSON
 * array of at most 10 such strings so an old and a new secret can overlap during a rotation.
 * Surrounding whitespace and quotes are common copy-paste mistakes (no Authgear secret has
 * either); they are removed and reported. A secret shorter than 16 characters is reported.
 *
 * @throws Error with a message that says how to fix the stored value.
 * @example
 * ```ts
 * parseSecretValue('k3Y9mP2qR7sT1vW5xZ8aB4cD6eF0gH_j').secrets; // ['k3Y9…']
 * parseSecretValue('["new-secret","old-secret"]').secrets;     // ['new-secret', 'old-secret']
 * ```
 */
export function parseSecretValue(raw: string): ParsedSecret {
  const warnings: SecretWarning[] = [];
  const trimmed = raw.trim();
  if (trimmed !== raw) {
    warnings.push({
      reason: 'secret_whitespace',
      message:
        'the stored webhook secret has leading or trailing whitespace; it was ignored, but store the exact string from the Authgear portal',
    });
  }
  if (trimmed === '')
    throw new Error('the stored webhook secret is empty; store the secret shown in the Authgear portal (Advanced → Hooks)');
  if (trimmed.startsWith('{')) {
    throw new Error(
      'the stored webhook secret is a JSON object; store the plain secret string (the "Plaintext" tab in the AWS console), or a JSON array of strings',
    );
  }
  if (!trimmed.startsWith('[')) {
    const single = clean(trimmed, warnings);
    if (single === '')
      throw new Error(
        'the stored webhook secret is an empty quoted string; store the secret shown in the Authgear portal (Advanced → Hooks)',
      );
    return { secrets: [single], warnings: [...warnings, ...weakSecretWarnings([single])] };
  }

  let list: unknown;
  try {
    list = JSON.parse(trimmed);
  } catch {
    throw new Error('the stored webhook secret starts with "[" but is not valid JSON; store a plain string or a JSON array of strings');
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string' && item.trim() !== '')) {
    throw new Error('the stored webhook secret must be a non-empty JSON array of non-empty strings');
  }
  if (list.length > MAX_SECRET_CANDIDATES) {
    throw new Error(
      `the stored webhook secret lists ${list.length} secrets; at most ${MAX_SECRET_CANDIDATES} are accepted, since every unsigned or forged request is checked against each: keep the current secret and the one being retired`,
    );
  }
  const secrets = [
    ...new Set(
      list.map((item: string) => {
        const trimmedItem = item.trim();
        if (trimmedItem !== item)
          warnings.push({
            reason: 'secret_whitespace',
            message: 'an entry of the stored webhook secret array has leading or trailing whitespace; it was ignored',
          });
        return clean(trimmedItem, warnings);
      }),
    ),
  ];
  if (secrets.includes('')) throw new Error('the stored webhook secret array has an empty quoted string; remove it');
  return { secrets, warnings: [...warnings, ...weakSecretWarnings(secrets)] };
}

/** The secret without surrounding quotes, with a warning when it had them. */
function clean(value: string, warnings: SecretWarning[]): string {
  const { value: unquoted, quoted } = unquote(value);
  if (quoted) {
    warnings.push({
      reason: 'secret_quoted',
      message:
        'the stored webhook secret is wrapped in quotes; they were ignored (no Authgear secret has any), but store the bare string from the Authgear portal',
    });
  }
  return unquoted;
}

export interface SecretStoreOptions {
  readonly source: SecretSource;
  readonly logger: Logger;
  /** How long a fetched value is used before it is fetched again. */
  readonly ttlMs: number;
  /** After a signature mismatch, fetch again at most this often (a rotated secret then works without a redeploy). */
  readonly refreshIntervalMs: number;
  /** Clock, replaceable in tests. */
  readonly now?: () => number;
  /** Names the secret in log lines and errors. Default `webhook secret`. */
  readonly label?: string;
  /** Turns the stored value into candidates. Default {@link parseSecretValue}, the webhook secret's format. */
  readonly parse?: (raw: string) => ParsedSecret;
}

/** With no secret at all, a failed fetch is retried at most this often. */
const COLD_RETRY_MS = 1_000;

interface Cached {
  readonly secrets: readonly string[];
  readonly fetchedAt: number;
}

/**
 * Caches the webhook secret: one fetch per TTL, one in-flight fetch shared by all callers,
 * the last good value kept when the source fails, and a rate-limited re-fetch when a signature
 * does not match.
 *
 * @example
 * ```ts
 * const store = new SecretStore({ source, logger, ttlMs: 300_000, refreshIntervalMs: 30_000 });
 * store.prime();                        // start fetching during init (or await it to finish it there)
 * const secrets = await store.get();    // the first request awaits that same fetch
 * store.peek();                         // the cached secrets, or undefined: never waits
 * ```
 */
export class SecretStore {
  readonly #options: SecretStoreOptions;
  readonly #now: () => number;
  #cached: Cached | undefined;
  #inFlight: Promise<Cached | undefined> | undefined;
  /** After a failed fetch, no new fetch starts before this time. */
  #quietUntil = 0;
  #lastFetchStartedAt = Number.NEGATIVE_INFINITY;

  constructor(options: SecretStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Starts the first fetch (during init) unless a value is cached or a fetch is running.
   *
   * @returns a promise that settles once that fetch has settled, and never rejects: whether it
   * succeeded shows on the next {@link get} or {@link peek}. Await it to finish the fetch during
   * init; ignore it to only start it.
   */
  prime(): Promise<void> {
    const pending = this.#cached ? undefined : (this.#inFlight ?? this.#fetch());
    return pending ? pending.then(() => undefined) : Promise.resolve();
  }

  /**
   * The cached candidate secrets, without waiting: `undefined` until a fetch has succeeded. Like
   * {@link get}, an expired value is still returned while one refresh runs in the background. The
   * warm path uses this, so a cached secret costs no promise.
   */
  peek(): readonly string[] | undefined {
    const cached = this.#cached;
    if (!cached) return undefined;
    const now = this.#now();
    if (now - cached.fetchedAt >= this.#options.ttlMs && !this.#inFlight && now >= this.#quietUntil) void this.#fetch();
    return cached.secrets;
  }

  /**
   * The current candidate secrets. Once a value is cached this never waits on the source: an
   * expired value is still returned while one refresh runs in the background, so warm requests
   * never pay for a Secrets Manager round trip.
   *
   * @throws SecretUnavailableError when nothing was ever fetched successfully.
   */
  async get(): Promise<readonly string[]> {
    const cached = this.peek();
    if (cached) return cached;
    // Nothing cached: wait for the fetch in flight, or start one unless one just failed.
    const pending = this.#inFlight ?? (this.#now() >= this.#quietUntil ? this.#fetch() : undefined);
    const result = pending ? await pending : undefined;
    if (!result)
      throw new SecretUnavailableError(`no ${this.#options.label ?? 'webhook secret'} could be loaded from ${this.#options.source.kind}`);
    return result.secrets;
  }

  /**
   * Called after a signature mismatch: fetches again unless a fetch started within the refresh
   * interval, and returns the secrets only if they changed (so the caller verifies again).
   */
  async refreshAfterMismatch(): Promise<readonly string[] | undefined> {
    const before = this.#cached?.secrets;
    let pending = this.#inFlight;
    if (!pending) {
      if (this.#now() - this.#lastFetchStartedAt < this.#options.refreshIntervalMs) return undefined;
      pending = this.#fetch();
    }
    const after = await pending;
    if (!after || (before && sameList(before, after.secrets))) return undefined;
    return after.secrets;
  }

  #fetch(): Promise<Cached | undefined> {
    const { source, logger, label = 'webhook secret', parse = parseSecretValue } = this.#options;
    this.#lastFetchStartedAt = this.#now();
    const started = this.#now();
    // Through a microtask, so a source that throws synchronously fails like one that rejects.
    const attempt = Promise.resolve()
      .then(() => source.fetch())
      .then((raw) => {
        const parsed = parse(raw);
        const previous = this.#cached?.secrets;
        if (!previous || !sameList(previous, parsed.secrets)) {
          for (const warning of parsed.warnings) logger.warn(warning.message, { reason: warning.reason, source: source.kind });
        }
        const cached: Cached = { secrets: parsed.secrets, fetchedAt: this.#now() };
        this.#cached = cached;
        logger.debug(`${label} loaded`, { source: source.kind, candidates: parsed.secrets.length, fetch_ms: this.#now() - started });
        return cached;
      })
      .catch((error: unknown) => {
        // Keep serving with the last good value and try again after the refresh interval. With
        // nothing cached, try again after a second: requests meanwhile get a fast 503.
        this.#quietUntil = this.#now() + (this.#cached ? this.#options.refreshIntervalMs : COLD_RETRY_MS);
        logger.error(this.#cached ? `${label} refresh failed; using the last good value` : `${label} could not be loaded`, {
          reason: 'secret_fetch_failed',
          source: source.kind,
          ...describeError(error),
        });
        return undefined;
      })
      .finally(() => {
        this.#inFlight = undefined;
      });
    this.#inFlight = attempt;
    return attempt;
  }
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** A source for a secret given directly, e.g. `AUTHGEAR_WEBHOOK_SECRET` on a developer's machine. */
export const staticSecretSource = (value: string, kind = 'environment'): SecretSource => ({ kind, fetch: async () => value });
