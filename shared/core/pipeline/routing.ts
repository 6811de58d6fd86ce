import type { HandlerSet } from '../handler';
import type { NonBlockingQueue } from '../queued';
import { NON_BLOCKING_PATH, routePath } from '../routes';
import type { RouteInfo } from './types';

/**
 * The routes an app serves: one per blocking handler, and `/non-blocking` when a queue takes
 * non-blocking events.
 *
 * @example
 * ```ts
 * serveRoutes({ blocking: new Map([['user.pre_create', handler]]) }, undefined).map((r) => r.path); // ['/blocking/user.pre_create']
 * ```
 */
export function serveRoutes(handlers: HandlerSet, queue: NonBlockingQueue | undefined): RouteInfo[] {
  const routes: RouteInfo[] = [];
  for (const eventType of handlers.blocking?.keys() ?? []) {
    routes.push({ method: 'POST', path: routePath(eventType), route: { kind: 'blocking', eventType } });
  }
  if (queue) routes.push({ method: 'POST', path: NON_BLOCKING_PATH, route: { kind: 'non-blocking' } });
  return routes;
}
