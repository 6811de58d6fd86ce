import { randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdminApiConfig } from '../admin-api/config';
import { adminApiFromEnvironment } from '../adapters/admin-api';
import { createNodeListener } from '../adapters/node-http';
import { createWebhookApp, type RouteInfo } from '../core/app';
import { ConfigError, ENV, readConfig } from '../core/config';
import { renderHookConfig } from '../core/hook-config';
import { createJsonLogger, type Logger } from '../core/logger';
import { parseSecretValue, SecretStore, staticSecretSource, type SecretSource } from '../core/secret';
import { secretsManagerSource } from '../core/secrets-manager';
import { findHandlerFiles, loadHandlers } from '../discovery/handler-files';
import { createInspector, INSPECTOR_PATH } from './inspector';
import { applyServerLimits, readServerLimits, serverOptions } from './server-limits';
import { readLocalRetrySpeedup, readRetryWindowMinutes } from '../queue/config';
import { createLocalQueue, type LocalQueue } from '../queue/local-queue';
import { retrySchedule } from '../queue/retry';

export interface LocalServerOptions {
  /** The folder that holds `functions/`. */
  readonly projectRoot: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Default `127.0.0.1`: the local server is for this machine only. */
  readonly host?: string;
  /** Configuration, as `process.env` merged with `.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Default: JSON lines at `LOG_LEVEL`. */
  readonly logger?: Logger;
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
  readonly routes: readonly LocalRoute[];
  /** The `hook:` block of `authgear.yaml` for `http://localhost:<port>`. */
  readonly hookYaml: string;
  /** The delivery inspector page, e.g. `http://127.0.0.1:3000/_inspector`. */
  readonly inspectorUrl: string;
  /** The in-process queue of non-blocking events: retries as deployed, faster (`LOCAL_RETRY_SPEEDUP`). */
  readonly queue: LocalQueue;
  /** Whether `context.adminApi` can be used, and if not, why. */
  readonly adminApi: AdminApiConfig;
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
  const handlers = await loadHandlers(findHandlerFiles(projectRoot));

  const { source, secret } = chooseSecret(env);
  const secrets = new SecretStore({ source, logger, ttlMs: config.secretCacheTtlMs, refreshIntervalMs: config.secretRefreshIntervalMs });
  void secrets.prime();

  const adminApi = adminApiFromEnvironment(env, config);
  // Non-blocking events go through a queue with the deployed retry schedule, as in the stack.
  const queue = createLocalQueue({
    handlers,
    config,
    logger,
    adminApi,
    schedule: retrySchedule(readRetryWindowMinutes(env)),
    speedup: readLocalRetrySpeedup(env),
  });
  const app = createWebhookApp({ handlers, secrets, config, logger, nonBlockingQueue: queue, adminApi });
  const server = createServer(
    serverOptions(limits),
    inspector.wrapListener(
      createNodeListener(inspector.wrapApp(app), { maxBodyBytes: config.maxBodyBytes, logger, bodyTimeoutMs: limits.bodyTimeoutMs }),
    ),
  );
  applyServerLimits(server, limits, logger);
  await listen(server, options.port, host);
  const port = (server.address() as AddressInfo).port;

  const url = `http://${urlHost(host)}:${port}`;
  const blocking = [...(handlers.blocking?.keys() ?? [])];
  const nonBlocking = [...(handlers.nonBlocking?.keys() ?? [])];
  const routes = app.routes.map(
    (r): LocalRoute => ({ ...r, url: `${url}${r.path}`, events: r.route.kind === 'blocking' ? [r.route.eventType] : nonBlocking }),
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    secret,
    routes,
    hookYaml: renderHookConfig(`http://localhost:${port}`, blocking, nonBlocking),
    inspectorUrl: `${url}${INSPECTOR_PATH}`,
    queue,
    adminApi: adminApi.config,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
        queue.close();
      });
      return closing;
    },
  };
}

function chooseSecret(env: Readonly<Record<string, string | undefined>>): { source: SecretSource; secret: LocalSecret } {
  const value = env[ENV.secret];
  if (value !== undefined && value !== '') {
    try {
      parseSecretValue(value);
    } catch (error) {
      throw new ConfigError(`${ENV.secret}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return { source: staticSecretSource(value), secret: { value, generated: false } };
  }
  const secretId = env[ENV.secretId];
  if (secretId) return { source: secretsManagerSource(secretId), secret: { source: 'secrets-manager' } };
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
