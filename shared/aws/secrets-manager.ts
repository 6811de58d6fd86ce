import { GetSecretValueCommand, type GetSecretValueCommandOutput, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretSource } from '../core/secret';

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
        // Without throwOnRequestTimeout the SDK only warns and keeps waiting.
        requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
        maxAttempts: 2,
      });
      let output: GetSecretValueCommandOutput;
      try {
        output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      } catch (error) {
        // A secret created by the stack has no value until put-secret-value; the service reports
        // that as a missing AWSCURRENT version.
        if (error instanceof Error && error.name === 'ResourceNotFoundException' && /staging label/i.test(error.message)) {
          throw new Error(`the secret ${secretId} has no value yet; store the Authgear webhook secret with put-secret-value`, {
            cause: error,
          });
        }
        throw error;
      }
      if (output.SecretString !== undefined) return output.SecretString;
      if (output.SecretBinary !== undefined) return Buffer.from(output.SecretBinary).toString('utf8');
      throw new Error(`the secret ${secretId} has no value; store the Authgear webhook secret with put-secret-value`);
    },
  };
}
