import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretSource } from './secret';

export interface SecretsManagerSourceOptions {
  /** A client to reuse; by default one is created with short timeouts that fit the blocking-hook budget. */
  readonly client?: SecretsManagerClient;
}

/**
 * Reads the webhook secret from AWS Secrets Manager with `GetSecretValue`.
 * `secretId` is passed unchanged: an ARN (what the stack sets) or a plain name.
 *
 * The endpoint follows the SDK's usual configuration, so `AWS_ENDPOINT_URL_SECRETS_MANAGER`
 * points it at a local server in tests.
 *
 * @example
 * ```ts
 * const source = secretsManagerSource(process.env.AUTHGEAR_WEBHOOK_SECRET_ID!);
 * const raw = await source.fetch();
 * ```
 */
export function secretsManagerSource(secretId: string, options: SecretsManagerSourceOptions = {}): SecretSource {
  let client = options.client;
  return {
    kind: 'secrets-manager',
    async fetch() {
      // Created on first use so that merely loading this module costs nothing.
      client ??= new SecretsManagerClient({
        // Authgear waits 5 s for a blocking answer; a hung connection must fail well before that.
        requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
        maxAttempts: 2,
      });
      const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (output.SecretString !== undefined) return output.SecretString;
      if (output.SecretBinary !== undefined) return Buffer.from(output.SecretBinary).toString('utf8');
      throw new Error('the secret has no value yet; store the Authgear webhook secret with put-secret-value');
    },
  };
}
