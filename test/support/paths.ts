import { dirname, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder of package.json), without a trailing separator. */
export const REPO_ROOT = dirname(fileURLToPath(new URL('../../package.json', import.meta.url)));

/** The import specifier a handler file in `functions/<kind>/` uses for the shared module, for handler files that tests write. */
export const SHARED_FROM_HANDLER = posix.join('..', '..', 'shared');
