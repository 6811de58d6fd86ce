import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookApp, WebhookResponse } from '../core/app';
import { describeError, type Logger } from '../core/logger';

export interface NodeListenerOptions {
  /** Bodies larger than this are refused with 413; pass the same value as `config.maxBodyBytes`. */
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  /**
   * After refusing a body that is still arriving, how long to keep reading (and discarding) it
   * before closing the connection. Closing while the client is still sending makes the kernel
   * reset the connection, and the client may then never see the 413. Default 2 s.
   */
  readonly lingerMs?: number;
  /**
   * Time from the end of the headers to the end of the body; a slower body is answered 408 and
   * logged (`body_timeout`). Default 10 s.
   */
  readonly bodyTimeoutMs?: number;
}

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

type BodyResult =
  | { readonly kind: 'complete'; readonly body: Buffer }
  | { readonly kind: 'too_large' }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'timeout'; readonly receivedBytes: number };

const EMPTY = new Uint8Array(0);
const INTERNAL_ERROR = JSON.stringify({ error: 'internal error' });
const REQUEST_TIMEOUT: WebhookResponse = {
  status: 408,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ error: 'request timeout' }),
};

/**
 * Adapts the webhook processor to `node:http`, for the local development server.
 *
 * Reads the raw body bytes (never re-encoded, since the signature is over them), hands the
 * request to the core and writes its answer. The body limit holds however the body arrives: a
 * `content-length` over the limit is refused without reading; a chunked body is counted as it
 * streams and refused as soon as it passes the limit. Such a refusal closes the connection.
 *
 * @example
 * ```ts
 * const server = createServer(createNodeListener(app, { maxBodyBytes: config.maxBodyBytes, logger }));
 * ```
 */
export function createNodeListener(app: WebhookApp, options: NodeListenerOptions): NodeListener {
  const { maxBodyBytes, logger } = options;
  const lingerMs = options.lingerMs ?? 2_000;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 10_000;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The headers are in: the request has arrived, and the blocking deadline counts from here.
    const receivedAt = Date.now();
    const method = req.method ?? '';
    const path = pathOf(req.url);
    const declared = Number(req.headers['content-length']);
    const body: BodyResult =
      Number.isFinite(declared) && declared > maxBodyBytes ? startDiscarding(req) : await readBody(req, maxBodyBytes, bodyTimeoutMs);

    if (body.kind === 'aborted') {
      logger.warn('client closed the connection before sending the whole body', { reason: 'client_aborted', method, path });
      return;
    }
    if (body.kind === 'timeout') {
      logger.warn(`the request body did not arrive within ${bodyTimeoutMs} ms of its headers; answered 408`, {
        method,
        path,
        status: 408,
        outcome: 'rejected',
        reason: 'body_timeout',
        received_bytes: body.receivedBytes,
        latency_ms: Date.now() - receivedAt,
      });
      answerAndLinger(req, res, REQUEST_TIMEOUT, lingerMs);
      return;
    }
    const tooLarge = body.kind === 'too_large';
    const response = await app.handle({
      method,
      path,
      headers: req.headersDistinct,
      body: tooLarge ? EMPTY : body.body,
      bodyTooLarge: tooLarge,
      receivedAt,
    });
    if (tooLarge) answerAndLinger(req, res, response, lingerMs);
    else answer(res, response);
  }

  return (req, res) => {
    // Without listeners these would be thrown as uncaught errors when a client disconnects.
    req.on('error', () => {});
    res.on('error', () => {});
    serve(req, res).catch((error: unknown) => {
      logger.error('unexpected error in the local HTTP adapter', { reason: 'internal_error', ...describeError(error) });
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(INTERNAL_ERROR),
          connection: 'close',
        });
        res.end(INTERNAL_ERROR);
      } else {
        res.destroy();
      }
    });
  };
}

/** The path without query string; `req.url` is usually `/path?query` but may be absolute. */
function pathOf(url: string | undefined): string {
  if (!url) return '';
  if (url.startsWith('/')) {
    const end = url.search(/[?#]/);
    return end === -1 ? url : url.slice(0, end);
  }
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/** Buffers the body until it ends, or stops buffering as soon as it passes `limit` or `timeoutMs` passes. */
function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      chunks.length = 0;
      resolve(result);
    };
    const timer = setTimeout(() => settle({ kind: 'timeout', receivedBytes: size }), timeoutMs);
    req.on('data', (chunk: Buffer) => {
      // Once settled the listener stays, so the rest of a refused body keeps draining.
      if (settled) return;
      size += chunk.byteLength;
      if (size > limit) settle({ kind: 'too_large' });
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (!settled) resolve({ kind: 'complete', body: Buffer.concat(chunks, size) });
      settled = true;
      clearTimeout(timer);
    });
    req.on('close', () => settle(req.complete ? { kind: 'complete', body: Buffer.concat(chunks, size) } : { kind: 'aborted' }));
  });
}

/** For a declared length over the limit: nothing is buffered, whatever arrives is dropped. */
function startDiscarding(req: IncomingMessage): BodyResult {
  req.resume();
  return { kind: 'too_large' };
}

function answer(res: ServerResponse, response: WebhookResponse): void {
  if (res.destroyed) return;
  res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
  res.end(response.body);
}

/**
 * Sends the answer at once, with `connection: close`, but ends the connection only when the
 * client has finished sending (or after `lingerMs`), so the answer is not lost to a reset.
 */
function answerAndLinger(req: IncomingMessage, res: ServerResponse, response: WebhookResponse, lingerMs: number): void {
  if (res.destroyed) return;
  res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body), connection: 'close' });
  if (req.complete || req.destroyed) {
    res.end(response.body);
    return;
  }
  res.write(response.body);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finish = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    req.off('end', finish);
    req.off('close', finish);
    res.end();
  };
  req.once('end', finish);
  req.once('close', finish);
  timer = setTimeout(() => {
    finish();
    // The client is still sending after the answer and the grace period: cut it off.
    req.socket.destroy();
  }, lingerMs);
  timer.unref();
}
