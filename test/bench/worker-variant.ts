/**
 * The worker as it was before the shared idempotency record, for the cold-start comparison: the
 * same generated entry and esbuild options, with `shared/runtime/claims-choice.ts` replaced by
 * `memory-claims.ts` (a per-container memory, no DynamoDB).
 */
import { join } from 'node:path';
import { buildVariant, replaceModule } from './cold';

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
    plugins: [replaceModule(projectRoot, 'shared/runtime/claims-choice', join(projectRoot, 'test', 'bench', 'memory-claims.ts'))],
  });
}
