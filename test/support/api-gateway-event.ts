/** API Gateway HTTP API events (payload format 2.0) as a Lambda function receives them, for the adapter tests. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** What varies between the events the tests send; the rest is what API Gateway always fills in. */
export interface ApiGatewayEventOptions {
  readonly method?: string;
  readonly path: string;
  /** Sent as given: the tests choose the names' case and how repeated headers are joined. */
  readonly headers: Record<string, string>;
  /** Left out of the event when undefined, as API Gateway does for a request without a body. */
  readonly body?: string | undefined;
  readonly isBase64Encoded?: boolean;
}

/**
 * An event for the `$default` route, stamped as arriving now.
 *
 * @example
 * const event = apiGatewayEvent({ path: '/blocking/user.pre_create', headers: { 'x-authgear-body-signature': signature }, body });
 * const result = await handler(event);
 */
export function apiGatewayEvent(options: ApiGatewayEventOptions): APIGatewayProxyEventV2 {
  const method = options.method ?? 'POST';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: options.path,
    rawQueryString: '',
    headers: options.headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      domainName: 'test.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'test',
      http: { method, path: options.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Go-http-client/1.1' },
      requestId: 'test-request',
      routeKey: '$default',
      stage: '$default',
      time: '26/Nov/2026:12:00:00 +0000',
      timeEpoch: Date.now(),
    },
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}
