/**
 * Builds and loads the reloadable part of `npm start` (`app-factory.ts` and every handler file)
 * the way a deployment builds its functions: one esbuild bundle, then an `import()` of it. A
 * build that fails (a syntax error, a handler file that throws when imported, a misnamed file)
 * changes nothing: the previous build keeps serving and the caller gets the error text.
 *
 * Why a bundle per reload in this process, and not a child process: the server, the secret, the
 * inspector's records and the local queue live here and stay as they are, with no copying of
 * state between processes and no proxying of requests or log lines; a rebuild takes tens of
 * milliseconds. Node never unloads an ES module, so every file of a build is named by the hash
 * of its content: a reload imports only the files that changed (the small entry, the edited
 * handler), and the unchanged ones (the core, the other handlers) are the modules already
 * loaded. Packages from node_modules are not bundled (they do not change on save).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, formatMessages, type Message } from 'esbuild';
import { formatHandlerProblems, type LoadedHandlerModule } from '../core/assemble';
import { HandlerFileError } from '../core/errors';
import type { HandlerSet } from '../core/handler';
import { localCacheDir } from '../devtools/local-state';
import { findHandlerFiles, type HandlerFile } from '../discovery/handler-files';
import type { LocalApp, LocalAppOptions } from './app-factory';
import { isRunning } from '../devtools/local-state';

/** What every build gets from the process that keeps the state. */
export type ReloaderOptions = Omit<LocalAppOptions, 'modules'> & {
  /** The folder that holds `functions/`. */
  readonly projectRoot: string;
  /** The folder of handler files; default `<projectRoot>/functions`. */
  readonly functionsDir?: string;
};

/** How one (re)load went. */
export type LoadResult =
  | {
      readonly ok: true;
      /** False when the new build is byte for byte the one serving (an edit that changes no code). */
      readonly changed: boolean;
      readonly ms: number;
      readonly files: readonly HandlerFile[];
    }
  | { readonly ok: false; readonly ms: number; readonly error: string };

export interface Reloader {
  /** The build serving now; throws before the first successful {@link Reloader.load}. */
  current(): LocalApp;
  /** The handler files of the build serving now. */
  files(): readonly HandlerFile[];
  /** Builds and loads everything again; on success the new build serves from the next request on. */
  load(): Promise<LoadResult>;
  /** Removes this process's builds from the cache folder. */
  close(): void;
}

/** The module a build's entry exports. */
interface BuiltEntry {
  readonly factory: () => Promise<{ readonly createLocalApp: (options: LocalAppOptions) => LocalApp }>;
  readonly files: readonly { readonly index: number; readonly load: () => Promise<{ default?: unknown }> }[];
}

const FACTORY = fileURLToPath(new URL('./app-factory.ts', import.meta.url));

/**
 * Creates the reloader; call {@link Reloader.load} once to get the first build.
 *
 * @example
 * ```ts
 * const reloader = createReloader({ projectRoot, env, secretSource, logger, queue, handled });
 * const first = await reloader.load();
 * if (!first.ok) throw new Error(first.error);
 * const response = await reloader.current().app.handle(request);
 * ```
 */
export function createReloader(options: ReloaderOptions): Reloader {
  const { projectRoot } = options;
  const root = join(localCacheDir(projectRoot), 'reload');
  const dir = join(root, `${process.pid}-${randomBytes(4).toString('hex')}`);
  removeBuildsOfStoppedServers(root);
  let serving: { app: LocalApp; files: readonly HandlerFile[]; entry: string } | undefined;
  /** Loads run one after another: a save during a build is picked up by the next one. */
  let queue: Promise<unknown> = Promise.resolve();

  async function loadOnce(): Promise<LoadResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    let files: HandlerFile[];
    try {
      const found = findHandlerFiles(projectRoot, options.functionsDir);
      files = [...found.blocking, ...found.nonBlocking];
    } catch (error) {
      return { ok: false, ms: elapsed(), error: messageOf(error) };
    }

    const outputs = await bundle(projectRoot, files, dir);
    if ('errors' in outputs) return { ok: false, ms: elapsed(), error: outputs.errors };
    // The entry's name hashes everything it loads: the same name is the same code.
    const entry = outputs.files.find((f) => f.name.startsWith('stdin-'))?.name ?? 'stdin.mjs';
    if (serving && entry === serving.entry) return { ok: true, changed: false, ms: elapsed(), files: serving.files };

    mkdirSync(dir, { recursive: true });
    // A file of the same name has the same content (and may be loaded already): left as it is.
    for (const file of outputs.files) if (!existsSync(join(dir, file.name))) writeFileSync(join(dir, file.name), file.contents);
    let app: LocalApp;
    // Stack traces of handlers then name functions/<kind>/<event>.ts, not the build's files.
    process.setSourceMapsEnabled(true);
    try {
      const built = (await import(pathToFileURL(join(dir, entry)).href)) as BuiltEntry;
      const modules = await loadModules(built, files);
      const { createLocalApp } = await built.factory();
      app = createLocalApp({ ...options, modules });
    } catch (error) {
      return { ok: false, ms: elapsed(), error: messageOf(error) };
    }
    serving = { app, files, entry };
    return { ok: true, changed: true, ms: elapsed(), files };
  }

  return {
    current() {
      if (!serving) throw new Error('nothing is loaded yet');
      return serving.app;
    },
    files: () => serving?.files ?? [],
    load() {
      const next = queue.then(loadOnce, loadOnce);
      queue = next;
      return next;
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One in-memory bundle: the generated entry, the factory and every handler file, each file its own chunk. */
async function bundle(
  projectRoot: string,
  files: readonly HandlerFile[],
  outdir: string,
): Promise<{ files: { name: string; contents: Uint8Array }[] } | { errors: string }> {
  const contents = [
    // Dynamic imports: each file is its own chunk (reused while unchanged), and a file that throws is named.
    `export const factory = () => import(${JSON.stringify(FACTORY)});`,
    'export const files = [',
    ...files.map((f, index) => `  { index: ${index}, load: () => import(${JSON.stringify(f.path)}) },`),
    '];',
  ].join('\n');
  try {
    const result = await build({
      stdin: { contents, resolveDir: projectRoot, sourcefile: 'local-entry.ts', loader: 'ts' },
      absWorkingDir: projectRoot,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Packages do not change on save; Node loads them once, from the project's node_modules.
      packages: 'external',
      // Where the files are written: the source maps' relative paths then lead back to the sources.
      outdir,
      outExtension: { '.js': '.mjs' },
      entryNames: '[name]-[hash]',
      sourcemap: 'inline',
      sourcesContent: false,
      write: false,
      logLevel: 'silent',
    });
    return { files: result.outputFiles.map((f) => ({ name: f.path.slice(f.path.lastIndexOf('/') + 1), contents: f.contents })) };
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    if (!Array.isArray(errors)) return { errors: messageOf(error) };
    const text = await formatMessages(errors, { kind: 'error', color: false });
    return { errors: text.join('').trimEnd() };
  }
}

/** Imports every handler file of a build; a file that throws while loading is named in the error. */
async function loadModules(entry: BuiltEntry, files: readonly HandlerFile[]): Promise<LoadedHandlerModule[]> {
  const modules: LoadedHandlerModule[] = [];
  const problems: string[] = [];
  for (const { index, load } of entry.files) {
    const f = files[index] as HandlerFile;
    try {
      const mod = await load();
      modules.push({ file: f.file, kind: f.kind, eventType: f.eventType, exported: mod.default });
    } catch (error) {
      problems.push(`${f.file}: could not be loaded: ${messageOf(error)}`);
    }
  }
  if (problems.length > 0) throw new HandlerFileError(formatHandlerProblems(problems));
  return modules;
}

/** Builds of servers that were killed before they could tidy up. */
function removeBuildsOfStoppedServers(root: string): void {
  for (const name of listDir(root)) {
    const pid = Number(name.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !isRunning(pid)) rmSync(join(root, name), { recursive: true, force: true });
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The event types a build serves, for the banner and the hook YAML. */
export function servedTypes(handlers: HandlerSet): { blocking: string[]; nonBlocking: string[] } {
  return { blocking: [...(handlers.blocking?.keys() ?? [])], nonBlocking: [...(handlers.nonBlocking?.keys() ?? [])] };
}
