import type { AdminApiFactory } from '../admin-api/types';
import { createWebhookApp, type WebhookApp } from '../core/app';
import type { RuntimeConfig } from '../core/config';
import type { HandlerSet } from '../core/handler';
import type { Logger } from '../core/logger';
import type { NonBlockingQueue } from '../core/queued';
import { SecretStore, type SecretSource } from '../core/secret';
import { runtimeSettings, type RuntimeSettings } from './settings';

type Env = Readonly<Record<string, string | undefined>>;

export interface RuntimeOptions {
  readonly handlers: HandlerSet;
  /** Where the webhook secret comes from (see `chooseSecret` and `secretSourceFor`); required without `secrets`. */
  readonly secretSource?: SecretSource;
  /**
   * A secret cache to use instead of making one from `secretSource`: `npm start` keeps one store
   * for every build of the code it reloads, so a save neither refetches nor forgets the secret.
   */
  readonly secrets?: SecretStore;
  /** Default: JSON lines at `LOG_LEVEL`. */
  readonly logger?: Logger;
  /** A configuration already read; default: read from `env`. */
  readonly config?: RuntimeConfig;
  /**
   * Serves `/non-blocking` through this queue; a function receives the configuration and the
   * logger, for a queue that runs the handlers (the local server's, the test kit's).
   */
  readonly queue?: NonBlockingQueue | ((settings: RuntimeSettings) => NonBlockingQueue);
  /** Makes the factory of each handler's `context.adminApi`, from the configuration and the logger. */
  readonly adminApi?: (settings: RuntimeSettings) => AdminApiFactory;
  /** Clock, replaceable in tests. */
  readonly now?: () => number;
}

/** One process's webhook runtime. */
export interface Runtime extends RuntimeSettings {
  /** The secret cache; call `prime()` to start the first fetch. */
  readonly secrets: SecretStore;
  readonly app: WebhookApp;
  readonly queue: NonBlockingQueue | undefined;
}

/**
 * The one setup of a webhook process, shared by the Lambda functions, the local server and the
 * test kit: configuration, logger, secret cache and app, wired the same way everywhere. Each
 * caller passes only what differs: its handlers, its secret source, its queue.
 *
 * @throws ConfigError for a bad setting.
 * @example
 * ```ts
 * const runtime = createRuntime(process.env, { handlers, secretSource: secretSourceFor(chooseSecret(process.env)!) });
 * void runtime.secrets.prime();
 * const response = await runtime.app.handle(request);
 * ```
 */
export function createRuntime(env: Env, options: RuntimeOptions): Runtime {
  const settings = runtimeSettings(env, options);
  const { config, logger } = settings;
  const secrets =
    options.secrets ??
    new SecretStore({
      source: options.secretSource ?? missingSecretSource(),
      logger,
      ttlMs: config.secretCacheTtlMs,
      refreshIntervalMs: config.secretRefreshIntervalMs,
    });
  const queue = typeof options.queue === 'function' ? options.queue(settings) : options.queue;
  const adminApi = options.adminApi?.(settings);
  const app = createWebhookApp({
    handlers: options.handlers,
    secrets,
    config,
    logger,
    ...(queue ? { nonBlockingQueue: queue } : {}),
    ...(adminApi ? { adminApi } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return { config, logger, secrets, app, queue };
}

function missingSecretSource(): never {
  throw new TypeError('createRuntime needs a secretSource (or a secrets store)');
}
