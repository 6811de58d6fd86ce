/**
 * The deployed functions as the benchmark runs them: the machine it reports, the environment Lambda
 * gives every function, and each bundle's first event and the checks of its answer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { FakeDynamoDb } from '../support/dynamodb-server';
import type { FakeSecretsManager } from '../support/secrets-manager-server';
import type { FakeSqs } from '../support/sqs-server';
import { apiGatewayEvent, type DeployedBundle, freshSignedBody, type ProcessRun, sqsEvent } from './cold';

export const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:authgear-webhook-Bench1';
export const BENCH_SECRET = 'k3Y9mP2qR7sT1vW5xZ8aB4cD6eF0gH_j';
export const IDEMPOTENCY_TABLE = 'bench-idempotency';

export function machine(): Record<string, string | number> {
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
export const nodeMajor = Number(process.versions.node.split('.')[0]);

/** The environment Lambda gives every function, minus what is specific to one of them. */
export function lambdaEnv(fakeSm: FakeSecretsManager, name: string, dir: string): Record<string, string> {
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

export interface Prepared {
  readonly bundle: DeployedBundle;
  readonly env: Record<string, string>;
  readonly eventFile: string;
  readonly check: (run: ProcessRun) => void;
  readonly describe: (run: ProcessRun) => string;
}

export function prepare(
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
