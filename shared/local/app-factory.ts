/**
 * The part of `npm start` that is rebuilt on every save: the core (verification, routing, the
 * response guard, the queue's event processor) and the handlers. `reloader.ts` bundles this file
 * with the handler files, as a deployment does, and imports the result; the server, the secret,
 * the inspector and the local queue stay in the process that imported it, so a reload keeps them.
 *
 * Everything crosses the seam by shape only (a logger, a secret source, a queue): each build has
 * its own copy of the core's classes, so nothing here may rely on `instanceof` of the caller's.
 */
import { createAdminApiFactory } from '../admin-api/factory';
import type { WebhookApp } from '../core/app';
import { assembleHandlers, type LoadedHandlerModule } from '../core/assemble';
import { readConfig } from '../core/config';
import type { BlockingHandler, HandlerSet } from '../core/handler';
import { bindHandlerSecretsFrom, environmentSecretSources } from '../core/handler-secrets';
import type { Logger } from '../core/logger';
import { createQueuedEventProcessor, type HandledEvents, type NonBlockingQueue, type QueuedEventProcessor } from '../core/queued';
import { SecretUnavailableError } from '../core/errors';
import type { SecretStore } from '../core/secret';
import { createRuntime } from '../runtime/create-runtime';

export interface LocalAppOptions {
  /** The handler files' default exports, as the generated entry imported them. */
  readonly modules: readonly LoadedHandlerModule[];
  /** Configuration, as `process.env` merged with `.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The caller's secret store: every build uses the same secret, fetched once. */
  readonly secrets: SecretStore;
  readonly logger: Logger;
  /** The local queue; `/non-blocking` hands verified events to it. */
  readonly queue: NonBlockingQueue;
  /** Ids of events already handled, kept by the caller so a reload does not forget them. */
  readonly handled: HandledEvents;
  /** Reads the Admin API key's Secrets Manager secret (see `adapters/admin-api.ts`). */
  readonly loadAdminApiKey: (secretId: string) => Promise<string>;
  /** Told what a blocking handler returned (before the response guard judges it), for the inspector. */
  readonly onBlockingReturn?: (value: unknown) => void;
}

/** One build of the app. */
export interface LocalApp {
  readonly app: WebhookApp;
  /** Runs one queued non-blocking event through its handler (the local queue's consumer). */
  readonly processQueued: QueuedEventProcessor;
  readonly handlers: HandlerSet;
}

/**
 * Builds the app from the loaded handler modules.
 *
 * @throws HandlerFileError when a module does not export the handler its file name promises.
 * @example
 * ```ts
 * const { app, processQueued } = createLocalApp({ modules, env, secretSource, logger, queue, handled });
 * ```
 */
export function createLocalApp(options: LocalAppOptions): LocalApp {
  const { env, logger, queue, handled } = options;
  const config = readConfig(env);
  const assembled = assembleHandlers(options.modules, { blocking: true, nonBlocking: true });
  // Handler secrets come from SECRET_<NAME> in the environment and .env (handler-secrets.ts).
  const withSecrets = bindHandlerSecretsFrom(assembled, environmentSecretSources(env), { logger, config });
  const handlers: HandlerSet = options.onBlockingReturn ? observeBlocking(withSecrets, options.onBlockingReturn) : withSecrets;
  const secrets = ownErrors(options.secrets);
  // Made inside the build, so the errors it throws are the classes the handlers import; only the
  // key's loader (with this process's SDK client) comes from outside.
  const adminApi = createAdminApiFactory({
    env,
    keyTtlMs: config.secretCacheTtlMs,
    keyRefreshIntervalMs: config.secretRefreshIntervalMs,
    loadSecret: options.loadAdminApiKey,
  });
  const { app } = createRuntime(env, { handlers, secrets, config, logger, queue, adminApi: () => adminApi });
  return {
    app,
    processQueued: createQueuedEventProcessor({ handlers, config, logger, handled, adminApi }),
    handlers,
  };
}

/**
 * The caller's store, failing with this build's `SecretUnavailableError`: the core tells an
 * unavailable secret (503) from a bug (500) by that class, and the caller has its own copy.
 */
function ownErrors(store: SecretStore): SecretStore {
  const translate = (error: unknown): never => {
    if (error instanceof Error && error.name === 'SecretUnavailableError') throw new SecretUnavailableError(error.message);
    throw error;
  };
  const shared: Pick<SecretStore, 'prime' | 'peek' | 'get' | 'refreshAfterMismatch'> = {
    prime: () => store.prime(),
    peek: () => store.peek(),
    get: () => store.get().catch(translate),
    refreshAfterMismatch: () => store.refreshAfterMismatch(),
  };
  // The class has private fields, so no other object can have its type; these are the methods the core calls.
  return shared as SecretStore;
}

/** Wraps each blocking handler to report its return value; what it returns, and when, is unchanged. */
function observeBlocking(handlers: HandlerSet, report: (value: unknown) => void): HandlerSet {
  if (!handlers.blocking) return handlers;
  const blocking = new Map<BlockingHandler['event'], BlockingHandler>();
  for (const [type, handler] of handlers.blocking) {
    blocking.set(
      type,
      Object.freeze({
        ...handler,
        handle(event, context) {
          const returned = handler.handle(event as never, context);
          if (isThenable(returned)) {
            // Reported when it settles with a value; a rejection is the core's to log.
            returned.then(report, () => undefined);
          } else {
            report(returned);
          }
          return returned;
        },
      } satisfies BlockingHandler),
    );
  }
  return { ...handlers, blocking };
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
