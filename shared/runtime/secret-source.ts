import { secretsManagerSource } from '../aws/secrets-manager';
import { type SecretSource, staticSecretSource } from '../core/secret';
import type { SecretChoice } from './secret-choice';

/**
 * The source that reads a chosen secret: the value itself, or Secrets Manager.
 *
 * @example
 * ```ts
 * const choice = chooseSecret(process.env);
 * const source = choice && secretSourceFor(choice);
 * ```
 */
export function secretSourceFor(choice: SecretChoice): SecretSource {
  return choice.kind === 'value' ? staticSecretSource(choice.value) : secretsManagerSource(choice.secretId);
}
