/**
 * The URL paths of the webhook routes, defined once for the core, the local server, `npm run
 * send`, the generated hook configuration and the stack.
 */
import { isBlockingEventType } from './constants';

/** The one path of every non-blocking event. */
export const NON_BLOCKING_PATH = '/non-blocking';

const BLOCKING_PATH_PREFIX = '/blocking/';

/**
 * The path Authgear posts an event of this type to: `/blocking/<type>` for a blocking event,
 * `/non-blocking` for any other type.
 *
 * @example
 * ```ts
 * routePath('user.pre_create'); // '/blocking/user.pre_create'
 * routePath('user.created');    // '/non-blocking'
 * ```
 */
export function routePath(eventType: string): string {
  return isBlockingEventType(eventType) ? `${BLOCKING_PATH_PREFIX}${eventType}` : NON_BLOCKING_PATH;
}
