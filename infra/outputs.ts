/**
 * The stack outputs, few enough to read after `cdk deploy`: what to paste into the Authgear portal,
 * the secret and how to store it, the dashboard, and the queue URLs that `npm run redrive` reads. Alarm
 * names are on the dashboard (docs/deploy-to-production.md lists them).
 */
import { CfnOutput, type Stack } from 'aws-cdk-lib';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NON_BLOCKING_PATH, routePath } from '../shared/core/routes';
import { renderHookConfig } from '../shared/core/hook-config';
import type { HandlerFile } from '../shared/discovery/handler-files';
import type { WebhookSecret } from './webhook-secret';

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
    /** `https://<custom domain>` or the API's `execute-api` endpoint. */
    readonly baseUrl: string;
    readonly blocking: readonly HandlerFile[];
    readonly nonBlocking: readonly HandlerFile[];
    readonly secret: WebhookSecret;
  },
): void {
  const { baseUrl: base, blocking, nonBlocking, secret } = options;
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
  // Named by `npm run send -- --secret-id`, and by `secretArn` to reuse a kept secret after a destroy.
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

/** Queue URLs for `npm run redrive` (it reads them from the outputs file). */
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
}

/** The dashboard's console URL. */
export function addDashboardOutput(stack: Stack, url: string): void {
  new CfnOutput(stack, 'DashboardUrl', {
    value: url,
    description: 'CloudWatch dashboard: requests, latency, queue, worker, secret and alarms',
  });
}

/** Without a hosted zone, the name the custom domain's CNAME (or alias) record must point at. */
export function addDomainTargetOutput(stack: Stack, domainName: string, target: string): void {
  new CfnOutput(stack, 'CustomDomainTarget', {
    value: target,
    description: `Point ${domainName} at this name in your DNS (CNAME, or an alias in Route 53)`,
  });
}
