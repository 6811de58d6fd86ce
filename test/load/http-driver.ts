/** Sends one load-test request to the local server over node:http and reads the whole answer. */
import { type Agent, request } from 'node:http';

const REQUEST_TIMEOUT_MS = 10_000;

/** One request as the load test sends it. */
export interface Outgoing {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** The answer, as the checks of a request kind read it. */
export interface Received {
  readonly status: number;
  readonly body: string;
}

/**
 * Sends `out` to `127.0.0.1:port` through `agent`; rejects on a transport error or when no answer
 * comes within 10 s, so a stuck server counts as an error instead of stalling the run.
 *
 * @example
 * ```ts
 * const answer = await send(new Agent({ keepAlive: true }), 3000, { method: 'GET', path: '/non-blocking', headers: {}, body: Buffer.alloc(0) });
 * answer.status; // 405
 * ```
 */
export function send(agent: Agent, port: number, out: Outgoing): Promise<Received> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: out.method,
        path: out.path,
        agent,
        headers: { ...out.headers, 'content-length': String(out.body.length) },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(out.body);
  });
}
