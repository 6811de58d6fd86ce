import type { LoadedHandlerModule } from '../../shared/core/assemble';
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

/**
 * A handler module as a generated Lambda entry lists it, for `user.pre_create`: the adapter tests
 * build their functions from it with a handler of their own.
 */
export const preCreateModule = (exported: unknown): LoadedHandlerModule => ({
  file: 'functions/blocking/user.pre_create.ts',
  kind: 'blocking',
  eventType: 'user.pre_create',
  exported,
});
