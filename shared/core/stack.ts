/**
 * Stack traces for log lines: each frame keeps its function, file and line:column, but a path
 * inside the project is shown relative to it and a path outside it (a home folder, a global
 * package cache) keeps only its file name, so logs do not carry a machine's folder layout.
 */

// An absolute path (POSIX, Windows, or a file: URL) ending in :line:column, where a frame puts it.
const ABSOLUTE_FRAME = /(?<=^|[\s(])(?:file:\/\/)?(?:\/|[A-Za-z]:[\\/])[^\s()]*?([^\s()\\/]+:\d+:\d+)/g;

/**
 * Rewrites the absolute paths of a stack's frames.
 *
 * @param root the project folder (in Lambda `/var/task`, locally the folder `npm start` runs in).
 * @example
 * ```ts
 * tidyStack('Error: x\n    at f (/home/ana/app/functions/blocking/a.ts:3:9)', '/home/ana/app');
 * // 'Error: x\n    at f (functions/blocking/a.ts:3:9)'
 * tidyStack('Error: x\n    at g (/usr/lib/node/lib.js:1:2)', '/home/ana/app');
 * // 'Error: x\n    at g (…/lib.js:1:2)'
 * ```
 */
export function tidyStack(stack: string, root: string): string {
  const base = root.replace(/[\\/]+$/, '');
  const prefixes = base === '' ? [] : [`file://${base}/`, `${base}/`, `${base}\\`];
  return stack.replace(ABSOLUTE_FRAME, (path: string, fileAndPosition: string) => {
    for (const prefix of prefixes) if (path.startsWith(prefix)) return path.slice(prefix.length);
    return `…/${fileAndPosition}`;
  });
}
