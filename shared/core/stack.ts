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

/**
 * Rewrites a stack trace's frames, for example from a bundle's positions to its sources'. Must not
 * throw; a failure leaves the stack as it was.
 */
export type StackMapper = (stack: string) => string;

// Process-wide, like Node's own `--enable-source-maps`: a bundle's entry installs it once, and
// every error the process describes goes through it (see `describeError`).
let stackMapper: StackMapper | undefined;

/**
 * Installs the mapper `describeError` passes every stack through, or removes it with `undefined`.
 *
 * @example
 * ```ts
 * setStackMapper(sourceMapStackMapper('/var/task/index.mjs')); // what a bundle's entry does
 * ```
 */
export function setStackMapper(mapper: StackMapper | undefined): void {
  stackMapper = mapper;
}

/** The stack through the installed mapper; unchanged without one, or when the mapper fails. */
export function mapStack(stack: string): string {
  if (stackMapper === undefined) return stack;
  try {
    return stackMapper(stack);
  } catch {
    return stack;
  }
}
