import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { isBlockingEventType, type EventType } from '../core/constants';
import { signBody } from '../core/verify';
import { judgeAnswer, type Verdict } from './check-response';
import type { HandlerResult } from './handler-result';
import { LOOPBACK_HOSTS } from './send/secret';

export { SendError } from './send/send-error';
export { endpointFor, isRouteTarget, requireEventType, routeFor } from './send/targets';
export { applyAssignment, parseAssignment, type Assignment } from './send/assignments';
export { buildEvent, type BuildOptions, type BuiltEvent } from './send/build-event';
export { resolveSecret, type SecretChoice, type SecretInputs } from './send/secret';

/** Authgear's own timeouts: 5 s for a blocking hook (the default), 60 s for a non-blocking one. */
export const TIMEOUT_MS = { blocking: 5_000, nonBlocking: 60_000 } as const;

// ---------------------------------------------------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------------------------------------------------

/** An HTTP answer as received. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly latencyMs: number;
}

/** One delivery and what Authgear would make of it. */
export interface DeliveryReport {
  readonly type: EventType;
  readonly url: string;
  readonly eventId: string;
  readonly bytes: number;
  /** Absent when no answer came. */
  readonly reply?: Reply;
  /** The target could not be reached at all (refused, unknown host, TLS): no point sending more. */
  readonly unreachable?: string;
  readonly verdict: Verdict;
  /** What the handler did (see `send-outcome.ts`); absent without an answer. */
  readonly handler?: HandlerResult;
}

/**
 * Posts signed bodies with the headers Authgear's Go client sends, reusing connections across
 * deliveries. Call {@link Sender.close} when done.
 *
 * @example
 * ```ts
 * const sender = new Sender();
 * const report = await sender.deliver({ type: 'user.created', event, body, secret, url });
 * sender.close();
 * ```
 */
export class Sender {
  readonly #http = new HttpAgent({ keepAlive: true });
  readonly #https = new HttpsAgent({ keepAlive: true });

  /** Sends one event and judges the answer; never throws for network problems. */
  async deliver(input: {
    type: EventType;
    event: Record<string, unknown>;
    body: string;
    secret: string;
    url: string;
  }): Promise<DeliveryReport> {
    const { type, body, url } = input;
    const blocking = isBlockingEventType(type);
    const base = { type, url, eventId: String(input.event.id), bytes: Buffer.byteLength(body) };
    const timeoutMs = blocking ? TIMEOUT_MS.blocking : TIMEOUT_MS.nonBlocking;
    const result = await this.post(url, body, signBody(body, input.secret), timeoutMs);
    if ('reply' in result) return { ...base, reply: result.reply, verdict: judgeAnswer(type, result.reply, input.event) };
    const problems = [result.problem];
    const verdict: Verdict = blocking ? { kind: 'rejected', problems } : { kind: 'failed', problems };
    return result.unreachable ? { ...base, unreachable: result.problem, verdict } : { ...base, verdict };
  }

  /** POSTs `body` with `signature`; resolves with the answer or a one-line problem. */
  post(
    url: string,
    body: string,
    signature: string,
    timeoutMs: number,
  ): Promise<{ reply: Reply } | { problem: string; unreachable: boolean }> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const started = performance.now();
    return new Promise((resolve) => {
      const request = (secure ? httpsRequest : httpRequest)(
        target,
        {
          method: 'POST',
          agent: secure ? this.#https : this.#http,
          // What Go's net/http sends for Authgear: its two headers plus the client's defaults.
          headers: {
            'User-Agent': 'Go-http-client/1.1',
            'Content-Length': String(Buffer.byteLength(body)),
            'Content-Type': 'application/json',
            'X-Authgear-Body-Signature': signature,
            'Accept-Encoding': 'gzip',
          },
        },
        (response) => {
          readText(response).then(
            (text) =>
              resolve({
                reply: { status: response.statusCode ?? 0, headers: response.headers, body: text, latencyMs: performance.now() - started },
              }),
            (error: unknown) => resolve({ problem: `the answer from ${url} broke off: ${(error as Error).message}`, unreachable: false }),
          );
        },
      );
      request.setTimeout(timeoutMs, () => request.destroy(new TimeoutError()));
      request.on('error', (error: NodeJS.ErrnoException) => resolve(describeNetworkError(error, url, timeoutMs)));
      request.end(body);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

function describeNetworkError(error: NodeJS.ErrnoException, url: string, timeoutMs: number): { problem: string; unreachable: boolean } {
  const { origin, hostname } = new URL(url);
  const local = LOOPBACK_HOSTS.has(hostname);
  if (error instanceof TimeoutError) {
    return { problem: `no answer within ${timeoutMs / 1000} s, when Authgear gives up`, unreachable: false };
  }
  switch (error.code) {
    case 'ECONNREFUSED':
      return {
        problem: `cannot reach ${origin}: connection refused${local ? '; is the local server running (npm start)?' : ''}`,
        unreachable: true,
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { problem: `cannot reach ${origin}: the host name ${hostname} does not resolve; check --url`, unreachable: true };
    case 'ECONNRESET':
      return { problem: `${origin} closed the connection without answering`, unreachable: false };
    default:
      return { problem: `cannot reach ${origin}: ${error.message}`, unreachable: true };
  }
}

/** Reads a response body as UTF-8, decompressing what `Accept-Encoding: gzip` may bring. */
function readText(response: IncomingMessage): Promise<string> {
  const encoding = String(response.headers['content-encoding'] ?? '').toLowerCase();
  const stream =
    encoding === 'gzip'
      ? response.pipe(createGunzip())
      : encoding === 'deflate'
        ? response.pipe(createInflate())
        : encoding === 'br'
          ? response.pipe(createBrotliDecompress())
          : response;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
    response.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------------------
