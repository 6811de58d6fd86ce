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
 *
 * The pieces: `kinds.ts` (what is sent and what it must get), `http-driver.ts` (one request),
 * `run.ts` (the run and the burst), `stats.ts` (tallies, percentiles), `report.ts` (the table).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { renderReport, reportFailed } from './report';
import { runLoadTest } from './run';

export type { BurstReport, KindReport, LoadOptions, LoadReport } from './report';
export { renderReport } from './report';
export { runLoadTest } from './run';

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
  if (reportFailed(report)) process.exitCode = 1;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
