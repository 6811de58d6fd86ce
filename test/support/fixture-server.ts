import type { Logger } from '../../shared/core/logger';
import { type LocalServer, startLocalServer } from '../../shared/local/server';
import { FIXTURE_FUNCTIONS_DIR } from './fixture-handlers';
import { REPO_ROOT } from './paths';

/**
 * Starts the local server in this process on a free loopback port, serving the template's own
 * handler files (the fixtures) with `env` as its whole configuration.
 *
 * @example
 * ```ts
 * const server = await startFixtureServer({ AUTHGEAR_WEBHOOK_SECRET: VECTOR_SECRET, LOG_LEVEL: 'silent' });
 * await fetch(`${server.url}/blocking/user.pre_create`, { method: 'POST', body });
 * await server.close();
 * ```
 */
export function startFixtureServer(env: Readonly<Record<string, string>>, logger?: Logger): Promise<LocalServer> {
  return startLocalServer({ projectRoot: REPO_ROOT, functionsDir: FIXTURE_FUNCTIONS_DIR, port: 0, env, ...(logger ? { logger } : {}) });
}
