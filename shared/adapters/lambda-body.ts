import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RawBody } from '../core/body';

const EMPTY = new Uint8Array(0);

/**
 * The raw body of an API Gateway HTTP API event. API Gateway base64-encodes bodies it considers
 * binary; the signature is over the decoded bytes, so those are decoded and never re-serialised.
 * A text body is passed on as the string it is: the core hashes and parses it as its UTF-8 bytes
 * (see `shared/core/body.ts`), which saves converting it to bytes and back on every request.
 *
 * @example
 * ```ts
 * lambdaRequestBody({ body: 'eyJhIjoxfQ==', isBase64Encoded: true } as APIGatewayProxyEventV2); // the bytes of {"a":1}
 * ```
 */
export function lambdaRequestBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): RawBody {
  if (event.body === undefined || event.body === null) return EMPTY;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body;
}
