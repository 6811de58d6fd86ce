import { createJsonLogger, type Logger } from '../../shared/core/logger';

/** One parsed JSON log line. */
export interface LogEntry {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A debug-level JSON logger and the lines it wrote. */
export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: string[];
  /** Every line, parsed. */
  entries(): LogEntry[];
  /** The one-per-request lines (they carry a status). */
  outcomes(): LogEntry[];
}

/**
 * A debug-level JSON logger whose lines are kept for assertions.
 *
 * @example
 * ```ts
 * const logs = captureLogs();
 * createLambdaHandler({ modules, logger: logs.logger });
 * logs.outcomes().at(-1)?.status; // 200
 * ```
 */
export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const entries = (): LogEntry[] => lines.map((line) => JSON.parse(line) as LogEntry);
  return {
    logger: createJsonLogger({ level: 'debug', sink: (_level, line) => lines.push(line) }),
    lines,
    entries,
    outcomes: () => entries().filter((entry) => 'status' in entry),
  };
}
