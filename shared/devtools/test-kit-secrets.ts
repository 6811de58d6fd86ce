import { environmentSecretSources, type HandlerSecretSources } from '../core/handler-secrets';
import { loadEnvFile } from './env-file';

/**
 * Where {@link invokeHandler} finds handler secrets: the values the test passed, else the
 * variables `npm start` reads (`SECRET_CRM_API_KEY` for `crm/api-key`), from the environment,
 * then from `.env` in the working folder, read only when a secret needs it.
 *
 * @example
 * ```ts
 * const sources = testKitSecretSources({ 'crm/api-key': 'test-key' });
 * await sources('crm/api-key').fetch(); // 'test-key'
 * ```
 */
export function testKitSecretSources(given: Readonly<Record<string, string | undefined>>): HandlerSecretSources {
  return (nameOrArn) => {
    const value = given[nameOrArn];
    if (value !== undefined) return { kind: 'test kit', fetch: async () => value };
    const local = environmentSecretSources(
      loadEnvFile('.env', process.env),
      `the environment or .env, or pass it to invokeHandler: { secrets: { ${JSON.stringify(nameOrArn)}: '…' } }`,
    );
    return local(nameOrArn);
  };
}
