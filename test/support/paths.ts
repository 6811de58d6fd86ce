import { posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, without a trailing separator. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The import specifier a handler file in `functions/<kind>/` uses for the shared module, for handler files that tests write. */
export const SHARED_FROM_HANDLER = posix.join('..', '..', 'shared');
