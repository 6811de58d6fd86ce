/**
 * The local server's defences against slow and idle clients: bounded time for the headers and
 * for the body, an idle keep-alive timeout and a connection limit. Node's defaults (60 s for
 * headers, 300 s for a whole request, no connection limit) let a handful of slow clients hold the
 * server for minutes; these keep each one to seconds. Every refusal is logged with a reason.
 */
import { STATUS_CODES, type Server, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { positiveInt } from '../core/config';
import type { Logger } from '../core/logger';

export interface ServerLimits {
  /** Time from the connection (or the end of the previous request) to the end of the headers. */
  readonly headersTimeoutMs: number;
  /** Time from the end of the headers to the end of the body. */
  readonly bodyTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections at most; more are closed as they arrive. */
  readonly maxConnections: number;
}

/** The variables behind {@link ServerLimits}. */
export const SERVER_LIMIT_ENV = {
  headersTimeoutMs: 'LOCAL_HEADERS_TIMEOUT_MS',
  bodyTimeoutMs: 'LOCAL_BODY_TIMEOUT_MS',
  keepAliveTimeoutMs: 'LOCAL_KEEP_ALIVE_TIMEOUT_MS',
  maxConnections: 'LOCAL_MAX_CONNECTIONS',
} as const;

export const DEFAULT_SERVER_LIMITS: ServerLimits = Object.freeze({
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
});

/**
 * Reads the limits from the environment.
 *
 * @throws ConfigError naming the variable.
 * @example
 * ```ts
 * readServerLimits({ LOCAL_BODY_TIMEOUT_MS: '2000' }).bodyTimeoutMs; // 2000
 * ```
 */
export function readServerLimits(env: Readonly<Record<string, string | undefined>>): ServerLimits {
  const d = DEFAULT_SERVER_LIMITS;
  return {
    headersTimeoutMs: positiveInt(env, SERVER_LIMIT_ENV.headersTimeoutMs, d.headersTimeoutMs, 10, 300_000),
    bodyTimeoutMs: positiveInt(env, SERVER_LIMIT_ENV.bodyTimeoutMs, d.bodyTimeoutMs, 10, 300_000),
    keepAliveTimeoutMs: positiveInt(env, SERVER_LIMIT_ENV.keepAliveTimeoutMs, d.keepAliveTimeoutMs, 10, 300_000),
    maxConnections: positiveInt(env, SERVER_LIMIT_ENV.maxConnections, d.maxConnections, 1, 65_536),
  };
}

/**
 * Options for `createServer`. Node checks its timeouts every `connectionsCheckingInterval`
 * (30 s by default), so the interval follows the header timeout. Node's whole-request timeout is
 * only a backstop: the adapter answers a slow body itself after `bodyTimeoutMs`.
 */
export function serverOptions(limits: ServerLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.headersTimeoutMs + limits.bodyTimeoutMs + 1_000,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/**
 * Sets the connection limit and logs what Node refuses before a request reaches the adapter:
 * headers that came too slowly (408), malformed or oversized framing (400, 431), and connections
 * over the limit. Answers with the bytes Node itself would send.
 */
export function applyServerLimits(server: Server, limits: ServerLimits, logger: Logger): void {
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.on('drop', (data?: { remoteAddress?: string }) => {
    logger.warn(`connection refused: ${SERVER_LIMIT_ENV.maxConnections} (${limits.maxConnections}) connections are open`, {
      reason: 'connection_limit',
      remote_address: data?.remoteAddress,
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // A client that went away is not worth a line, as Node itself treats it.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // An answer already started on this socket (e.g. a 408 for a slow body, lingering): just close it.
    if ((socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const status = statusFor(error.code);
    logger.warn(messageFor(status, limits), { reason: reasonFor(status), status, error_code: error.code });
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
    socket.destroy();
  });
}

function statusFor(code: string | undefined): number {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    default:
      return 400;
  }
}

const reasonFor = (status: number): string =>
  status === 408
    ? 'request_timeout'
    : status === 431
      ? 'headers_too_large'
      : status === 413
        ? 'chunk_extensions_too_large'
        : 'malformed_request';

function messageFor(status: number, limits: ServerLimits): string {
  if (status === 408)
    return `the request did not arrive within ${SERVER_LIMIT_ENV.headersTimeoutMs} (${limits.headersTimeoutMs} ms) for its headers, or in time as a whole; answered 408`;
  if (status === 431) return 'the request headers are too large; answered 431';
  if (status === 413) return 'the chunk extensions are too large; answered 413';
  return 'the request is not well-formed HTTP/1.1; answered 400';
}
