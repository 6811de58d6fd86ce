/**
 * Cold starts, bundle sizes and Secrets Manager calls, measured on the bundles `cdk synth` builds.
 *
 * The stack is synthesized with bundling on into a temporary folder, as test/bundle.test.ts does.
 * Every `NodejsFunction` of the stack is then started in a fresh `node` process whose environment
 * holds `PATH`, the function's own environment from the template, and the endpoints and dummy
 * credentials of the local fakes, nothing else (in particular no `NODE_EXTRA_CA_CERTS`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { App } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { AuthgearWebhooksStack } from '../../infra/stack';
import { signBody } from '../../shared/core/verify';
import { findHandlerFiles } from '../../shared/discovery/handler-files';
import { VECTORS } from '../fixtures/authgear-vectors';
import { goJson } from '../fixtures/go-json';
import { BENCH_SECRET } from './bodies';
import { summarise, type Summary } from './stats';

export type BundleKind = 'blocking' | 'non-blocking' | 'worker' | 'other';

/** One deployed function as `cdk synth` bundled it. */
export interface DeployedBundle {
  /** The construct id, e.g. `BlockingFunction`. */
  readonly name: string;
  readonly kind: BundleKind;
  /** The asset folder: what gets zipped and uploaded. */
  readonly dir: string;
  /** The module Lambda loads, e.g. `<dir>/index.mjs`. */
  readonly file: string;
  /** The export named by the function's `Handler`. */
  readonly handlerExport: string;
  /** The function's environment from the template; values only a deployment knows are left out. */
  readonly env: Readonly<Record<string, string>>;
  /** Names of variables whose value is a deploy-time reference (filled in by the benchmark). */
  readonly deployTimeEnv: readonly string[];
  /** For `blocking`: the route the benchmark calls. */
  readonly blockingEventType?: string;
}

interface TemplateFunction {
  readonly Type: string;
  readonly Properties: {
    readonly Code?: { readonly S3Key?: string };
    readonly Handler?: string;
    readonly Environment?: { readonly Variables?: Record<string, unknown> };
  };
}

/**
 * Synthesizes the real stack with bundling into `outdir` and describes every `NodejsFunction`.
 *
 * @throws Error when a function's asset folder has no bundle.
 */
export function synthBundles(projectRoot: string, outdir: string): { readonly bundles: DeployedBundle[]; readonly synthMs: number } {
  const started = performance.now();
  const context = (JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
  const app = new App({ outdir, context: { ...context } });
  const stack = new AuthgearWebhooksStack(app, 'Bench', { projectRoot });
  const assembly = app.synth();
  const synthMs = performance.now() - started;
  const template = assembly.getStackArtifact(stack.artifactId).template as { Resources: Record<string, TemplateFunction> };
  const known = stack as unknown as Record<string, unknown>;
  const kindOf = (fn: NodejsFunction): BundleKind =>
    fn === known.blockingFunction
      ? 'blocking'
      : fn === known.nonBlockingFunction
        ? 'non-blocking'
        : fn === known.workerFunction
          ? 'worker'
          : 'other';
  const blockingFiles = findHandlerFiles(projectRoot).blocking;

  const bundles: DeployedBundle[] = [];
  for (const fn of stack.node.findAll().filter((c): c is NodejsFunction => c instanceof NodejsFunction)) {
    const resource = template.Resources[stack.getLogicalId(fn.node.defaultChild as CfnFunction)];
    const key = resource?.Properties.Code?.S3Key ?? '';
    const dir = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    const [moduleName, handlerExport] = (resource?.Properties.Handler ?? 'index.handler').split('.') as [string, string];
    const file = ['.mjs', '.js', '.cjs'].map((ext) => join(dir, `${moduleName}${ext}`)).find((f) => existsSync(f));
    if (!file) throw new Error(`${fn.node.id}: no bundle in ${dir}`);
    const env: Record<string, string> = {};
    const deployTimeEnv: string[] = [];
    for (const [name, value] of Object.entries(resource?.Properties.Environment?.Variables ?? {})) {
      if (typeof value === 'string') env[name] = value;
      else deployTimeEnv.push(name);
    }
    const kind = kindOf(fn);
    bundles.push({
      name: fn.node.id,
      kind,
      dir,
      file,
      handlerExport,
      env,
      deployTimeEnv,
      ...(kind === 'blocking' && blockingFiles[0] ? { blockingEventType: blockingFiles[0].eventType } : {}),
    });
  }
  const order: BundleKind[] = ['blocking', 'non-blocking', 'worker', 'other'];
  bundles.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.name.localeCompare(b.name));
  return { bundles, synthMs };
}

// ---------------------------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------------------------

export interface BundleSize {
  readonly name: string;
  readonly codeBytes: number;
  readonly codeGzipBytes: number;
  readonly mapBytes: number;
  readonly mapGzipBytes: number;
}

/** Raw and gzip (level 9) sizes of a bundle's code and source map. */
export function bundleSize(bundle: DeployedBundle): BundleSize {
  const size = (path: string): [number, number] => {
    if (!existsSync(path)) return [0, 0];
    const bytes = readFileSync(path);
    return [statSync(path).size, gzipSync(bytes, { level: 9 }).byteLength];
  };
  const [codeBytes, codeGzipBytes] = size(bundle.file);
  const [mapBytes, mapGzipBytes] = size(`${bundle.file}.map`);
  return { name: bundle.name, codeBytes, codeGzipBytes, mapBytes, mapGzipBytes };
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/** A signed vector of `type`, stamped now (the stored vectors are older than the replay window). */
export function freshSignedBody(type: string, secret = BENCH_SECRET): { readonly body: string; readonly signature: string } {
  const vector = VECTORS.find((v) => v.type === type);
  const event = vector
    ? (JSON.parse(vector.body) as { context: { timestamp: number } })
    : {
        id: '000000000000be01',
        seq: 1,
        type,
        payload: {},
        context: {
          timestamp: 0,
          user_id: null,
          triggered_by: 'user',
          audit_context: {},
          preferred_languages: [],
          language: 'en',
          geo_location_code: null,
        },
      };
  event.context.timestamp = Math.floor(Date.now() / 1000);
  const body = goJson(event);
  return { body, signature: signBody(body, secret) };
}

/** An API Gateway HTTP API event (payload format 2.0) for a signed POST. */
export function apiGatewayEvent(path: string, signed: { readonly body: string; readonly signature: string }): Record<string, unknown> {
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {
      'content-length': String(Buffer.byteLength(signed.body, 'utf8')),
      'content-type': 'application/json',
      host: 'abc123defg.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'Go-http-client/2.0',
      'x-authgear-body-signature': signed.signature,
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123defg',
      domainName: 'abc123defg.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123defg',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'Go-http-client/2.0' },
      requestId: `bench-${now}`,
      routeKey: `POST ${path}`,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    body: signed.body,
    isBase64Encoded: false,
  };
}

/** An SQS event with one message holding `body`, as Lambda hands it to a queue worker. */
export function sqsEvent(body: string, queueArn: string): Record<string, unknown> {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId: '2f0c7c1e-8d1b-4f0e-9a53-5c1f3b7d2e10',
        receiptHandle: 'bench-receipt-handle',
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: 'AROAEXAMPLE:bench',
          ApproximateFirstReceiveTimestamp: now,
          MessageGroupId: '000000000000bc56',
          MessageDeduplicationId: '000000000000bc56',
          SequenceNumber: '18888888888888888888',
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: 'us-east-1',
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

export interface ProcessReport {
  readonly ok: boolean;
  readonly loadMs?: number;
  readonly firstMs?: number;
  readonly firstStartedAt?: number;
  readonly response?: { readonly statusCode?: number; readonly body?: string } & Record<string, unknown>;
  readonly error?: string;
  readonly warm?: number;
  readonly failures?: number;
  readonly ms?: number;
}

export interface ProcessRun {
  /** From just before `spawn` to the first report on fd 3 (or to exit, for `untilExit`). */
  readonly ms: number;
  readonly reports: readonly ProcessReport[];
  readonly output: string;
}

/**
 * Starts `node <args>` with exactly `env`, times it from spawn to its first fd-3 report (or to its
 * exit), and collects every report until it exits.
 */
export function runNode(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  options: { readonly untilExit?: boolean; readonly timeoutMs?: number } = {},
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstAt: number | undefined;
    let output = '';
    let buffer = '';
    const reports: ProcessReport[] = [];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stdio[3]!.on('data', (chunk: Buffer) => {
      firstAt ??= performance.now();
      buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        reports.push(JSON.parse(buffer.slice(0, newline)) as ProcessReport);
        buffer = buffer.slice(newline + 1);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const exitAt = performance.now();
      if (options.untilExit) {
        if (code !== 0) reject(new Error(`node ${args.join(' ')} exited with ${code}:\n${output}`));
        else resolve({ ms: exitAt - started, reports, output });
        return;
      }
      if (firstAt === undefined) {
        reject(new Error(`node ${args.join(' ')} exited with ${code} without reporting:\n${output}`));
        return;
      }
      resolve({ ms: firstAt - started, reports, output });
    });
  });
}

/** One contender of the cold-start comparison: a way to start a process and check its answer. */
export interface ColdContender {
  readonly name: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly untilExit?: boolean;
  /** Throws unless the run served its request as expected. */
  readonly check?: (run: ProcessRun) => void;
  /** Runs before each start, untimed (e.g. to forget the event a previous run recorded). */
  readonly before?: () => Promise<void>;
}

export interface ColdResult {
  readonly name: string;
  /** Spawn to first response, ms. */
  readonly total: Summary;
  /** Inside the process: loading the bundle (its init included), ms. */
  readonly load?: Summary;
  /** Inside the process: the first invocation, ms. */
  readonly first?: Summary;
  readonly status?: number;
}

/**
 * Runs every contender `warmups` times unmeasured, then `repeats` times measured, interleaved
 * (round-robin, alternating direction) so that drift of the machine affects all alike.
 */
export async function measureCold(contenders: readonly ColdContender[], repeats: number, warmups = 1): Promise<ColdResult[]> {
  const runs = new Map<string, ProcessRun[]>(contenders.map((c) => [c.name, []]));
  const once = async (contender: ColdContender): Promise<ProcessRun> => {
    await contender.before?.();
    const run = await runNode(contender.args, contender.env, { untilExit: contender.untilExit ?? false });
    contender.check?.(run);
    return run;
  };
  for (let i = 0; i < warmups; i++) for (const contender of contenders) await once(contender);
  for (let round = 0; round < repeats; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const contender of order) runs.get(contender.name)!.push(await once(contender));
  }
  return contenders.map((contender) => {
    const list = runs.get(contender.name)!;
    const firstReports = list.map((r) => r.reports[0]).filter((r): r is ProcessReport => r !== undefined);
    const loads = firstReports.map((r) => r.loadMs).filter((v): v is number => typeof v === 'number');
    const firsts = firstReports.map((r) => r.firstMs).filter((v): v is number => typeof v === 'number');
    const status = firstReports[0]?.response?.statusCode;
    return {
      name: contender.name,
      total: summarise(list.map((r) => r.ms)),
      ...(loads.length === list.length ? { load: summarise(loads) } : {}),
      ...(firsts.length === list.length ? { first: summarise(firsts) } : {}),
      ...(typeof status === 'number' ? { status } : {}),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Variant bundles
// ---------------------------------------------------------------------------------------------

/**
 * esbuild options equivalent to the stack's `bundling` block (`NodejsFunction` runs the esbuild CLI
 * with these). {@link optionsMatchStack} checks the equivalence byte for byte on every run.
 */
export function stackEsbuildOptions(projectRoot: string): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    banner: {
      js: "import { createRequire as __authgearCreateRequire } from 'node:module'; const require = __authgearCreateRequire(import.meta.url);",
    },
    alias: {
      '@aws-sdk/credential-provider-node': join(projectRoot, 'shared', 'bundling', 'lambda-credentials.ts'),
      '@smithy/core/event-streams': join(projectRoot, 'shared', 'bundling', 'lambda-event-streams.ts'),
    },
    absWorkingDir: projectRoot,
    logLevel: 'warning',
  };
}

/** True when `entry` bundled with {@link stackEsbuildOptions} is byte-identical to `reference`. */
export async function optionsMatchStack(projectRoot: string, entry: string, reference: string, outDir: string): Promise<boolean> {
  const check = join(outDir, 'index.mjs');
  await build({ ...stackEsbuildOptions(projectRoot), entryPoints: [entry], outfile: check });
  return readFileSync(check).equals(readFileSync(reference));
}

/** Bundles `entry` into `outfile` with the stack's options, changed by `overrides` and `plugins`. */
export async function buildVariant(options: {
  readonly projectRoot: string;
  readonly entry: string;
  readonly outfile: string;
  readonly overrides?: BuildOptions;
  readonly plugins?: Plugin[];
}): Promise<string> {
  await build({
    ...stackEsbuildOptions(options.projectRoot),
    ...options.overrides,
    entryPoints: [options.entry],
    outfile: options.outfile,
    plugins: options.plugins ?? [],
  });
  return options.outfile;
}

/**
 * Makes every import of the project file `path` (from the project root, without `.ts`) resolve to
 * `replacement` instead, except the replacement's own import of it, so that it can wrap the real one.
 *
 * @example
 * ```ts
 * replaceModule(REPO_ROOT, 'shared/core/secret', join(REPO_ROOT, 'test', 'bench', 'lazy-secret.ts'));
 * ```
 */
export function replaceModule(projectRoot: string, path: string, replacement: string): Plugin {
  const real = join(projectRoot, `${path}.ts`);
  const name = path.slice(path.lastIndexOf('/') + 1);
  return {
    name: `bench-replace-${name}`,
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: new RegExp(`(^|/)${name}$`) }, (args) => {
        if (join(args.resolveDir, `${args.path}.ts`) !== real) return undefined;
        return { path: args.importer === replacement ? real : replacement };
      });
    },
  };
}

/**
 * Copies a generated entry without its `await handler.ready;`, so that init only starts the secret
 * fetch and the first request awaits it (the entry before init awaited it). Returns `outFile`.
 *
 * @throws Error when the entry has no such line (the generator changed).
 */
export function entryWithoutInitAwait(entry: string, outFile: string): string {
  const source = readFileSync(entry, 'utf8');
  const without = source.replace(/^await handler\.ready;$/m, '');
  if (without === source) throw new Error(`${entry} has no "await handler.ready;" line`);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, without);
  return outFile;
}

/** Writes `text` to `path` and returns `path`. */
export function writeScript(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}
