/**
 * One of the stack's three Lambda functions: its generated entry, its own log group and role, and
 * the bundling every function shares.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode, LogLevel as EsbuildLogLevel } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { HandlerFile } from '../shared/discovery/handler-files';
import { writeLambdaEntry, type LambdaEntryKind } from '../shared/bundling/lambda-entry';
import { StackConfigError } from './options';
import { acknowledge } from './security-checks';
import type { WebhookSecret } from './webhook-secret';

/** The construct id prefixes of the three functions; their log groups and roles share them. */
export type WebhookFunctionId = 'Blocking' | 'NonBlocking' | 'Worker';

const ROLE_PURPOSE: Readonly<Record<WebhookFunctionId, string>> = {
  Blocking: 'blocking webhook',
  NonBlocking: 'non-blocking webhook receiver',
  Worker: 'non-blocking event worker',
};

export interface WebhookFunctionOptions {
  readonly projectRoot: string;
  readonly serve: LambdaEntryKind;
  readonly files: readonly HandlerFile[];
  /** Days to keep the function's logs. */
  readonly retention: number;
  /** The worker verifies nothing (only the receiver can queue), so it gets no secret. */
  readonly secret?: WebhookSecret;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly description: string;
  /** Reserved concurrency; unset shares the account's unreserved pool. */
  readonly reservedConcurrentExecutions?: number;
  /** The worker's entry brings the Secrets Manager client only when one of its handlers declares a secret. */
  readonly readsHandlerSecrets?: boolean;
}

/**
 * A function with its own log group (`<id>Logs`) and role (`<id>Role`), allowed to write to that
 * log group and, given `secret`, to call `GetSecretValue` on it; nothing else. Further permissions
 * are added by the caller, one statement per need.
 *
 * @throws StackConfigError when `<projectRoot>/package-lock.json` is missing.
 */
export function webhookFunction(stack: Stack, id: WebhookFunctionId, options: WebhookFunctionOptions): NodejsFunction {
  const { projectRoot } = options;
  const entry = writeLambdaEntry({
    projectRoot,
    outDir: join(projectRoot, '.build', 'entries'),
    serve: options.serve,
    files: options.files,
    readsHandlerSecrets: options.readsHandlerSecrets ?? false,
  });

  const logGroup = new logs.LogGroup(stack, `${id}Logs`, { retention: options.retention as logs.RetentionDays });
  // An own role instead of AWSLambdaBasicExecutionRole, which may write to every log group in
  // the account: this one writes to its own log group and reads the one secret.
  const role = new iam.Role(stack, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Runs the Authgear ${ROLE_PURPOSE[id]} function`,
  });
  logGroup.grantWrite(role);
  // Not secret.grantRead(): that adds DescribeSecret, which the functions never call.
  if (options.secret) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [options.secret.policyResource] }),
    );
  }

  const lockFile = join(projectRoot, 'package-lock.json');
  if (!existsSync(lockFile)) throw new StackConfigError(`${lockFile} is missing: run npm install in the project folder first`);

  const fn = new NodejsFunction(stack, `${id}Function`, {
    entry,
    handler: 'handler',
    projectRoot,
    depsLockFilePath: lockFile,
    description: options.description,
    runtime: lambda.Runtime.NODEJS_22_X,
    // Graviton: cheaper per GB-second and at least as fast for this CPU-light JSON work.
    architecture: lambda.Architecture.ARM_64,
    // Lambda allots CPU in proportion to memory. 512 MB roughly halves the cold start (module
    // init, TLS to Secrets Manager) compared to 128 MB, and cold starts count against Authgear's 5 s.
    memorySize: 512,
    timeout: options.timeout,
    reservedConcurrentExecutions: options.reservedConcurrentExecutions,
    role,
    logGroup,
    environment: options.environment,
    bundling: {
      // Never Docker: the local esbuild from package-lock.json, so synth works on any machine.
      forceDockerBundling: false,
      format: OutputFormat.ESM,
      // Bundled CommonJS packages may call require(); ESM has none, so provide one.
      banner:
        "import { createRequire as __authgearCreateRequire } from 'node:module'; const require = __authgearCreateRequire(import.meta.url);",
      target: 'node22',
      // Prefer the ES module builds of dependencies: they tree-shake better.
      mainFields: ['module', 'main'],
      minify: true,
      sourceMap: true,
      sourceMapMode: SourceMapMode.DEFAULT,
      // Sources stay out of the deployed package; the map still gives file names and lines.
      sourcesContent: false,
      // Bundle everything, including the pinned @aws-sdk/client-secrets-manager, rather than
      // relying on whichever SDK version the Lambda runtime happens to ship.
      externalModules: [],
      // Two SDK parts that never run here, replaced by small modules of ours (docs/performance.md):
      // - the default credential chain: Lambda always passes the role's credentials in the
      //   environment, its first link. The rest (SSO, ini files, process, web identity,
      //   metadata, with their STS/SSO clients) was 40 % of each bundle and 10–14 ms of a cold start;
      // - event-stream support, which no Secrets Manager or SQS operation uses: 19 KiB, 3–5 ms.
      esbuildArgs: {
        '--alias': [
          `@aws-sdk/credential-provider-node=${join(projectRoot, 'shared', 'bundling', 'lambda-credentials.ts')}`,
          `@smithy/core/event-streams=${join(projectRoot, 'shared', 'bundling', 'lambda-event-streams.ts')}`,
        ],
      },
      logLevel: EsbuildLogLevel.WARNING,
    },
  });
  // The runtime stays pinned with the bundling target above (the reason is in security-checks.ts).
  acknowledge(fn, 'AwsSolutions-L1');
  return fn;
}

/** Lambda descriptions stop at 256 characters; list the events while they fit. */
export function describeFunction(
  kind: 'blocking' | 'non-blocking receiver' | 'non-blocking worker',
  files: readonly HandlerFile[],
): string {
  const prefix = `Authgear ${kind} webhooks`;
  const listed =
    files.length === 0
      ? `${prefix} (no handler files: acknowledges every event)`
      : `${prefix}: ${files.map((f) => f.eventType).join(', ')}`;
  return listed.length <= 256 ? listed : `${prefix} (${files.length} event types)`;
}
