import { Duration, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV, QUEUE_ENV } from '../shared/core/config';
import { checkHandlerFilesSync } from '../shared/discovery/check-handlers-sync';
import { declaredSecrets } from '../shared/discovery/checked-handler-files';
import { IDEMPOTENCY_ENV } from '../shared/core/idempotency';
import { retrySchedule } from '../shared/core/retry';
import type { DomainName } from 'aws-cdk-lib/aws-apigatewayv2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { adminApiAccess, resolveAdminApiOptions, type AdminApiOptions } from './admin-api';
import { alarmNotifications } from './alarm-notifications';
import { backlogAlarmSeconds, webhookAlarms, type WebhookAlarms } from './alarms';
import { dashboardUrl, webhookDashboard } from './dashboard';
import { webhookDomain } from './domain';
import { encryptWithKey } from './encryption';
import { resolveHandlerEnv } from './handler-env';
import { grantHandlerSecrets } from './handler-secrets';
import { webhookHttpApi } from './http-api';
import { allowIdempotencyRecords, encryptIdempotencyTable, idempotencyTable } from './idempotency-table';
import { logMetrics } from './log-metrics';
import { AUTHGEAR_BLOCKING_TIMEOUT_MS, resolveOptions, StackConfigError, type AuthgearWebhooksOptions } from './options';
import { addDashboardOutput, addDomainTargetOutput, addHookOutputs, addQueueOutputs } from './outputs';
import { resolveProductionOptions } from './production-options';
import { applyRetention } from './retention';
import { enableTracing } from './tracing';
import { describeFunction, webhookFunction } from './webhook-function';
import { allowEnqueue, feedWorker, webhookQueues, WORKER_TIMEOUT_SECONDS } from './webhook-queue';
import { webhookSecret } from './webhook-secret';

export {
  DEFAULT_LOG_RETENTION_DAYS,
  DEFAULT_STACK_NAME,
  DEFAULT_THROTTLE,
  StackConfigError,
  provisionedConcurrencyFromContext,
  stackNameFromContext,
  type AuthgearWebhooksOptions,
} from './options';
export { pascalCase } from './outputs';

/** API Gateway HTTP APIs stop waiting for an integration after 30 s; stop the function just before. */
const NON_BLOCKING_TIMEOUT = Duration.seconds(29);

/** Properties of {@link AuthgearWebhooksStack}. */
export interface AuthgearWebhooksStackProps extends StackProps, AuthgearWebhooksOptions, AdminApiOptions {
  /**
   * The project folder: handler files are read from `<projectRoot>/functions/`, the generated
   * Lambda entries are written to `<projectRoot>/.build/entries/`, and
   * `<projectRoot>/package-lock.json` pins what gets bundled.
   */
  readonly projectRoot: string;
  /** The folder of handler files (`blocking/`, `non-blocking/`). @default `<projectRoot>/functions` */
  readonly functionsDir?: string;
  /**
   * The stage this stack deploys (see ./stages): every resource is tagged `stage=<name>`.
   * @default no stage tag
   */
  readonly stageName?: string;
}

/**
 * Authgear webhooks on AWS: one API Gateway HTTP API, one Lambda function for all blocking events
 * (`POST /blocking/<event type>`, one route per file in `functions/blocking/`), a receiver for
 * non-blocking events (`POST /non-blocking`) that stores each verified event in an SQS FIFO queue,
 * a worker that runs the non-blocking handlers from that queue with retries and a dead-letter
 * queue, alarms, and the Secrets Manager secret holding the Authgear webhook signing secret.
 *
 * Environment-agnostic: nothing is looked up in an AWS account, so `cdk synth` works offline.
 * The parts live beside this file: options.ts and production-options.ts (context values),
 * stages.ts (cdk.json stage blocks, read by app.ts), webhook-secret.ts, webhook-function.ts,
 * webhook-queue.ts, idempotency-table.ts, http-api.ts, domain.ts, alarms.ts, alarm-notifications.ts, log-metrics.ts,
 * dashboard.ts, tracing.ts, retention.ts, encryption.ts, outputs.ts and security-checks.ts
 * (cdk-nag and the acknowledged findings).
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
  /** The API's `$default` stage: throttling and access logs. */
  readonly stage: HttpStage;
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
  /** One record per non-blocking event id, so each handler succeeds once across worker containers. */
  readonly idempotencyTable: dynamodb.Table;
  /** Every alarm of the stack (docs/troubleshooting.md: Alarms). */
  readonly alarms: WebhookAlarms;
  /** In alarm while any event is in the dead-letter queue. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** In alarm when a worker invocation fails as a whole (a crash or a timeout, not a handler failure). */
  readonly workerErrorsAlarm: cloudwatch.Alarm;
  /** The secret created by this stack, or undefined when an existing one is used. */
  readonly secret: secretsmanager.Secret | undefined;
  /**
   * The customer-managed key of `kmsKeyArn`, which encrypts the queues, the created secret and the
   * log groups; undefined without it. Another resource holding event data should use it too.
   */
  readonly encryptionKey: kms.IKey | undefined;
  /** The CloudWatch dashboard, unless `dashboard` is false. */
  readonly dashboard: cloudwatch.Dashboard | undefined;
  /** The topic `alarmEmail` subscribes to, when given. */
  readonly alarmEmailTopic: sns.Topic | undefined;
  /** The custom domain of `domainName`, when given. */
  readonly customDomain: DomainName | undefined;
  /** The secret for the Admin API private key, when this stack creates it (with `authgearEndpoint`). */
  readonly adminApiPrivateKeySecret: secretsmanager.Secret | undefined;

  constructor(scope: Construct, id: string, props: AuthgearWebhooksStackProps) {
    super(scope, id, {
      description: 'Authgear webhooks on AWS Lambda behind an API Gateway HTTP API',
      ...props,
    });
    const options = resolveOptions(this.node, props);
    const production = resolveProductionOptions(this.node, props);
    const adminApiOptions = resolveAdminApiOptions(this.node, props);
    // Before any resource exists, and before bundling: a handler file that is misnamed or does not
    // export its handler fails synth with the message of `npm run typecheck`, naming the file.
    const files = checkHandlerFilesSync(props.projectRoot, props.functionsDir);
    const handlerEnv = resolveHandlerEnv(props.handlerEnv ?? this.node.tryGetContext('handlerEnv'));
    if (handlerEnv.DENIED_EMAIL_DOMAINS !== undefined && options.deniedEmailDomains !== undefined) {
      throw new StackConfigError('DENIED_EMAIL_DOMAINS is set both by deniedEmailDomains and in handlerEnv; keep one');
    }
    Tags.of(this).add('project', 'authgear-webhooks');
    if (props.stageName !== undefined) Tags.of(this).add('stage', props.stageName);

    // The signing secret: created empty, or an existing one.
    const secret = webhookSecret(this, options);
    this.secret = secret.created;

    // Environment shared by the functions that verify signatures.
    const verifierEnv: Record<string, string> = {
      [ENV.secretId]: secret.id,
    };
    if (options.logLevel !== undefined) verifierEnv[ENV.logLevel] = options.logLevel;
    if (options.secretCacheTtlSeconds !== undefined) verifierEnv[ENV.secretCacheTtlSeconds] = String(options.secretCacheTtlSeconds);
    // The deadline and the example's deny list only mean something to blocking handlers.
    const blockingEnv = { ...handlerEnv, ...verifierEnv };
    if (options.blockingDeadlineMs !== undefined) blockingEnv[ENV.blockingDeadlineMs] = String(options.blockingDeadlineMs);
    if (options.deniedEmailDomains !== undefined) blockingEnv.DENIED_EMAIL_DOMAINS = options.deniedEmailDomains.join(',');
    // The Admin API (context.adminApi): for the functions that run handlers, never the receiver.
    const adminApi = adminApiOptions ? adminApiAccess(this, adminApiOptions) : undefined;
    Object.assign(blockingEnv, adminApi?.environment);
    this.adminApiPrivateKeySecret = adminApi?.createdSecret;

    // Blocking path: one function for every blocking route.
    const common = { projectRoot: props.projectRoot, retention: options.logRetentionDays };
    this.blockingFunction = webhookFunction(this, 'Blocking', {
      ...common,
      secret,
      serve: 'blocking',
      files: files.blocking,
      // Authgear waits 5 s; the handler answers by BLOCKING_DEADLINE_MS (default 4 s), so a longer
      // timeout would only keep a function running that nobody waits for.
      timeout: Duration.millis(AUTHGEAR_BLOCKING_TIMEOUT_MS),
      environment: blockingEnv,
      description: describeFunction('blocking', files.blocking),
      reservedConcurrentExecutions: options.blockingReservedConcurrency,
    });
    grantHandlerSecrets(this, this.blockingFunction, declaredSecrets(files.blocking));

    // Non-blocking path: receiver → FIFO queue → worker, with a dead-letter queue.
    const schedule = retrySchedule(options.retryWindowMinutes);
    const queues = webhookQueues(this, { maxAttempts: schedule.maxAttempts });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;

    this.nonBlockingFunction = webhookFunction(this, 'NonBlocking', {
      ...common,
      secret,
      serve: 'receiver',
      files: files.nonBlocking,
      timeout: NON_BLOCKING_TIMEOUT,
      environment: { ...verifierEnv, [QUEUE_ENV.queueUrl]: this.queue.queueUrl },
      description: describeFunction('non-blocking receiver', files.nonBlocking),
      reservedConcurrentExecutions: options.receiverReservedConcurrency,
    });
    allowEnqueue(this.nonBlockingFunction, this.queue);

    // Only the worker reads and writes the idempotency records.
    this.idempotencyTable = idempotencyTable(this);
    const workerEnv: Record<string, string> = {
      ...handlerEnv,
      [QUEUE_ENV.queueUrl]: this.queue.queueUrl,
      [QUEUE_ENV.retryWindowMinutes]: String(options.retryWindowMinutes),
      [IDEMPOTENCY_ENV.tableName]: this.idempotencyTable.tableName,
      [IDEMPOTENCY_ENV.retentionHours]: String(options.idempotencyRetentionHours),
    };
    if (options.logLevel !== undefined) workerEnv[ENV.logLevel] = options.logLevel;
    Object.assign(workerEnv, adminApi?.environment);
    this.workerFunction = webhookFunction(this, 'Worker', {
      ...common,
      serve: 'worker',
      files: files.nonBlocking,
      timeout: Duration.seconds(WORKER_TIMEOUT_SECONDS),
      environment: workerEnv,
      description: describeFunction('non-blocking worker', files.nonBlocking),
      readsHandlerSecrets: declaredSecrets(files.nonBlocking).length > 0,
    });
    grantHandlerSecrets(this, this.workerFunction, declaredSecrets(files.nonBlocking));
    feedWorker(this, this.workerFunction, this.queue, { maxConcurrency: options.workerMaxConcurrency });
    allowIdempotencyRecords(this.workerFunction, this.idempotencyTable);
    if (production.tracing) {
      enableTracing(this, { Blocking: this.blockingFunction, NonBlocking: this.nonBlockingFunction, Worker: this.workerFunction });
    }
    adminApi?.grantRead(this.blockingFunction);
    adminApi?.grantRead(this.workerFunction);

    // The API. With `provisionedConcurrency` > 0, the blocking routes call an alias kept that many
    // environments warm, so no login meets a cold start (docs/performance.md: login path budget).
    const blockingTarget =
      options.provisionedConcurrency > 0
        ? new lambda.Alias(this, 'BlockingLive', {
            aliasName: 'live',
            version: this.blockingFunction.currentVersion,
            provisionedConcurrentExecutions: options.provisionedConcurrency,
          })
        : this.blockingFunction;
    const http = webhookHttpApi(this, {
      retention: options.logRetentionDays,
      throttle: options.throttle,
      blockingTarget,
      receiver: this.nonBlockingFunction,
      blockingFiles: files.blocking,
      // Unset rather than false, so the template of a stack without a custom domain is unchanged.
      disableExecuteApiEndpoint: production.disableExecuteApiEndpoint || undefined,
    });
    this.api = http.api;
    this.stage = http.stage;
    // With a custom domain, every URL Authgear is given is on it.
    const domain = production.domain ? webhookDomain(this, { api: this.api, stage: this.stage, domain: production.domain }) : undefined;
    this.customDomain = domain?.domainName;

    // Alarms, notifying `alarmTopicArn` and the addresses of `alarmEmail`.
    this.alarms = webhookAlarms(this, {
      stage: this.stage,
      blockingFunction: this.blockingFunction,
      workerFunction: this.workerFunction,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      retryWindowMinutes: options.retryWindowMinutes,
      alarmTopicArn: options.alarmTopicArn,
    });
    this.deadLetterAlarm = this.alarms.deadLetter;
    this.workerErrorsAlarm = this.alarms.workerErrors;
    this.alarmEmailTopic = alarmNotifications(this, Object.values(this.alarms), {
      emails: production.alarmEmails,
      topicArn: options.alarmTopicArn,
    });

    this.dashboard = production.dashboard
      ? webhookDashboard(this, {
          metrics: logMetrics(this, {
            blockingLogGroup: this.blockingFunction.logGroup,
            receiverLogGroup: this.nonBlockingFunction.logGroup,
            workerLogGroup: this.workerFunction.logGroup,
          }),
          alarms: this.alarms,
          stage: this.stage,
          blockingFunction: this.blockingFunction,
          receiverFunction: this.nonBlockingFunction,
          workerFunction: this.workerFunction,
          queue: this.queue,
          deadLetterQueue: this.deadLetterQueue,
          backlogAlarmSeconds: backlogAlarmSeconds(options.retryWindowMinutes),
        })
      : undefined;

    // Last, once every queue, secret and log group exists.
    applyRetention(this, {
      retain: production.retainOnDelete,
      queues: [this.queue, this.deadLetterQueue],
      secrets: [this.secret, this.adminApiPrivateKeySecret],
      tables: [this.idempotencyTable],
    });
    this.encryptionKey =
      production.kmsKeyArn === undefined
        ? undefined
        : encryptWithKey(this, production.kmsKeyArn, {
            queues: [this.queue, this.deadLetterQueue],
            secrets: [this.secret, this.adminApiPrivateKeySecret],
            // The worker reads a secret only for the Admin API key.
            secretReaders: adminApi
              ? [this.blockingFunction, this.nonBlockingFunction, this.workerFunction]
              : [this.blockingFunction, this.nonBlockingFunction],
            queueSenders: [this.nonBlockingFunction],
            queueReceivers: [this.workerFunction],
          });
    if (this.encryptionKey) encryptIdempotencyTable(this.idempotencyTable, this.encryptionKey, this.workerFunction);

    addHookOutputs(this, {
      baseUrl: domain?.baseUrl ?? this.api.apiEndpoint,
      blocking: files.blocking,
      nonBlocking: files.nonBlocking,
      secret,
    });
    if (this.dashboard) addDashboardOutput(this, dashboardUrl(this.dashboard));
    if (domain && !domain.record && production.domain) {
      addDomainTargetOutput(this, production.domain.domainName, domain.domainName.regionalDomainName);
    }
    addQueueOutputs(this, queues);
  }
}
