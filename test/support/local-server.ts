/** Shared by the local server tests: temp projects, raw and fetch requests, free ports. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isBlockingEventType } from '../../shared/core/constants';
import { REPO_ROOT } from './paths';

export const REPO = REPO_ROOT;
export const MAX_BODY_BYTES = 4096;
export const UNAUTHORIZED = '{"error":"unauthorized"}';
export { VECTOR_EMAIL as EMAIL, VECTOR_IP as IP_ADDRESS } from '../fixtures/vector-person';

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const temporaryDirs: string[] = [];
/** Removes the folders tempProject made; each test file calls it in afterAll. */
export function removeTemporaryDirs(): void {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
}

/** A project root in a temp folder; `link` names entries of the repository to symlink into it. */
export function tempProject(link: readonly string[], files: Readonly<Record<string, string>> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'local-server-'));
  temporaryDirs.push(root);
  for (const name of link) symlinkSync(join(REPO, name), join(root, name));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(resolve(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

/** Sends one request with node:http, so headers go out exactly as given (case, repeats). */
export function send(
  url: string,
  options: { method?: string; headers?: OutgoingHttpHeaders | readonly string[]; body?: string | Uint8Array },
): Promise<Reply> {
  return new Promise((resolvePromise, reject) => {
    // A raw header list is sent as is: node:http then adds no Host header, which servers require.
    const headers = Array.isArray(options.headers) ? ['host', new URL(url).host, ...options.headers] : (options.headers ?? {});
    const req = request(url, { method: options.method ?? 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function post(url: string, body: string | Uint8Array, headers: Record<string, string>): Promise<Reply> {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

export const routeOf = (type: string): string => (isBlockingEventType(type) ? `/blocking/${type}` : '/non-blocking');

export async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}
