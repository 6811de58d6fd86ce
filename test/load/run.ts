/**
 * The load test run: starts the local server in this process (loopback, a free port, the
 * template's own handlers), drives it with concurrent deliveries from the mix until the time or
 * request budget runs out, then sends a burst all at once, and counts every answer.
 */
import { Agent } from 'node:http';
import { createJsonLogger } from '../../shared/core/logger';
import { generateSecret } from '../../shared/local/server';
import { startFixtureServer } from '../support/fixture-server';
import { type Outgoing, send } from './http-driver';
import { KINDS, type Kind, MAX_BODY_BYTES } from './kinds';
import { pickWeighted, seededRandom } from './random';
import type { BurstReport, LoadOptions, LoadReport } from './report';
import { type Attempt, newTally, percentile, recordAttempt, type Tally } from './stats';

const DEFAULT_SEED = 20_261_126;
const DEFAULT_BURST = 500;

/** Sends one request and judges its answer by the kind's check; never throws (a transport error is an outcome). */
async function attempt(agent: Agent, port: number, kind: Kind, out: Outgoing): Promise<Attempt> {
  const t0 = performance.now();
  try {
    const answer = await send(agent, port, out);
    const latencyMs = performance.now() - t0;
    const problem = kind.check(answer);
    return problem
      ? { outcome: 'misclassified', status: answer.status, latencyMs, problem }
      : { outcome: 'ok', status: answer.status, latencyMs };
  } catch (error) {
    return { outcome: 'error', problem: error instanceof Error ? error.message : String(error) };
  }
}

/** A log sink that counts warn and error lines by level and `reason`. */
function countingLogger(serverLog: Map<string, number>) {
  return createJsonLogger({
    level: 'warn',
    sink: (level, line) => {
      const reason = /"reason":"([^"]*)"/.exec(line)?.[1] ?? '(none)';
      const key = `${level} ${reason}`;
      serverLog.set(key, (serverLog.get(key) ?? 0) + 1);
    },
  });
}

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
  const burstSize = options.burst ?? DEFAULT_BURST;
  // The template's own handlers: the mix targets their routes, whatever functions/ holds.
  const server = await startFixtureServer(
    {
      AUTHGEAR_WEBHOOK_SECRET: secret,
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      LOG_LEVEL: 'warn',
      // Room for the burst, each request on its own connection (the default limit is 256).
      LOCAL_MAX_CONNECTIONS: String(Math.max(256, burstSize + options.concurrency + 64)),
    },
    countingLogger(serverLog),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const next = seededRandom(options.seed ?? DEFAULT_SEED);
  const stats = new Map<string, Tally>();
  const samples: string[] = [];
  let sent = 0;
  let nextId = 0x10_0000;
  const pick = (): { kind: Kind; out: Outgoing } => {
    const kind = pickWeighted(KINDS, next);
    return { kind, out: kind.build(secret, (nextId++).toString(16).padStart(16, '0')) };
  };
  const started = performance.now();
  const stopAt = started + options.durationSeconds * 1000;

  async function worker(): Promise<void> {
    while (sent < options.maxRequests && performance.now() < stopAt) {
      sent += 1;
      const { kind, out } = pick();
      let row = stats.get(kind.name);
      if (!row) stats.set(kind.name, (row = newTally()));
      recordAttempt(row, await attempt(agent, server.port, kind, out), samples, kind.name);
    }
  }

  let burst: BurstReport | undefined;
  try {
    await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
    agent.destroy();
    if (burstSize > 0) burst = await runBurst(server.port, Array.from({ length: burstSize }, pick), samples);
  } finally {
    agent.destroy();
    await server.close();
  }
  const elapsedMs = performance.now() - started;
  for (const row of stats.values()) row.latenciesMs.sort((a, b) => a - b);
  const rows = [...stats.values()];
  const all = rows.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  return {
    options,
    sent,
    errors: rows.reduce((sum, r) => sum + r.errors, 0),
    misclassified: rows.reduce((sum, r) => sum + r.misclassified, 0),
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
  const tally = newTally();
  const started = performance.now();
  try {
    await Promise.all(
      outgoing.map(async ({ kind, out }) => recordAttempt(tally, await attempt(agent, port, kind, out), samples, `burst ${kind.name}`)),
    );
  } finally {
    agent.destroy();
  }
  const elapsedMs = performance.now() - started;
  const latencies = tally.latenciesMs.sort((a, b) => a - b);
  return {
    sent: outgoing.length,
    errors: tally.errors,
    misclassified: tally.misclassified,
    elapsedMs,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
  };
}
