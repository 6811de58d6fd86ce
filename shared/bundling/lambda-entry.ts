import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HandlerFile } from '../discovery/handler-files';

/**
 * Which function an entry is for:
 * - `blocking`: every blocking handler file, behind `POST /blocking/<event type>`;
 * - `receiver`: `POST /non-blocking`, which verifies and queues events; it imports no handler
 *   file, only the list of types worth queueing;
 * - `worker`: every non-blocking handler file, fed by the SQS queue.
 */
export type LambdaEntryKind = 'blocking' | 'receiver' | 'worker';

/**
 * Writes the entry module of one Lambda function: it imports the handler files it needs and hands
 * them to its adapter. Generated at synth time, so adding a handler file is the only step to add a
 * handler. The entries of functions that read the secret end with `await handler.ready;`: init
 * then finishes the secret fetch it started, bounded by `BLOCKING_DEADLINE_MS` (see `lambda.ts`).
 *
 * @returns the absolute path of the written entry, `<outDir>/<serve>.ts`.
 * @example
 * ```ts
 * const entry = writeLambdaEntry({ projectRoot, outDir: join(projectRoot, '.build', 'entries'), serve: 'worker', files: found.nonBlocking });
 * ```
 */
export function writeLambdaEntry(options: {
  readonly projectRoot: string;
  readonly outDir: string;
  readonly serve: LambdaEntryKind;
  readonly files: readonly HandlerFile[];
  /** Worker only: a handler declares secrets, so the entry passes Secrets Manager as their source. */
  readonly readsHandlerSecrets?: boolean;
}): string {
  const { outDir, serve } = options;
  mkdirSync(outDir, { recursive: true });
  const entry = join(outDir, `${serve}.ts`);
  writeFileSync(entry, entrySource(options));
  return entry;
}

function entrySource(options: {
  readonly projectRoot: string;
  readonly serve: LambdaEntryKind;
  readonly files: readonly HandlerFile[];
  readonly readsHandlerSecrets?: boolean;
}): string {
  const { projectRoot, serve, files } = options;
  const shared = (...path: string[]): string => JSON.stringify(join(projectRoot, 'shared', ...path));
  const adapter = (name: string): string => shared('adapters', name);
  const header = '// Generated at synth time from the files in functions/. Do not edit.';
  // Logged stack traces name the sources; the map is read only when an error is described.
  const importStackMapper = `import { mapStacksThroughSourceMap } from ${shared('bundling', 'source-map-stacks.ts')};`;
  const installStackMapper = 'mapStacksThroughSourceMap(import.meta.url);';
  // A top-level await: init ends once the secret is fetched (or the fetch gave up), so the first
  // request, or with provisioned concurrency every request, finds it cached.
  const awaitSecret = ['', '// Init finishes the secret fetch it started (bounded; never throws).', 'await handler.ready;'];
  const imports = files.map((f, i) => `import h${i} from ${JSON.stringify(f.path)};`);
  const modules = [
    '  modules: [',
    ...files.map(
      (f, i) =>
        `    { file: ${JSON.stringify(f.file)}, kind: ${JSON.stringify(f.kind)}, eventType: ${JSON.stringify(f.eventType)}, exported: h${i} },`,
    ),
    '  ],',
  ];
  switch (serve) {
    case 'receiver':
      // Only the type names: the handler code stays out of the receiver's bundle.
      return [
        header,
        `import { createReceiverHandler } from ${adapter('lambda-receiver.ts')};`,
        importStackMapper,
        '',
        installStackMapper,
        `export const handler = createReceiverHandler({ eventTypes: ${JSON.stringify(files.map((f) => f.eventType))} });`,
        ...awaitSecret,
        '',
      ].join('\n');
    case 'worker':
      return [
        header,
        `import { createSqsWorkerHandler } from ${adapter('sqs-worker.ts')};`,
        ...(options.readsHandlerSecrets ? [`import { secretsManagerSources } from ${shared('aws', 'handler-secret-sources.ts')};`] : []),
        importStackMapper,
        ...imports,
        '',
        installStackMapper,
        'export const handler = createSqsWorkerHandler({',
        ...modules,
        ...(options.readsHandlerSecrets ? ['  handlerSecretSources: secretsManagerSources(),'] : []),
        '});',
        '',
      ].join('\n');
    case 'blocking':
      return [
        header,
        `import { createLambdaHandler } from ${adapter('lambda.ts')};`,
        `import { adminApiFromEnvironment } from ${adapter('admin-api.ts')};`,
        importStackMapper,
        ...imports,
        '',
        installStackMapper,
        'export const handler = createLambdaHandler({',
        ...modules,
        '  adminApi: adminApiFromEnvironment,',
        '});',
        ...awaitSecret,
        '',
      ].join('\n');
  }
}
