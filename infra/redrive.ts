/**
 * `npm run redrive`: moves dead-lettered non-blocking events back for processing, or lists them
 * with `--dry-run`. See `npm run redrive -- --help` and docs/durable-events.md ("Redrive").
 */
import { runRedriveCli } from './redrive-cli';

process.exitCode = await runRedriveCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  print: (line) => process.stdout.write(`${line}\n`),
  printError: (line) => process.stderr.write(`${line}\n`),
});
