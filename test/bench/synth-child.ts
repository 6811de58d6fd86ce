/**
 * Synthesizes the stack with bundling in its own process (argv[2]: the output folder) and reports
 * the bundles as one JSON line on fd 3, so the benchmark's own process (which serves the fake AWS
 * endpoints) stays small and its garbage collector stays out of the cold-start timings.
 */
import { writeSync } from 'node:fs';
import { synthBundles } from './cold';
import { REPO_ROOT } from '../support/paths';

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: synth-child.ts <outdir>');
const result = synthBundles(REPO_ROOT, outdir);
writeSync(3, `${JSON.stringify(result)}\n`);
