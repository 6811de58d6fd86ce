/**
 * X-Ray active tracing (`tracing=true`): Lambda samples invocations and records, per sampled one,
 * the time in the Lambda service, the function's initialization (the cold start) and the
 * invocation. Off by default: traces are billed (docs/deploy-to-production.md, Tracing).
 */
import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { acknowledge } from './security-checks';

/**
 * Turns on active tracing for `functions`, each with its own policy for the two X-Ray actions,
 * so the `Resource: "*"` they require is acknowledged on that policy alone.
 *
 * @example
 * ```ts
 * enableTracing(stack, { Blocking: blockingFunction, NonBlocking: receiver, Worker: worker });
 * ```
 */
export function enableTracing(stack: Stack, functions: Readonly<Record<string, lambda.Function>>): void {
  for (const [id, fn] of Object.entries(functions)) {
    (fn.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    if (!fn.role) continue;
    const policy = new iam.Policy(stack, `${id}TracingPolicy`, {
      statements: [
        // X-Ray's write actions support no resource-level permissions: "*" is the only resource IAM accepts.
        new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }),
      ],
    });
    policy.attachToRole(fn.role);
    // Lambda checks the role can write traces when tracing is turned on.
    fn.node.addDependency(policy);
    acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]');
  }
}
