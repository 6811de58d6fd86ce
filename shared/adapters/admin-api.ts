/**
 * `context.adminApi` for the processes that run handlers (the blocking function, the worker, the
 * local server): the settings from the environment, and the private key from
 * `AUTHGEAR_ADMIN_API_PRIVATE_KEY`, or from Secrets Manager when deployed.
 */
import { createAdminApiFactory, type ConfiguredAdminApiFactory } from '../admin-api/factory';
import type { RuntimeConfig } from '../core/config';
import type { SecretSource } from '../core/secret';
import { secretsManagerSource } from '../aws/secrets-manager';

/**
 * @example
 * ```ts
 * const adminApi = adminApiFromEnvironment(process.env, readConfig(process.env));
 * createQueuedEventProcessor({ handlers, config, logger, adminApi });
 * ```
 */
export function adminApiFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  config: RuntimeConfig,
  loadSecret: (secretId: string) => Promise<string> = adminApiKeyLoader(),
): ConfiguredAdminApiFactory {
  return createAdminApiFactory({
    env,
    // The same cache and refresh rhythm as the webhook secret: a rotated key is picked up within the TTL, or after a 403.
    keyTtlMs: config.secretCacheTtlMs,
    keyRefreshIntervalMs: config.secretRefreshIntervalMs,
    loadSecret,
  });
}

/**
 * Reads the Admin API key from the Secrets Manager secret the stack made for it. Separate, so that
 * `npm start`'s rebuilt code can make its own client with this process's SDK client.
 */
export function adminApiKeyLoader(): (secretId: string) => Promise<string> {
  let source: SecretSource | undefined;
  return (secretId) => {
    source ??= secretsManagerSource(secretId);
    return readKeySecret(source);
  };
}

/** The stored key, with errors that speak of the Admin API key rather than the webhook secret. */
async function readKeySecret(source: SecretSource): Promise<string> {
  try {
    return await source.fetch();
  } catch (error) {
    if (error instanceof Error && /has no value/.test(error.message)) {
      throw new Error('it holds no value yet: store the PEM with the command in the AdminApiPutKeyCommand output', { cause: error });
    }
    throw error;
  }
}
