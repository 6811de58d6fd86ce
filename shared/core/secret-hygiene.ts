/**
 * Checks on a stored webhook secret that catch copy-paste mistakes and weak values before they
 * turn into silent signature mismatches or a cheap target. Authgear generates 32-character
 * secrets of `[0-9A-Za-z_]`, so quotes around one and a short one are both mistakes.
 */

/** A rotation list longer than this is refused: every forged request is checked against each entry. */
export const MAX_SECRET_CANDIDATES = 10;

/** A shorter secret is accepted with a warning. */
export const MIN_SECRET_LENGTH = 16;

/** A problem with a stored secret that did not prevent its use, for one warning in the log. */
export interface SecretWarning {
  /** Stable, for log queries: `secret_whitespace`, `secret_quoted`, `secret_short`. */
  readonly reason: string;
  readonly message: string;
}

/**
 * The value without one pair of surrounding quotes (`"…"` or `'…'`), which no Authgear secret has:
 * they come from a JSON-encoded or shell-quoted copy.
 *
 * @example
 * ```ts
 * unquote('"k3Y9mP2qR7sT1vW5xZ8aB4cD6eF0gH_j"'); // { value: 'k3Y9mP2qR7sT1vW5xZ8aB4cD6eF0gH_j', quoted: true }
 * ```
 */
export function unquote(value: string): { readonly value: string; readonly quoted: boolean } {
  const first = value.charAt(0);
  const quoted = value.length >= 2 && (first === '"' || first === "'") && value.endsWith(first);
  return quoted ? { value: value.slice(1, -1), quoted } : { value, quoted };
}

/**
 * Warnings for secrets that are usable but probably wrong or weak.
 *
 * @example
 * ```ts
 * weakSecretWarnings(['s3cret']); // [{ reason: 'secret_short', message: 'a stored webhook secret is 6 characters long; …' }]
 * ```
 */
export function weakSecretWarnings(secrets: readonly string[]): SecretWarning[] {
  const short = secrets.filter((secret) => secret.length < MIN_SECRET_LENGTH);
  return short.map((secret) => ({
    reason: 'secret_short',
    message: `a stored webhook secret is ${secret.length} characters long; Authgear generates 32-character secrets and a short one can be guessed: store the one the portal shows`,
  }));
}

/**
 * The text of a binary secret (`SecretBinary`), which must be UTF-8: other bytes would never
 * match Authgear's signature, and the only symptom would be a 401 for every delivery.
 *
 * @throws Error saying to store the secret as a string.
 * @example
 * ```ts
 * decodeSecretBinary(new TextEncoder().encode('k3Y9…'), 'authgear-webhook'); // 'k3Y9…'
 * ```
 */
export function decodeSecretBinary(bytes: Uint8Array, secretId: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new Error(
      `the secret ${secretId} holds a SecretBinary value that is not UTF-8 text; store the Authgear webhook secret as a string (put-secret-value --secret-string)`,
    );
  }
}
