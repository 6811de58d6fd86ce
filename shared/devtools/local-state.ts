/**
 * How `npm run send` finds a running `npm start` of the same project: the local server leaves a
 * small file with its URL and, only when it generated the secret itself, that throw-away secret.
 * A secret from the environment or `.env` is never written: the sender reads those itself.
 *
 * The file lives in `node_modules/.cache/` (git-ignored, machine-local) with mode 0600, and is
 * removed when the server stops.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a running local server tells the sender. */
export interface LocalServerState {
  readonly url: string;
  readonly pid: number;
  /** Only for a secret the server generated for this run. */
  readonly secret?: string;
}

/**
 * Where the state file of a project lives.
 *
 * @example
 * ```ts
 * localStatePath('/repo'); // '/repo/node_modules/.cache/authgear-webhooks/local-server.json'
 * ```
 */
export function localStatePath(projectRoot: string): string {
  return join(projectRoot, 'node_modules', '.cache', 'authgear-webhooks', 'local-server.json');
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
 * Removes the state file if it still belongs to process `pid` (another server may have replaced it).
 *
 * @example
 * ```ts
 * removeLocalState(process.cwd(), process.pid);
 * ```
 */
export function removeLocalState(projectRoot: string, pid: number): void {
  const path = localStatePath(projectRoot);
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
    if (state.pid === pid) rmSync(path, { force: true });
  } catch {
    // Nothing to remove.
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
