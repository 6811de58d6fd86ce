/**
 * How `npm run send` finds a running `npm start` of the same project: the local server leaves a
 * small file with its URL and, only when it generated the secret itself, that throw-away secret.
 * A secret from the environment or `.env` is never written: the sender reads those itself.
 *
 * The file lives in `node_modules/.cache/` (git-ignored, machine-local) with mode 0600, and is
 * removed when the server stops. Its name carries a hash of the project folder, so a server
 * started in another folder that shares this `node_modules` (a test's temporary project) keeps
 * its own file and never replaces or removes the one of the `npm start` running here.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** What a running local server tells the sender. */
export interface LocalServerState {
  readonly url: string;
  readonly pid: number;
  /** Only for a secret the server generated for this run. */
  readonly secret?: string;
}

const STATE_PREFIX = 'local-server-';

/**
 * Where the state file of a project lives: one file per project folder.
 *
 * @example
 * ```ts
 * localStatePath('/repo'); // '/repo/node_modules/.cache/authgear-webhooks/local-server-3f2a9c1d07be.json'
 * ```
 */
export function localStatePath(projectRoot: string): string {
  const folder = createHash('sha256').update(resolve(projectRoot)).digest('hex').slice(0, 12);
  return join(localCacheDir(projectRoot), `${STATE_PREFIX}${folder}.json`);
}

/**
 * The project's machine-local cache folder for the developer tools (git-ignored with `node_modules`).
 *
 * @example
 * ```ts
 * localCacheDir('/repo'); // '/repo/node_modules/.cache/authgear-webhooks'
 * ```
 */
export function localCacheDir(projectRoot: string): string {
  return join(projectRoot, 'node_modules', '.cache', 'authgear-webhooks');
}

/**
 * Writes the state file; failures are returned, not thrown, since the server works without it.
 *
 * @example
 * ```ts
 * const problem = writeLocalState(process.cwd(), { url: server.url, pid: process.pid });
 * ```
 */
export function writeLocalState(projectRoot: string, state: LocalServerState): string | undefined {
  const path = localStatePath(projectRoot);
  try {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    removeStaleStates(join(path, '..'));
    return undefined;
  } catch (error) {
    return `could not write ${path}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Reads the state of a local server that is still running; `undefined` when there is none.
 *
 * @example
 * ```ts
 * const running = readLocalState(process.cwd());
 * if (running) console.log(`npm start is serving ${running.url}`);
 * ```
 */
export function readLocalState(projectRoot: string): LocalServerState | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(localStatePath(projectRoot), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { url, pid, secret } = value as Record<string, unknown>;
  if (typeof url !== 'string' || typeof pid !== 'number' || !isRunning(pid)) return undefined;
  return typeof secret === 'string' ? { url, pid, secret } : { url, pid };
}

/**
 * Removes the state file if it still belongs to process `pid` (another server may have replaced
 * it). With `previous`, the state this server replaced when it started, that state is put back
 * if its server still runs.
 *
 * @example
 * ```ts
 * const previous = readLocalState(process.cwd());
 * writeLocalState(process.cwd(), { url, pid: process.pid });
 * // … when stopping:
 * removeLocalState(process.cwd(), process.pid, previous);
 * ```
 */
export function removeLocalState(projectRoot: string, pid: number, previous?: LocalServerState): void {
  const path = localStatePath(projectRoot);
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
    if (state.pid !== pid) return;
    rmSync(path, { force: true });
  } catch {
    return;
  }
  if (previous && previous.pid !== pid && isRunning(previous.pid)) writeLocalState(projectRoot, previous);
}

/** Files left by servers that were killed (a test's, say): nothing removed them when they stopped. */
function removeStaleStates(dir: string): void {
  try {
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(STATE_PREFIX) || !name.endsWith('.json')) continue;
      const path = join(dir, name);
      try {
        const { pid } = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
        if (typeof pid === 'number' && !isRunning(pid)) rmSync(path, { force: true });
      } catch {
        // Being written by another server right now, or not ours: leave it.
      }
    }
  } catch {
    // The folder cannot be listed: nothing to tidy.
  }
}

/** True while the process `pid` exists (the servers of this machine record their pid). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
