/**
 * The HTTP API Authgear calls: one POST route per handler file, a throttled `$default` stage, and
 * access logs of every request, including those that never reach a function.
 */
import type { Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NON_BLOCKING_PATH, routePath } from '../shared/core/routes';
import type { HandlerFile } from '../shared/discovery/handler-files';
import { acknowledge } from './security-checks';

/**
 * One JSON object per request in the access log. Requests that never reach a function (unknown
 * URL, wrong method, throttling, integration timeouts) only show up here.
 */
export const ACCESS_LOG_FIELDS = {
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
} as const;

export interface WebhookHttpApiOptions {
  /** Days to keep the access logs. */
  readonly retention: number;
  /** Requests per second and burst that each route accepts before API Gateway answers 429. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Serves every blocking route: the blocking function, or its alias with provisioned concurrency. */
  readonly blockingTarget: lambda.IFunction;
  /** Serves `POST /non-blocking`. */
  readonly receiver: lambda.IFunction;
  /** One route per file. */
  readonly blockingFiles: readonly HandlerFile[];
  /** Answer only on a custom domain, not on the `execute-api` address. */
  readonly disableExecuteApiEndpoint?: boolean;
}

export interface WebhookHttpApi {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: logs.LogGroup;
}

/** Creates the API, its stage, and the routes; paths without a handler are answered 404 by API Gateway. */
export function webhookHttpApi(stack: Stack, options: WebhookHttpApiOptions): WebhookHttpApi {
  const api = new HttpApi(stack, 'Api', {
    apiName: stack.stackName,
    description: 'Receives Authgear webhook deliveries',
    // Created below, to add access logs and throttling.
    createDefaultStage: false,
    disableExecuteApiEndpoint: options.disableExecuteApiEndpoint,
  });
  const accessLogs = new logs.LogGroup(stack, 'ApiAccessLogs', { retention: options.retention as logs.RetentionDays });
  const stage = new HttpStage(stack, 'DefaultStage', {
    httpApi: api,
    stageName: '$default',
    autoDeploy: true,
    // The default route settings: every route gets its own bucket with these limits.
    throttle: { rateLimit: options.throttle.rateLimit, burstLimit: options.throttle.burstLimit },
    accessLogSettings: {
      destination: new LogGroupLogDestination(accessLogs),
      format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
    },
  });

  // One integration per function, shared by its routes: a single AWS::ApiGatewayV2::Integration.
  const blockingIntegration = new HttpLambdaIntegration('BlockingIntegration', options.blockingTarget);
  const nonBlockingIntegration = new HttpLambdaIntegration('NonBlockingIntegration', options.receiver);
  // Only the routes that have a handler: anything else is answered 404 by API Gateway without
  // invoking (and paying for) a function.
  const routes = [
    ...options.blockingFiles.flatMap((file) =>
      api.addRoutes({ path: routePath(file.eventType), methods: [HttpMethod.POST], integration: blockingIntegration }),
    ),
    ...api.addRoutes({ path: NON_BLOCKING_PATH, methods: [HttpMethod.POST], integration: nonBlockingIntegration }),
  ];
  // Authorization is the body signature every function checks (reason in security-checks.ts).
  for (const route of routes) acknowledge(route, 'AwsSolutions-APIG4');
  return { api, stage, accessLogs };
}
