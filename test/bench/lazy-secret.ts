/**
 * The "lazy fetch" variant of the benchmark: a `SecretStore` whose `prime()` does nothing, so the
 * first request starts the Secrets Manager call instead of the function's init (and the entry's
 * `await handler.ready` has nothing to wait for). Swapped in for `shared/core/secret.ts` when the
 * benchmark bundles the variant; nothing else changes.
 */
import { SecretStore as EagerSecretStore } from '../../shared/core/secret';

export * from '../../shared/core/secret';

export class SecretStore extends EagerSecretStore {
  override prime(): Promise<void> {
    // Deliberately no fetch: the first get() starts it.
    return Promise.resolve();
  }
}
