/**
 * The command line behind `npm run deploy -- <stage>`, `npm run diff -- <stage>` and `npm run destroy -- <stage>`: the cdk
 * command for one stage of cdk.json, with that stage's own outputs file, so deploying staging never
 * overwrites the outputs of production. Without a stage they run cdk on the default stack.
 *
 * Every other argument goes to cdk unchanged: `npm run deploy -- production --require-approval never`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stageOutputsFile } from './stage-names';

export const STAGE_COMMANDS = ['deploy', 'diff', 'destroy'] as const;
export type StageCommand = (typeof STAGE_COMMANDS)[number];

/** The cdk arguments for `command` on the stage named first in `argv`, or an error to print. */
export type StagePlan = { readonly args: readonly string[]; readonly stage: string | undefined } | { readonly error: string };

/**
 * Plans the cdk call: `argv` may start with a stage name (any word that is not an option); the
 * stage must be a block of `stages` (cdk.json `context.stages`).
 *
 * @example
 * ```ts
 * stageCommand('deploy', ['production', '--require-approval', 'never'], { production: {} });
 * // { stage: 'production', args: ['deploy', '-c', 'stage=production', '--outputs-file', 'cdk-outputs.production.json', '--require-approval', 'never'] }
 * ```
 */
export function stageCommand(command: StageCommand, argv: readonly string[], stages: Readonly<Record<string, unknown>>): StagePlan {
  const [first, ...rest] = argv;
  if (first === undefined || first.startsWith('-')) {
    return { stage: undefined, args: [command, ...argv] };
  }
  if (!Object.hasOwn(stages, first)) {
    const names = Object.keys(stages);
    return {
      error: `unknown stage "${first}": cdk.json defines ${names.length > 0 ? names.join(', ') : 'no stages'} (context.stages). Usage: npm run ${command} -- [<stage>] [cdk options]`,
    };
  }
  const outputs = command === 'deploy' ? ['--outputs-file', stageOutputsFile(first)] : [];
  return { stage: first, args: [command, '-c', `stage=${first}`, ...outputs, ...rest] };
}

/** The `context.stages` object of the project's cdk.json, or an empty one. */
export function readStages(projectRoot: string): Record<string, unknown> {
  const file = join(projectRoot, 'cdk.json');
  if (!existsSync(file)) return {};
  const stages = (JSON.parse(readFileSync(file, 'utf8')) as { context?: { stages?: unknown } }).context?.stages;
  return typeof stages === 'object' && stages !== null && !Array.isArray(stages) ? (stages as Record<string, unknown>) : {};
}

/** Runs the command line; returns the exit code. */
export function runStageCli(argv: readonly string[], projectRoot: string): number {
  const [command, ...rest] = argv;
  if (!(STAGE_COMMANDS as readonly (string | undefined)[]).includes(command)) {
    process.stderr.write(`usage: tsx infra/stage-cli.ts ${STAGE_COMMANDS.join('|')} [<stage>] [cdk options]\n`);
    return 2;
  }
  const plan = stageCommand(command as StageCommand, rest, readStages(projectRoot));
  if ('error' in plan) {
    process.stderr.write(`${plan.error}\n`);
    return 2;
  }
  const cdk = join(projectRoot, 'node_modules', '.bin', 'cdk');
  const run = spawnSync(cdk, [...plan.args], { cwd: projectRoot, stdio: 'inherit' });
  if (run.error) {
    process.stderr.write(`could not run ${cdk}: ${run.error.message} (run npm ci first)\n`);
    return 1;
  }
  return run.status ?? 1;
}
