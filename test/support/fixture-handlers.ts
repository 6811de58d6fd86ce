import { join } from 'node:path';
import { REPO_ROOT } from './paths';

/**
 * The template's own handler files (see its README): what the tests serve, bundle and deploy
 * instead of the project's `functions/`.
 */
export const FIXTURE_FUNCTIONS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'handlers');

/** The routes the fixture handlers serve, as the local server lists them. */
export const FIXTURE_ROUTES = [
  '/blocking/oidc.jwt.pre_create',
  '/blocking/user.pre_create',
  '/blocking/user.profile.pre_update',
  '/non-blocking',
] as const;
