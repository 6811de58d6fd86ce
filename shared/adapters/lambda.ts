import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AdminApiFactory } from '../admin-api/types';
import { assembleHandlers, type LoadedHandlerModule } from '../core/assemble';
import { bindHandlerSecretsFrom, type HandlerSecretSources } from '../core/handler-secrets';
import { ConfigError, ENV, type RuntimeConfig } from '../core/config';
import { describeError, type Logger } from '../core/logger';
import type { NonBlockingQueue } from '../core/queued';
import { withTimeout } from '../core/run-handler';
import type { SecretSource } from '../core/secret';
import { createRuntime } from '../runtime/create-runtime';
import { chooseSecret } from '../runtime/secret-choice';
import { secretSourceFor } from '../runtime/secret-source';
import { runtimeSettings } from '../runtime/settings';
import { secretsManagerSources } from '../aws/handler-secret-sources';
import { readLambdaEvent } from './lambda-event';

export interface LambdaHandlerOptions {
  /** The handler files this function serves (the generated entry lists them). */
  readonly modules: readonly LoadedHandlerModule[];
  /**
   * Which route family this function serves. Default: `non-blocking` with a `nonBlockingQueue`,
   * else `blocking`.
   */
  readonly serve?: 'blocking' | 'non-blocking';
  /** Defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to a JSON-lines logger at `LOG_LEVEL`. */
  readonly logger?: Logger;
  /** Defaults to the secret the environment names (`AUTHGEAR_WEBHOOK_SECRET_ID`, set by the stack). */
  readonly secretSource?: SecretSource;
  /** Where handlers' declared secrets come from. Defaults to Secrets Manager, each name or ARN as declared. */
  readonly handlerSecretSources?: HandlerSecretSources;
  /** Serves `/non-blocking` by queueing verified events (see `lambda-receiver.ts`). */
  readonly nonBlockingQueue?: NonBlockingQueue;
  /**
   * Makes `context.adminApi` from the environment and the configuration; the generated entries of
   * functions that run handlers pass `adminApiFromEnvironment` (`admin-api.ts`). Passed in rather
   * than imported, so the receiver's bundle carries no Admin API code.
   */
  readonly adminApi?: (env: Readonly<Record<string, string | undefined>>, config: RuntimeConfig) => AdminApiFactory;
}

/**
 * Takes any invocation event: an HTTP API payload 2.0 event (what the stack sets up), a payload
 * 1.0 event (served the same way), or anything else (answered 400 with a log line). Never throws.
 */
export type LambdaHandler = ((event: APIGatewayProxyEventV2 | unknown) => Promise<APIGatewayProxyStructuredResultV2>) & {
  /**
   * Settles once the secret fetch started at init has settled, or after `BLOCKING_DEADLINE_MS`,
   * whichever comes first; never rejects (a failed fetch shows on the first request, as a 503).
   * The generated entry awaits it at the top level, so that init finishes the fetch.
   */
  readonly ready: Promise<void>;
};

/** A fresh JSON error answer each time, so that nothing downstream can change a shared one. */
const errorResult = (statusCode: 400 | 500, error: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ error }),
  isBase64Encoded: false,
});

/**
 * Adapts the webhook processor to API Gateway HTTP API (payload format 2.0; 1.0 is served too, and
 * any other event gets a 400: see `lambda-event.ts`).
 *
 * Runs at init: reads the configuration, checks the handlers, and starts fetching the secret.
 * The generated entry then awaits `handler.ready`, so the fetch completes during init: the first
 * request finds the secret cached, and with provisioned concurrency no request waits for Secrets
 * Manager at all. Should the fetch outlast `ready`'s bound, the first request awaits that same
 * call instead of starting its own: one `GetSecretValue` per cold start either way.
 *
 * @example
 * ```ts
 * // generated entry (see infra): the blocking function
 * import h0 from '../functions/blocking/user.pre_create';
 * export const handler = createLambdaHandler({
 *   modules: [{ file: 'functions/blocking/user.pre_create.ts', kind: 'blocking', eventType: 'user.pre_create', exported: h0 }],
 *   adminApi: adminApiFromEnvironment,
 * });
 * await handler.ready;
 * ```
 */
export function createLambdaHandler(options: LambdaHandlerOptions): LambdaHandler {
  const env = options.env ?? process.env;
  const queue = options.nonBlockingQueue;
  const serve = options.serve ?? (queue ? 'non-blocking' : 'blocking');
  if (serve === 'non-blocking' && !queue) {
    throw new ConfigError('a function that serves /non-blocking needs a queue: use createReceiverHandler');
  }
  const settings = runtimeSettings(env, options);
  const handlers = bindHandlerSecretsFrom(
    assembleHandlers(options.modules, { blocking: serve === 'blocking', nonBlocking: serve === 'non-blocking' }),
    options.handlerSecretSources ?? secretsManagerSources(),
    settings,
  );
  const makeAdminApi = options.adminApi;
  const { config, logger, secrets, app } = createRuntime(env, {
    handlers,
    secretSource: options.secretSource ?? lambdaSecretSource(env),
    ...settings,
    ...(serve === 'non-blocking' ? { queue } : {}),
    ...(makeAdminApi ? { adminApi: (settings) => makeAdminApi(env, settings.config) } : {}),
  });
  // Bounded, so that a hung Secrets Manager cannot hold init until Lambda's init timeout.
  const ready = withTimeout(secrets.prime(), config.blockingDeadlineMs, () => new Error('the secret fetch outlasted init')).catch(
    () => undefined,
  );

  const handle = async (event: unknown): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const reading = readLambdaEvent(event, Date.now());
      if (!reading.ok) {
        logger.warn(`the invocation is not an API Gateway HTTP request (${reading.problem}); answered 400`, {
          status: 400,
          outcome: 'rejected',
          reason: 'invalid_lambda_event',
          event_shape: reading.shape,
        });
        return errorResult(400, 'not an API Gateway HTTP request');
      }
      const response = await app.handle(reading.request);
      return { statusCode: response.status, headers: { ...response.headers }, body: response.body, isBase64Encoded: false };
    } catch (error) {
      // The core never throws; this is the last guard, so that Lambda never reports an invocation error.
      logger.error('unexpected error in the Lambda adapter', {
        status: 500,
        outcome: 'internal_error',
        reason: 'internal_error',
        ...describeError(error),
      });
      return errorResult(500, 'internal error');
    }
  };
  return Object.assign(handle, { ready });
}

function lambdaSecretSource(env: Readonly<Record<string, string | undefined>>): SecretSource {
  const choice = chooseSecret(env);
  if (!choice) {
    throw new ConfigError(`${ENV.secretId} is not set: it must name the Secrets Manager secret that holds the Authgear webhook secret`);
  }
  return secretSourceFor(choice);
}
