/**
 * `npm run send`: sends signed sample events to the local server or a deployment and says whether
 * Authgear would accept each answer. Every problem is one line on stderr and a non-zero exit.
 */
import { parseArgs } from 'node:util';
import { type ConfigError, ENV } from '../core/config';
import { BLOCKING_EVENT_TYPES, DEFAULTS, NON_BLOCKING_EVENT_TYPES } from '../core/constants';
import { signBody } from '../core/verify';
import { loadEnvFile } from './env-file';
import { isFailure } from './check-response';
import { isHandlerFailure } from './handler-result';
import { readLocalState } from './local-state';
import { SAMPLE_EVENT_TYPES } from './samples';
import { SendError, Sender, buildEvent, endpointFor, isRouteTarget, resolveSecret, type BuiltEvent, type DeliveryReport } from './send';
import { formatDelivery, formatTable } from './send-report';
import { withHandlerResult } from './send-outcome';

/** The target could not be reached or gave no usable answer: exit status 1, like a rejected answer. */
class DeliveryFailed extends Error {
  override readonly name = 'DeliveryFailed';
}

const USAGE = `Usage: npm run send -- <event type> [options]
       npm run send -- --all [options]

Sends a realistic, signed Authgear event and says whether Authgear would accept the answer.

Options:
  --url URL          where to send: a base URL (the route for the event type is added) or one
                     route URL; default: the running npm start of this folder, else
                     http://127.0.0.1:$PORT (PORT defaults to ${DEFAULTS.port})
  --secret S         sign with this secret (or a JSON array of secrets: the first one signs)
  --secret-id ID     sign with the secret stored in AWS Secrets Manager under this name or ARN
  --payload FILE     send this JSON file: a full event (type, payload, context; its
                     context.timestamp is set to now) or just a payload for the sample envelope
  --set PATH=VALUE   change one field before signing, e.g. --set context.language=de or
                     --set 'payload.user.roles=["admin"]'; VALUE is JSON if it parses, else text;
                     quote keys with dots: --set 'payload.jwt.payload["https://a.example/x"]=1'
                     (repeatable)
  --email ADDRESS    the sample user's e-mail address
  --all              send every event type (all ${SAMPLE_EVENT_TYPES.length}) and print a summary table
  --wait SECONDS     with a local server: how long to wait for a queued non-blocking event's
                     first attempt (default 10)
  --no-wait          do not wait for queued events; report them as queued
  --dry-run          print the request instead of sending it
  --list             list the event types
  -h, --help         show this text

Without --secret or --secret-id, the secret comes from ${ENV.secret}, then
${ENV.secretId} (environment or .env), then from the npm start running in this
folder when it generated its own.

Besides what Authgear would make of each answer, it says what the handler did: answered, failed
(the error policy answered for it), handled a queued event, failed it (with the reason), or no
handler. The local server tells it why; a deployment tells it who answered (a response header).

Exit status: 0 when every answer is one Authgear accepts and no handler failed; 1 when a delivery
failed, an answer would be rejected, the error policy answered, or a queued event's first attempt
failed or did not end in time (and, for one event type, when nothing serves it); 2 for bad input.
`;

/** Bad input: exit status 2. */
const EXIT_USAGE = 2;
/** A delivery failed or would be rejected: exit status 1. */
const EXIT_FAILED = 1;

async function main(argv: readonly string[]): Promise<number> {
  // The AWS SDK prints a multi-line notice about Node 20; this tool promises one line per problem.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const args = readArgs(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.list) {
    process.stdout.write(
      `Blocking (${BLOCKING_EVENT_TYPES.length}):\n  ${BLOCKING_EVENT_TYPES.join('\n  ')}\n\nNon-blocking (${NON_BLOCKING_EVENT_TYPES.length}):\n  ${NON_BLOCKING_EVENT_TYPES.join('\n  ')}\n`,
    );
    return 0;
  }

  let env: Record<string, string | undefined>;
  try {
    env = loadEnvFile('.env', process.env);
  } catch (error) {
    throw new SendError((error as ConfigError).message);
  }
  const localServer = readLocalState(process.cwd());
  const target = args.url ?? localServer?.url ?? `http://127.0.0.1:${env.PORT?.trim() || DEFAULTS.port}`;
  const sample = args.email === undefined ? {} : { email: args.email };

  // Everything that can be wrong with the input is found before anything is sent.
  let events: BuiltEvent[];
  if (args.all) {
    if (args.type !== undefined) throw new SendError('--all sends every event type; drop the event type, or drop --all');
    if (args.payload !== undefined) throw new SendError('--payload holds one event; it cannot be combined with --all');
    if (isRouteTarget(target))
      throw new SendError(`--all needs the base URL, not one route (${target}); e.g. --url ${new URL(target).origin}`);
    events = SAMPLE_EVENT_TYPES.map((type) => withType(type, () => buildEvent({ type, sets: args.set, sample })));
  } else {
    if (args.type === undefined && args.payload === undefined)
      throw new SendError('name the event type to send, e.g. npm run send -- user.pre_create (or --all, or --help)');
    events = [buildEvent({ type: args.type, payloadFile: args.payload, sets: args.set, sample })];
  }
  const urls = events.map((built) => endpointFor(target, built.type));
  const waitMs = args['no-wait'] ? 0 : readWait(args.wait);
  const secret = await resolveSecret({ secret: args.secret, secretId: args['secret-id'], env, localServer, target });

  if (args['dry-run']) {
    for (const [i, built] of events.entries()) {
      process.stdout.write(
        `POST ${urls[i]}\nContent-Type: application/json\nX-Authgear-Body-Signature: ${signBody(built.body, secret.value)}\n\n${built.body}\n\n`,
      );
    }
    return 0;
  }

  const sender = new Sender();
  try {
    if (!args.all) {
      const [built] = events as [BuiltEvent];
      for (const note of built.notes) process.stdout.write(`Note: ${note}.\n`);
      const report = await withHandlerResult(await sender.deliver({ ...built, secret: secret.value, url: urls[0] as string }), waitMs);
      failOnNoAnswer(report);
      if (report.verdict.kind === 'rejected' && report.verdict.notJson) {
        throw new DeliveryFailed(
          `${report.url} answered HTTP ${report.reply?.status}, but ${report.verdict.problems[0]}; Authgear would fail the user's operation`,
        );
      }
      process.stdout.write(formatDelivery(report, secret.source));
      return isFailure(report.verdict) || report.verdict.kind === 'not_served' || isHandlerFailure(report.handler) ? EXIT_FAILED : 0;
    }

    const delivered: DeliveryReport[] = [];
    for (const [i, built] of events.entries()) {
      const report = await sender.deliver({ ...built, secret: secret.value, url: urls[i] as string });
      if (report.unreachable) throw new DeliveryFailed(report.unreachable);
      delivered.push(report);
    }
    // The queued events' first attempts run meanwhile: wait for them all at once.
    const reports = await Promise.all(delivered.map((report) => withHandlerResult(report, waitMs)));
    process.stdout.write(`Signed with ${secret.source}.\n\n${formatTable(reports, target)}`);
    return reports.some((r) => isFailure(r.verdict) || isHandlerFailure(r.handler)) ? EXIT_FAILED : 0;
  } finally {
    sender.close();
  }
}

interface Args {
  readonly type?: string;
  readonly url?: string;
  readonly secret?: string;
  readonly 'secret-id'?: string;
  readonly payload?: string;
  readonly set: readonly string[];
  readonly email?: string;
  readonly all: boolean;
  readonly wait?: string;
  readonly 'no-wait': boolean;
  readonly 'dry-run': boolean;
  readonly list: boolean;
  readonly help: boolean;
}

function readArgs(argv: readonly string[]): Args {
  // biome-ignore lint/suspicious/noImplicitAnyLet: TypeScript types it from the parseArgs call below (an auto-typed let)
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        secret: { type: 'string' },
        'secret-id': { type: 'string' },
        payload: { type: 'string' },
        set: { type: 'string', multiple: true },
        email: { type: 'string' },
        all: { type: 'boolean', default: false },
        wait: { type: 'string' },
        'no-wait': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    // parseArgs explains itself in one sentence; drop its suggestion to use "--" which does not apply here.
    const message = (error as Error).message.split('\n')[0]?.replace(/\. To specify a positional argument.*$/, '') ?? 'bad arguments';
    throw new SendError(`${message} (npm run send -- --help shows the options)`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new SendError(`one event type at a time (got ${positionals.join(', ')}); use --all for every type`);
  return { ...values, type: positionals[0], set: values.set ?? [] } as Args;
}

/** The default wait for a queued event's first attempt; the deadline of a non-blocking handler is longer, but a test run should not be. */
const DEFAULT_WAIT_SECONDS = 10;

function readWait(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_WAIT_SECONDS * 1_000;
  const seconds = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > 60)
    throw new SendError(`--wait takes seconds from 0 to 60 (got "${raw}"); --no-wait skips waiting`);
  return seconds * 1_000;
}

function withType<T>(type: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof SendError) throw new SendError(`${type}: ${error.message}`);
    throw error;
  }
}

function failOnNoAnswer(report: DeliveryReport): void {
  if (report.unreachable) throw new DeliveryFailed(report.unreachable);
  if (!report.reply && (report.verdict.kind === 'rejected' || report.verdict.kind === 'failed')) {
    throw new DeliveryFailed(`${report.url}: ${report.verdict.problems[0]}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // One line, never a stack trace: the message says what to do.
    const known = error instanceof SendError || error instanceof DeliveryFailed;
    const message = known ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = error instanceof SendError ? EXIT_USAGE : EXIT_FAILED;
  },
);
