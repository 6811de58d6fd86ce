import { createPrivateKey, type KeyObject } from 'node:crypto';
import { AdminApiConfigError } from './errors';

/** The signing key of the Admin API: the private key from the portal and the key id it goes with. */
export interface AdminApiKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
}

/**
 * Reads a stored Admin API key: the PEM the portal downloads (`\n` escapes allowed, as a `.env`
 * line needs), with its key id given apart, or a JSON object `{"keyId": "…", "privateKey": "<PEM>"}`
 * that carries both, so a rotation swaps them in one write.
 *
 * @param fallbackKeyId the key id for a bare PEM (`AUTHGEAR_ADMIN_API_KEY_ID`).
 * @throws AdminApiConfigError saying what is wrong with the value, never quoting it.
 * @example
 * ```ts
 * const key = parseAdminApiKey(readFileSync('admin-api-key.pem', 'utf8'), 'c2a1…');
 * ```
 */
export function parseAdminApiKey(raw: string, fallbackKeyId: string | undefined, where = 'the Admin API private key'): AdminApiKey {
  let pem = raw.trim();
  let keyId = fallbackKeyId?.trim() || undefined;
  if (pem.startsWith('{')) {
    let stored: unknown;
    try {
      stored = JSON.parse(pem);
    } catch {
      throw new AdminApiConfigError(`${where} starts with "{" but is not JSON; store the PEM, or {"keyId": "…", "privateKey": "<PEM>"}`);
    }
    const { keyId: storedKeyId, privateKey } = (stored ?? {}) as { keyId?: unknown; privateKey?: unknown };
    if (typeof storedKeyId !== 'string' || storedKeyId.trim() === '' || typeof privateKey !== 'string') {
      throw new AdminApiConfigError(`${where} is JSON without a string "keyId" and a string "privateKey"`);
    }
    keyId = storedKeyId.trim();
    pem = privateKey.trim();
  }
  // A PEM pasted into one .env line keeps its line breaks as the two characters \n.
  if (!pem.includes('\n') && pem.includes('\\n')) pem = pem.replaceAll('\\n', '\n');
  if (!pem.startsWith('-----BEGIN ')) {
    throw new AdminApiConfigError(
      `${where} is not a PEM: it must start with "-----BEGIN" (download it from the portal: Advanced → Admin API)`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // The parser's own message may quote part of the key: say what to check instead.
    throw new AdminApiConfigError(`${where} could not be read as a PEM private key; store the file the portal downloads, unchanged`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new AdminApiConfigError(
      `${where} is a ${privateKey.asymmetricKeyType} key; the Admin API signs with RS256, which needs the RSA key from the portal`,
    );
  }
  if (!keyId)
    throw new AdminApiConfigError('no Admin API key id: set AUTHGEAR_ADMIN_API_KEY_ID to the key id shown next to the key in the portal');
  return { keyId, privateKey };
}
