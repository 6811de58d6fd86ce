/**
 * Entry of the warm benchmark's child process: bundled like the deployed functions and run with a
 * clean environment, it measures and reports the results as one JSON line on fd 3.
 */
import { writeSync } from 'node:fs';
import { measureBreakdown, measureWarm, type WarmOptions } from './warm';

const options = JSON.parse(process.argv[2] ?? '{}') as WarmOptions;
const results = await measureWarm(options);
const breakdown = await measureBreakdown(4096, options);
writeSync(3, `${JSON.stringify({ results, breakdown })}\n`);
