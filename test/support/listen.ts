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

/** What a fake AWS service on loopback gives its tests: the SDK environment that reaches it, and a way to stop it. */
export interface FakeServiceControls {
  /** Environment variables that point the real AWS SDK at this server, with dummy credentials. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

/**
 * The `env()` and `close()` of a fake AWS service listening at `endpoint`.
 *
 * @example
 * ```ts
 * const controls = fakeServiceControls(server, { endpoint, endpointVariable: 'AWS_ENDPOINT_URL_SQS', region: 'us-east-1', accessKeyId, secretAccessKey });
 * ```
 */
export function fakeServiceControls(
  server: Server,
  options: {
    readonly endpoint: string;
    readonly endpointVariable: string;
    readonly region: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
  },
): FakeServiceControls {
  return {
    env: () => ({
      [options.endpointVariable]: options.endpoint,
      AWS_REGION: options.region,
      AWS_ACCESS_KEY_ID: options.accessKeyId,
      AWS_SECRET_ACCESS_KEY: options.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
