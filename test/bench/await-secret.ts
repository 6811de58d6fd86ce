/**
 * The "init awaits the secret" variant of the benchmark: the function's init (module evaluation)
 * waits for the first Secrets Manager call with a top-level await, instead of only starting it.
 * Swapped in for `shared/core/secret.ts` when the benchmark bundles the variant, together with a
 * footer `await globalThis.__authgearBenchInit;`; nothing else changes.
 */
import { SecretStore as EagerSecretStore } from '../../shared/core/secret';

export * from '../../shared/core/secret';

declare global {
  var __authgearBenchInit: Promise<void> | undefined;
}

export class SecretStore extends EagerSecretStore {
  override prime(): void {
    super.prime();
    // Errors surface on the first request, as without the await.
    globalThis.__authgearBenchInit = this.get().then(
      () => undefined,
      () => undefined,
    );
  }
}
