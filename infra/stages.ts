/**
 * Stages: `npx cdk deploy -c stage=production` picks the block `context.stages.production` of
 * cdk.json, so each environment's settings live in one reviewed place instead of on command lines.
 *
 * A stage block may set every stack option (the keys of {@link AuthgearWebhooksOptions}) plus
 * `account`, `region` and `terminationProtection`. Its values win over the top-level context
 * values (cdk.json and `-c key=value`), which stay the defaults of every stage. The stack of stage
 * `<name>` is `<stackName>-<name>` (`AuthgearWebhooks-production`), tagged `stage=<name>`.
 * Without `-c stage`, the app deploys the stack `stackName` (default `AuthgearWebhooks`) from the
 * top-level context alone, as before stages existed.
 */
import type { Node } from 'constructs';
import type { AdminApiOptions } from './admin-api';
import { stackNameFromContext, StackConfigError, type AuthgearWebhooksOptions } from './options';
import { flag } from './production-options';
import { stageStackName } from './stage-names';

/**
 * Every stack option a stage block may set. Typed as a record of the options interface, so an
 * option added there fails the type check until it is listed here too.
 */
export const OPTION_KEYS: Readonly<Record<keyof AuthgearWebhooksOptions | keyof AdminApiOptions, true>> = {
  secretArn: true,
  secretName: true,
  logRetentionDays: true,
  blockingDeadlineMs: true,
  logLevel: true,
  secretCacheTtlSeconds: true,
  deniedEmailDomains: true,
  retryWindowMinutes: true,
  provisionedConcurrency: true,
  throttleRateLimit: true,
  throttleBurstLimit: true,
  blockingReservedConcurrency: true,
  receiverReservedConcurrency: true,
  workerMaxConcurrency: true,
  alarmTopicArn: true,
  handlerEnv: true,
  domainName: true,
  certificateArn: true,
  hostedZoneId: true,
  hostedZoneName: true,
  disableExecuteApiEndpoint: true,
  retainOnDelete: true,
  alarmEmail: true,
  dashboard: true,
  tracing: true,
  kmsKeyArn: true,
  authgearEndpoint: true,
  adminApiKeyId: true,
  authgearProjectId: true,
  adminApiPrivateKeySecret: true,
  idempotencyRetentionHours: true,
};

/** Keys of a stage block that are about where and how the stack is deployed, not stack options. */
const DEPLOYMENT_KEYS = ['account', 'region', 'terminationProtection'] as const;

const STAGE_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** The stack to synthesize, as the chosen stage (or its absence) describes it. */
export interface StageSelection {
  /** The stage name, or undefined when no `-c stage` was given. */
  readonly stage: string | undefined;
  readonly stackName: string;
  /** Set when the stage names an account or a region; otherwise the stack is environment-agnostic. */
  readonly env: { readonly account?: string; readonly region?: string } | undefined;
  readonly terminationProtection: boolean;
}

/**
 * Reads `stage` and `stages` from the context of `node` (the app's), copies the chosen stage's
 * options into that context, where the stack reads them, and says how to name and deploy it.
 * Call it before any stack is added to the app.
 *
 * @throws StackConfigError for an unknown stage, a misspelt key or an invalid account, region or flag.
 * @example
 * ```ts
 * const app = new App();
 * const selection = applyStage(app.node);
 * new AuthgearWebhooksStack(app, selection.stackName, { projectRoot, ...selection });
 * ```
 */
export function applyStage(node: Node): StageSelection {
  const prefix = stackNameFromContext(node);
  const stage = node.tryGetContext('stage') as unknown;
  if (stage === undefined || stage === null || stage === '') {
    return {
      stage: undefined,
      stackName: prefix,
      env: undefined,
      terminationProtection: flag(node.tryGetContext('terminationProtection'), 'terminationProtection') ?? false,
    };
  }
  if (typeof stage !== 'string' || !STAGE_NAME.test(stage)) {
    throw new StackConfigError(
      `stage must be a lower-case name of letters, digits and hyphens, at most 32 characters, such as staging (got ${JSON.stringify(stage)})`,
    );
  }
  const stages = (node.tryGetContext('stages') ?? {}) as unknown;
  if (typeof stages !== 'object' || stages === null || Array.isArray(stages)) {
    throw new StackConfigError('context.stages in cdk.json must be an object with one block of settings per stage');
  }
  const names = Object.keys(stages);
  const block = (stages as Record<string, unknown>)[stage];
  if (block === undefined) {
    throw new StackConfigError(
      `unknown stage "${stage}": cdk.json defines ${names.length > 0 ? names.join(', ') : 'no stages'} (context.stages); add a block for it there`,
    );
  }
  if (typeof block !== 'object' || block === null || Array.isArray(block)) {
    throw new StackConfigError(`context.stages.${stage} in cdk.json must be an object of settings`);
  }

  const settings = block as Record<string, unknown>;
  const unknown = Object.keys(settings).filter((key) => !(key in OPTION_KEYS) && !(DEPLOYMENT_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new StackConfigError(
      `context.stages.${stage} has unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; a stage may set ${[...DEPLOYMENT_KEYS, ...Object.keys(OPTION_KEYS)].join(', ')}`,
    );
  }
  for (const [key, value] of Object.entries(settings)) {
    if (key in OPTION_KEYS) node.setContext(key, value);
  }

  const account = deploymentValue(settings.account, `context.stages.${stage}.account`, ACCOUNT, 'a 12-digit AWS account id');
  const region = deploymentValue(settings.region, `context.stages.${stage}.region`, REGION, 'an AWS region such as eu-west-1');
  const stackName = stageStackName(prefix, stage);
  if (stackName.length > 128) throw new StackConfigError(`the stack name ${stackName} is longer than CloudFormation's 128 characters`);
  return {
    stage,
    stackName,
    env: account !== undefined || region !== undefined ? { account, region } : undefined,
    terminationProtection: flag(settings.terminationProtection, `context.stages.${stage}.terminationProtection`) ?? false,
  };
}

function deploymentValue(value: unknown, name: string, pattern: RegExp, what: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !pattern.test(text)) throw new StackConfigError(`${name} must be ${what} (got ${JSON.stringify(value)})`);
  return text;
}
