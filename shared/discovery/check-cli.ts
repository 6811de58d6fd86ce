/**
 * `npm run typecheck` runs this first: it fails on a misnamed handler file, or one whose default
 * export does not handle the event its name promises, with a message naming the file.
 *
 * With `--json <projectRoot> [functionsDir]` it prints the checked files with the secrets each
 * declares, for `cdk synth` (see check-handlers-sync.ts).
 */
import { HandlerFileError } from '../core/errors';
import { withDeclarations } from './checked-handler-files';
import { functionsDirOf } from './functions-dir';
import { findHandlerFiles, loadHandlers } from './handler-files';

const [flag, rootArg, dirArg] = process.argv.slice(2);
const json = flag === '--json';
const projectRoot = json && rootArg ? rootArg : process.cwd();
const functionsDir = json && dirArg ? dirArg : functionsDirOf(projectRoot);

try {
  const files = findHandlerFiles(projectRoot, functionsDir);
  const handlers = await loadHandlers(files);
  if (json) process.stdout.write(JSON.stringify(withDeclarations(files, handlers)));
  else console.log(`handler files OK: ${files.blocking.length} blocking, ${files.nonBlocking.length} non-blocking`);
} catch (error) {
  if (!(error instanceof HandlerFileError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
