import { SHARED_FROM_HANDLER } from './paths';
import { tempProject } from './local-server';

/** The import a handler file that tests write starts with. */
const IMPORT = `import { defineBlockingHandler, defineNonBlockingHandler } from '${SHARED_FROM_HANDLER}';\n`;

/**
 * A temporary project linking the repository's `shared/` and `node_modules/`, with one handler
 * file a `handlers` entry: its path under `functions/` and the code after the shared import.
 * Removed by `removeTemporaryDirs` (from `./local-server`), which the test file calls in `afterAll`.
 *
 * @example
 * ```ts
 * const root = handlerProject({ 'blocking/user.pre_create.ts': "export default defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }));" });
 * const server = await startLocalServer({ projectRoot: root, port: 0, env: { AUTHGEAR_WEBHOOK_SECRET: secret } });
 * ```
 */
export function handlerProject(handlers: Readonly<Record<string, string>>): string {
  return tempProject(
    ['shared', 'node_modules'],
    Object.fromEntries(Object.entries(handlers).map(([file, code]) => [`functions/${file}`, `${IMPORT}${code}\n`])),
  );
}
