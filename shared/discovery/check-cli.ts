/**
 * `npm run typecheck` runs this first: it fails on a misnamed handler file, or one whose default
 * export does not handle the event its name promises, with a message naming the file.
 */
import { HandlerFileError } from '../core/errors';
import { findHandlerFiles, loadHandlers } from './handler-files';

try {
  const files = findHandlerFiles(process.cwd());
  await loadHandlers(files);
  console.log(`handler files OK: ${files.blocking.length} blocking, ${files.nonBlocking.length} non-blocking`);
} catch (error) {
  if (!(error instanceof HandlerFileError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
