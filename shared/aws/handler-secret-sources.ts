import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { HandlerSecretSources } from '../core/handler-secrets';
import { createSecretsManagerClient, secretsManagerSource } from './secrets-manager';

/**
 * Handler secrets in Lambda: each name or ARN goes to `GetSecretValue` as it is, and every secret
 * shares one client (one connection), made when a handler first asks for a secret.
 *
 * @example
 * ```ts
 * const registry = createHandlerSecretRegistry({ sources: secretsManagerSources(), logger, ttlMs, refreshIntervalMs });
 * ```
 */
export function secretsManagerSources(): HandlerSecretSources {
  let client: SecretsManagerClient | undefined;
  return (nameOrArn) => {
    client ??= createSecretsManagerClient();
    return secretsManagerSource(nameOrArn, { client, holds: `the value of the handler secret "${nameOrArn}"` });
  };
}
