/**
 * Synthesizes the stack with bundling in its own process (argv[2]: the output folder) and reports
 * the bundles as one JSON line on fd 3, so the benchmark's own process (which serves the fake AWS
 * endpoints) stays small and its garbage collector stays out of the cold-start timings.
 */
import { writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { synthBundles } from './cold';

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: synth-child.ts <outdir>');
const result = synthBundles(fileURLToPath(new URL('../..', import.meta.url)), outdir);
writeSync(3, `${JSON.stringify(result)}\n`);
