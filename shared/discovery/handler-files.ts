import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assembleHandlers, formatHandlerProblems, type LoadedHandlerModule } from '../core/assemble';
import { isBlockingEventType, isNonBlockingEventType } from '../core/constants';
import { HandlerFileError } from '../core/errors';
import type { HandlerSet } from '../core/handler';

/** A handler file found under `functions/`. */
export interface HandlerFile {
  readonly kind: 'blocking' | 'non-blocking';
  readonly eventType: string;
  /** Absolute path. */
  readonly path: string;
  /** Path relative to the project root, for messages. */
  readonly file: string;
}

export interface HandlerFiles {
  readonly blocking: readonly HandlerFile[];
  readonly nonBlocking: readonly HandlerFile[];
}

const EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];
const FOLDERS = { blocking: 'blocking', 'non-blocking': 'non-blocking' } as const;

/**
 * Lists the handler files: `functions/blocking/<event type>.ts` and
 * `functions/non-blocking/<event type>.ts`. The file name is the route; nothing else registers a
 * handler. Files starting with `_` or `.`, `*.test.*`, `*.d.ts` and sub-folders are ignored.
 *
 * @param functionsDir the folder holding `blocking/` and `non-blocking/`; `<projectRoot>/functions`
 * unless the project points elsewhere (see {@link functionsDirOf}). Messages name files relative
 * to `projectRoot`.
 * @throws HandlerFileError naming every misnamed file and listing the valid types.
 * @example
 * ```ts
 * const { blocking } = findHandlerFiles('/repo');
 * blocking.map((f) => f.eventType); // ['oidc.jwt.pre_create', 'user.pre_create']
 * ```
 */
export function findHandlerFiles(projectRoot: string, functionsDir = join(projectRoot, 'functions')): HandlerFiles {
  const problems: string[] = [];
  const found = { blocking: [] as HandlerFile[], 'non-blocking': [] as HandlerFile[] };
  for (const kind of ['blocking', 'non-blocking'] as const) {
    const dir = join(functionsDir, FOLDERS[kind]);
    if (!existsSync(dir)) continue;
    const seen = new Map<string, string>();
    // Code-unit order, not the locale's: routes, outputs and YAML are the same on every machine.
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      // Follow symlinks: a linked handler file is still a handler file.
      if (!(entry.isFile() || (entry.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isFile()))) continue;
      const ext = EXTENSIONS.find((e) => entry.name.endsWith(e));
      if (!ext || /\.d\.[mc]?ts$/.test(entry.name) || /\.(test|spec)\.[mc]?[jt]s$/.test(entry.name)) continue;
      const eventType = entry.name.slice(0, -ext.length);
      const file = relative(projectRoot, path).split('\\').join('/');
      const problem = nameProblem(kind, eventType);
      if (problem) {
        problems.push(`${file}: ${problem}`);
        continue;
      }
      const earlier = seen.get(eventType);
      if (earlier) {
        problems.push(`${file}: ${earlier} already handles ${eventType}; keep one file per event`);
        continue;
      }
      seen.set(eventType, file);
      found[kind].push({ kind, eventType, path, file });
    }
  }
  if (problems.length > 0) throw new HandlerFileError(formatHandlerProblems(problems));
  return { blocking: found.blocking, nonBlocking: found['non-blocking'] };
}

function nameProblem(kind: 'blocking' | 'non-blocking', eventType: string): string | undefined {
  if (kind === 'blocking') {
    if (isBlockingEventType(eventType)) return undefined;
    if (isNonBlockingEventType(eventType)) return `${eventType} is a non-blocking event; move the file to functions/non-blocking/`;
    return `"${eventType}" is not an Authgear blocking event type`;
  }
  if (isNonBlockingEventType(eventType)) return undefined;
  if (isBlockingEventType(eventType)) return `${eventType} is a blocking event; move the file to functions/blocking/`;
  return `"${eventType}" is not an Authgear non-blocking event type`;
}

/**
 * Imports every handler file and checks each exports what its name promises. Needs a runtime that
 * can import TypeScript (tsx), as `npm start` and `npm run typecheck` have.
 *
 * @throws HandlerFileError naming the file.
 */
export async function loadHandlers(files: HandlerFiles): Promise<HandlerSet> {
  const modules: LoadedHandlerModule[] = [];
  const problems: string[] = [];
  for (const f of [...files.blocking, ...files.nonBlocking]) {
    try {
      const mod = (await import(pathToFileURL(f.path).href)) as { default?: unknown };
      modules.push({ file: f.file, kind: f.kind, eventType: f.eventType, exported: mod.default });
    } catch (error) {
      problems.push(`${f.file}: could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (problems.length > 0) throw new HandlerFileError(formatHandlerProblems(problems));
  return assembleHandlers(modules, { blocking: true, nonBlocking: true });
}
