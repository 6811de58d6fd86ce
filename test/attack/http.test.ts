/** Attack tests (what they prove: model.ts): header handling and framing over real HTTP against the local server. */

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBlockingEventType } from '../../shared/core/constants';
import { createJsonLogger } from '../../shared/core/logger';
import { startLocalServer, type LocalServer } from '../../shared/local/server';
import { VECTORS } from '../fixtures/authgear-vectors';
import { goJson } from '../fixtures/go-json';
import { REPO_ROOT, SHARED_FROM_HANDLER } from '../support/paths';
import {
  SEED,
  SECRET,
  SIGNATURE_HEADER,
  PUBLIC_BODIES,
  type Recorded,
  SERVED_BLOCKING,
  HANDLED_NON_BLOCKING,
  type Served,
  hmacHex,
  model,
  leaks,
  Tally,
  judge,
  DOCUMENTED_STATUSES,
} from './model';
import { VECTOR_EVENTS } from './bodies';
import { applyCasing } from './headers';
import { mutate } from './mutations';
import { flipNibble } from './signatures';

// ---------------------------------------------------------------------------------------------
// Over real HTTP, against the local server
// ---------------------------------------------------------------------------------------------

const HTTP_MAX_BODY_BYTES = 8192;
const HTTP_RUNS = 300;
const RECORDER = Symbol.for('authgear-webhooks.attack-test.recorder');

type Framing =
  | { readonly kind: 'content-length' }
  | { readonly kind: 'chunked'; readonly sizes: readonly number[] }
  | { readonly kind: 'content-length too small'; readonly by: number }
  | { readonly kind: 'content-length too large'; readonly by: number }
  | { readonly kind: 'content-length and chunked' }
  | { readonly kind: 'content-length twice'; readonly same: boolean };

interface HttpAttack {
  readonly vector: number;
  readonly ageSeconds: number;
  readonly mutate: boolean;
  readonly signature: 'good' | 'upper' | 'padded' | 'flipped' | 'missing' | 'twice' | 'twice, other case' | 'good and flipped';
  readonly casing: number;
  readonly framing: Framing;
  readonly oversized: boolean;
  readonly method: string;
  readonly route: 'own' | 'wrong' | 'unknown';
  readonly split: readonly number[];
}

const httpAttackArb: fc.Arbitrary<HttpAttack> = fc.record({
  vector: fc.nat(VECTORS.length - 1),
  ageSeconds: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: -50, max: 290 }) },
    { weight: 1, arbitrary: fc.constantFrom(-3600, 400, 86_400) },
  ),
  mutate: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  signature: fc.oneof(
    { weight: 3, arbitrary: fc.constant('good' as const) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'upper' as const,
        'padded' as const,
        'flipped' as const,
        'missing' as const,
        'twice' as const,
        'twice, other case' as const,
        'good and flipped' as const,
      ),
    },
  ),
  casing: fc.nat(),
  framing: fc.oneof(
    { weight: 4, arbitrary: fc.constant({ kind: 'content-length' as const }) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('chunked' as const),
        sizes: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 6 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('content-length too small' as const), by: fc.integer({ min: 1, max: 200 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('content-length too large' as const), by: fc.integer({ min: 1, max: 200 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'content-length and chunked' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('content-length twice' as const), same: fc.boolean() }) },
  ),
  oversized: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  method: fc.oneof(
    { weight: 12, arbitrary: fc.constant('POST') },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'OPTIONS') },
  ),
  route: fc.oneof(
    { weight: 10, arbitrary: fc.constant('own' as const) },
    { weight: 1, arbitrary: fc.constantFrom('wrong' as const, 'unknown' as const) },
  ),
  split: fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 4 }),
});

interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Sends raw bytes on a fresh connection in the given pieces, half-closes, and parses every answer. */
function rawExchange(port: number, pieces: readonly Buffer[]): Promise<RawResponse[]> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the answers were written still leaves those answers to parse.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      try {
        resolvePromise(parseResponses(Buffer.concat(received)));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('connect', async () => {
      for (const piece of pieces) {
        if (socket.destroyed) return;
        socket.write(piece);
        await new Promise((done) => setImmediate(done));
      }
      socket.end();
    });
  });
}

function parseResponses(raw: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) throw new Error(`incomplete answer: ${JSON.stringify(rest.toString('latin1').slice(0, 200))}`);
    const [statusLine = '', ...headerLines] = rest.subarray(0, headEnd).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
    if (!status) throw new Error(`not an HTTP answer: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    rest = rest.subarray(headEnd + 4);
    let body: Buffer = Buffer.alloc(0);
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      body = rest.subarray(0, length);
      rest = rest.subarray(length);
    } else if (headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
        rest = rest.subarray(lineEnd + 2);
        if (size === 0) {
          rest = rest.subarray(2);
          break;
        }
        parts.push(rest.subarray(0, size));
        rest = rest.subarray(size + 2);
      }
      body = Buffer.concat(parts);
    }
    responses.push({ status: Number(status[1]), headers, body: body.toString('utf8') });
  }
  return responses;
}

/** Splits `bytes` at the given sizes (the remainder is the last piece). */
function pieces(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) out.push(bytes.subarray(at));
  return out;
}

describe('attack: header handling and framing over HTTP against the local server', () => {
  let server: LocalServer;
  let root: string;
  const recordedHttp: Recorded[] = [];
  const logLines: string[] = [];

  beforeAll(async () => {
    (globalThis as Record<symbol, unknown>)[RECORDER] = recordedHttp;
    root = mkdtempSync(join(tmpdir(), 'attack-http-'));
    symlinkSync(join(REPO_ROOT, 'shared'), join(root, 'shared'));
    const files: Record<string, string> = {};
    for (const type of SERVED_BLOCKING) {
      files[`functions/blocking/${type}.ts`] =
        `import { defineBlockingHandler } from '${SHARED_FROM_HANDLER}';\n` +
        `export default defineBlockingHandler('${type}', (event) => {\n` +
        `  ((globalThis as Record<symbol, unknown>)[Symbol.for('authgear-webhooks.attack-test.recorder')] as unknown[]).push({ route: '${type}', event });\n` +
        `  return { is_allowed: true };\n});\n`;
    }
    for (const type of HANDLED_NON_BLOCKING) {
      files[`functions/non-blocking/${type}.ts`] =
        `import { defineNonBlockingHandler } from '${SHARED_FROM_HANDLER}';\n` +
        `export default defineNonBlockingHandler('${type}', (event) => {\n` +
        `  ((globalThis as Record<symbol, unknown>)[Symbol.for('authgear-webhooks.attack-test.recorder')] as unknown[]).push({ route: 'non-blocking', event });\n});\n`;
    }
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    }
    const logger = createJsonLogger({ level: 'info', sink: (_level, line) => logLines.push(line) });
    server = await startLocalServer({
      projectRoot: root,
      port: 0,
      env: { AUTHGEAR_WEBHOOK_SECRET: SECRET, MAX_BODY_BYTES: String(HTTP_MAX_BODY_BYTES), LOG_LEVEL: 'info' },
      logger,
    });
  });

  afterAll(async () => {
    await server?.close();
    delete (globalThis as Record<symbol, unknown>)[RECORDER];
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it(`answers ${HTTP_RUNS} raw requests with odd headers and framing as documented, and runs no handler on an unverified body`, async () => {
    // Prepare
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    const served: Served = { blocking: new Set(SERVED_BLOCKING), nonBlocking: true, handled: new Set(HANDLED_NON_BLOCKING) };
    const tally = new Tally();
    /** The parse of every body that was correctly signed, as JSON text. */
    const verifiedEvents = new Set<string>();
    let checkedUpTo = 0;
    const checkQueuedRecords = (): void => {
      for (; checkedUpTo < recordedHttp.length; checkedUpTo += 1) {
        const r = recordedHttp[checkedUpTo]!;
        if (r.route === 'non-blocking' && !verifiedEvents.has(JSON.stringify(r.event)))
          throw new Error('a non-blocking handler ran on an event no verified request carried');
      }
    };

    // Act
    const run = fc.asyncProperty(httpAttackArb, async (a) => {
      const vector = VECTOR_EVENTS[a.vector]!;
      const event = structuredClone(vector);
      event.context.timestamp = Math.floor(Date.now() / 1000) - a.ageSeconds;
      let body = Buffer.from(goJson(event), 'utf8');
      if (a.oversized) body = Buffer.concat([body, Buffer.alloc(HTTP_MAX_BODY_BYTES, 0x20)]);
      const signed = hmacHex(body);
      if (a.mutate) body = Buffer.from(mutate(body, [{ op: 'flip', at: a.casing, bit: a.casing % 8 }]));
      const name = applyCasing(SIGNATURE_HEADER, a.casing);
      const flipped = flipNibble(signed, a.casing % 64, 0);
      const sigLines: [string, string][] = {
        good: [[name, signed]],
        upper: [[name, signed.toUpperCase()]],
        padded: [[name, `  ${signed}\t`]],
        flipped: [[name, flipped]],
        missing: [],
        twice: [
          [name, signed],
          [name, signed],
        ],
        'twice, other case': [
          [SIGNATURE_HEADER, signed],
          [SIGNATURE_HEADER.toUpperCase(), signed],
        ],
        'good and flipped': [
          [name, signed],
          [name, flipped],
        ],
      }[a.signature] as [string, string][];
      const ownPath = isBlockingEventType(event.type) ? `/blocking/${event.type}` : '/non-blocking';
      const path =
        a.route === 'own'
          ? ownPath
          : a.route === 'wrong'
            ? ownPath === '/non-blocking'
              ? '/blocking/user.pre_create'
              : '/non-blocking'
            : '/blocking/nothing.here';

      const head = [
        `${a.method} ${path} HTTP/1.1`,
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        ...sigLines.map(([k, v]) => `${k}: ${v}`),
      ];
      let payload: Buffer;
      let received: Buffer | undefined = body; // what the server reads as the body, if it reads one
      switch (a.framing.kind) {
        case 'content-length':
          head.push(`Content-Length: ${body.length}`);
          payload = body;
          break;
        case 'chunked': {
          head.push('Transfer-Encoding: chunked');
          const chunks = pieces(body, a.framing.sizes);
          payload = Buffer.concat([
            ...chunks.flatMap((c) => [Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]),
            Buffer.from('0\r\n\r\n'),
          ]);
          break;
        }
        case 'content-length too small': {
          const declared = Math.max(0, body.length - a.framing.by);
          head.push(`Content-Length: ${declared}`);
          payload = body;
          received = body.subarray(0, declared);
          break;
        }
        case 'content-length too large':
          head.push(`Content-Length: ${body.length + a.framing.by}`);
          payload = body;
          received = undefined;
          break;
        case 'content-length and chunked':
          head.push(`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked');
          payload = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
          received = undefined;
          break;
        case 'content-length twice':
          head.push(`Content-Length: ${body.length}`, `Content-Length: ${a.framing.same ? body.length : body.length + 1}`);
          payload = body;
          received = undefined;
          break;
      }
      const request = Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
      // Node trims spaces and tabs around header values; a repeated header stays repeated.
      const signatures = sigLines.map(([, v]) => v.trim());
      const before = recordedHttp.length;

      const responses = await rawExchange(server.port, pieces(request, a.split));

      const statuses = responses.map((r) => r.status);
      tally.add(`${a.framing.kind}; signature ${a.signature}`, statuses.at(-1) ?? 0);
      // Blocking handlers run inside the request. The local server queues non-blocking events
      // and runs their handlers after answering, so those calls are matched against every
      // verified request so far instead (checkQueuedRecords).
      const newBlocking = recordedHttp.slice(before).filter((r) => r.route !== 'non-blocking');
      const framingOk = a.framing.kind === 'content-length' || a.framing.kind === 'chunked';
      const declared =
        a.framing.kind === 'content-length too large'
          ? body.length + a.framing.by
          : a.framing.kind === 'content-length too small'
            ? Math.max(0, body.length - a.framing.by)
            : body.length;
      const declaredTooLarge = declared > HTTP_MAX_BODY_BYTES;
      for (const r of responses) {
        if (!DOCUMENTED_STATUSES.has(r.status) && !(path === '/non-blocking' && r.status >= 500))
          throw new Error(`undocumented status ${r.status}`);
        const leak = leaks(r.body);
        if (leak) throw new Error(`an answer contains ${leak}`);
        if (r.status === 401 && r.body !== PUBLIC_BODIES.unauthorized) throw new Error(`401 with body ${r.body}`);
      }

      if (framingOk) {
        const expected = model(
          { method: a.method, path, signatures, body, tooLarge: false, nowMs: Date.now(), maxBodyBytes: HTTP_MAX_BODY_BYTES },
          served,
        );
        if (responses.length !== 1) throw new Error(`expected one answer, got ${statuses.join(',')}`);
        const first = responses[0]!;
        if (expected.kind !== 'refused') verifiedEvents.add(JSON.stringify(expected.event));
        const problem = judge(
          expected,
          { status: first.status, contentType: first.headers['content-type'], body: first.body },
          newBlocking,
        );
        if (problem) throw new Error(`${a.framing.kind}: ${problem}`);
        checkQueuedRecords();
        return;
      }
      // Broken framing: Node's HTTP parser refuses it with a bare 400. The only other answer a
      // client may see is the app's answer to the bytes the server did read as a body.
      const ownAnswer =
        received === undefined
          ? undefined
          : model(
              { method: a.method, path, signatures, body: received, tooLarge: false, nowMs: Date.now(), maxBodyBytes: HTTP_MAX_BODY_BYTES },
              served,
            );
      // A declared length over the limit is answered before the body is read, as the core decides
      // for a body flagged too large (404, 405 or 413).
      const early = declaredTooLarge
        ? model(
            {
              method: a.method,
              path,
              signatures,
              body: Buffer.alloc(0),
              tooLarge: true,
              nowMs: Date.now(),
              maxBodyBytes: HTTP_MAX_BODY_BYTES,
            },
            served,
          )
        : undefined;
      const finalOk = statuses.at(-1) === 400 || (early?.kind === 'refused' && statuses.at(-1) === early.status);
      if (!finalOk) throw new Error(`${a.framing.kind}: expected a final 400, got ${statuses.join(',')}`);
      const verified = ownAnswer !== undefined && ownAnswer.kind !== 'refused';
      if (verified) verifiedEvents.add(JSON.stringify(ownAnswer.event));
      if (newBlocking.length > (verified ? 1 : 0))
        throw new Error(`${a.framing.kind}: a blocking handler ran on a body that was not verified`);
      checkQueuedRecords();
    });
    await fc.assert(run, { numRuns: HTTP_RUNS, seed: SEED });
    // Let queued non-blocking handlers finish, then check their calls too.
    let seen = -1;
    while (seen !== recordedHttp.length) {
      seen = recordedHttp.length;
      await new Promise((done) => setTimeout(done, 300));
    }
    checkQueuedRecords();
    process.off('unhandledRejection', onUnhandled);

    // Assess
    console.log(
      `HTTP attack run: ${tally.total} raw requests against the local server, seed ${SEED}; ${verifiedEvents.size} verified, ${recordedHttp.length} handler calls\n\n${tally.render('framing; signature')}`,
    );
    expect(tally.total).toBe(HTTP_RUNS);
    expect(unhandled).toEqual([]);
    expect(logLines.some((line) => line.includes(SECRET))).toBe(false);
    expect(logLines.some((line) => line.includes('"internal_error"'))).toBe(false);
    // The server still serves a plain delivery after all of that.
    const v = VECTOR_EVENTS.find((e) => e.type === 'user.pre_create')!;
    const fresh = Buffer.from(goJson({ ...v, context: { ...v.context, timestamp: Math.floor(Date.now() / 1000) } }));
    const [after] = await rawExchange(server.port, [
      Buffer.from(
        `POST /blocking/user.pre_create HTTP/1.1\r\nHost: 127.0.0.1\r\n${SIGNATURE_HEADER}: ${hmacHex(fresh)}\r\nContent-Length: ${fresh.length}\r\n\r\n`,
      ),
      fresh,
    ]);
    expect(after?.status).toBe(200);
  }, 120_000);
});
