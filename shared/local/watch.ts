import { existsSync, watch, type FSWatcher } from 'node:fs';
import { join, relative } from 'node:path';

export interface SourceWatcher {
  close(): void;
}

/** Files whose change can change what the server runs: code and JSON it may import. */
const SOURCE = /\.(?:[mc]?[jt]s|json)$/;
/** Editors' temporary and backup files, and tests (never loaded by the server). */
const IGNORED = /(?:^|\/)(?:\.[^/]*|[^/]*~|4913|[^/]*\.(?:test|spec)\.[mc]?[jt]s)$/;

/**
 * Watches folders of the project (recursively) and calls `onChange` with the changed files,
 * relative to `projectRoot`, once a burst of changes has settled for `quietMs` (an editor's
 * save is often several events: write, rename, chmod). Folders that do not exist are skipped.
 *
 * @example
 * ```ts
 * const watcher = watchSources('/repo', ['functions', 'shared'], (files) => void server.reload(files));
 * watcher.close();
 * ```
 */
export function watchSources(
  projectRoot: string,
  folders: readonly string[],
  onChange: (files: readonly string[]) => void,
  quietMs = 100,
): SourceWatcher {
  const changed = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watchers: FSWatcher[] = [];
  for (const folder of folders) {
    const dir = join(projectRoot, folder);
    if (!existsSync(dir)) continue;
    const watcher = watch(dir, { recursive: true }, (_event, name) => {
      if (name === null) return;
      const file = relative(projectRoot, join(dir, String(name)))
        .split('\\')
        .join('/');
      if (!SOURCE.test(file) || IGNORED.test(file)) return;
      changed.add(file);
      clearTimeout(timer);
      timer = setTimeout(() => {
        const files = [...changed].sort();
        changed.clear();
        onChange(files);
      }, quietMs);
    });
    // A folder removed while watched ends its watcher; the server keeps running.
    watcher.on('error', () => watcher.close());
    watchers.push(watcher);
  }
  return {
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
