import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Arn, ArnFormat, Aws, CfnOutput, CfnRule, Duration, Fn, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode, LogLevel as EsbuildLogLevel } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct, Node } from 'constructs';
import { BLOCKING_PATH_PREFIX, DEFAULTS, NON_BLOCKING_PATH } from '../shared/core/constants';
import { ENV } from '../shared/core/config';
import { renderHookConfig } from '../shared/core/hook-config';
import { findHandlerFiles, type HandlerFile } from '../shared/discovery/handler-files';
import { writeLambdaEntry, type LambdaEntryKind } from '../shared/discovery/lambda-entry';
import { QUEUE_ENV } from '../shared/queue/config';
import { RETRY_DEFAULTS, retrySchedule } from '../shared/queue/retry';

/** The stack name used when the `stackName` context value is not given. */
export const DEFAULT_STACK_NAME = 'AuthgearWebhooks';

/** Log retention used when the `logRetentionDays` context value is not given. */
export const DEFAULT_LOG_RETENTION_DAYS = 30;

/** Authgear abandons a blocking hook after 5 s, so the blocking function may never run longer. */
const AUTHGEAR_BLOCKING_TIMEOUT_MS = 5_000;

/** API Gateway HTTP APIs stop waiting for an integration after 30 s; stop the function just before. */
const NON_BLOCKING_TIMEOUT = Duration.seconds(29);

/**
 * The worker runs a batch's handlers side by side, each within NON_BLOCKING_DEADLINE_MS (25 s by
 * default, 60 s at most), then sets the failed messages' retry delays.
 */
const WORKER_TIMEOUT_SECONDS = 90;

/** Messages in a FIFO queue event; 10 is the most SQS returns per receive. */
const WORKER_BATCH_SIZE = 10;

/** Retention of both queues: the most SQS allows, so a stopped worker loses nothing for two weeks. */
const QUEUE_RETENTION = Duration.days(14);

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

/** The retention periods CloudWatch Logs accepts (it rejects any other number of days). */
const RETENTION_DAYS: readonly number[] = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');

/** `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters>` */
const COMPLETE_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/**
 * A stack option (usually a `cdk.json` context value or `-c key=value`) is invalid.
 * The message names the option and what it accepts; `infra/app.ts` prints it without a stack trace.
 */
export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
}

/**
 * Knobs of {@link AuthgearWebhooksStack}. Each one can also be given as a CDK context value of the
 * same name (`cdk.json` or `cdk synth -c name=value`); a property set here wins over the context.
 */
export interface AuthgearWebhooksOptions {
  /**
   * Use this existing secret instead of creating one: its complete ARN, including the 6-character
   * suffix Secrets Manager appends. Mutually exclusive with `secretName`.
   * @default a new, empty secret is created
   */
  readonly secretArn?: string;
  /**
   * Use the existing secret with this name (in the stack's account and region) instead of creating one.
   * @default a new, empty secret is created
   */
  readonly secretName?: string;
  /**
   * Days to keep the functions' and the API's logs; one of the periods CloudWatch Logs accepts.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Sets `BLOCKING_DEADLINE_MS` on the blocking function: blocking handlers must answer within this many milliseconds (1–4999).
   * @default unset, so the runtime default of 4000 applies
   */
  readonly blockingDeadlineMs?: number;
  /**
   * Sets `LOG_LEVEL` (debug, info, warn, error or silent).
   * @default unset, so the runtime default (info) applies
   */
  readonly logLevel?: string;
  /**
   * Sets `SECRET_CACHE_TTL_SECONDS` (0–86400).
   * @default unset, so the runtime default (300) applies
   */
  readonly secretCacheTtlSeconds?: number;
  /**
   * Sets `DENIED_EMAIL_DOMAINS` on the blocking function, read by `functions/blocking/user.pre_create.ts`.
   * A comma-separated string or a list of domains.
   * @default unset: no domain is denied
   */
  readonly deniedEmailDomains?: string | readonly string[];
  /**
   * Minutes over which a failing non-blocking event is retried (delays of 30 s doubling up to
   * 15 min) before it moves to the dead-letter queue; 1–1440. Sets the queue's `maxReceiveCount`
   * and `RETRY_WINDOW_MINUTES` on the worker.
   * @default 60 (8 attempts)
   */
  readonly retryWindowMinutes?: number;
}

/** Properties of {@link AuthgearWebhooksStack}. */
export interface AuthgearWebhooksStackProps extends StackProps, AuthgearWebhooksOptions {
  /**
   * The project folder: handler files are read from `<projectRoot>/functions/`, the generated
   * Lambda entries are written to `<projectRoot>/.build/entries/`, and
   * `<projectRoot>/package-lock.json` pins what gets bundled.
   */
  readonly projectRoot: string;
}

/** Options after validation, as the stack uses them. */
interface ResolvedOptions {
  readonly secretArn: string | undefined;
  readonly secretName: string | undefined;
  readonly logRetentionDays: number;
  readonly blockingDeadlineMs: number | undefined;
  readonly logLevel: LogLevel | undefined;
  readonly secretCacheTtlSeconds: number | undefined;
  readonly deniedEmailDomains: readonly string[] | undefined;
  readonly retryWindowMinutes: number;
}

/** The secret every function reads, however it was obtained. */
interface WebhookSecret {
  /** What `AUTHGEAR_WEBHOOK_SECRET_ID` is set to: passed unchanged to `GetSecretValue`. */
  readonly id: string;
  /** What the IAM policy names (for a secret imported by name, an ARN pattern with the random suffix). */
  readonly policyResource: string;
  /** Region for the `put-secret-value` command. */
  readonly region: string;
  /** True when imported by name (the output is then a name, not an ARN). */
  readonly byName: boolean;
  /** Set when this stack creates the secret. */
  readonly created?: secretsmanager.Secret;
}

/**
 * Authgear webhooks on AWS: one API Gateway HTTP API, one Lambda function for all blocking events
 * (`POST /blocking/<event type>`, one route per file in `functions/blocking/`), a receiver for
 * non-blocking events (`POST /non-blocking`) that stores each verified event in an SQS FIFO queue,
 * a worker that runs the non-blocking handlers from that queue with retries and a dead-letter
 * queue, alarms, and the Secrets Manager secret holding the Authgear webhook signing secret.
 *
 * Environment-agnostic: nothing is looked up in an AWS account, so `cdk synth` works offline.
 *
 * @throws HandlerFileError when a file in `functions/` is misnamed (the message names the file).
 * @throws StackConfigError when an option or context value is invalid.
 * @example
 * ```ts
 * const app = new App();
 * new AuthgearWebhooksStack(app, 'AuthgearWebhooks', { projectRoot: '/path/to/project' });
 * ```
 */
export class AuthgearWebhooksStack extends Stack {
  /** The HTTP API Authgear calls. */
  readonly api: HttpApi;
  /** Serves every blocking event type, so the whole login path shares one warm pool. */
  readonly blockingFunction: NodejsFunction;
  /**
   * Serves `POST /non-blocking`: verifies each event and queues it (the receiver); created even
   * without non-blocking handler files, so a `"*"` subscription is acknowledged.
   */
  readonly nonBlockingFunction: NodejsFunction;
  /** Runs the non-blocking handler files on the queued events. */
  readonly workerFunction: NodejsFunction;
  /** The FIFO queue of verified non-blocking events. */
  readonly queue: sqs.Queue;
  /** Where events go when their retry window has passed; kept 14 days. */
  readonly deadLetterQueue: sqs.Queue;
  /** In alarm while any event is in the dead-letter queue. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** In alarm when a worker invocation fails as a whole (a crash or a timeout, not a handler failure). */
  readonly workerErrorsAlarm: cloudwatch.Alarm;
  /** The secret created by this stack, or undefined when an existing one is used. */
  readonly secret: secretsmanager.Secret | undefined;

  constructor(scope: Construct, id: string, props: AuthgearWebhooksStackProps) {
    super(scope, id, {
      description: 'Authgear webhooks on AWS Lambda behind an API Gateway HTTP API',
      ...props,
    });
    const options = resolveOptions(this.node, props);
    // Before any resource exists, so a misnamed handler file fails synth with just the file's name.
    const files = findHandlerFiles(props.projectRoot);
    Tags.of(this).add('project', 'authgear-webhooks');

    const webhookSecret = this.webhookSecret(options);
    this.secret = webhookSecret.created;
    const runtimeEnv: Record<string, string> = {
      [ENV.secretId]: webhookSecret.id,
      // Stack traces in logs point at the TypeScript sources instead of the minified bundle.
      NODE_OPTIONS: '--enable-source-maps',
    };
    if (options.logLevel !== undefined) runtimeEnv[ENV.logLevel] = options.logLevel;
    if (options.secretCacheTtlSeconds !== undefined) runtimeEnv[ENV.secretCacheTtlSeconds] = String(options.secretCacheTtlSeconds);

    // The deadline and the example's deny list only mean something to blocking handlers.
    const blockingEnv = { ...runtimeEnv };
    if (options.blockingDeadlineMs !== undefined) blockingEnv[ENV.blockingDeadlineMs] = String(options.blockingDeadlineMs);
    if (options.deniedEmailDomains !== undefined) blockingEnv.DENIED_EMAIL_DOMAINS = options.deniedEmailDomains.join(',');

    const common = { projectRoot: props.projectRoot, retention: options.logRetentionDays, secret: webhookSecret };
    this.blockingFunction = this.webhookFunction('Blocking', {
      ...common,
      serve: 'blocking',
      files: files.blocking,
      // Authgear waits 5 s; the handler answers by BLOCKING_DEADLINE_MS (default 4 s), so a longer
      // timeout would only keep a function running that nobody waits for.
      timeout: Duration.millis(AUTHGEAR_BLOCKING_TIMEOUT_MS),
      environment: blockingEnv,
      description: describeFunction('blocking', files.blocking),
    });

    const schedule = retrySchedule(options.retryWindowMinutes);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      fifo: true,
      // For FIFO queues the retention restarts when a message is dead-lettered: 14 days from then.
      retentionPeriod: QUEUE_RETENTION,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new sqs.Queue(this, 'EventQueue', {
      fifo: true,
      // The receiver sets the Authgear event id as deduplication id and as group (see shared/queue/sqs.ts).
      contentBasedDeduplication: false,
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      // Lambda's advice for SQS sources: six times the function timeout. It is also the retry delay
      // after a worker crash, when the worker could not set one itself.
      visibilityTimeout: Duration.seconds(6 * WORKER_TIMEOUT_SECONDS),
      retentionPeriod: QUEUE_RETENTION,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // One receive per attempt, plus one on which the worker only acknowledges a repeat of an event
      // it already handled (a lost delete) or hands the message back; then SQS dead-letters it.
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: schedule.maxAttempts + 1 },
    });

    this.nonBlockingFunction = this.webhookFunction('NonBlocking', {
      ...common,
      serve: 'receiver',
      files: files.nonBlocking,
      timeout: NON_BLOCKING_TIMEOUT,
      environment: { ...runtimeEnv, [QUEUE_ENV.queueUrl]: this.queue.queueUrl },
      description: describeFunction('non-blocking receiver', files.nonBlocking),
    });
    // The receiver may only add messages to this one queue.
    this.nonBlockingFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));

    const workerEnv: Record<string, string> = {
      NODE_OPTIONS: runtimeEnv.NODE_OPTIONS ?? '--enable-source-maps',
      [QUEUE_ENV.queueUrl]: this.queue.queueUrl,
      [QUEUE_ENV.retryWindowMinutes]: String(options.retryWindowMinutes),
    };
    if (options.logLevel !== undefined) workerEnv[ENV.logLevel] = options.logLevel;
    this.workerFunction = this.webhookFunction('Worker', {
      projectRoot: props.projectRoot,
      retention: options.logRetentionDays,
      serve: 'worker',
      files: files.nonBlocking,
      timeout: Duration.seconds(WORKER_TIMEOUT_SECONDS),
      environment: workerEnv,
      description: describeFunction('non-blocking worker', files.nonBlocking),
    });
    // What the event source mapping needs (Receive, Delete, GetQueueAttributes) and what the worker
    // calls itself (ChangeMessageVisibility), on this one queue. No SendMessage: SQS dead-letters.
    const workerRole = this.workerFunction.role as iam.Role;
    workerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        resources: [this.queue.queueArn],
      }),
    );
    const source = new lambda.EventSourceMapping(this, 'WorkerQueueSource', {
      target: this.workerFunction,
      eventSourceArn: this.queue.queueArn,
      batchSize: WORKER_BATCH_SIZE,
      // Only the failed messages of a batch are retried, never their neighbours.
      reportBatchItemFailures: true,
    });
    // Lambda checks the role's permissions when it creates the mapping.
    source.node.addDependency(workerRole);

    const alarms = this.queueAlarms(options.retryWindowMinutes);
    this.deadLetterAlarm = alarms.deadLetter;
    this.workerErrorsAlarm = alarms.workerErrors;

    this.api = this.httpApi(options.logRetentionDays);
    // One integration per function, shared by its routes: a single AWS::ApiGatewayV2::Integration.
    // With `provisionedConcurrency` > 0, the blocking routes call an alias kept that many
    // environments warm, so no login meets a cold start (BENCHMARKS.md: login-path budget).
    const provisioned = provisionedConcurrencyFromContext(this.node);
    const blockingTarget =
      provisioned > 0
        ? new lambda.Alias(this, 'BlockingLive', { aliasName: 'live', version: this.blockingFunction.currentVersion, provisionedConcurrentExecutions: provisioned })
        : this.blockingFunction;
    const blockingIntegration = new HttpLambdaIntegration('BlockingIntegration', blockingTarget);
    const nonBlockingIntegration = new HttpLambdaIntegration('NonBlockingIntegration', this.nonBlockingFunction);
    // Only the routes that have a handler: anything else is answered 404 by API Gateway without
    // invoking (and paying for) a function.
    for (const file of files.blocking) {
      this.api.addRoutes({ path: `${BLOCKING_PATH_PREFIX}${file.eventType}`, methods: [HttpMethod.POST], integration: blockingIntegration });
    }
    this.api.addRoutes({ path: NON_BLOCKING_PATH, methods: [HttpMethod.POST], integration: nonBlockingIntegration });

    this.addOutputs(files.blocking, files.nonBlocking, webhookSecret);
    this.addQueueOutputs(alarms);
  }

  /** Alarms without actions: attach an SNS topic or a chat integration to them (README: Durable non-blocking events). */
  private queueAlarms(retryWindowMinutes: number): { deadLetter: cloudwatch.Alarm; workerErrors: cloudwatch.Alarm; backlog: cloudwatch.Alarm } {
    const common = {
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No data means an idle queue or function, which is fine.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };
    const deadLetter = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      ...common,
      alarmDescription: `Authgear events are in the dead-letter queue: their handler kept failing for ${retryWindowMinutes} minutes. Fix the cause (worker log, outcome "dead_lettered"), then run: npm run redrive`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
    });
    const workerErrors = new cloudwatch.Alarm(this, 'WorkerErrorsAlarm', {
      ...common,
      alarmDescription:
        'The non-blocking worker failed as a whole (a crash or a timeout, not a handler that threw): its batch is retried after the queue visibility timeout. See the worker log group.',
      metric: this.workerFunction.metricErrors({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
    });
    // An event older than the retry window plus 30 minutes means the worker is not consuming at
    // all (a disabled event source, a broken deploy); after 14 days SQS would delete it.
    const backlogSeconds = retryWindowMinutes * 60 + 1_800;
    const backlog = new cloudwatch.Alarm(this, 'QueueBacklogAlarm', {
      ...common,
      threshold: backlogSeconds,
      alarmDescription: `An Authgear event has waited more than ${backlogSeconds / 60} minutes in the queue: the worker is not consuming it. Check the worker function and its event source mapping.`,
      metric: this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
    });
    return { deadLetter, workerErrors, backlog };
  }

  /** Creates the secret, or references the one named by `secretArn` / `secretName`. */
  private webhookSecret(options: ResolvedOptions): WebhookSecret {
    if (options.secretArn !== undefined) {
      const arn = options.secretArn;
      secretsmanager.Secret.fromSecretCompleteArn(this, 'WebhookSecret', arn);
      const region = Arn.split(arn, ArnFormat.COLON_RESOURCE_NAME).region ?? Aws.REGION;
      // The functions call Secrets Manager in their own region, where a secret of another region
      // does not exist: refuse the deployment up front instead of failing every request.
      new CfnRule(this, 'SecretInStackRegion', {
        assertions: [
          {
            assert: Fn.conditionEquals(Aws.REGION, region),
            assertDescription: `secretArn names a secret in ${region}; deploy this stack to ${region} or use a secret in the stack's region`,
          },
        ],
      });
      return { id: arn, policyResource: arn, region, byName: false };
    }
    if (options.secretName !== undefined) {
      const name = options.secretName;
      secretsmanager.Secret.fromSecretNameV2(this, 'WebhookSecret', name);
      // The real ARN ends in "-" and 6 random characters that a name does not tell.
      const policyResource = this.formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: `${name}-??????`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      return { id: name, policyResource, region: Aws.REGION, byName: true };
    }
    const secret = new secretsmanager.Secret(this, 'WebhookSecret', {
      description: 'Authgear webhook signing secret (Authgear portal: Advanced > Hooks). Set it with the PutSecretValueCommand output; a JSON array of strings allows a rotation overlap.',
    });
    // CDK would generate a random value, which can never match Authgear's signatures. An empty
    // secret makes the functions answer 503 "no secret" until the real one is stored, and the value
    // never passes through the template.
    (secret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
    return { id: secret.secretArn, policyResource: secret.secretArn, region: Aws.REGION, byName: false, created: secret };
  }

  private webhookFunction(
    id: 'Blocking' | 'NonBlocking' | 'Worker',
    options: {
      readonly projectRoot: string;
      readonly serve: LambdaEntryKind;
      readonly files: readonly HandlerFile[];
      readonly retention: number;
      /** The worker verifies nothing (only the receiver can queue), so it gets no secret. */
      readonly secret?: WebhookSecret;
      readonly timeout: Duration;
      readonly environment: Record<string, string>;
      readonly description: string;
    },
  ): NodejsFunction {
    const { projectRoot } = options;
    const entry = writeLambdaEntry({
      projectRoot,
      outDir: join(projectRoot, '.build', 'entries'),
      serve: options.serve,
      files: options.files,
    });

    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: options.retention as logs.RetentionDays });
    // An own role instead of AWSLambdaBasicExecutionRole, which may write to every log group in
    // the account: this one writes to its own log group and reads the one secret.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the Authgear ${ROLE_PURPOSE[id]} function`,
    });
    logGroup.grantWrite(role);
    // Not secret.grantRead(): that adds DescribeSecret, which the functions never call.
    if (options.secret) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [options.secret.policyResource] }));
    }

    const lockFile = join(projectRoot, 'package-lock.json');
    if (!existsSync(lockFile)) throw new StackConfigError(`${lockFile} is missing: run npm install in the project folder first`);

    return new NodejsFunction(this, `${id}Function`, {
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
      role,
      logGroup,
      environment: options.environment,
      bundling: {
        // Never Docker: the local esbuild from package-lock.json, so synth works on any machine.
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        // Bundled CommonJS packages may call require(); ESM has none, so provide one.
        banner: "import { createRequire as __authgearCreateRequire } from 'node:module'; const require = __authgearCreateRequire(import.meta.url);",
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
        // Two SDK parts that never run here, replaced by small modules of ours (BENCHMARKS.md):
        // - the default credential chain: Lambda always passes the role's credentials in the
        //   environment, its first link. The rest (SSO, ini files, process, web identity,
        //   metadata, with their STS/SSO clients) was 40 % of each bundle and 10–14 ms of a cold start;
        // - event-stream support, which no Secrets Manager or SQS operation uses: 19 KiB, 3–5 ms.
        esbuildArgs: {
          '--alias': [
            `@aws-sdk/credential-provider-node=${join(projectRoot, 'shared', 'adapters', 'lambda-credentials.ts')}`,
            `@smithy/core/event-streams=${join(projectRoot, 'shared', 'adapters', 'lambda-event-streams.ts')}`,
          ],
        },
        logLevel: EsbuildLogLevel.WARNING,
      },
    });
  }

  /** The HTTP API with its `$default` stage, which logs every request (including the 404s of wrong URLs). */
  private httpApi(retention: number): HttpApi {
    const api = new HttpApi(this, 'Api', {
      apiName: this.stackName,
      description: 'Receives Authgear webhook deliveries',
      // Created below, to add access logs.
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: retention as logs.RetentionDays });
    new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // Requests that never reach a function (unknown URL, wrong method, timeouts) only show up here.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            method: '$context.httpMethod',
            path: '$context.path',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationStatus: '$context.integrationStatus',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            // Authgear's server address, not an end user's.
            sourceIp: '$context.identity.sourceIp',
          }),
        ),
      },
    });
    return api;
  }

  private addOutputs(blocking: readonly HandlerFile[], nonBlocking: readonly HandlerFile[], secret: WebhookSecret): void {
    const base = this.api.apiEndpoint;
    for (const file of blocking) {
      new CfnOutput(this, `BlockingUrl${pascalCase(file.eventType)}`, {
        value: `${base}${BLOCKING_PATH_PREFIX}${file.eventType}`,
        description: `Authgear blocking hook URL for ${file.eventType}`,
      });
    }
    new CfnOutput(this, 'NonBlockingUrl', {
      value: `${base}${NON_BLOCKING_PATH}`,
      description: 'Authgear non-blocking hook URL (every non-blocking event type)',
    });
    new CfnOutput(this, secret.byName ? 'WebhookSecretName' : 'WebhookSecretArn', {
      value: secret.id,
      description: 'Secrets Manager secret holding the Authgear webhook signing secret',
    });
    new CfnOutput(this, 'PutSecretValueCommand', {
      // `read -s` keeps the secret off the screen and out of shell history; printf is a shell
      // builtin and the CLI reads stdin, so it never appears in a process list either.
      value: [
        'read -rs AUTHGEAR_SECRET &&',
        `printf '%s' "$AUTHGEAR_SECRET" | aws secretsmanager put-secret-value --region ${secret.region} --secret-id ${secret.id} --secret-string file:///dev/stdin;`,
        'unset AUTHGEAR_SECRET',
      ].join(' '),
      description: 'Run in bash or zsh, then paste the secret from the Authgear portal (Advanced > Hooks) and press Enter',
    });
    new CfnOutput(this, 'AuthgearHookConfig', {
      value: renderHookConfig(
        base,
        blocking.map((f) => f.eventType),
        nonBlocking.map((f) => f.eventType),
      ),
      description: 'The hook section for authgear.yaml',
    });
  }

  /** Queue URLs for `npm run redrive`, and the alarms to attach notifications to. */
  private addQueueOutputs(alarms: Readonly<Record<'deadLetter' | 'workerErrors' | 'backlog', cloudwatch.Alarm>>): void {
    new CfnOutput(this, 'NonBlockingQueueUrl', { value: this.queue.queueUrl, description: 'SQS FIFO queue of verified non-blocking events (npm run redrive --queue-url)' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl, description: 'Dead-letter queue: events whose retry window passed, kept 14 days (npm run redrive --dlq-url)' });
    const described = {
      deadLetter: ['DeadLetterAlarm', 'Alarm: events are in the dead-letter queue'],
      workerErrors: ['WorkerErrorsAlarm', 'Alarm: the worker function failed as a whole'],
      backlog: ['QueueBacklogAlarm', 'Alarm: the worker is not consuming the queue'],
    } as const;
    for (const [key, [id, description]] of Object.entries(described) as [keyof typeof described, (typeof described)[keyof typeof described]][]) {
      new CfnOutput(this, `${id}Name`, { value: alarms[key].alarmName, description });
      new CfnOutput(this, `${id}Arn`, { value: alarms[key].alarmArn, description });
    }
    new CfnOutput(this, 'RedriveCommand', {
      value: `npm run redrive -- --dry-run --queue-url ${this.queue.queueUrl} --dlq-url ${this.deadLetterQueue.queueUrl}`,
      description: 'Lists the dead-lettered events; run it again without --dry-run to process them again',
    });
  }
}

const ROLE_PURPOSE = { Blocking: 'blocking webhook', NonBlocking: 'non-blocking webhook receiver', Worker: 'non-blocking event worker' } as const;

/** `oidc.jwt.pre_create` → `OidcJwtPreCreate` (output ids allow letters and digits only). */
export function pascalCase(eventType: string): string {
  return eventType
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Lambda descriptions stop at 256 characters; list the events while they fit. */
function describeFunction(kind: 'blocking' | 'non-blocking receiver' | 'non-blocking worker', files: readonly HandlerFile[]): string {
  const prefix = `Authgear ${kind} webhooks`;
  const listed = files.length === 0 ? `${prefix} (no handler files: acknowledges every event)` : `${prefix}: ${files.map((f) => f.eventType).join(', ')}`;
  return listed.length <= 256 ? listed : `${prefix} (${files.length} event types)`;
}

/**
 * Reads the stack name from the `stackName` context value.
 * @throws StackConfigError when it is not a valid CloudFormation stack name.
 */
export function stackNameFromContext(node: Node): string {
  const raw = optionalString(node.tryGetContext('stackName'), 'stackName');
  const name = raw ?? DEFAULT_STACK_NAME;
  if (!STACK_NAME.test(name)) {
    throw new StackConfigError(`stackName must start with a letter and contain only letters, digits and hyphens, at most 128 characters (got "${name}")`);
  }
  return name;
}

/** Merges properties over context values and validates the result. */
function resolveOptions(node: Node, props: AuthgearWebhooksOptions): ResolvedOptions {
  const pick = <K extends keyof AuthgearWebhooksOptions>(key: K): unknown => (props[key] !== undefined ? props[key] : node.tryGetContext(key));

  const secretArn = optionalString(pick('secretArn'), 'secretArn');
  const secretName = optionalString(pick('secretName'), 'secretName');
  if (secretArn !== undefined && secretName !== undefined) {
    throw new StackConfigError('give secretArn or secretName, not both');
  }
  if (secretArn !== undefined && !COMPLETE_SECRET_ARN.test(secretArn)) {
    throw new StackConfigError(
      `secretArn must be a complete Secrets Manager secret ARN, ending in "-" and the 6 characters Secrets Manager adds (got "${secretArn}"); to name a secret without the suffix, use secretName`,
    );
  }
  if (secretName !== undefined && (!SECRET_NAME.test(secretName) || secretName.startsWith('arn:'))) {
    throw new StackConfigError(`secretName must be a secret name made of letters, digits and /_+=.@- (got "${secretName}"); for an ARN use secretArn`);
  }

  const logRetentionDays = optionalInteger(pick('logRetentionDays'), 'logRetentionDays') ?? DEFAULT_LOG_RETENTION_DAYS;
  if (!RETENTION_DAYS.includes(logRetentionDays)) {
    throw new StackConfigError(`logRetentionDays must be one of ${RETENTION_DAYS.join(', ')} (got ${logRetentionDays})`);
  }

  const blockingDeadlineMs = optionalInteger(pick('blockingDeadlineMs'), 'blockingDeadlineMs');
  if (blockingDeadlineMs !== undefined && (blockingDeadlineMs < 1 || blockingDeadlineMs >= AUTHGEAR_BLOCKING_TIMEOUT_MS)) {
    throw new StackConfigError(
      `blockingDeadlineMs must be an integer from 1 to ${AUTHGEAR_BLOCKING_TIMEOUT_MS - 1}: Authgear stops waiting after ${AUTHGEAR_BLOCKING_TIMEOUT_MS} ms (got ${blockingDeadlineMs}; the default is ${DEFAULTS.blockingDeadlineMs})`,
    );
  }

  const rawLevel = optionalString(pick('logLevel'), 'logLevel')?.toLowerCase();
  if (rawLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(rawLevel)) {
    throw new StackConfigError(`logLevel must be one of ${LOG_LEVELS.join(', ')} (got "${rawLevel}")`);
  }

  const secretCacheTtlSeconds = optionalInteger(pick('secretCacheTtlSeconds'), 'secretCacheTtlSeconds');
  if (secretCacheTtlSeconds !== undefined && (secretCacheTtlSeconds < 0 || secretCacheTtlSeconds > 86_400)) {
    throw new StackConfigError(`secretCacheTtlSeconds must be an integer from 0 to 86400 (got ${secretCacheTtlSeconds})`);
  }

  const retryWindowMinutes = optionalInteger(pick('retryWindowMinutes'), 'retryWindowMinutes') ?? RETRY_DEFAULTS.windowMinutes;
  if (retryWindowMinutes < RETRY_DEFAULTS.minWindowMinutes || retryWindowMinutes > RETRY_DEFAULTS.maxWindowMinutes) {
    throw new StackConfigError(
      `retryWindowMinutes must be an integer from ${RETRY_DEFAULTS.minWindowMinutes} to ${RETRY_DEFAULTS.maxWindowMinutes} (got ${retryWindowMinutes}; the default is ${RETRY_DEFAULTS.windowMinutes})`,
    );
  }

  return {
    secretArn,
    secretName,
    logRetentionDays,
    retryWindowMinutes,
    blockingDeadlineMs,
    logLevel: rawLevel as LogLevel | undefined,
    secretCacheTtlSeconds,
    deniedEmailDomains: domainList(pick('deniedEmailDomains')),
  };
}

/** Context values arrive as strings from `-c key=value` and as JSON values from cdk.json. */
function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new StackConfigError(`${name} must be a string (got ${JSON.stringify(value)})`);
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function optionalInteger(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new StackConfigError(`${name} must be an integer (got ${JSON.stringify(value)})`);
  return number;
}

function domainList(value: unknown): readonly string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (!items || !items.every((item): item is string => typeof item === 'string')) {
    throw new StackConfigError(`deniedEmailDomains must be a comma-separated string or a list of strings (got ${JSON.stringify(value)})`);
  }
  const domains = items.map((d) => d.trim().toLowerCase()).filter(Boolean);
  const invalid = domains.filter((d) => !DOMAIN.test(d));
  if (invalid.length > 0) {
    throw new StackConfigError(`deniedEmailDomains must list domain names such as mailinator.com, without "@" (invalid: ${invalid.join(', ')})`);
  }
  return domains.length === 0 ? undefined : domains;
}

/** The most environments `provisionedConcurrency` may keep warm (Lambda's default account concurrency is 1000). */
const MAX_PROVISIONED_CONCURRENCY = 1000;

/**
 * Reads the `provisionedConcurrency` context value: how many environments of the blocking function
 * to keep initialized. 0 (the default) keeps the stack as it is; more adds an alias with that much
 * provisioned concurrency, which the blocking routes then call. It is billed while deployed.
 *
 * @throws StackConfigError when it is not an integer from 0 to 1000.
 */
export function provisionedConcurrencyFromContext(node: Node): number {
  const value = optionalInteger(node.tryGetContext('provisionedConcurrency'), 'provisionedConcurrency') ?? 0;
  if (value < 0 || value > MAX_PROVISIONED_CONCURRENCY) {
    throw new StackConfigError(`provisionedConcurrency must be an integer from 0 (off) to ${MAX_PROVISIONED_CONCURRENCY} (got ${value})`);
  }
  return value;
}
