/**
 * The fake SQS's HTTP side: `POST /` with `x-amz-target: AmazonSQS.<Operation>` and an AWS JSON 1.0
 * body, signed (a signature must be present; it is not checked). Records every request, injects
 * the faults a test asked for, and answers errors as SQS does: `__type` in the body and the
 * query-compatible `x-amzn-query-error` header.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Input, Operations } from './operations';
import type { FakeSqsCall, FakeSqsFaultMode, FakeSqsOperation } from './types';
import { AWS_JSON, errors, SqsError, TARGET_PREFIX } from './wire';

/** The faults a test asked for, by operation. */
export class Faults {
  readonly #left = new Map<string, { n: number; mode: FakeSqsFaultMode }>();
  readonly #always = new Map<string, FakeSqsFaultMode>();

  failNext(operation: FakeSqsOperation, n: number, mode: FakeSqsFaultMode): void {
    this.#left.set(operation, { n: Math.max(0, Math.floor(n)), mode });
  }

  failAll(operation: FakeSqsOperation, on: boolean, mode: FakeSqsFaultMode): void {
    if (on) this.#always.set(operation, mode);
    else this.#always.delete(operation);
  }

  /** Whether this request should fail, and how; consumes one of `failNext`'s count. */
  take(operation: string): FakeSqsFaultMode | undefined {
    const always = this.#always.get(operation);
    if (always) return always;
    const next = this.#left.get(operation);
    if (!next || next.n <= 0) return undefined;
    next.n -= 1;
    return next.mode;
  }
}

/** Runs the request's operation, or says which SQS error to answer instead. */
function dispatch(
  req: IncomingMessage,
  raw: string,
  operation: string,
  operations: Operations,
  faults: Faults,
): { input: Input; result?: unknown; failure?: SqsError } {
  let input: Input = {};
  try {
    if (req.method !== 'POST' || req.url !== '/') throw errors.unknownOperation(`${String(req.method)} ${String(req.url)}`);
    const authorization = req.headers.authorization;
    if (typeof authorization !== 'string' || !authorization.startsWith('AWS4-HMAC-SHA256')) throw errors.unauthenticated();
    if (req.headers['content-type'] !== AWS_JSON) throw errors.invalid(`expected content-type ${AWS_JSON}`);
    input = raw === '' ? {} : (JSON.parse(raw) as Input);
    const run = Object.hasOwn(operations, operation) ? operations[operation as FakeSqsOperation] : undefined;
    if (!run) throw errors.unknownOperation(req.headers['x-amz-target']);
    const fault = faults.take(operation);
    if (fault === 'error') throw errors.internal();
    const result = run(input);
    if (fault === 'lose-response') throw errors.internal();
    return { input, result };
  } catch (error) {
    return { input, failure: error instanceof SqsError ? error : errors.fake(error) };
  }
}

/**
 * The request listener of a fake SQS: reads the body, runs the operation, records the call in
 * `calls` and answers.
 *
 * @example
 * ```ts
 * server.on('request', sqsRequestListener(sqsOperations(store), new Faults(), calls));
 * ```
 */
export function sqsRequestListener(
  operations: Operations,
  faults: Faults,
  calls: FakeSqsCall[],
): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const target = req.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : String(target);
    const { input, result, failure } = dispatch(req, raw, operation, operations, faults);
    calls.push({ operation, at: Date.now(), input, headers: { ...req.headers }, status: failure?.status ?? 200 });
    const requestId = randomUUID();
    if (failure) {
      res.writeHead(failure.status, {
        'content-type': AWS_JSON,
        'x-amzn-requestid': requestId,
        'x-amzn-query-error': `${failure.queryCode};${failure.status < 500 ? 'Sender' : 'Receiver'}`,
      });
      res.end(JSON.stringify({ __type: `com.amazonaws.sqs#${failure.type}`, message: failure.message }));
      return;
    }
    res.writeHead(200, { 'content-type': AWS_JSON, 'x-amzn-requestid': requestId });
    res.end(JSON.stringify(result));
  };
  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': AWS_JSON });
      res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#InternalFailure', message: `fake server error: ${String(error)}` }));
    });
  };
}
