import { BLOCKING_EVENT_TYPES, NON_BLOCKING_EVENT_TYPES, type BlockingEventType, type NonBlockingEventType } from './constants';
import { HandlerFileError } from './errors';
import { isHandler, type BlockingHandler, type HandlerSet, type NonBlockingHandler } from './handler';

/** One handler file's default export, with where it came from (for error messages). */
export interface LoadedHandlerModule {
  /** Path relative to the project, e.g. `functions/blocking/user.pre_create.ts`. */
  readonly file: string;
  readonly kind: 'blocking' | 'non-blocking';
  /** The event type the file name claims. */
  readonly eventType: string;
  /** The module's default export. */
  readonly exported: unknown;
}

/**
 * Checks that each handler file exports the handler its name promises and builds the
 * {@link HandlerSet}. Used at start-up by the Lambda entry and the local server, so a mistake
 * surfaces before the first request with a message that names the file.
 *
 * @throws HandlerFileError listing every problem.
 */
export function assembleHandlers(
  modules: readonly LoadedHandlerModule[],
  serve: { readonly blocking: boolean; readonly nonBlocking: boolean },
): HandlerSet {
  const blocking = new Map<BlockingEventType, BlockingHandler>();
  const nonBlocking = new Map<NonBlockingEventType, NonBlockingHandler>();
  const problems: string[] = [];
  for (const { file, kind, eventType, exported } of modules) {
    const helper = kind === 'blocking' ? 'defineBlockingHandler' : 'defineNonBlockingHandler';
    if (!isHandler(exported)) {
      problems.push(`${file}: the default export must be ${helper}('${eventType}', …)`);
    } else if (exported.kind !== kind) {
      problems.push(`${file}: exports a ${exported.kind} handler, but the file is in functions/${kind}/; use ${helper}`);
    } else if (exported.event !== eventType) {
      problems.push(`${file}: handles '${exported.event}' but the file is named for '${eventType}'; rename the file or change the event`);
    } else if (exported.kind === 'blocking') {
      if (blocking.has(exported.event)) problems.push(`${file}: a second handler for ${exported.event}`);
      blocking.set(exported.event, exported);
    } else {
      if (nonBlocking.has(exported.event)) problems.push(`${file}: a second handler for ${exported.event}`);
      nonBlocking.set(exported.event, exported);
    }
  }
  if (problems.length > 0) throw new HandlerFileError(formatHandlerProblems(problems));
  return {
    ...(serve.blocking ? { blocking } : {}),
    ...(serve.nonBlocking ? { nonBlocking } : {}),
  };
}

/** The one error format for handler-file mistakes, listing what is valid. */
export function formatHandlerProblems(problems: readonly string[]): string {
  return [
    'Invalid handler file(s):',
    ...problems.map((p) => `  - ${p}`),
    `Valid blocking event types (functions/blocking/<type>.ts): ${BLOCKING_EVENT_TYPES.join(', ')}`,
    `Valid non-blocking event types (functions/non-blocking/<type>.ts): ${NON_BLOCKING_EVENT_TYPES.join(', ')}`,
    'Files whose names start with "_" and *.test.ts files are ignored: use them for shared code and tests.',
  ].join('\n');
}
