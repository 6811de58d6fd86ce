/**
 * `npm run deploy|diff|destroy -- [<stage>] [cdk options]`: runs cdk for one stage of cdk.json
 * with its own outputs file (see ./stage-cli).
 */
import { fileURLToPath } from 'node:url';
import { runStageCli } from './stage-cli';

process.exitCode = runStageCli(process.argv.slice(2), fileURLToPath(new URL('..', import.meta.url)));
