/**
 * `npm run bench`: warm overhead, cold starts, bundle sizes and Secrets Manager calls, measured in
 * one run on this machine, printed as one table with the targets met or missed, and written to
 * bench-results/latest.json and bench-results/latest.md.
 *
 * Options: `--quick` (fewer repeats, for a smoke run), `--out <dir>` (default bench-results).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { startFakeSecretsManager, type FakeSecretsManager } from '../support/secrets-manager-server';
import { startFakeSqs, type FakeSqs } from '../support/sqs-server';
import { startFakeDynamoDb, type FakeDynamoDb } from '../support/dynamodb-server';
import { buildWorkerWithoutTable } from './worker-variant';
import {
  buildVariant,
  bundleSize,
  entryWithoutInitAwait,
  measureCold,
  optionsMatchStack,
  replaceModule,
  runNode,
  stackEsbuildOptions,
  writeScript,
  type BundleSize,
  type ColdContender,
  type DeployedBundle,
  type ProcessRun,
} from './cold';
import { DRIVER, FLOOR } from './scripts';
import type { BreakdownItem, WarmOptions, WarmResult } from './warm';
import { REPO_ROOT } from '../support/paths';
import { BENCH_SECRET, IDEMPOTENCY_TABLE, lambdaEnv, machine, prepare, SECRET_ARN } from './functions';
import { FLOOR_NAME, FLOOR_SQS_NAME, INIT_STARTS_FETCH, WORKER_WITHOUT_TABLE } from './names';
import { kib, render } from './report';

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

let loadavgAtStart: number[] = [];

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
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
      machine: machine(),
      loadAverage: loadavgAtStart,
      warmRounds: WARM.rounds,
      warmBatchMs: WARM.batchMs,
      coldRepeats: COLD_REPEATS,
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

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
