import { createAdminApiClient } from './client';
import { type AdminApiConfig, ADMIN_API_ENV, configError, readAdminApiConfig } from './config';
import { AdminApiKeyStore } from './key-store';
import type { AdminApiFactory } from './types';

export interface AdminApiFactoryOptions {
  /** Where the settings come from: `process.env`, with `.env` merged in locally. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a secret by id; needed when `AUTHGEAR_ADMIN_API_PRIVATE_KEY_SECRET_ID` is set (the Lambda adapters pass Secrets Manager). */
  readonly loadSecret?: (secretId: string) => Promise<string>;
  /** How long the loaded key is kept before it is read again. */
  readonly keyTtlMs: number;
  /** After a 403, read the key again at most this often. */
  readonly keyRefreshIntervalMs: number;
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
}

/** A factory for `context.adminApi`, and the configuration it was made from (for start-up messages). */
export type ConfiguredAdminApiFactory = AdminApiFactory & { readonly config: AdminApiConfig };

/**
 * Makes the `context.adminApi` factory of a process from its environment. Nothing is read or
 * signed here: the key is loaded at the first request, so handlers that never call the Admin API
 * pay nothing. Without a usable configuration every read of `context.adminApi` throws an
 * {@link AdminApiConfigError} that says what to set.
 *
 * @example
 * ```ts
 * const adminApi = createAdminApiFactory({ env: process.env, keyTtlMs: 300_000, keyRefreshIntervalMs: 30_000 });
 * const app = createWebhookApp({ handlers, secrets, config, logger, adminApi });
 * ```
 */
export function createAdminApiFactory(options: AdminApiFactoryOptions): ConfiguredAdminApiFactory {
  const config = readAdminApiConfig(options.env);
  if (config.status !== 'configured') {
    const error = configError(config);
    return Object.assign(
      () => {
        throw error;
      },
      { config },
    );
  }
  const { settings } = config;
  const { key } = settings;
  const keys = new AdminApiKeyStore({
    keyId: settings.keyId,
    ttlMs: options.keyTtlMs,
    refreshIntervalMs: options.keyRefreshIntervalMs,
    ...('pem' in key
      ? { load: async () => key.pem, where: ADMIN_API_ENV.privateKey }
      : {
          where: `the Admin API private key in the secret ${key.secretId}`,
          load: async () => {
            if (!options.loadSecret) throw new Error(`${ADMIN_API_ENV.privateKeySecretId} is set, but this process cannot read secrets`);
            return options.loadSecret(key.secretId);
          },
        }),
  });
  const client = createAdminApiClient({ settings, keys, ...(options.fetch ? { fetch: options.fetch } : {}) });
  return Object.assign((scope: Parameters<AdminApiFactory>[0]) => client.forRun(scope), { config });
}
