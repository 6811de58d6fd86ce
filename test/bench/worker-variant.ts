/**
 * The worker as it was before the shared idempotency record, for the cold-start comparison: the
 * same generated entry and esbuild options, with `shared/runtime/claims-choice.ts` replaced by
 * `memory-claims.ts` (a per-container memory, no DynamoDB).
 */
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import { buildVariant } from './cold';

/** Makes the worker adapter's import of `../runtime/claims-choice` resolve to `replacement`. */
function replaceClaimsFromEnv(projectRoot: string, replacement: string): Plugin {
  const real = join(projectRoot, 'shared', 'runtime', 'claims-choice.ts');
  return {
    name: 'bench-replace-claims-choice',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /(^|\/)claims-choice$/ }, (args) =>
        join(args.resolveDir, `${args.path}.ts`) === real ? { path: replacement } : undefined,
      );
    },
  };
}

/**
 * Bundles the worker entry without the DynamoDB record into `outDir/index.mjs`.
 *
 * @example
 * ```ts
 * const file = await buildWorkerWithoutTable(REPO_ROOT, join(work, 'variants', 'worker-memory'));
 * ```
 */
export function buildWorkerWithoutTable(projectRoot: string, outDir: string): Promise<string> {
  return buildVariant({
    projectRoot,
    entry: join(projectRoot, '.build', 'entries', 'worker.ts'),
    outfile: join(outDir, 'index.mjs'),
    plugins: [replaceClaimsFromEnv(projectRoot, join(projectRoot, 'test', 'bench', 'memory-claims.ts'))],
  });
}
