import { GetSecretValueCommand, type GetSecretValueCommandOutput, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretSource } from '../core/secret';
import { decodeSecretBinary } from '../core/secret-hygiene';

/**
 * One fetch, both attempts included, ends within this many ms. With Lambda's own start (a few
 * hundred ms) a blocking function whose Secrets Manager hangs at a cold start gives its first
 * answer (a 503) about 2.5 s after the request, well inside Authgear's 5 s.
 */
export const SECRET_FETCH_BUDGET_MS = 2_000;

export interface SecretsManagerSourceOptions {
  /** A client to reuse; by default one is created with short timeouts that fit the blocking-hook budget. */
  readonly client?: SecretsManagerClient;
  /** What the secret holds, for the messages that say to store a value. Default `the Authgear webhook secret`. */
  readonly holds?: string;
  /** The bound on one fetch, retries included; default {@link SECRET_FETCH_BUDGET_MS}. */
  readonly budgetMs?: number;
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
  const holds = options.holds ?? 'the Authgear webhook secret';
  const budgetMs = options.budgetMs ?? SECRET_FETCH_BUDGET_MS;
  return {
    kind: 'secrets-manager',
    async fetch() {
      // Created on first use so that merely loading this module costs nothing.
      client ??= createSecretsManagerClient();
      let output: GetSecretValueCommandOutput;
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), budgetMs);
      try {
        output = await client.send(new GetSecretValueCommand({ SecretId: secretId }), { abortSignal: abort.signal });
      } catch (error) {
        if (abort.signal.aborted) {
          throw new Error(`Secrets Manager did not answer within ${budgetMs} ms (at most two attempts)`, { cause: error });
        }
        // A secret created by the stack has no value until put-secret-value; the service reports
        // that as a missing AWSCURRENT version.
        if (error instanceof Error && error.name === 'ResourceNotFoundException' && /staging label/i.test(error.message)) {
          throw new Error(`the secret ${secretId} has no value yet; store ${holds} with put-secret-value`, {
            cause: error,
          });
        }
        throw error;
      } finally {
        clearTimeout(timer);
      }
      if (output.SecretString !== undefined) return output.SecretString;
      if (output.SecretBinary !== undefined) return decodeSecretBinary(output.SecretBinary, secretId);
      throw new Error(`the secret ${secretId} has no value; store ${holds} with put-secret-value`);
    },
  };
}

/**
 * A Secrets Manager client with short timeouts: Authgear waits 5 s for a blocking answer, so a
 * hung connection must fail well before that. Without throwOnRequestTimeout the SDK only warns
 * and keeps waiting.
 */
export function createSecretsManagerClient(): SecretsManagerClient {
  return new SecretsManagerClient({
    // Two attempts of at most 1 s each (plus the backoff between them) fit in the 2 s fetch budget.
    requestHandler: { connectionTimeout: 500, requestTimeout: 1_000, throwOnRequestTimeout: true },
    maxAttempts: 2,
  });
}
