import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createJsonLogger, isoTime } from './logger';

describe('isoTime', () => {
  it('equals toISOString for any time from 1970 to 9999, in any order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }), (ms) => {
        // Act
        const formatted = isoTime(ms);

        // Assess
        expect(formatted).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5_000 },
    );
  });

  it('equals toISOString around midnight, leap days and the turn of a year', () => {
    // Prepare
    const edges = [
      Date.UTC(2024, 1, 29),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1),
      Date.UTC(2100, 2, 1),
      0,
      1,
      999,
      1_000,
      86_399_999,
    ];
    const times = edges.flatMap((t) => [t - 1, t, t + 1]).filter((t) => t >= 0);

    // Act
    const formatted = times.map(isoTime);

    // Assess
    expect(formatted).toEqual(times.map((t) => new Date(t).toISOString()));
  });
});

describe('createJsonLogger', () => {
  const capture = () => {
    const lines: string[] = [];
    return { lines, logger: createJsonLogger({ level: 'debug', sink: (_level, line) => lines.push(line) }) };
  };

  it('writes level, time and message first, then the fields in their order', () => {
    // Prepare
    const { lines, logger } = capture();
    const before = Date.now();

    // Act
    logger.info('blocking event answered', { method: 'POST', status: 200, skipped: undefined, outcome: 'allowed' });

    // Assess
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(['level', 'time', 'msg', 'method', 'status', 'outcome']);
    expect(line).toMatchObject({ level: 'info', msg: 'blocking event answered', method: 'POST', status: 200, outcome: 'allowed' });
    expect(Date.parse(String(line.time))).toBeGreaterThanOrEqual(before);
  });

  it('writes a bigint as a string, and a value that cannot be serialised as a fixed error line', () => {
    // Prepare
    const { lines, logger } = capture();
    const circular: Record<string, unknown> = {};
    circular.self = circular;

    // Act
    logger.info('big', { n: 12345678901234567890n, nested: { m: 1n } });
    logger.info('loop', { circular });

    // Assess
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'big', n: '12345678901234567890', nested: { m: '1' } });
    expect(JSON.parse(lines[1]!)).toEqual({ level: 'error', msg: 'log line could not be serialised' });
  });
});
