/**
 * `npm run bench`: warm overhead, cold starts, bundle sizes and Secrets Manager calls, measured in
 * one run on this machine, printed as one table with the targets met or missed, and written to
 * bench-results/latest.json and bench-results/latest.md.
 *
 * Options: `--quick` (fewer repeats, for a smoke run), `--out <dir>` (default bench-results).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { startFakeSecretsManager, type FakeSecretsManager } from '../support/secrets-manager-server';
import { startFakeSqs, type FakeSqs } from '../support/sqs-server';
import { startFakeDynamoDb, type FakeDynamoDb } from '../support/dynamodb-server';
import { buildWorkerWithoutTable } from './worker-variant';
import {
  apiGatewayEvent,
  buildVariant,
  bundleSize,
  entryWithoutInitAwait,
  freshSignedBody,
  measureCold,
  optionsMatchStack,
  replaceModule,
  runNode,
  sqsEvent,
  stackEsbuildOptions,
  writeScript,
  type BundleSize,
  type ColdContender,
  type ColdResult,
  type DeployedBundle,
  type ProcessRun,
} from './cold';
import { DRIVER, FLOOR } from './scripts';
import { formatSummary } from './stats';
import type { BreakdownItem, WarmOptions, WarmResult } from './warm';
import { REPO_ROOT } from '../support/paths';

const QUICK = process.argv.includes('--quick');
const OUT_DIR = (() => {
  const i = process.argv.indexOf('--out');
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : join(REPO_ROOT, 'bench-results');
})();

const WARM: WarmOptions = QUICK
  ? { sizes: [1024, 4096, 16384], rounds: 5, batchMs: 10, warmupEvents: 500 }
  : { sizes: [1024, 4096, 16384], rounds: 21, batchMs: 40, warmupEvents: 5000 };
const COLD_REPEATS = QUICK ? 3 : 21;
const TTL_SECONDS = 1;
const TTL_TRAFFIC_MS = QUICK ? 1_500 : 3_500;

const TARGETS = { warmOverFloor: 1.5, coldOverFloor: 2 } as const;

const FLOOR_NAME = 'cold floor (SigV4 by hand)';
const FLOOR_SQS_NAME = 'cold floor + SQS SendMessage';
const INIT_STARTS_FETCH = 'init only starts the secret fetch (no top-level await)';
const WORKER_WITHOUT_TABLE = 'WorkerFunction without the idempotency table (before)';
const IDEMPOTENCY_TABLE = 'bench-idempotency';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:authgear-webhook-Bench1';
const BENCH_SECRET = 'k3Y9mP2qR7sT1vW5xZ8aB4cD6eF0gH_j';

let loadavgAtStart: number[] = [];

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function machine(): Record<string, string | number> {
  const cpuinfo = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return { nproc: cpus().length, cpu: model.trim(), node: process.version, platform: `${process.platform} ${process.arch}` };
}

/** Lambda's Node.js runtime is 22; the SDK warns on older Node, which Lambda never pays for. */
const nodeMajor = Number(process.versions.node.split('.')[0]);

/** The environment Lambda gives every function, minus what is specific to one of them. */
function lambdaEnv(fakeSm: FakeSecretsManager, name: string, dir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...fakeSm.env(),
    AWS_SESSION_TOKEN: 'bench-session-token',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: `Bench-${name}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    LAMBDA_TASK_ROOT: dir,
    TZ: ':UTC',
  };
}

interface Prepared {
  readonly bundle: DeployedBundle;
  readonly env: Record<string, string>;
  readonly eventFile: string;
  readonly check: (run: ProcessRun) => void;
  readonly describe: (run: ProcessRun) => string;
}

function prepare(
  bundle: DeployedBundle,
  work: string,
  fakeSm: FakeSecretsManager,
  fakeSqs: FakeSqs,
  queue: { url: string; arn: string },
  dynamo: FakeDynamoDb,
): Prepared {
  const env: Record<string, string> = { ...lambdaEnv(fakeSm, bundle.name, bundle.dir), ...bundle.env };
  if (nodeMajor < 22) env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  for (const name of bundle.deployTimeEnv) {
    if (name === 'AUTHGEAR_WEBHOOK_SECRET_ID') env[name] = SECRET_ARN;
    else if (/QUEUE_URL$/.test(name)) env[name] = queue.url;
    else if (/QUEUE_ARN$/.test(name)) env[name] = queue.arn;
    else if (name === 'IDEMPOTENCY_TABLE_NAME') env[name] = IDEMPOTENCY_TABLE;
    else env[name] = `bench-placeholder-${name.toLowerCase()}`;
  }
  if (bundle.kind === 'non-blocking' || bundle.kind === 'worker')
    Object.assign(env, { AWS_ENDPOINT_URL_SQS: fakeSqs.env().AWS_ENDPOINT_URL_SQS! });
  if (bundle.kind === 'worker') Object.assign(env, { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint });

  const eventFile = join(work, `${bundle.name}.event.json`);
  const created = freshSignedBody('user.created', BENCH_SECRET);
  let event: Record<string, unknown> | undefined;
  if (bundle.kind === 'blocking') {
    const type = bundle.blockingEventType ?? 'user.pre_create';
    event = apiGatewayEvent(`/blocking/${type}`, freshSignedBody(type, BENCH_SECRET));
  } else if (bundle.kind === 'non-blocking') {
    event = apiGatewayEvent('/non-blocking', created);
  } else if (bundle.kind === 'worker') {
    event = sqsEvent(created.body, queue.arn);
  }
  if (event) writeFileSync(eventFile, JSON.stringify(event));

  const first = (run: ProcessRun) => run.reports[0];
  const check = (run: ProcessRun): void => {
    const report = first(run);
    if (!report?.ok) throw new Error(`${bundle.name}: ${report?.error ?? 'no report'}\n${run.output}`);
    const status = report.response?.statusCode;
    if ((bundle.kind === 'blocking' || bundle.kind === 'non-blocking') && status !== 200) {
      throw new Error(`${bundle.name}: answered ${status} ${String(report.response?.body)}\n${run.output}`);
    }
    if (bundle.kind === 'blocking' && !/"is_allowed":true/.test(String(report.response?.body))) {
      throw new Error(`${bundle.name}: did not allow: ${String(report.response?.body)}\n${run.output}`);
    }
    // The worker must have handled the event, not handed it back (e.g. for want of its table).
    if (bundle.kind === 'worker' && JSON.stringify(report.response) !== '{"batchItemFailures":[]}') {
      throw new Error(`${bundle.name}: answered ${JSON.stringify(report.response)}\n${run.output}`);
    }
  };
  const describe = (run: ProcessRun): string => {
    const response = first(run)?.response;
    if (!event) return 'loaded (no event for this kind)';
    if (!response) return 'no answer';
    if (typeof response.statusCode === 'number') return `${response.statusCode} ${String(response.body ?? '').slice(0, 40)}`;
    return JSON.stringify(response).slice(0, 60);
  };
  return { bundle, env, eventFile: event ? eventFile : '-', check, describe };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const wallStart = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'authgear-bench-'));
  const results: Record<string, unknown> = { startedAt: startedAt.toISOString(), machine: machine(), quick: QUICK };
  let fakeSm: FakeSecretsManager | undefined;
  let fakeSqs: FakeSqs | undefined;
  let dynamo: FakeDynamoDb | undefined;
  const cleanup: string[] = [work];
  try {
    // ------------------------------------------------------------------ warm
    log('warm overhead (bundled like the functions, clean child process)…');
    const warmEntry = join(work, 'warm', 'warm.mjs');
    await build({
      ...stackEsbuildOptions(REPO_ROOT),
      sourcemap: false,
      entryPoints: [join(REPO_ROOT, 'test', 'bench', 'warm-child.ts')],
      outfile: warmEntry,
    });
    const warmRun = await runNode([warmEntry, JSON.stringify(WARM)], { PATH: process.env.PATH ?? '' }, { timeoutMs: 120_000 });
    const warmReport = warmRun.reports[0] as unknown as { results?: WarmResult[]; breakdown?: BreakdownItem[] } | undefined;
    if (!warmReport?.results || !warmReport.breakdown) throw new Error(`warm child failed:\n${warmRun.output}`);
    const { results: warm, breakdown } = warmReport as { results: WarmResult[]; breakdown: BreakdownItem[] };
    results.warm = warm;
    results.warmBreakdown = breakdown;

    // ------------------------------------------------------------------ synth
    log('cdk synth with bundling (own process)…');
    const synthRun = await runNode(
      ['--import', 'tsx', join(REPO_ROOT, 'test', 'bench', 'synth-child.ts'), join(work, 'cdk.out')],
      { PATH: process.env.PATH ?? '' },
      { timeoutMs: 300_000 },
    );
    const synthReport = synthRun.reports[0] as unknown as { bundles?: DeployedBundle[]; synthMs?: number } | undefined;
    if (!synthReport?.bundles) throw new Error(`synth failed:\n${synthRun.output}`);
    const { bundles, synthMs = 0 } = synthReport as { bundles: DeployedBundle[]; synthMs: number };
    results.synthMs = synthMs;
    const sizes: BundleSize[] = bundles.map(bundleSize);
    results.sizes = sizes;

    fakeSm = await startFakeSecretsManager();
    fakeSm.setSecret(SECRET_ARN, BENCH_SECRET);
    fakeSqs = await startFakeSqs();
    const dlq = fakeSqs.createQueue('bench-dead.fifo');
    const queue = fakeSqs.createQueue('bench-events.fifo', { deadLetterQueue: dlq.name, maxReceiveCount: 8 });

    const driver = writeScript(join(work, 'driver.mjs'), DRIVER);
    const floorScript = writeScript(join(work, 'floor.mjs'), FLOOR);
    dynamo = await startFakeDynamoDb();
    await dynamo.createTable(IDEMPOTENCY_TABLE);
    const prepared = bundles.map((b) => prepare(b, work, fakeSm!, fakeSqs!, queue, dynamo!));
    const blocking = prepared.find((p) => p.bundle.kind === 'blocking');
    if (!blocking) throw new Error('the stack has no blocking function');
    const receiver = prepared.find((p) => p.bundle.kind === 'non-blocking');

    // Variants of the blocking function: the same generated entry and esbuild options as the
    // stack, with one thing changed each.
    log('bundling variants of the blocking function…');
    const entry = join(REPO_ROOT, '.build', 'entries', 'blocking.ts');
    const variantsBuiltLikeStack = await optionsMatchStack(REPO_ROOT, entry, blocking.bundle.file, join(work, 'same-as-stack'));
    results.variantsBuiltLikeStack = variantsBuiltLikeStack;
    if (!variantsBuiltLikeStack)
      log('warning: stackEsbuildOptions() no longer gives the same bundle as the stack; the variants may be off');
    const stackAliases = stackEsbuildOptions(REPO_ROOT).alias ?? {};
    const onlyAlias = (name: string): Record<string, string> => (stackAliases[name] ? { [name]: stackAliases[name] } : {});
    const swap = (file: string) => [replaceModule(REPO_ROOT, 'shared/core/secret', join(REPO_ROOT, 'test', 'bench', file))];
    const variantDir = (name: string) => join(work, 'variants', name);
    // Outside the project, bare imports would not resolve: this one must sit under node_modules' parent.
    const externalDir = join(REPO_ROOT, '.build', `bench-sdk-external-${process.pid}`);
    cleanup.push(externalDir);
    const withSourceMaps = { ...blocking.env, NODE_OPTIONS: '--enable-source-maps' };
    const noAwaitEntry = entryWithoutInitAwait(entry, join(work, 'entries', 'blocking-no-await.ts'));
    const variantSpecs: { name: string; file: Promise<string> | string; env?: Record<string, string>; what: string }[] = [
      {
        name: INIT_STARTS_FETCH,
        what: 'the entry without `await handler.ready`: init starts the fetch, the first request awaits it (before this change)',
        file: buildVariant({ projectRoot: REPO_ROOT, entry: noAwaitEntry, outfile: join(variantDir('no-await'), 'index.mjs') }),
      },
      {
        name: 'lazy fetch (first request starts it)',
        what: 'SecretStore.prime() does nothing',
        file: buildVariant({
          projectRoot: REPO_ROOT,
          entry,
          outfile: join(variantDir('lazy'), 'index.mjs'),
          plugins: swap('lazy-secret.ts'),
        }),
      },
      {
        name: 'with --enable-source-maps (before this change)',
        what: 'same bundle, NODE_OPTIONS=--enable-source-maps: Node parses the map at load instead of on the first logged error',
        file: blocking.bundle.file,
        env: withSourceMaps,
      },
      {
        name: 'SDK credential chain bundled',
        what: 'no credentials alias: SSO, ini, process, web identity, metadata providers bundled',
        file: buildVariant({
          projectRoot: REPO_ROOT,
          entry,
          outfile: join(variantDir('chain'), 'index.mjs'),
          overrides: { alias: onlyAlias('@smithy/core/event-streams') },
        }),
      },
      {
        name: 'SDK event streams bundled',
        what: 'no event-streams alias',
        file: buildVariant({
          projectRoot: REPO_ROOT,
          entry,
          outfile: join(variantDir('streams'), 'index.mjs'),
          overrides: { alias: onlyAlias('@aws-sdk/credential-provider-node') },
        }),
      },
      {
        name: 'no aliases (the bundling before this change)',
        what: 'the SDK as it comes',
        file: buildVariant({ projectRoot: REPO_ROOT, entry, outfile: join(variantDir('before'), 'index.mjs'), overrides: { alias: {} } }),
      },
      {
        // CommonJS has no top-level await: compare it with the variant above.
        name: 'CommonJS (init only starts the fetch)',
        what: 'format cjs, loaded with require(), from the entry without `await handler.ready`',
        file: buildVariant({
          projectRoot: REPO_ROOT,
          entry: noAwaitEntry,
          outfile: join(variantDir('cjs'), 'index.js'),
          overrides: { format: 'cjs', banner: {} },
        }),
      },
      {
        name: 'not minified',
        what: 'minify off',
        file: buildVariant({
          projectRoot: REPO_ROOT,
          entry,
          outfile: join(variantDir('plain'), 'index.mjs'),
          overrides: { minify: false },
        }),
      },
      {
        name: 'SDK not bundled (from node_modules)',
        what: "@aws-sdk/* and @smithy/* loaded from node_modules, as from the runtime's copy",
        file: buildVariant({
          projectRoot: REPO_ROOT,
          entry,
          outfile: join(externalDir, 'index.mjs'),
          overrides: { external: ['@aws-sdk/*', '@smithy/*', '@aws/*'], alias: {} },
        }),
      },
    ];
    const variants = await Promise.all(variantSpecs.map(async (v) => ({ ...v, file: await v.file, env: v.env ?? blocking.env })));
    // The worker as it was before its idempotency table: a per-container memory only.
    const worker = prepared.find((p) => p.bundle.kind === 'worker');
    const workerWithoutTable = worker && (await buildWorkerWithoutTable(REPO_ROOT, variantDir('worker-without-table')));
    const { IDEMPOTENCY_TABLE_NAME: _table, ...envWithoutTable } = worker?.env ?? {};

    // ------------------------------------------------------------------ cold
    log(`cold starts (${COLD_REPEATS} runs each, interleaved)…`);
    const floorEnv = { ...lambdaEnv(fakeSm, 'Floor', work), AUTHGEAR_WEBHOOK_SECRET_ID: SECRET_ARN };
    const contenders: ColdContender[] = [
      { name: 'node -e 0 (spawn to exit)', args: ['-e', '0'], env: { PATH: process.env.PATH ?? '' }, untilExit: true },
      {
        name: FLOOR_NAME,
        args: [floorScript, blocking.eventFile],
        env: floorEnv,
        check: (run) => {
          if (!run.reports[0]?.ok) throw new Error(`floor failed:\n${run.output}`);
        },
      },
      ...(receiver?.env.NON_BLOCKING_QUEUE_URL
        ? [
            {
              name: FLOOR_SQS_NAME,
              args: [floorScript, receiver.eventFile],
              env: {
                ...floorEnv,
                NON_BLOCKING_QUEUE_URL: receiver.env.NON_BLOCKING_QUEUE_URL,
                AWS_ENDPOINT_URL_SQS: receiver.env.AWS_ENDPOINT_URL_SQS!,
              },
              check: (run: ProcessRun) => {
                if (!run.reports[0]?.ok) throw new Error(`floor with SQS failed:\n${run.output}`);
              },
            },
          ]
        : []),
      ...prepared.map((p) => ({
        name: p.bundle.name,
        args: [driver, p.bundle.file, p.bundle.handlerExport, p.eventFile],
        env: p.env,
        check: p.check,
        // Each cold worker meets the event for the first time: it claims it, runs it, marks it done.
        ...(p.bundle.kind === 'worker' ? { before: () => dynamo!.clear(IDEMPOTENCY_TABLE) } : {}),
      })),
      ...(worker && workerWithoutTable
        ? [
            {
              name: WORKER_WITHOUT_TABLE,
              args: [driver, workerWithoutTable, worker.bundle.handlerExport, worker.eventFile],
              env: envWithoutTable,
              check: worker.check,
            },
          ]
        : []),
      ...variants.map((v) => ({
        name: `${blocking.bundle.name}: ${v.name}`,
        args: [driver, v.file, blocking.bundle.handlerExport, blocking.eventFile],
        env: v.env,
        check: blocking.check,
      })),
    ];
    loadavgAtStart = loadavg();
    results.loadAverageBefore = loadavgAtStart;
    const cold = await measureCold(contenders, COLD_REPEATS);
    results.loadAverageAfter = loadavg();
    const answers: Record<string, string> = {};
    for (const p of prepared)
      answers[p.bundle.name] = p.describe(await runNode([driver, p.bundle.file, p.bundle.handlerExport, p.eventFile], p.env));
    if (worker && workerWithoutTable) {
      const sizeOf = (file: string) => kib(statSync(file).size);
      answers[worker.bundle.name] = `${answers[worker.bundle.name]}, claimed and marked done in DynamoDB; ${sizeOf(worker.bundle.file)}`;
      answers[WORKER_WITHOUT_TABLE] = `same, in memory only; ${sizeOf(workerWithoutTable)}`;
      results.workerWithoutTable = { codeBytes: statSync(workerWithoutTable).size };
    }
    results.cold = cold.map((c) => ({ ...c, answer: answers[c.name] }));
    const variantRows = variants.map((v) => ({
      name: v.name,
      what: v.what,
      codeBytes: statSync(v.file).size,
      result: cold.find((c) => c.name === `${blocking.bundle.name}: ${v.name}`)!,
    }));
    results.variants = variantRows;

    // ------------------------------------------------------------------ Secrets Manager calls
    log('Secrets Manager calls…');
    const smCalls: Record<string, unknown>[] = [];
    let n = 0;
    for (const p of prepared) {
      const secretId = `${SECRET_ARN}-calls${(n += 1)}`;
      fakeSm.setSecret(secretId, BENCH_SECRET);
      const env = { ...p.env, ...(p.env.AUTHGEAR_WEBHOOK_SECRET_ID ? { AUTHGEAR_WEBHOOK_SECRET_ID: secretId } : {}) };
      const run = await runNode([driver, p.bundle.file, p.bundle.handlerExport, p.eventFile, p.eventFile === '-' ? '0' : '1000'], env, {
        timeoutMs: 120_000,
      });
      const first = run.reports[0];
      const calls = fakeSm.calls.filter((c) => c.secretId === secretId);
      const firstEnds = (first?.firstStartedAt ?? 0) + (first?.firstMs ?? 0);
      const initCalls = calls.filter((c) => c.at <= firstEnds).length;
      const warmReport = run.reports[1];
      smCalls.push({
        name: p.bundle.name,
        fetchesSecret: p.env.AUTHGEAR_WEBHOOK_SECRET_ID !== undefined,
        beforeFirstResponse: initCalls,
        firstCallBeforeRequestMs: calls[0] && first?.firstStartedAt ? first.firstStartedAt - calls[0].at : undefined,
        warmInvocations: warmReport?.warm ?? 0,
        warmFailures: warmReport?.failures ?? 0,
        warmCalls: calls.length - initCalls,
      });
    }
    // One call per TTL: a short TTL and steady traffic.
    const ttlSecret = `${SECRET_ARN}-ttl`;
    fakeSm.setSecret(ttlSecret, BENCH_SECRET);
    const paceMs = 10;
    const ttlRun = await runNode(
      [
        driver,
        blocking.bundle.file,
        blocking.bundle.handlerExport,
        blocking.eventFile,
        String(Math.round(TTL_TRAFFIC_MS / paceMs)),
        String(paceMs),
      ],
      { ...blocking.env, AUTHGEAR_WEBHOOK_SECRET_ID: ttlSecret, SECRET_CACHE_TTL_SECONDS: String(TTL_SECONDS) },
      { timeoutMs: 60_000 },
    );
    const ttlCalls = fakeSm.calls.filter((c) => c.secretId === ttlSecret);
    const spanMs = (ttlRun.reports[1]?.ms ?? TTL_TRAFFIC_MS) + (ttlRun.reports[0]?.firstMs ?? 0);
    const ttl = {
      ttlSeconds: TTL_SECONDS,
      trafficMs: Math.round(spanMs),
      calls: ttlCalls.length,
      ttlWindows: spanMs / (TTL_SECONDS * 1000),
    };
    results.secretsManager = { bundles: smCalls, ttl };

    // ------------------------------------------------------------------ report
    const floors: Record<string, string | undefined> = {};
    for (const p of prepared) {
      floors[p.bundle.name] =
        p.bundle.kind === 'blocking'
          ? FLOOR_NAME
          : p.bundle.kind === 'non-blocking'
            ? p.env.NON_BLOCKING_QUEUE_URL
              ? FLOOR_SQS_NAME
              : FLOOR_NAME
            : undefined;
    }
    const report = render({
      warm,
      breakdown,
      cold,
      variants: variantRows,
      sizes,
      smCalls,
      ttl,
      answers,
      floors,
      blockingName: blocking.bundle.name,
      variantsBuiltLikeStack,
      startedAt,
      synthMs,
    });
    results.targets = report.targets;
    results.budget = report.budget;
    results.durationMs = performance.now() - wallStart;
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(join(OUT_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(OUT_DIR, 'latest.md'), `${report.text}\n`);
    process.stdout.write(`${report.text}\n`);
    log(`done in ${((performance.now() - wallStart) / 1000).toFixed(0)} s; wrote ${join(OUT_DIR, 'latest.json')} and latest.md`);
  } finally {
    await fakeSm?.close();
    await fakeSqs?.close();
    await dynamo?.close();
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  }
}

// -------------------------------------------------------------------------------------------------
// Rendering
// -------------------------------------------------------------------------------------------------

interface Target {
  readonly name: string;
  readonly met: boolean;
  readonly measured: string;
}

interface Budget {
  readonly assumptions: Record<string, number>;
  readonly measured: Record<string, number>;
  readonly worstCaseMs: number;
  readonly warmOnlyMs: number;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(header),
    `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const ratio = (x: number): string => `${x.toFixed(2)}×`;

interface VariantRow {
  readonly name: string;
  readonly what: string;
  readonly codeBytes: number;
  readonly result: ColdResult;
}

function render(input: {
  readonly warm: readonly WarmResult[];
  readonly breakdown: readonly BreakdownItem[];
  readonly cold: readonly ColdResult[];
  readonly variants: readonly VariantRow[];
  readonly sizes: readonly BundleSize[];
  readonly smCalls: readonly Record<string, unknown>[];
  readonly ttl: { readonly ttlSeconds: number; readonly trafficMs: number; readonly calls: number; readonly ttlWindows: number };
  readonly answers: Record<string, string>;
  /** The floor each deployed function is held to; none for functions off the request path. */
  readonly floors: Record<string, string | undefined>;
  readonly blockingName: string;
  readonly variantsBuiltLikeStack: boolean;
  readonly startedAt: Date;
  readonly synthMs: number;
}): { text: string; targets: Target[]; budget: Budget } {
  const m = machine();
  const { warm, breakdown, cold, variants, sizes, smCalls, ttl } = input;
  const floor = cold.find((c) => c.name === FLOOR_NAME)!;
  const floorOf = (name: string): ColdResult => cold.find((c) => c.name === (input.floors[name] ?? FLOOR_NAME)) ?? floor;
  const at4k = warm.find((w) => w.bytes === 4096)!;
  const blockingCold = cold.find((c) => c.name === input.blockingName)!;
  const variant = (prefix: string): ColdResult | undefined => variants.find((v) => v.name.startsWith(prefix))?.result;
  const lazyCold = variant('lazy fetch');
  const startsCold = variant(INIT_STARTS_FETCH);
  const fetchedDuringInit = smCalls
    .filter((s) => s.fetchesSecret)
    .every((s) => typeof s.firstCallBeforeRequestMs === 'number' && s.firstCallBeforeRequestMs > 0);

  const targets: Target[] = [
    {
      name: 'warm overhead ≤ 1.5× the floor at 4 KiB',
      met: at4k.oursOverFloor <= TARGETS.warmOverFloor,
      measured: `${ratio(at4k.oursOverFloor)} (${at4k.ours.median.toFixed(1)} µs vs ${at4k.floor.median.toFixed(1)} µs)`,
    },
    {
      name: 'warm overhead below the peer at 4 KiB',
      met: at4k.oursOverPeer < 1,
      measured:
        `${ratio(at4k.oursOverPeer)} (${at4k.ours.median.toFixed(1)} µs vs ${at4k.peer.median.toFixed(1)} µs); ` +
        `without the log line, which the peer does not write: ${ratio(at4k.oursNoLogOverPeer)} (${at4k.oursNoLog.median.toFixed(1)} µs)`,
    },
    ...cold
      .filter((c) => input.floors[c.name] !== undefined)
      .map((c) => ({
        name: `${c.name}: cold start ≤ 2× ${input.floors[c.name] === FLOOR_NAME ? 'the cold floor' : `the ${input.floors[c.name]!}`}`,
        met: c.total.median <= TARGETS.coldOverFloor * floorOf(c.name).total.median,
        measured: `${ratio(c.total.median / floorOf(c.name).total.median)} (${c.total.median.toFixed(1)} ms vs ${floorOf(c.name).total.median.toFixed(1)} ms)`,
      })),
    ...smCalls
      .filter((s) => s.fetchesSecret)
      .map((s) => ({
        name: `${String(s.name)}: no Secrets Manager call on the warm path`,
        met: s.warmCalls === 0 && s.beforeFirstResponse === 1,
        measured: `${String(s.beforeFirstResponse)} call for the first request, ${String(s.warmCalls)} in ${String(s.warmInvocations)} warm invocations`,
      })),
    {
      name: 'one Secrets Manager call per container per TTL',
      met: ttl.calls <= Math.ceil(ttl.ttlWindows) + 1 && ttl.calls >= Math.floor(ttl.ttlWindows),
      measured: `${ttl.calls} calls in ${(ttl.trafficMs / 1000).toFixed(1)} s of traffic with a ${ttl.ttlSeconds} s TTL (${ttl.ttlWindows.toFixed(1)} TTLs)`,
    },
    {
      name: 'init finishes the secret fetch: the first request finds it cached',
      met:
        fetchedDuringInit &&
        blockingCold.first !== undefined &&
        [startsCold, lazyCold].every((other) => other?.first !== undefined && blockingCold.first!.median < other.first.median),
      measured:
        `first request ${blockingCold.first?.median.toFixed(1)} ms (${startsCold?.first?.median.toFixed(1)} ms if init only starts the fetch, ` +
        `${lazyCold?.first?.median.toFixed(1)} ms if the request starts it); total ${blockingCold.total.median.toFixed(1)} vs ${startsCold?.total.median.toFixed(1)} ms`,
    },
  ];

  // Login path: four blocking hooks on one warm pool, at most the first one cold.
  const assumptions = {
    /** Authgear to the stack's region and back; about 2 ms when both are in the same region. */
    networkRoundTripMs: 30,
    /** A new TLS connection costs two more round trips; Authgear's Go client then keeps it alive. */
    tlsHandshakeRoundTrips: 2,
    apiGatewayOverheadMs: 10,
    lambdaInvokeOverheadMs: 5,
    /** Sandbox, code download and Node.js runtime start before our module loads. */
    lambdaColdPlatformMs: 150,
    /** 512 MB gets 512/1769 of a vCPU: CPU-bound work takes about 3.5× this machine's time. */
    lambdaCpuScale: 3.5,
  };
  const bare = cold.find((c) => c.name.startsWith('node -e 0'))!;
  const warmOursMs = at4k.ours.median / 1000;
  const perHookMs = assumptions.networkRoundTripMs + assumptions.apiGatewayOverheadMs + assumptions.lambdaInvokeOverheadMs;
  const tlsMs = assumptions.tlsHandshakeRoundTrips * assumptions.networkRoundTripMs;
  const ourColdMs = Math.max(0, blockingCold.total.median - bare.total.median) * assumptions.lambdaCpuScale;
  const worstCaseMs = 4 * perHookMs + tlsMs + assumptions.lambdaColdPlatformMs + ourColdMs + 3 * warmOursMs * assumptions.lambdaCpuScale;
  const warmOnlyMs = 4 * perHookMs + tlsMs + 4 * warmOursMs * assumptions.lambdaCpuScale;
  const coldHookMs = perHookMs + tlsMs + assumptions.lambdaColdPlatformMs + ourColdMs;
  const budget: Budget = {
    assumptions,
    measured: { coldStartProxyMs: blockingCold.total.median, bareNodeMs: bare.total.median, warmPerEventMs: warmOursMs },
    worstCaseMs,
    warmOnlyMs,
  };

  const warmRows = warm.map((w) => [
    `${w.bytes / 1024} KiB`,
    w.eventType,
    formatSummary(w.floor, 2),
    formatSummary(w.ours, 2),
    formatSummary(w.oursNoLog, 2),
    formatSummary(w.peer, 2),
    ratio(w.oursOverFloor),
    ratio(w.oursOverPeer),
    ratio(w.oursNoLogOverPeer),
  ]);
  const breakdownRows = breakdown.map((b) => [
    b.name,
    b.perRequest === b.perRequestBefore ? String(b.perRequest) : `${b.perRequest} (was ${b.perRequestBefore})`,
    formatSummary(b.us, 2),
    (b.us.median * b.perRequest).toFixed(2),
    (b.us.median * b.perRequestBefore).toFixed(2),
  ]);
  const coldRow = (name: string, c: ColdResult, answer: string): string[] => [
    name,
    formatSummary(c.total),
    c.load ? formatSummary(c.load) : '',
    c.first ? formatSummary(c.first) : '',
    ratio(c.total.median / floorOf(name).total.median),
    answer,
  ];
  const mainCold = cold.filter((c) => !c.name.startsWith(`${input.blockingName}: `));
  const floorAnswers: Record<string, string> = {
    [FLOOR_NAME]: 'secret read, event verified',
    [FLOOR_SQS_NAME]: 'same, then the body sent to SQS',
  };
  const coldRows = mainCold.map((c) => {
    const note =
      c.name in input.floors && input.floors[c.name] === undefined ? ' (no target: runs from the queue, off the request path)' : '';
    return coldRow(c.name, c, `${input.answers[c.name] ?? floorAnswers[c.name] ?? ''}${note}`);
  });
  const blockingSize = sizes.find((s) => s.name === input.blockingName);
  const variantRows = [
    coldRow('as deployed', blockingCold, blockingSize ? kib(blockingSize.codeBytes) : ''),
    ...variants.map((v) => coldRow(v.name, v.result, kib(v.codeBytes))),
  ];
  const sizeRows = sizes.map((s) => [s.name, kib(s.codeBytes), kib(s.codeGzipBytes), kib(s.mapBytes), kib(s.mapGzipBytes)]);
  const smRows = smCalls.map((s) => [
    String(s.name),
    s.fetchesSecret ? String(s.beforeFirstResponse) : 'reads no secret',
    typeof s.firstCallBeforeRequestMs === 'number'
      ? `${Math.abs(s.firstCallBeforeRequestMs).toFixed(1)} ms ${s.firstCallBeforeRequestMs > 0 ? 'before (during init)' : 'after'}`
      : '',
    `${String(s.warmCalls)} / ${String(s.warmInvocations)}${s.warmFailures ? ` (${String(s.warmFailures)} failed)` : ''}`,
  ]);
  const load = (results: unknown) => (Array.isArray(results) ? (results as number[]).map((x) => x.toFixed(2)).join(' ') : '');

  const text = [
    `# Benchmark, ${input.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${m.nproc} × ${m.cpu}, Node ${m.node} (${m.platform}); load average before the cold runs ${load(loadavgAtStart)}. Lambda runs Node 22 on arm64: these are local proxies.`,
    ...((loadavgAtStart[0] ?? 0) > Number(m.nproc)
      ? [
          '',
          `**Other work was running (load average ${(loadavgAtStart[0] ?? 0).toFixed(1)} on ${m.nproc} cores, about 1 of it this benchmark): expect noisier numbers; run again when the machine is idle.**`,
        ]
      : []),
    '',
    `## Warm overhead per event (µs, median (min–max) of ${WARM.rounds} batches of ~${WARM.batchMs} ms)`,
    '',
    table(
      [
        'body',
        'event',
        'floor: HMAC + JSON.parse',
        'ours: app.handle',
        'ours, no log line',
        'peer: @octokit/webhooks',
        'ours/floor',
        'ours/peer',
        'no log line/peer',
      ],
      warmRows,
    ),
    '',
    'Where ours spends its time beyond the floor (4 KiB, each step priced alone; "before" is the code before the warm-path changes):',
    '',
    table(['step', 'per request', 'µs each', 'µs per request', 'before'], breakdownRows),
    '',
    `## Cold start proxy (ms from spawn to first response, median (min–max) of ${COLD_REPEATS} runs, clean environment)`,
    '',
    table(['process', 'total', 'load + init', 'first request', '× its floor', 'first answer'], coldRows),
    '',
    `Variants of ${input.blockingName} (same entry; esbuild options of the stack${input.variantsBuiltLikeStack ? ', checked byte-identical' : ' NOT reproduced: check stackEsbuildOptions()'}), one change each:`,
    '',
    table(['variant', 'total', 'load + init', 'first request', '× floor', 'code'], variantRows),
    '',
    '## Bundle sizes',
    '',
    table(['function', 'code', 'code gzip', 'source map', 'map gzip'], sizeRows),
    '',
    '## Secrets Manager calls (fake server counter, real bundles)',
    '',
    table(
      ['function', 'calls for the 1st request', 'GetSecretValue arrived, relative to the 1st request', 'calls / warm invocations'],
      smRows,
    ),
    '',
    `TTL: ${ttl.calls} calls in ${(ttl.trafficMs / 1000).toFixed(1)} s of traffic (one request per 10 ms) with SECRET_CACHE_TTL_SECONDS=${ttl.ttlSeconds}.`,
    '',
    '## Targets',
    '',
    table(
      ['target', 'result', 'measured'],
      targets.map((t) => [t.name, t.met ? 'met' : 'MISSED', t.measured]),
    ),
    '',
    '## Login path: four blocking hooks, one warm pool',
    '',
    `Assumed: ${assumptions.networkRoundTripMs} ms round trip Authgear↔region (+${tlsMs} ms TLS on a new connection), ${assumptions.apiGatewayOverheadMs} ms API Gateway, ${assumptions.lambdaInvokeOverheadMs} ms Lambda invoke per hook;`,
    `a cold start adds ${assumptions.lambdaColdPlatformMs} ms of sandbox and runtime start plus our share of the cold proxy (${(blockingCold.total.median - bare.total.median).toFixed(1)} ms beyond bare Node) ×${assumptions.lambdaCpuScale} for 512 MB.`,
    '',
    table(
      ['case', 'added to one login', 'slowest single hook'],
      [
        ['first hook cold, three warm (worst case)', `${worstCaseMs.toFixed(0)} ms`, `${coldHookMs.toFixed(0)} ms`],
        [
          'all four warm, or provisionedConcurrency covers the traffic',
          `${warmOnlyMs.toFixed(0)} ms`,
          `${(perHookMs + tlsMs + warmOursMs * assumptions.lambdaCpuScale).toFixed(0)} ms`,
        ],
      ],
    ),
    '',
    "Authgear allows 5 s per hook; the handlers' own work comes on top.",
  ].join('\n');
  return { text, targets, budget };
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
