import { isAbsolute, join, resolve } from 'node:path';

/**
 * The variable that points `npm start`, `npm run typecheck` and `cdk synth` at another folder of
 * handler files than `functions/`: a path relative to the project root, or absolute. Meant for
 * trying a second set of handlers (the template's own tests use it); unset in normal use.
 */
export const FUNCTIONS_DIR_ENV = 'AUTHGEAR_WEBHOOKS_FUNCTIONS_DIR';

/**
 * The folder holding `blocking/` and `non-blocking/` for a project: `<projectRoot>/functions`, or
 * what {@link FUNCTIONS_DIR_ENV} names.
 *
 * @example
 * ```ts
 * functionsDirOf('/repo', {}); // '/repo/functions'
 * functionsDirOf('/repo', { AUTHGEAR_WEBHOOKS_FUNCTIONS_DIR: 'test/fixtures/handlers' }); // '/repo/test/fixtures/handlers'
 * ```
 */
export function functionsDirOf(projectRoot: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const chosen = env[FUNCTIONS_DIR_ENV]?.trim();
  if (!chosen) return join(projectRoot, 'functions');
  return isAbsolute(chosen) ? chosen : resolve(projectRoot, chosen);
}
