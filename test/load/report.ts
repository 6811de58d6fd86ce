/** What a load test run found, and the plain-text table `npm run loadtest` prints of it. */
import { percentile } from './stats';

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
  /** Ascending. */
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

/** Whether the run found anything wrong: the command line exits 1 then. */
export const reportFailed = (report: LoadReport): boolean =>
  report.errors > 0 || report.misclassified > 0 || (report.burst !== undefined && report.burst.errors + report.burst.misclassified > 0);

const ms = (n: number): string => n.toFixed(1);

/** One row a kind, sorted by name, with its header, columns padded (numbers to the right). */
function kindTable(byKind: ReadonlyMap<string, KindReport>): { header: string; rows: string[]; rule: string } {
  const rows: string[][] = [['kind', 'sent', 'ok', 'misclassified', 'errors', 'statuses', 'p50 ms', 'p99 ms']];
  for (const [name, row] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) {
    rows.push([
      name,
      String(row.sent),
      String(row.ok),
      String(row.misclassified),
      String(row.errors),
      [...row.statuses]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}×${n}`)
        .join(' '),
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
  return { header: line(rows[0]!), rows: rows.slice(1).map(line), rule: widths.map((w) => '-'.repeat(w)).join('  ') };
}

/**
 * The report as a plain-text table: one row a kind, then the totals, the burst and the server's
 * warn/error log lines, then the first problems.
 *
 * @example
 * ```ts
 * console.log(renderReport(await runLoadTest({ durationSeconds: 10, maxRequests: 20_000, concurrency: 50 })));
 * ```
 */
export function renderReport(report: LoadReport): string {
  const table = kindTable(report.byKind);
  const { options: o, latencyMs: l, burst } = report;
  const log =
    [...report.serverLog]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([reason, n]) => `${reason}×${n}`)
      .join(', ') || 'none';
  return [
    `Load test: local server on 127.0.0.1, concurrency ${o.concurrency}, limits ${o.durationSeconds} s / ${o.maxRequests} requests`,
    '',
    table.header,
    table.rule,
    ...table.rows,
    table.rule,
    `requests ${report.sent} in ${(report.elapsedMs / 1000).toFixed(2)} s = ${report.throughput.toFixed(0)} req/s`,
    `latency ms: p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`,
    `errors ${report.errors}, misclassified ${report.misclassified}`,
    ...(burst
      ? [
          `burst: ${burst.sent} requests at once, each on its own connection, answered in ${ms(burst.elapsedMs)} ms: ` +
            `p50 ${ms(burst.latencyMs.p50)}  p99 ${ms(burst.latencyMs.p99)}  max ${ms(burst.latencyMs.max)} ms; ` +
            `errors ${burst.errors}, misclassified ${burst.misclassified}`,
        ]
      : []),
    `server warn/error log lines by reason: ${log}`,
    ...(report.samples.length > 0 ? ['', 'first problems:', ...report.samples.map((s) => `  ${s}`)] : []),
  ].join('\n');
}
