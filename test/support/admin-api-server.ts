/**
 * A local Authgear Admin API for tests: `POST /_api/admin/graphql` behind the same JWT check
 * Authgear's `pkg/lib/admin/authz/middleware.go` makes (a `Bearer` token, RS256 signed by a key
 * of the project's Admin API key set chosen by `kid`, `aud` containing the project id, `exp` and
 * `iat` checked against the clock to the second), `403 Forbidden` in plain text otherwise. Queries
 * are validated against the vendored schema and answered with canned data; every request is recorded.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { buildSchema, parse, validate, type GraphQLSchema } from 'graphql';
import { listenOnLoopback } from './listen';
import { REPO_ROOT } from './paths';

export const ADMIN_API_SCHEMA_FILE = join(REPO_ROOT, 'test', 'fixtures', 'authgear-admin-api.graphql');

/** Authgear's Admin API key set: key id → public key. Two at once during a rotation. */
export type AdminApiKeySet = Readonly<Record<string, KeyObject | string>>;

/** Why a request got 403, for assertions (Authgear only logs it at debug level). */
export type Refusal =
  | 'no_bearer'
  | 'malformed'
  | 'wrong_alg'
  | 'unknown_kid'
  | 'bad_signature'
  | 'wrong_audience'
  | 'expired'
  | 'issued_in_future';

export interface AdminApiRequest {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly authorization: string | undefined;
  readonly refusal?: Refusal;
  readonly jwtHeader?: Record<string, unknown>;
  readonly jwtPayload?: Record<string, unknown>;
  readonly operation?: string;
  readonly query?: string;
  readonly variables?: Record<string, unknown>;
}

/** Answers one operation: `{ data }` / `{ errors }` as GraphQL sends them, or a raw HTTP answer. */
export type CannedAnswer =
  | { readonly data?: unknown; readonly errors?: unknown[] }
  | { readonly status: number; readonly body: string; readonly contentType?: string }
  | ((variables: Record<string, unknown> | undefined) => CannedAnswer);

export interface FakeAdminApiServer {
  /** The project endpoint, e.g. `http://127.0.0.1:41234` (the GraphQL path is appended by the client). */
  readonly endpoint: string;
  readonly requests: readonly AdminApiRequest[];
  /** Sets the answer to an operation name. */
  respond(operation: string, answer: CannedAnswer): void;
  /** Replaces the key set (a rotation). */
  setKeys(keys: AdminApiKeySet): void;
  /** Holds every answer this long (to test deadlines). */
  delayMs: number;
  close(): Promise<void>;
}

let schema: GraphQLSchema | undefined;

/**
 * @example
 * ```ts
 * const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
 * const server = await startFakeAdminApi({ projectId: 'myapp', keys: { k1: publicKey } });
 * server.respond('getUser', { data: { node: null } });
 * ```
 */
export async function startFakeAdminApi(options: {
  readonly projectId: string;
  readonly keys: AdminApiKeySet;
  /** Unix seconds; default the real clock. */
  readonly nowSeconds?: () => number;
}): Promise<FakeAdminApiServer> {
  schema ??= buildSchema(readFileSync(ADMIN_API_SCHEMA_FILE, 'utf8'));
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  let keys = toKeyObjects(options.keys);
  const answers = new Map<string, CannedAnswer>();
  const requests: AdminApiRequest[] = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const base = { at: Date.now(), method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization };
    if (fake.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.delayMs));
    if (req.method !== 'POST' || req.url !== '/_api/admin/graphql') {
      requests.push({ ...base, status: 404 });
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    const checked = checkToken(req.headers.authorization, keys, options.projectId, nowSeconds());
    if ('refusal' in checked) {
      requests.push({ ...base, status: 403, refusal: checked.refusal, ...checked.decoded });
      // What Go's http.Error writes.
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end('Forbidden\n');
      return;
    }
    let request: { query?: unknown; variables?: unknown };
    try {
      request = JSON.parse(body) as typeof request;
    } catch {
      requests.push({ ...base, status: 400, ...checked.decoded });
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: 'invalid JSON body' }] }));
      return;
    }
    const query = typeof request.query === 'string' ? request.query : '';
    const variables = (request.variables ?? undefined) as Record<string, unknown> | undefined;
    let operation: string | undefined;
    let answer: CannedAnswer;
    try {
      const document = parse(query);
      const definition = document.definitions.find((d) => d.kind === 'OperationDefinition');
      operation = definition && 'name' in definition ? definition.name?.value : undefined;
      const errors = validate(schema as GraphQLSchema, document);
      answer =
        errors.length > 0
          ? { errors: errors.map((e) => ({ message: e.message })) }
          : (answers.get(operation ?? '') ?? { errors: [{ message: `no canned answer for ${operation}` }] });
    } catch (error) {
      answer = { errors: [{ message: error instanceof Error ? error.message : String(error) }] };
    }
    while (typeof answer === 'function') answer = answer(variables);
    requests.push({ ...base, status: 'status' in answer ? answer.status : 200, ...checked.decoded, operation, query, variables });
    if ('status' in answer) {
      res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'text/plain' }).end(answer.body);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }

  const endpoint = await listenOnLoopback(server);
  const fake: FakeAdminApiServer = {
    endpoint,
    requests,
    delayMs: 0,
    respond: (operation, answer) => void answers.set(operation, answer),
    setKeys: (next) => {
      keys = toKeyObjects(next);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}

function toKeyObjects(keys: AdminApiKeySet): Map<string, KeyObject> {
  // A private key (or its PEM) stands for its public half, as a JWK set's public view would.
  return new Map(
    Object.entries(keys).map(([kid, key]) => [kid, typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key)]),
  );
}

type Decoded = { jwtHeader?: Record<string, unknown>; jwtPayload?: Record<string, unknown> };

/** The checks of Authgear's Admin API middleware, in its order. */
function checkToken(
  authorization: string | undefined,
  keys: ReadonlyMap<string, KeyObject>,
  projectId: string,
  now: number,
): { decoded: Decoded } | { refusal: Refusal; decoded: Decoded } {
  const match = /^Bearer (.*)$/.exec(authorization ?? '');
  if (!match) return { refusal: 'no_bearer', decoded: {} };
  const parts = (match[1] ?? '').split('.');
  const decoded: Decoded = {};
  if (parts.length !== 3) return { refusal: 'malformed', decoded };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  try {
    decoded.jwtHeader = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as Record<string, unknown>;
    decoded.jwtPayload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return { refusal: 'malformed', decoded };
  }
  if (decoded.jwtHeader.alg !== 'RS256') return { refusal: 'wrong_alg', decoded };
  const key = typeof decoded.jwtHeader.kid === 'string' ? keys.get(decoded.jwtHeader.kid) : undefined;
  if (!key) return { refusal: 'unknown_kid', decoded };
  const signed = verify('sha256', Buffer.from(`${headerPart}.${payloadPart}`), key, Buffer.from(signaturePart, 'base64url'));
  if (!signed) return { refusal: 'bad_signature', decoded };
  const { aud, exp, iat } = decoded.jwtPayload;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.includes(projectId)) return { refusal: 'wrong_audience', decoded };
  // jwx compares whole seconds, with no skew unless configured (Authgear configures none).
  if (typeof exp === 'number' && !(now < Math.floor(exp))) return { refusal: 'expired', decoded };
  if (typeof iat === 'number' && now < Math.floor(iat)) return { refusal: 'issued_in_future', decoded };
  return { decoded };
}
