import { isSubscribableNonBlockingEventType } from './constants';
import { NON_BLOCKING_PATH, routePath } from './routes';

/**
 * Renders the `hook:` block of `authgear.yaml` for the given base URL and handler event types.
 * Works with CDK tokens in `baseUrl`, since it only concatenates strings.
 *
 * Non-blocking handlers are subscribed by name when every type can be named in Authgear's config;
 * the `identity.*.verified`/`unverified` types are only delivered to `"*"`, so any of those
 * switches the subscription to `"*"` (other types are then acknowledged and ignored).
 *
 * @example
 * ```ts
 * renderHookConfig('https://abc.execute-api.eu-west-1.amazonaws.com', ['user.pre_create'], ['user.created']);
 * ```
 */
export function renderHookConfig(baseUrl: string, blocking: readonly string[], nonBlocking: readonly string[]): string {
  const base = baseUrl.endsWith('/') ? baseUrl.slice(0, -1) : baseUrl;
  const lines = ['hook:'];
  if (blocking.length === 0) lines.push('  blocking_handlers: []');
  else {
    lines.push('  blocking_handlers:');
    for (const event of blocking) lines.push(`    - event: ${event}`, `      url: ${base}${routePath(event)}`);
  }
  if (nonBlocking.length === 0) lines.push('  non_blocking_handlers: []');
  else {
    const events = nonBlocking.every(isSubscribableNonBlockingEventType) ? nonBlocking.map((e) => JSON.stringify(e)).join(', ') : '"*"';
    lines.push('  non_blocking_handlers:', `    - events: [${events}]`, `      url: ${base}${NON_BLOCKING_PATH}`);
  }
  return `${lines.join('\n')}\n`;
}
