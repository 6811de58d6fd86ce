/**
 * What `npm start` prints after a save: that the new code serves, or why it does not build and
 * that the previous code still serves; and the routes and hook YAML when they changed.
 */
import type { LoadResult } from './reloader';
import type { LocalServer } from './server';

type Write = (text: string) => void;

/**
 * Returns the function that reports each reload of `server`.
 *
 * @example
 * ```ts
 * const report = reportReload(server);
 * report(await server.reload(['functions/blocking/user.pre_create.ts']), ['functions/blocking/user.pre_create.ts']);
 * ```
 */
export function reportReload(
  server: Pick<LocalServer, 'routes' | 'hookYaml'>,
  out: Write = (text) => process.stdout.write(text),
  err: Write = (text) => process.stderr.write(text),
): (result: LoadResult, changed: readonly string[]) => void {
  let routes = describeRoutes(server);
  let failing = false;
  return (result, changed) => {
    const what = changed.length === 0 ? 'reload' : changed.length === 1 ? `${changed[0]} changed` : `${changed.length} files changed`;
    if (!result.ok) {
      failing = true;
      err(`\n[reload] ${what}, but the new code does not load; the previous version keeps serving:\n${indent(result.error)}\n\n`);
      return;
    }
    const recovered = failing;
    failing = false;
    if (!result.changed) {
      // Back to the code that was serving all along: say so, or the error above looks current.
      if (recovered) out(`[reload] ${what}: the code loads again; it is the version that kept serving.\n`);
      return;
    }
    const lines = [`[reload] ${what}: new code serving (built in ${result.ms} ms).`];
    const now = describeRoutes(server);
    if (now !== routes) {
      routes = now;
      lines.push('Routes now:', now, '', 'Hook configuration for authgear.yaml:', '', server.hookYaml.trimEnd());
    }
    out(`${lines.join('\n')}\n`);
  };
}

function describeRoutes(server: Pick<LocalServer, 'routes'>): string {
  return server.routes
    .map((r) => `  ${r.method} ${r.url}  ${r.events.length > 0 ? r.events.join(', ') : '(no handlers: every event is acknowledged)'}`)
    .join('\n');
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
