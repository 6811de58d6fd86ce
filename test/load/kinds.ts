/**
 * What the load test sends, and what each kind must get: signed events of mixed types stamped now,
 * forged ones, replayed ones and malformed ones, with their share of the mix.
 */
import { createHmac } from 'node:crypto';
import { VECTORS } from '../fixtures/authgear-vectors';
import { goJson } from '../fixtures/go-json';
import type { Outgoing, Received } from './http-driver';

/** The server's body limit in the run, so that the oversized kind is just over it. */
export const MAX_BODY_BYTES = 16 * 1024;
const SIGNATURE_HEADER = 'x-authgear-body-signature';
const UNAUTHORIZED = '{"error":"unauthorized"}';

/** One kind of request in the mix. */
export interface Kind {
  readonly name: string;
  /** Share of the mix. */
  readonly weight: number;
  build(secret: string, id: string): Outgoing;
  /** An empty string when the answer is right, else what is wrong with it. */
  check(answer: Received): string;
}

type Build = Kind['build'];

const vectorEvent = (type: string): Record<string, unknown> & { context: Record<string, unknown> } => {
  const v = VECTORS.find((x) => x.type === type);
  if (!v) throw new Error(`no vector for ${type}`);
  return JSON.parse(v.body) as Record<string, unknown> & { context: Record<string, unknown> };
};

const sign = (body: Buffer | string, secret: string): string => createHmac('sha256', secret).update(body).digest('hex');

/** A vector's event with a new id, stamped `ageSeconds` ago. */
function stamped(type: string, id: string, ageSeconds = 0): Buffer {
  const event = vectorEvent(type);
  return Buffer.from(
    goJson({ ...event, id, context: { ...event.context, timestamp: Math.floor(Date.now() / 1000) - ageSeconds } }),
    'utf8',
  );
}

const post = (path: string, body: Buffer, signature: string | undefined): Outgoing => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { [SIGNATURE_HEADER]: signature }) },
  body,
});

/** The vector of `type` with a new id, stamped `ageSeconds` ago, posted to `path` and signed with `signWith` (default: the run's secret). */
const signedVector =
  (type: string, path: string, { ageSeconds = 0, signWith }: { ageSeconds?: number; signWith?: string } = {}): Build =>
  (secret, id) => {
    const b = stamped(type, id, ageSeconds);
    return post(path, b, sign(b, signWith ?? secret));
  };

/** Bytes made by `body` for each request, posted to `path` and signed with the run's secret. */
const signedBytes =
  (path: string, body: (id: string) => Buffer): Build =>
  (secret, id) => {
    const b = body(id);
    return post(path, b, sign(b, secret));
  };

/** The answer must have `status`, and `body` exactly when given. */
export const expectStatus =
  (status: number, body?: string) =>
  (answer: Received): string => {
    if (answer.status !== status) return `expected ${status}, got ${answer.status} ${answer.body.slice(0, 120)}`;
    if (body !== undefined && answer.body !== body) return `expected body ${body}, got ${answer.body.slice(0, 120)}`;
    return '';
  };

/** A blocking answer: 200 with JSON Authgear accepts the shape of. */
export const expectBlockingAnswer = (answer: Received): string => {
  if (answer.status !== 200) return `expected 200, got ${answer.status} ${answer.body.slice(0, 120)}`;
  try {
    const parsed = JSON.parse(answer.body) as { is_allowed?: unknown };
    return typeof parsed.is_allowed === 'boolean' ? '' : `no boolean is_allowed in ${answer.body.slice(0, 120)}`;
  } catch {
    return `not JSON: ${answer.body.slice(0, 120)}`;
  }
};

/** Non-blocking deliveries are acknowledged with a 2xx (handled, queued, or ignored). */
export const expectAcknowledged = (answer: Received): string =>
  answer.status >= 200 && answer.status < 300 ? '' : `expected 2xx, got ${answer.status} ${answer.body.slice(0, 120)}`;

/** The mix: each kind with its share and the answer it must get. */
export const KINDS: readonly Kind[] = [
  {
    name: 'signed user.pre_create',
    weight: 20,
    build: signedVector('user.pre_create', '/blocking/user.pre_create'),
    check: expectBlockingAnswer,
  },
  {
    name: 'signed oidc.jwt.pre_create',
    weight: 15,
    build: signedVector('oidc.jwt.pre_create', '/blocking/oidc.jwt.pre_create'),
    check: expectBlockingAnswer,
  },
  {
    name: 'signed user.created',
    weight: 15,
    build: signedVector('user.created', '/non-blocking'),
    check: expectAcknowledged,
  },
  {
    name: 'signed user.authenticated (no handler)',
    weight: 10,
    build: signedVector('user.authenticated', '/non-blocking'),
    check: expectAcknowledged,
  },
  {
    name: 'signed unknown future type',
    weight: 5,
    build: signedBytes('/non-blocking', (id) =>
      Buffer.from(
        goJson({
          id,
          seq: 1,
          type: 'user.future_event',
          payload: {},
          context: { timestamp: Math.floor(Date.now() / 1000), user_id: null },
        }),
      ),
    ),
    check: expectAcknowledged,
  },
  {
    name: 'forged: other secret',
    weight: 8,
    build: signedVector('user.pre_create', '/blocking/user.pre_create', { signWith: 'not-the-secret-0123456789abcdefgh' }),
    check: expectStatus(401, UNAUTHORIZED),
  },
  {
    name: 'forged: body changed after signing',
    weight: 5,
    build: (s, id) => {
      const b = stamped('user.created', id);
      const signature = sign(b, s);
      return post('/non-blocking', Buffer.from(b.toString('utf8').replace('"user.created"', '"user.deleted"')), signature);
    },
    check: expectStatus(401, UNAUTHORIZED),
  },
  {
    name: 'forged: no signature',
    weight: 2,
    build: (_s, id) => post('/blocking/oidc.jwt.pre_create', stamped('oidc.jwt.pre_create', id), undefined),
    check: expectStatus(401, UNAUTHORIZED),
  },
  {
    name: 'replay: stamped 10 min ago',
    weight: 3,
    build: signedVector('user.pre_create', '/blocking/user.pre_create', { ageSeconds: 600 }),
    check: expectStatus(401, UNAUTHORIZED),
  },
  {
    name: 'malformed: signed, not JSON',
    weight: 3,
    build: signedBytes('/non-blocking', () => Buffer.from('{"id":"0000000000000001","type":')),
    check: expectStatus(400),
  },
  {
    name: 'malformed: wrong route',
    weight: 3,
    build: signedVector('user.created', '/blocking/user.pre_create'),
    check: expectStatus(400),
  },
  {
    name: 'malformed: unknown path',
    weight: 2,
    build: signedVector('user.pre_create', '/blocking/user.precreate'),
    check: expectStatus(404),
  },
  {
    name: 'malformed: GET',
    weight: 2,
    build: () => ({ method: 'GET', path: '/non-blocking', headers: {}, body: Buffer.alloc(0) }),
    check: expectStatus(405),
  },
  {
    name: 'malformed: oversized body',
    weight: 1,
    build: signedBytes('/non-blocking', () => Buffer.alloc(MAX_BODY_BYTES + 512, 0x20)),
    check: expectStatus(413),
  },
];
