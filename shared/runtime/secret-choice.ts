import { ENV } from '../core/config';

type Env = Readonly<Record<string, string | undefined>>;

/** Where the webhook secret comes from, and which setting said so (for messages). */
export type SecretChoice =
  | { readonly kind: 'value'; readonly value: string; readonly from: string }
  | { readonly kind: 'secrets-manager'; readonly secretId: string; readonly from: string };

/** Command-line choices, which win over the environment (`npm run send --secret/--secret-id`). */
export interface SecretFlags {
  readonly secret?: string;
  readonly secretId?: string;
}

/**
 * The one order in which every part looks for the webhook secret: a flag of the command line,
 * then the value in `AUTHGEAR_WEBHOOK_SECRET`, then the Secrets Manager secret named by
 * `AUTHGEAR_WEBHOOK_SECRET_ID` (what the stack sets). Blank variables count as unset; a flag
 * counts as soon as it is given. The caller decides what no secret means: the Lambda functions
 * refuse to start, the local server generates one, `npm run send` asks the running server.
 *
 * @returns `undefined` when nothing names a secret.
 * @example
 * ```ts
 * chooseSecret({ AUTHGEAR_WEBHOOK_SECRET_ID: 'arn:aws:secretsmanager:…' }); // { kind: 'secrets-manager', secretId: 'arn:…', from: 'AUTHGEAR_WEBHOOK_SECRET_ID' }
 * chooseSecret({}, { secret: 'k3Y9…' });                                    // { kind: 'value', value: 'k3Y9…', from: '--secret' }
 * ```
 */
export function chooseSecret(env: Env, flags: SecretFlags = {}): SecretChoice | undefined {
  if (flags.secret !== undefined) return { kind: 'value', value: flags.secret, from: '--secret' };
  if (flags.secretId !== undefined) return { kind: 'secrets-manager', secretId: flags.secretId, from: '--secret-id' };
  const value = env[ENV.secret];
  if (value) return { kind: 'value', value, from: ENV.secret };
  const secretId = env[ENV.secretId];
  if (secretId) return { kind: 'secrets-manager', secretId, from: ENV.secretId };
  return undefined;
}
