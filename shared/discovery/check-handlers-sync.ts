/**
 * The check of handler files that `cdk synth` runs, synchronously because a CDK stack is built
 * in a constructor: the same names, the same default-export rules and the same messages as
 * `npm run typecheck` and `npm start` (both use {@link loadHandlers}).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { require as tsxRequire } from 'tsx/cjs/api';
import { assembleHandlers, formatHandlerProblems, type LoadedHandlerModule } from '../core/assemble';
import { HandlerFileError } from '../core/errors';
import { type CheckedHandlerFiles, withDeclarations } from './checked-handler-files';
import { findHandlerFiles } from './handler-files';

/**
 * Finds, loads and checks every handler file, and returns them with the secrets each declares.
 *
 * Files are loaded in this process through tsx's CommonJS transform. A file that only an ES
 * module loader can load (one with a top-level `await`) sends the whole check to a child
 * process that imports the files exactly as `npm run typecheck` does.
 *
 * @throws HandlerFileError naming each file that is misnamed, cannot be loaded, or whose default
 * export is not the handler its name promises.
 * @example
 * ```ts
 * const files = checkHandlerFilesSync('/repo');
 * files.nonBlocking.map((f) => [f.eventType, f.secrets]); // [['user.created', ['crm/api-key']]]
 * ```
 */
export function checkHandlerFilesSync(projectRoot: string, functionsDir?: string): CheckedHandlerFiles {
  const files = findHandlerFiles(projectRoot, functionsDir);
  const modules: LoadedHandlerModule[] = [];
  const problems: string[] = [];
  for (const f of [...files.blocking, ...files.nonBlocking]) {
    try {
      modules.push({ file: f.file, kind: f.kind, eventType: f.eventType, exported: defaultExport(tsxRequire(f.path, import.meta.url)) });
    } catch (error) {
      if (needsModuleLoader(error)) return checkInChildProcess(projectRoot, functionsDir);
      problems.push(`${f.file}: could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (problems.length > 0) throw new HandlerFileError(formatHandlerProblems(problems));
  return withDeclarations(files, assembleHandlers(modules, { blocking: true, nonBlocking: true }));
}

/** What `import()` would give as the default export: `export default` of an ES module, or `module.exports` of CommonJS. */
function defaultExport(mod: unknown): unknown {
  const m = mod as { __esModule?: boolean; default?: unknown } | undefined;
  return m?.__esModule ? m.default : mod;
}

function needsModuleLoader(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return e?.code === 'ERR_REQUIRE_ASYNC_MODULE' || (typeof e?.message === 'string' && /top-level await/i.test(e.message));
}

/** Runs `check-cli.ts --json` in a child process with tsx's ES module loader, and waits for it. */
function checkInChildProcess(projectRoot: string, functionsDir: string | undefined): CheckedHandlerFiles {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const cli = fileURLToPath(new URL('./check-cli.ts', import.meta.url));
  const run = spawnSync(process.execPath, ['--import', tsx, cli, '--json', projectRoot, ...(functionsDir ? [functionsDir] : [])], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status === 0) return JSON.parse(run.stdout) as CheckedHandlerFiles;
  const message = run.stderr.trim() || run.error?.message || `the handler check exited with ${run.status}`;
  throw new HandlerFileError(message);
}
