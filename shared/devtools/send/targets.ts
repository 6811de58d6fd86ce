/** Event types and target URLs of `npm run send`. */
import type { EventType } from '../../core/constants';
import { routePath } from '../../core/routes';
import { SAMPLE_EVENT_TYPES, isSampleEventType } from '../samples';
import { SendError } from './send-error';

// ---------------------------------------------------------------------------------------------------------------------
// Event types
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Checks an event type given on the command line.
 *
 * @throws SendError naming the closest valid types.
 * @example
 * ```ts
 * requireEventType('user.created'); // 'user.created'
 * requireEventType('user.create');  // throws: unknown event type "user.create"; did you mean user.created or user.pre_create?
 * ```
 */
export function requireEventType(text: string): EventType {
  if (isSampleEventType(text)) return text;
  const close = SAMPLE_EVENT_TYPES.map((type) => ({ type, distance: editDistance(text, type) }))
    .filter((c) => c.distance <= Math.max(3, Math.floor(text.length / 4)))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 2)
    .map((c) => c.type);
  const hint = close.length > 0 ? `; did you mean ${close.join(' or ')}?` : '';
  throw new SendError(`unknown event type "${text}"${hint} (npm run send -- --list shows all ${SAMPLE_EVENT_TYPES.length})`);
}

/**
 * The route of an event type on the API and the local server.
 *
 * @example
 * ```ts
 * routeFor('user.pre_create'); // '/blocking/user.pre_create'
 * routeFor('user.created');    // '/non-blocking'
 * ```
 */
export function routeFor(type: EventType): string {
  return routePath(type);
}

/**
 * The URL to POST an event of `type` to. `target` is a base URL (the route is appended), or
 * already a route URL (`…/blocking/<type>` or `…/non-blocking`), which is used as is.
 *
 * @throws SendError for anything that is not an http(s) URL.
 * @example
 * ```ts
 * endpointFor('https://abc.execute-api.eu-west-1.amazonaws.com/', 'user.created');
 * // 'https://abc.execute-api.eu-west-1.amazonaws.com/non-blocking'
 * ```
 */
export function endpointFor(target: string, type: EventType): string {
  const url = parseTarget(target);
  if (isRouteUrl(url)) return url.href;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${routeFor(type)}`;
  return url.href;
}

/**
 * True when `target` already names one route rather than a base URL.
 *
 * @example
 * ```ts
 * isRouteTarget('http://localhost:3000/non-blocking'); // true
 * ```
 */
export function isRouteTarget(target: string): boolean {
  return isRouteUrl(parseTarget(target));
}

export function parseTarget(target: string): URL {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new SendError(
      `--url "${target}" is not a URL; give the base URL, e.g. http://localhost:3000 or https://<api id>.execute-api.<region>.amazonaws.com`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SendError(`--url "${target}" must start with http:// or https://`);
  url.search = '';
  url.hash = '';
  return url;
}

export const isRouteUrl = (url: URL): boolean => /\/(blocking\/[^/]+|non-blocking)\/?$/.test(url.pathname);

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
