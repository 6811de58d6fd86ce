/**
 * Load test: starts the local server in this process (loopback, a free port, the example handlers
 * of this project) and drives it with many concurrent deliveries: signed events of mixed types
 * stamped now, forged ones, and malformed ones. Every answer is classified against the status
 * that what was sent must get. Stops at --duration seconds or --requests requests, whichever
 * comes first. Then a burst: --burst requests (default 500) sent at once, each on its own
 * connection, with their p50 and p99 latency.
 *
 *   npm run loadtest -- --duration 10 --requests 20000 --concurrency 50 --burst 500
 *
 * Exits 1 if any request failed at the transport level or got an answer it should not have.
 */
import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createJsonLogger } from '../../shared/core/logger';
import { generateSecret, startLocalServer } from '../../shared/local/server';
import { VECTORS } from '../fixtures/authgear-vectors';
import { goJson } from '../fixtures/go-json';
import { FIXTURE_FUNCTIONS_DIR } from '../support/fixture-handlers';
import { REPO_ROOT } from '../support/paths';

const PROJECT_ROOT = REPO_ROOT;
const SIGNATURE_HEADER = 'x-authgear-body-signature';
const MAX_BODY_BYTES = 16 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;

export interface LoadOptions {
  /** Stop sending after this many seconds. */
  readonly durationSeconds: number;
  /** Stop sending after this many requests. */
  readonly maxRequests: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** Seed of the request mix, for a reproducible sequence of kinds. */
  readonly seed?: number;
  /** Requests of the burst sent all at once after the main run, each on its own connection; 0 for none. Default 500. */
  readonly burst?: number;
}

export interface BurstReport {
  readonly sent: number;
  readonly errors: number;
  readonly misclassified: number;
  /** From the first request sent to the last answer. */
  readonly elapsedMs: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

export interface KindReport {
  readonly sent: number;
  readonly ok: number;
  readonly misclassified: number;
  readonly errors: number;
  readonly statuses: ReadonlyMap<number, number>;
  readonly latenciesMs: readonly number[];
}

export interface LoadReport {
  readonly options: LoadOptions;
  readonly sent: number;
  readonly errors: number;
  readonly misclassified: number;
  readonly elapsedMs: number;
  readonly throughput: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly byKind: ReadonlyMap<string, KindReport>;
  /** Up to 10 descriptions of errors and misclassified answers. */
  readonly samples: readonly string[];
  /** Server log lines at warn and error level, by `reason`. */
  readonly serverLog: ReadonlyMap<string, number>;
  readonly burst?: BurstReport;
}

// ---------------------------------------------------------------------------------------------
// What is sent, and what it must get
// ---------------------------------------------------------------------------------------------

interface Outgoing {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

interface Received {
  readonly status: number;
  readonly body: string;
}

interface Kind {
  readonly name: string;
  /** Share of the mix. */
  readonly weight: number;
  build(secret: string, id: string): Outgoing;
  /** An empty string when the answer is right, else what is wrong with it. */
  check(answer: Received): string;
}

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

const expectStatus =
  (status: number, body?: string) =>
  (answer: Received): string => {
    if (answer.status !== status) return `expected ${status}, got ${answer.status} ${answer.body.slice(0, 120)}`;
    if (body !== undefined && answer.body !== body) return `expected body ${body}, got ${answer.body.slice(0, 120)}`;
    return '';
  };

/** A blocking answer: 200 with JSON Authgear accepts the shape of. */
const expectBlockingAnswer = (answer: Received): string => {
  if (answer.status !== 200) return `expected 200, got ${answer.status} ${answer.body.slice(0, 120)}`;
  try {
    const parsed = JSON.parse(answer.body) as { is_allowed?: unknown };
    return typeof parsed.is_allowed === 'boolean' ? '' : `no boolean is_allowed in ${answer.body.slice(0, 120)}`;
  } catch {
    return `not JSON: ${answer.body.slice(0, 120)}`;
  }
};

/** Non-blocking deliveries are acknowledged with a 2xx (handled, queued, or ignored). */
const expectAcknowledged = (answer: Received): string =>
  answer.status >= 200 && answer.status < 300 ? '' : `expected 2xx, got ${answer.status} ${answer.body.slice(0, 120)}`;

const UNAUTHORIZED = '{"error":"unauthorized"}';

const KINDS: readonly Kind[] = [
  {
    name: 'signed user.pre_create',
    weight: 20,
    build: (s, id) => {
      const b = stamped('user.pre_create', id);
      return post('/blocking/user.pre_create', b, sign(b, s));
    },
    check: expectBlockingAnswer,
  },
  {
    name: 'signed oidc.jwt.pre_create',
    weight: 15,
    build: (s, id) => {
      const b = stamped('oidc.jwt.pre_create', id);
      return post('/blocking/oidc.jwt.pre_create', b, sign(b, s));
    },
    check: expectBlockingAnswer,
  },
  {
    name: 'signed user.created',
    weight: 15,
    build: (s, id) => {
      const b = stamped('user.created', id);
      return post('/non-blocking', b, sign(b, s));
    },
    check: expectAcknowledged,
  },
  {
    name: 'signed user.authenticated (no handler)',
    weight: 10,
    build: (s, id) => {
      const b = stamped('user.authenticated', id);
      return post('/non-blocking', b, sign(b, s));
    },
    check: expectAcknowledged,
  },
  {
    name: 'signed unknown future type',
    weight: 5,
    build: (s, id) => {
      const b = Buffer.from(
        goJson({
          id,
          seq: 1,
          type: 'user.future_event',
          payload: {},
          context: { timestamp: Math.floor(Date.now() / 1000), user_id: null },
        }),
      );
      return post('/non-blocking', b, sign(b, s));
    },
    check: expectAcknowledged,
  },
  {
    name: 'forged: other secret',
    weight: 8,
    build: (_s, id) => {
      const b = stamped('user.pre_create', id);
      return post('/blocking/user.pre_create', b, sign(b, 'not-the-secret-0123456789abcdefgh'));
    },
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
    build: (s, id) => {
      const b = stamped('user.pre_create', id, 600);
      return post('/blocking/user.pre_create', b, sign(b, s));
    },
    check: expectStatus(401, UNAUTHORIZED),
  },
  {
    name: 'malformed: signed, not JSON',
    weight: 3,
    build: (s) => {
      const b = Buffer.from('{"id":"0000000000000001","type":');
      return post('/non-blocking', b, sign(b, s));
    },
    check: expectStatus(400),
  },
  {
    name: 'malformed: wrong route',
    weight: 3,
    build: (s, id) => {
      const b = stamped('user.created', id);
      return post('/blocking/user.pre_create', b, sign(b, s));
    },
    check: expectStatus(400),
  },
  {
    name: 'malformed: unknown path',
    weight: 2,
    build: (s, id) => {
      const b = stamped('user.pre_create', id);
      return post('/blocking/user.precreate', b, sign(b, s));
    },
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
    build: (s) => {
      const b = Buffer.alloc(MAX_BODY_BYTES + 512, 0x20);
      return post('/non-blocking', b, sign(b, s));
    },
    check: expectStatus(413),
  },
];

/** A small seeded PRNG (mulberry32), so a run's mix of kinds is reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pickKind(next: () => number): Kind {
  const total = KINDS.reduce((sum, k) => sum + k.weight, 0);
  let r = next() * total;
  for (const kind of KINDS) {
    r -= kind.weight;
    if (r < 0) return kind;
  }
  return KINDS[KINDS.length - 1]!;
}

function send(agent: Agent, port: number, out: Outgoing): Promise<Received> {
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

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

/**
 * Runs the load test and returns its report; never throws for a failed request (they are counted).
 *
 * @example
 * ```ts
 * const report = await runLoadTest({ durationSeconds: 10, maxRequests: 20_000, concurrency: 50 });
 * console.log(renderReport(report));
 * ```
 */
export async function runLoadTest(options: LoadOptions): Promise<LoadReport> {
  const secret = generateSecret();
  const serverLog = new Map<string, number>();
  const logger = createJsonLogger({
    level: 'warn',
    sink: (level, line) => {
      const reason = /"reason":"([^"]*)"/.exec(line)?.[1] ?? '(none)';
      const key = `${level} ${reason}`;
      serverLog.set(key, (serverLog.get(key) ?? 0) + 1);
    },
  });
  const burstSize = options.burst ?? 500;
  const server = await startLocalServer({
    projectRoot: PROJECT_ROOT,
    // The template's own handlers: the mix below targets their routes, whatever functions/ holds.
    functionsDir: FIXTURE_FUNCTIONS_DIR,
    port: 0,
    env: {
      AUTHGEAR_WEBHOOK_SECRET: secret,
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      LOG_LEVEL: 'warn',
      // Room for the burst, each request on its own connection (the default limit is 256).
      LOCAL_MAX_CONNECTIONS: String(Math.max(256, burstSize + options.concurrency + 64)),
    },
    logger,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const next = random(options.seed ?? 20_261_126);
  const stats = new Map<
    string,
    { sent: number; ok: number; misclassified: number; errors: number; statuses: Map<number, number>; latenciesMs: number[] }
  >();
  const samples: string[] = [];
  let sent = 0;
  let nextId = 0x10_0000;
  const started = performance.now();
  const stopAt = started + options.durationSeconds * 1000;

  async function worker(): Promise<void> {
    while (sent < options.maxRequests && performance.now() < stopAt) {
      sent += 1;
      const kind = pickKind(next);
      const id = (nextId++).toString(16).padStart(16, '0');
      let row = stats.get(kind.name);
      if (!row) stats.set(kind.name, (row = { sent: 0, ok: 0, misclassified: 0, errors: 0, statuses: new Map(), latenciesMs: [] }));
      row.sent += 1;
      const out = kind.build(secret, id);
      const t0 = performance.now();
      try {
        const answer = await send(agent, server.port, out);
        row.latenciesMs.push(performance.now() - t0);
        row.statuses.set(answer.status, (row.statuses.get(answer.status) ?? 0) + 1);
        const problem = kind.check(answer);
        if (problem) {
          row.misclassified += 1;
          if (samples.length < 10) samples.push(`${kind.name}: ${problem}`);
        } else {
          row.ok += 1;
        }
      } catch (error) {
        row.errors += 1;
        if (samples.length < 10) samples.push(`${kind.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  let burst: BurstReport | undefined;
  try {
    await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
    agent.destroy();
    if (burstSize > 0) {
      const outgoing = Array.from({ length: burstSize }, () => {
        const kind = pickKind(next);
        return { kind, out: kind.build(secret, (nextId++).toString(16).padStart(16, '0')) };
      });
      burst = await runBurst(server.port, outgoing, samples);
    }
  } finally {
    agent.destroy();
    await server.close();
  }
  const elapsedMs = performance.now() - started;
  const all = [...stats.values()].flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  let errors = 0;
  let misclassified = 0;
  for (const row of stats.values()) {
    errors += row.errors;
    misclassified += row.misclassified;
    row.latenciesMs.sort((a, b) => a - b);
  }
  return {
    options,
    sent,
    errors,
    misclassified,
    elapsedMs,
    throughput: sent / (elapsedMs / 1000),
    latencyMs: { p50: percentile(all, 50), p90: percentile(all, 90), p99: percentile(all, 99), max: all.at(-1) ?? 0 },
    byKind: stats,
    samples,
    serverLog,
    ...(burst ? { burst } : {}),
  };
}

/** Sends every request at once, each on its own connection, and classifies the answers. */
async function runBurst(port: number, outgoing: readonly { kind: Kind; out: Outgoing }[], samples: string[]): Promise<BurstReport> {
  const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const latencies: number[] = [];
  let errors = 0;
  let misclassified = 0;
  const started = performance.now();
  try {
    await Promise.all(
      outgoing.map(async ({ kind, out }) => {
        const t0 = performance.now();
        try {
          const answer = await send(agent, port, out);
          latencies.push(performance.now() - t0);
          const problem = kind.check(answer);
          if (problem) {
            misclassified += 1;
            if (samples.length < 10) samples.push(`burst ${kind.name}: ${problem}`);
          }
        } catch (error) {
          errors += 1;
          if (samples.length < 10) samples.push(`burst ${kind.name}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    sent: outgoing.length,
    errors,
    misclassified,
    elapsedMs,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
  };
}

/** The report as a plain-text table. */
export function renderReport(report: LoadReport): string {
  const ms = (n: number): string => n.toFixed(1);
  const rows: string[][] = [['kind', 'sent', 'ok', 'misclassified', 'errors', 'statuses', 'p50 ms', 'p99 ms']];
  for (const [name, row] of [...report.byKind].sort(([a], [b]) => a.localeCompare(b))) {
    const statuses = [...row.statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    rows.push([
      name,
      String(row.sent),
      String(row.ok),
      String(row.misclassified),
      String(row.errors),
      statuses,
      ms(percentile(row.latenciesMs, 50)),
      ms(percentile(row.latenciesMs, 99)),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const numeric = new Set([1, 2, 3, 4, 6, 7]);
  const line = (r: string[]): string =>
    r
      .map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const { options: o, latencyMs: l } = report;
  const log =
    [...report.serverLog]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k}×${n}`)
      .join(', ') || 'none';
  return [
    `Load test: local server on 127.0.0.1, concurrency ${o.concurrency}, limits ${o.durationSeconds} s / ${o.maxRequests} requests`,
    '',
    line(rows[0]!),
    rule,
    ...rows.slice(1).map(line),
    rule,
    `requests ${report.sent} in ${(report.elapsedMs / 1000).toFixed(2)} s = ${report.throughput.toFixed(0)} req/s`,
    `latency ms: p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`,
    `errors ${report.errors}, misclassified ${report.misclassified}`,
    ...(report.burst
      ? [
          `burst: ${report.burst.sent} requests at once, each on its own connection, answered in ${ms(report.burst.elapsedMs)} ms: ` +
            `p50 ${ms(report.burst.latencyMs.p50)}  p99 ${ms(report.burst.latencyMs.p99)}  max ${ms(report.burst.latencyMs.max)} ms; ` +
            `errors ${report.burst.errors}, misclassified ${report.burst.misclassified}`,
        ]
      : []),
    `server warn/error log lines by reason: ${log}`,
    ...(report.samples.length > 0 ? ['', 'first problems:', ...report.samples.map((s) => `  ${s}`)] : []),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer (got "${raw}")`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      requests: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      burst: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('Usage: npm run loadtest -- [--duration 10] [--requests 20000] [--concurrency 50] [--seed n] [--burst 500 (0 for none)]');
    return;
  }
  const report = await runLoadTest({
    durationSeconds: positiveInteger('duration', values.duration, 10),
    maxRequests: positiveInteger('requests', values.requests, 20_000),
    concurrency: positiveInteger('concurrency', values.concurrency, 50),
    seed: positiveInteger('seed', values.seed, 20_261_126),
    burst: values.burst === '0' ? 0 : positiveInteger('burst', values.burst, 500),
  });
  console.log(renderReport(report));
  if (report.errors > 0 || report.misclassified > 0 || (report.burst && report.burst.errors + report.burst.misclassified > 0))
    process.exitCode = 1;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
