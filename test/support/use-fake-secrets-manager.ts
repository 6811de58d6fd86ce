import { afterAll, afterEach, beforeAll } from 'vitest';
import { useAwsEnv } from './aws-env';
import { startFakeSecretsManager, type FakeSecretsManager } from './secrets-manager-server';

/**
 * Starts one fake Secrets Manager for a test file, points the real SDK at it, resets its
 * failure switches after each test, and restores the environment at the end.
 *
 * @example
 * ```ts
 * let fake: FakeSecretsManager;
 * useFakeSecretsManager((started) => (fake = started));
 * ```
 */
export function useFakeSecretsManager(onStarted: (fake: FakeSecretsManager) => void): void {
  let fake: FakeSecretsManager | undefined;
  let restoreEnv: () => void = () => undefined;
  beforeAll(async () => {
    fake = await startFakeSecretsManager();
    // The SDK client reads its endpoint, region and credentials from the environment.
    restoreEnv = useAwsEnv(fake.env());
    onStarted(fake);
  });
  afterEach(() => {
    fake?.failAll(false);
    fake?.failNext(0);
    fake?.setDelay(0);
  });
  afterAll(async () => {
    restoreEnv();
    await fake?.close();
  });
}
