/**
 * The stack outputs: what to paste into the Authgear portal, how to store the secret, the queue
 * URLs for `npm run redrive`, and the alarms.
 */
import { CfnOutput, Fn, type Stack } from 'aws-cdk-lib';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NON_BLOCKING_PATH, routePath } from '../shared/core/routes';
import { renderHookConfig } from '../shared/core/hook-config';
import type { HandlerFile } from '../shared/discovery/handler-files';
import { ALARM_IDS, type WebhookAlarms } from './alarms';
import type { WebhookSecret } from './webhook-secret';

/** What each alarm output says. */
const ALARM_DESCRIPTIONS: Readonly<Record<keyof WebhookAlarms, string>> = {
  apiServerErrors: 'Alarm: the API answered 5xx (a failed login or a lost non-blocking event)',
  blockingErrorPolicy: 'Alarm: a blocking handler failed and its error policy answered',
  blockingLatency: "Alarm: blocking p99 duration is near Authgear's 5 s timeout",
  deadLetter: 'Alarm: events are in the dead-letter queue',
  workerErrors: 'Alarm: the worker function failed as a whole',
  backlog: 'Alarm: the worker is not consuming the queue',
};

/** `oidc.jwt.pre_create` → `OidcJwtPreCreate` (output ids allow letters and digits only). */
export function pascalCase(eventType: string): string {
  return eventType
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** The hook URLs, the secret and how to store it, and the `hook:` block for authgear.yaml. */
export function addHookOutputs(
  stack: Stack,
  options: {
    readonly apiEndpoint: string;
    readonly blocking: readonly HandlerFile[];
    readonly nonBlocking: readonly HandlerFile[];
    readonly secret: WebhookSecret;
  },
): void {
  const { apiEndpoint: base, blocking, nonBlocking, secret } = options;
  for (const file of blocking) {
    new CfnOutput(stack, `BlockingUrl${pascalCase(file.eventType)}`, {
      value: `${base}${routePath(file.eventType)}`,
      description: `Authgear blocking hook URL for ${file.eventType}`,
    });
  }
  new CfnOutput(stack, 'NonBlockingUrl', {
    value: `${base}${NON_BLOCKING_PATH}`,
    description: 'Authgear non-blocking hook URL (every non-blocking event type)',
  });
  new CfnOutput(stack, secret.byName ? 'WebhookSecretName' : 'WebhookSecretArn', {
    value: secret.id,
    description: 'Secrets Manager secret holding the Authgear webhook signing secret',
  });
  new CfnOutput(stack, 'PutSecretValueCommand', {
    // `read -s` keeps the secret off the screen and out of shell history; printf is a shell
    // builtin and the CLI reads stdin, so it never appears in a process list either.
    value: [
      'read -rs AUTHGEAR_SECRET &&',
      `printf '%s' "$AUTHGEAR_SECRET" | aws secretsmanager put-secret-value --region ${secret.region} --secret-id ${secret.id} --secret-string file:///dev/stdin;`,
      'unset AUTHGEAR_SECRET',
    ].join(' '),
    description: 'Run in bash or zsh, then paste the secret from the Authgear portal (Advanced > Hooks) and press Enter',
  });
  new CfnOutput(stack, 'AuthgearHookConfig', {
    value: renderHookConfig(
      base,
      blocking.map((f) => f.eventType),
      nonBlocking.map((f) => f.eventType),
    ),
    description: 'The hook section for authgear.yaml',
  });
}

/** Queue URLs for `npm run redrive`, and the command itself. */
export function addQueueOutputs(stack: Stack, queues: { readonly queue: sqs.IQueue; readonly deadLetterQueue: sqs.IQueue }): void {
  const { queue, deadLetterQueue } = queues;
  new CfnOutput(stack, 'NonBlockingQueueUrl', {
    value: queue.queueUrl,
    description: 'SQS FIFO queue of verified non-blocking events (npm run redrive --queue-url)',
  });
  new CfnOutput(stack, 'DeadLetterQueueUrl', {
    value: deadLetterQueue.queueUrl,
    description: 'Dead-letter queue: events whose retry window passed, kept 14 days (npm run redrive --dlq-url)',
  });
  new CfnOutput(stack, 'RedriveCommand', {
    value: `npm run redrive -- --dry-run --queue-url ${queue.queueUrl} --dlq-url ${deadLetterQueue.queueUrl}`,
    description: 'Lists the dead-lettered events; run it again without --dry-run to process them again',
  });
}

/** Each alarm's name and ARN (`<alarm id>Name`, `<alarm id>Arn`), and all names in one `AlarmNames` output. */
export function addAlarmOutputs(stack: Stack, alarms: WebhookAlarms): void {
  const keys = Object.keys(ALARM_IDS) as (keyof WebhookAlarms)[];
  for (const key of keys) {
    new CfnOutput(stack, `${ALARM_IDS[key]}Name`, { value: alarms[key].alarmName, description: ALARM_DESCRIPTIONS[key] });
    new CfnOutput(stack, `${ALARM_IDS[key]}Arn`, { value: alarms[key].alarmArn, description: ALARM_DESCRIPTIONS[key] });
  }
  new CfnOutput(stack, 'AlarmNames', {
    value: Fn.join(
      ' ',
      keys.map((key) => alarms[key].alarmName),
    ),
    description: 'Every alarm of the stack, space-separated (aws cloudwatch describe-alarms --alarm-names ...)',
  });
}
