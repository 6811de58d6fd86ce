/**
 * Stack traces of a bundled function, mapped to the TypeScript sources on demand.
 *
 * Node's `--enable-source-maps` reads and parses the bundle's source map while the bundle loads:
 * about a tenth of a cold start, paid by every container to make stack traces readable that most
 * containers never print (`docs/performance.md`). Instead, a bundle's entry installs this mapper;
 * the map is read the first time an error is described for a log line, and never otherwise.
 * Only frames in the bundle itself are rewritten, so a process started with
 * `--enable-source-maps` anyway (its frames already name the sources) is left as it is.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setStackMapper, type StackMapper } from '../core/stack';

/** What the mapper needs of a source map: Node's `SourceMap`, or a stand-in in tests. */
export interface SourcePositions {
  /** The map as read; its `sources` tell how it spells the project's root (see {@link projectRootPrefix}). */
  readonly payload?: { readonly sources?: readonly string[] };
  /** Zero-based position in the bundle → zero-based position in a source, or an empty object. */
  findEntry(
    line: number,
    column: number,
  ): { readonly originalSource?: string; readonly originalLine?: number; readonly originalColumn?: number };
}

// `    at [async ][new ]name (location:line:column)` or `    at location:line:column`.
const FRAME = /^(\s*at (?:async )?(?:new )?)(?:(.+?) \()?([^\s()]+):(\d+):(\d+)(\)?)$/;

/**
 * Installs, for this process, a stack mapper for the bundle at `bundleUrl` (the entry's
 * `import.meta.url`). Without a file URL (a CommonJS build has none) nothing is installed.
 *
 * @example
 * ```ts
 * // the generated entry of each function
 * mapStacksThroughSourceMap(import.meta.url);
 * ```
 */
export function mapStacksThroughSourceMap(bundleUrl: string | undefined): void {
  if (!bundleUrl?.startsWith('file:')) return;
  const file = fileURLToPath(bundleUrl);
  setStackMapper(sourceMapStackMapper(file, () => new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')))));
}

/**
 * A mapper that rewrites the positions of the frames in `bundleFile` to source files (relative to
 * the project) and one-based lines and columns. Function names stay as the frames give them: a
 * string stack does not say where the enclosing function starts, which is where a map records its
 * original name. `loadMap` runs once, on the first stack that has a frame in the bundle; if it
 * throws (no map beside the bundle, a broken one), every stack is left as it is.
 *
 * @example
 * ```ts
 * const map = sourceMapStackMapper('/var/task/index.mjs', () => new SourceMap(payload));
 * map('Error: x\n    at Ae (file:///var/task/index.mjs:1:2345)');
 * // 'Error: x\n    at Ae (functions/blocking/user.pre_create.ts:12:9)'
 * ```
 */
export function sourceMapStackMapper(bundleFile: string, loadMap: () => SourcePositions): StackMapper {
  let map: { readonly positions: SourcePositions; readonly root: string } | null | undefined;
  const bundleUrl = `file://${bundleFile}`;
  return (stack) => {
    if (!stack.includes(bundleFile)) return stack;
    if (map === undefined) {
      try {
        const positions = loadMap();
        map = { positions, root: projectRootPrefix(positions.payload?.sources ?? []) };
      } catch {
        map = null;
      }
    }
    if (map === null) return stack;
    const { positions, root } = map;
    return stack
      .split('\n')
      .map((line) => {
        const match = FRAME.exec(line);
        if (!match || (match[3] !== bundleFile && match[3] !== bundleUrl)) return line;
        const entry = positions.findEntry(Number(match[4]) - 1, Number(match[5]) - 1);
        if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return line;
        const [, prefix, name, , , , close] = match;
        const where = `${projectPath(entry.originalSource, root)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
        return name === undefined ? `${prefix}${where}` : `${prefix}${name} (${where}${close}`;
      })
      .join('\n');
  };
}

/**
 * How a map spells the project's root folder: the part before `.build/entries/`, where the
 * generated entry of every function lives. Sources are relative to the bundle's folder, so for a
 * bundle synth wrote to `cdk.out/asset.…/` it climbs two folders. Without that entry among the
 * sources, it is the leading climb of the first source.
 *
 * @example
 * ```ts
 * const sources = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')).sources;
 * const inProject = sources.map((source) => source.slice(projectRootPrefix(sources).length));
 * ```
 */
export function projectRootPrefix(sources: readonly string[]): string {
  for (const source of sources) {
    const at = source.lastIndexOf('.build/entries/');
    if (at >= 0) return source.slice(0, at);
  }
  return /^(?:\.\.?\/)*/.exec(sources[0] ?? '')?.[0] ?? '';
}

/** A map's source as a path in the project, or from `node_modules/` for a package's file. */
function projectPath(source: string, root: string): string {
  const inPackages = source.lastIndexOf('node_modules/');
  if (inPackages >= 0) return source.slice(inPackages);
  return source.startsWith(root) ? source.slice(root.length) : source.replace(/^(?:\.\.?\/)+/, '');
}
