import { HandlerFileError } from '../core/errors';
import type { HandlerSet } from '../core/handler';
import type { HandlerFile, HandlerFiles } from './handler-files';

/** A handler file whose default export was loaded and checked, with the secrets it declares. */
export interface CheckedHandlerFile extends HandlerFile {
  /** Secrets Manager names or ARNs, as in the handler's `secrets` option. */
  readonly secrets: readonly string[];
}

/** Every handler file of a project, checked: what the stack builds from. */
export interface CheckedHandlerFiles {
  readonly blocking: readonly CheckedHandlerFile[];
  readonly nonBlocking: readonly CheckedHandlerFile[];
}

/**
 * Pairs the files with the handlers loaded from them.
 *
 * @throws HandlerFileError when a file has no loaded handler (a caller's mistake, not the user's).
 */
export function withDeclarations(files: HandlerFiles, handlers: HandlerSet): CheckedHandlerFiles {
  const secretsOf = (file: HandlerFile): readonly string[] => {
    const handler =
      file.kind === 'blocking' ? handlers.blocking?.get(file.eventType as never) : handlers.nonBlocking?.get(file.eventType as never);
    if (!handler) throw new HandlerFileError(`${file.file}: no handler was loaded from this file`);
    return handler.secrets ?? [];
  };
  return {
    blocking: files.blocking.map((f) => ({ ...f, secrets: secretsOf(f) })),
    nonBlocking: files.nonBlocking.map((f) => ({ ...f, secrets: secretsOf(f) })),
  };
}

/** Every secret the files declare, each once, in the order first declared. */
export const declaredSecrets = (files: readonly CheckedHandlerFile[]): readonly string[] => [...new Set(files.flatMap((f) => f.secrets))];
