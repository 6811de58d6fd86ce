import { randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { relative } from 'node:path';
import { type AdminApiConfig, readAdminApiConfig } from '../admin-api/config';
import { adminApiKeyLoader } from '../adapters/admin-api';
import { createNodeListener } from '../adapters/node-http';
import type { RouteInfo, WebhookApp } from '../core/app';
import { ConfigError, readConfig, readLocalRetrySpeedup, readRetryWindowMinutes } from '../core/config';
import { HandlerFileError } from '../core/errors';
import { renderHookConfig } from '../core/hook-config';
import { createJsonLogger, type Logger } from '../core/logger';
import { RecentEventIds } from '../core/queued';
import { retrySchedule } from '../core/retry';
import { parseSecretValue, SecretStore, staticSecretSource, type SecretSource } from '../core/secret';
import { createReloader, servedTypes, type LoadResult } from './reloader';
import { applyServerLimits, readServerLimits, serverOptions } from './server-limits';
import { watchSources } from './watch';
import { createLocalQueue, type LocalQueue } from '../queue/local-queue';
import { chooseSecret } from '../runtime/secret-choice';
import { secretSourceFor } from '../runtime/secret-source';
import { createInspector, INSPECTOR_PATH } from './inspector';

export interface LocalServerOptions {
  /** The folder that holds `functions/`. */
  readonly projectRoot: string;
  /** The folder of handler files; default `<projectRoot>/functions`. */
  readonly functionsDir?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Default `127.0.0.1`: the local server is for this machine only. */
  readonly host?: string;
  /** Configuration, as `process.env` merged with `.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Default: JSON lines at `LOG_LEVEL`. */
  readonly logger?: Logger;
  /**
   * Reload on save: watch `functions/` and `shared/` and rebuild the handlers and the core after
   * each change, keeping the secret, the inspector's records and the local queue. Default false.
   */
  readonly watch?: boolean;
  /** Told how each reload after a change went (with `watch`, or after {@link LocalServer.reload}). */
  readonly onReload?: (result: LoadResult, changed: readonly string[]) => void;
}

/** A route with where to reach it locally and the event types it handles. */
export interface LocalRoute extends RouteInfo {
  readonly url: string;
  readonly events: readonly string[];
}

export type LocalSecret = { readonly value: string; readonly generated: boolean } | { readonly source: 'secrets-manager' };

export interface LocalServer {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly port: number;
  readonly secret: LocalSecret;
  /** The routes of the build serving now (they change when handler files are added or removed). */
  readonly routes: readonly LocalRoute[];
  /** The `hook:` block of `authgear.yaml` for this server's URL (the same host as `url`), for the routes serving now. */
  readonly hookYaml: string;
  /** The delivery inspector page, e.g. `http://127.0.0.1:3000/_inspector`. */
  readonly inspectorUrl: string;
  /** The in-process queue of non-blocking events: retries as deployed, faster (`LOCAL_RETRY_SPEEDUP`). */
  readonly queue: LocalQueue;
  /** Whether `context.adminApi` can be used, and if not, why. */
  readonly adminApi: AdminApiConfig;
  /**
   * Rebuilds the handlers and the core now, as a save does with `watch`. A build that fails leaves
   * the previous one serving; the result says why.
   */
  reload(changed?: readonly string[]): Promise<LoadResult>;
  close(): Promise<void>;
}

/** The port is taken; the message says what to do. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

const SECRET_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_';
const SECRET_LENGTH = 32;

/** A random secret of the same form as the ones the Authgear portal shows. */
export function generateSecret(): string {
  let secret = '';
  for (let i = 0; i < SECRET_LENGTH; i++) secret += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)];
  return secret;
}

/**
 * Starts the local development server: both route families, every handler file under
 * `functions/`, the same core as in Lambda.
 *
 * @throws HandlerFileError for a misnamed or broken handler file, ConfigError for a bad setting
 * (or a port this user may not open), PortInUseError when the port is taken.
 * @example
 * ```ts
 * const server = await startLocalServer({ projectRoot: process.cwd(), port: 3000, env: process.env });
 * console.log(server.url, server.hookYaml);
 * await server.close();
 * ```
 */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const { projectRoot, env } = options;
  const host = options.host ?? '127.0.0.1';
  const config = readConfig(env);
  const limits = readServerLimits(env);
  // The inspector (/_inspector) records each delivery with the log lines written for it.
  const inspector = createInspector({ secrets: () => secrets.get(), maxEventAgeSeconds: config.maxEventAgeSeconds });
  const logger = inspector.wrapLogger(options.logger ?? createJsonLogger({ level: config.logLevel }));

  const { source, secret } = localSecret(env);
  // One store for every build, so a reload neither fetches the secret again nor forgets it.
  const secrets = new SecretStore({ source, logger, ttlMs: config.secretCacheTtlMs, refreshIntervalMs: config.secretRefreshIntervalMs });
  void secrets.prime();

  // Non-blocking events go through a queue with the deployed retry schedule, as in the stack.
  // Its attempts run the handlers of the build serving at the time, so a fix applies to retries.
  const queue = createLocalQueue({
    handlers: {},
    processEvent: (body, delivery) => reloader.current().processQueued(body, delivery),
    config,
    logger,
    schedule: retrySchedule(readRetryWindowMinutes(env)),
    speedup: readLocalRetrySpeedup(env),
  });
  // The handlers and the core are built like a deployment's bundle, and rebuilt on save.
  const reloader = createReloader({
    projectRoot,
    ...(options.functionsDir ? { functionsDir: options.functionsDir } : {}),
    env,
    secrets,
    logger,
    queue,
    handled: new RecentEventIds(),
    onBlockingReturn: inspector.noteReturned,
    loadAdminApiKey: adminApiKeyLoader(),
  });
  const first = await reloader.load();
  if (!first.ok) {
    reloader.close();
    queue.close();
    throw new HandlerFileError(first.error);
  }
  const app: WebhookApp = {
    get routes() {
      return reloader.current().app.routes;
    },
    handle: (request) => reloader.current().app.handle(request),
  };
  const server = createServer(
    serverOptions(limits),
    inspector.wrapListener(
      createNodeListener(inspector.wrapApp(app), { maxBodyBytes: config.maxBodyBytes, logger, bodyTimeoutMs: limits.bodyTimeoutMs }),
    ),
  );
  applyServerLimits(server, limits, logger);
  try {
    await listen(server, options.port, host);
  } catch (error) {
    reloader.close();
    queue.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(host)}:${port}`;

  const reload = async (changed: readonly string[] = []): Promise<LoadResult> => {
    const result = await reloader.load();
    options.onReload?.(result, changed);
    return result;
  };
  const functionsFolder = options.functionsDir ? relative(projectRoot, options.functionsDir) : 'functions';
  const watcher = options.watch ? watchSources(projectRoot, [functionsFolder, 'shared'], (changed) => void reload(changed)) : undefined;

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    secret,
    get routes() {
      const { nonBlocking } = servedTypes(reloader.current().handlers);
      return app.routes.map(
        (r): LocalRoute => ({ ...r, url: `${url}${r.path}`, events: r.route.kind === 'blocking' ? [r.route.eventType] : nonBlocking }),
      );
    },
    get hookYaml() {
      const { blocking, nonBlocking } = servedTypes(reloader.current().handlers);
      // The same host as the banner's URLs: the address this server listens on.
      return renderHookConfig(url, blocking, nonBlocking);
    },
    inspectorUrl: `${url}${INSPECTOR_PATH}`,
    queue,
    // The build serving makes the client; this only says whether it can.
    adminApi: readAdminApiConfig(env),
    reload,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        watcher?.close();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
        queue.close();
        reloader.close();
      });
      return closing;
    },
  };
}

/** The secret the environment names (checked now, for a clear message at start), or a generated one. */
function localSecret(env: Readonly<Record<string, string | undefined>>): { source: SecretSource; secret: LocalSecret } {
  const choice = chooseSecret(env);
  if (choice?.kind === 'value') {
    try {
      parseSecretValue(choice.value);
    } catch (error) {
      throw new ConfigError(`${choice.from}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return { source: secretSourceFor(choice), secret: { value: choice.value, generated: false } };
  }
  if (choice) return { source: secretSourceFor(choice), secret: { source: 'secrets-manager' } };
  const generated = generateSecret();
  return { source: staticSecretSource(generated, 'generated'), secret: { value: generated, generated: true } };
}

function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(listenError(error, port, host));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function listenError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new PortInUseError(
        `Port ${port} is already in use. Stop the other process or start with PORT=${port === 65_535 ? port - 1 : port + 1} npm start.`,
      );
    case 'EACCES':
      return new ConfigError(`Port ${port} needs privileges this user does not have. Start with PORT=3000 npm start.`);
    case 'EADDRNOTAVAIL':
      return new ConfigError(`Address ${host} is not available on this machine; the local server listens on 127.0.0.1 by default.`);
    default:
      return error;
  }
}

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);
