/**
 * The command line of `npm run redrive`: finds the queue URLs (flags, or the stack outputs that
 * `npm run deploy` writes to cdk-outputs.json, or cdk-outputs.<stage>.json for a stage) and runs
 * {@link redrive}.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { redrive } from '../shared/aws/redrive';
import { stageOutputsFile, stageStackName } from './stage-names';
import { DEFAULT_STACK_NAME } from './stack';

export const REDRIVE_USAGE = `Usage: npm run redrive -- [--dry-run] [options]

Moves the non-blocking events in the dead-letter queue back to the event queue, where the worker
processes them again with a fresh retry window. --dry-run lists them by type and id instead.

Options:
  --dry-run               list the dead-lettered events; move nothing
  --type <event type>     only events of this type (repeatable)
  --id <event id>         only the event with this id (repeatable)
  --limit <n>             at most n events
  --queue-url <url>       the event queue (stack output NonBlockingQueueUrl)
  --dlq-url <url>         the dead-letter queue (stack output DeadLetterQueueUrl)
  --stage <name>          the stage of cdk.json deployed with npm run deploy -- <name>: reads
                          cdk-outputs.<name>.json (or cdk-outputs.json) for its stack
  --outputs-file <path>   stack outputs written by cdk deploy (default: cdk-outputs.json)
  --stack <name>          the stack in that file (default: the stackName in cdk.json, or ${DEFAULT_STACK_NAME},
                          followed by -<stage> with --stage)
  --region <region>       AWS region (default: AWS_REGION, or the one in the queue URL)
  --help                  this text

Without --queue-url and --dlq-url, both come from the outputs file. cdk deploy writes it (cdk.json
sets "outputsFile"); or pass the URLs from:
  aws cloudformation describe-stacks --stack-name <stack> --query "Stacks[0].Outputs"`;

export interface RedriveCliContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly print: (line: string) => void;
  readonly printError: (line: string) => void;
  /** Default: a new SQSClient for the region. */
  readonly client?: SQSClient;
}

class UsageError extends Error {}

/**
 * Runs `npm run redrive` with `argv` (the arguments after the script name).
 *
 * @returns the exit code: 0 done (or nothing to do), 1 some events could not be moved or AWS
 * failed, 2 a usage or configuration mistake.
 * @example
 * ```ts
 * process.exitCode = await runRedriveCli(['--dry-run'], { cwd: process.cwd(), env: process.env, print: console.log, printError: console.error });
 * ```
 */
export async function runRedriveCli(argv: readonly string[], context: RedriveCliContext): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(argv, context);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    context.printError(`${error.message}\n\n${REDRIVE_USAGE}`);
    return 2;
  }
  if (options === 'help') {
    context.print(REDRIVE_USAGE);
    return 0;
  }
  const client = context.client ?? new SQSClient({ region: options.region, maxAttempts: 3 });
  try {
    const report = await redrive({ client, ...options.redrive, print: context.print });
    return report.failed > 0 ? 1 : 0;
  } catch (error) {
    context.printError(`redrive stopped: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    context.printError(
      'Check the queue URLs, the region and your AWS credentials (the caller needs sqs:ReceiveMessage, sqs:SendMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility and sqs:GetQueueAttributes).',
    );
    return 1;
  }
}

function parseOptions(argv: readonly string[], context: RedriveCliContext) {
  // biome-ignore lint/suspicious/noImplicitAnyLet: TypeScript types it from the parseArgs call below (an auto-typed let)
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        'dry-run': { type: 'boolean', default: false },
        type: { type: 'string', multiple: true },
        id: { type: 'string', multiple: true },
        limit: { type: 'string' },
        'queue-url': { type: 'string' },
        'dlq-url': { type: 'string' },
        'outputs-file': { type: 'string' },
        stage: { type: 'string' },
        stack: { type: 'string' },
        region: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) return 'help' as const;

  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = /^\d+$/.test(values.limit) ? Number(values.limit) : Number.NaN;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer (got "${values.limit}")`);
  }

  let queueUrl = values['queue-url'];
  let deadLetterQueueUrl = values['dlq-url'];
  if (!queueUrl || !deadLetterQueueUrl) {
    const fromFile = readOutputs(context.cwd, values['outputs-file'], values.stack, values.stage);
    queueUrl ??= fromFile.queueUrl;
    deadLetterQueueUrl ??= fromFile.deadLetterQueueUrl;
  }
  const region = values.region ?? context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION ?? regionOf(queueUrl);
  if (!region && !context.client) throw new UsageError('no AWS region: pass --region or set AWS_REGION');

  return {
    region,
    redrive: {
      queueUrl,
      deadLetterQueueUrl,
      dryRun: values['dry-run'],
      types: values.type ?? [],
      ids: values.id ?? [],
      ...(limit ? { limit } : {}),
    },
  };
}

/** Reads NonBlockingQueueUrl and DeadLetterQueueUrl of one stack from a `cdk deploy --outputs-file` file. */
function readOutputs(
  cwd: string,
  file: string | undefined,
  stack: string | undefined,
  stage: string | undefined,
): { queueUrl: string; deadLetterQueueUrl: string } {
  if (stage !== undefined && !/^[a-z][a-z0-9-]{0,31}$/.test(stage))
    throw new UsageError(`--stage must be a stage name such as production (got "${stage}")`);
  const prefix = stackNameFromCdkJson(cwd) ?? DEFAULT_STACK_NAME;
  const name = stack ?? (stage === undefined ? prefix : stageStackName(prefix, stage));
  // A stage's own file first (npm run deploy -- <stage>), then the shared one (npx cdk deploy -c stage=<stage>).
  const candidates = file !== undefined ? [file] : [...new Set([stageOutputsFile(stage), stageOutputsFile(undefined)])];
  const paths = candidates.map((candidate) => resolve(cwd, candidate));
  const path = paths.find((p) => existsSync(p) && hasStack(p, name)) ?? paths.find((p) => existsSync(p));
  if (!path) {
    const deploy = stage === undefined ? 'npm run deploy' : `npm run deploy -- ${stage}`;
    throw new UsageError(
      `${paths.join(' and ')} ${paths.length > 1 ? 'do' : 'does'} not exist: deploy with ${deploy} (it writes the file), or pass --queue-url and --dlq-url`,
    );
  }
  const outputs = parseOutputs(path);
  const stackOutputs = outputs[name];
  if (!stackOutputs)
    throw new UsageError(`${path} has no outputs of stack ${name} (it has: ${Object.keys(outputs).join(', ') || 'none'}); pass --stack`);
  const queueUrl = stackOutputs.NonBlockingQueueUrl;
  const deadLetterQueueUrl = stackOutputs.DeadLetterQueueUrl;
  if (typeof queueUrl !== 'string' || typeof deadLetterQueueUrl !== 'string') {
    throw new UsageError(
      `${path}: stack ${name} has no NonBlockingQueueUrl and DeadLetterQueueUrl outputs; deploy the current version of the stack first`,
    );
  }
  return { queueUrl, deadLetterQueueUrl };
}

function parseOutputs(path: string): Record<string, Record<string, unknown>> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, unknown>>;
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function hasStack(path: string, name: string): boolean {
  try {
    return Object.hasOwn(parseOutputs(path), name);
  } catch {
    return false;
  }
}

function stackNameFromCdkJson(cwd: string): string | undefined {
  try {
    const cdkJson = JSON.parse(readFileSync(resolve(cwd, 'cdk.json'), 'utf8')) as { context?: { stackName?: unknown } };
    return typeof cdkJson.context?.stackName === 'string' ? cdkJson.context.stackName : undefined;
  } catch {
    return undefined;
  }
}

/** `https://sqs.eu-west-1.amazonaws.com/…` → `eu-west-1`. */
function regionOf(url: string | undefined): string | undefined {
  return url ? /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(url)?.[1] : undefined;
}
