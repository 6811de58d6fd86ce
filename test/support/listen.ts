import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

/**
 * Listens on a free loopback port and returns the server's base URL.
 *
 * @example
 * ```ts
 * const endpoint = await listenOnLoopback(createServer(handler)); // http://127.0.0.1:43121
 * ```
 */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
