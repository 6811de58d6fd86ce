import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HandlerFile } from './handler-files';

/**
 * Writes the entry module of one Lambda function: it imports every handler file of its kind and
 * hands them to the Lambda adapter. Generated at synth time, so adding a handler file is the only
 * step to add a handler.
 *
 * @returns the absolute path of the written entry.
 */
export function writeLambdaEntry(options: {
  readonly projectRoot: string;
  readonly outDir: string;
  readonly serve: 'blocking' | 'non-blocking';
  readonly files: readonly HandlerFile[];
}): string {
  const { projectRoot, outDir, serve, files } = options;
  const adapter = join(projectRoot, 'shared', 'adapters', 'lambda.ts');
  const lines = [
    '// Generated at synth time from the files in functions/. Do not edit.',
    `import { createLambdaHandler } from ${JSON.stringify(adapter)};`,
    ...files.map((f, i) => `import h${i} from ${JSON.stringify(f.path)};`),
    '',
    'export const handler = createLambdaHandler({',
    `  serve: ${JSON.stringify(serve)},`,
    '  modules: [',
    ...files.map(
      (f, i) => `    { file: ${JSON.stringify(f.file)}, kind: ${JSON.stringify(f.kind)}, eventType: ${JSON.stringify(f.eventType)}, exported: h${i} },`,
    ),
    '  ],',
    '});',
    '',
  ];
  mkdirSync(outDir, { recursive: true });
  const entry = join(outDir, `${serve}.ts`);
  writeFileSync(entry, lines.join('\n'));
  return entry;
}
