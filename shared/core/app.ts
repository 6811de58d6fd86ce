import type { AdminApiFactory } from '../admin-api/types';
import type { RuntimeConfig } from './config';
import { ReplayGuard } from './freshness';
import type { HandlerSet } from './handler';
import type { LogFields, Logger } from './logger';
import { admit } from './pipeline/admit';
import { authenticate } from './pipeline/authenticate';
import { checkEnvelope } from './pipeline/check-envelope';
import { dispatch } from './pipeline/dispatch';
import { finish } from './pipeline/finish';
import { internalError, isOutcome } from './pipeline/outcomes';
import { serveRoutes } from './pipeline/routing';
import type { Outcome, Pipeline, RouteInfo, Signed, WebhookRequest, WebhookResponse } from './pipeline/types';
import type { NonBlockingQueue } from './queued';
import type { SecretStore } from './secret';

export type { Route, RouteInfo, WebhookRequest, WebhookResponse } from './pipeline/types';

export interface WebhookAppOptions {
  readonly handlers: HandlerSet;
  readonly secrets: SecretStore;
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  /** Clock, replaceable in tests. */
  readonly now?: () => number;
  /**
   * Serves `/non-blocking`: each verified event of `nonBlockingQueue.eventTypes` is queued, and
   * answered 200 once stored (503 if it cannot be). The queue's consumer runs the handlers
   * (see `queued.ts`). Without it, `/non-blocking` is not served (404).
   */
  readonly nonBlockingQueue?: NonBlockingQueue;
  /** Makes each handler's `context.adminApi` (see `shared/admin-api`). */
  readonly adminApi?: AdminApiFactory;
}

export interface WebhookApp {
  /** Verifies, parses, dispatches and answers one delivery. Never throws. */
  handle(request: WebhookRequest): Promise<WebhookResponse>;
  /** The routes this app serves, for printing and for the stack. */
  readonly routes: readonly RouteInfo[];
}

/**
 * Creates the transport-independent webhook processor used by every adapter: the steps of
 * `pipeline/` in order. `admit` (route 404, method 405, size 413, signature form 401),
 * `authenticate` (secret 503, HMAC 401), `checkEnvelope` (400, freshness and repeats 401, route
 * and type 400), `dispatch` (the handler and `guardAnswer`, or the queue 503), then `finish` (the
 * one log line). Each step answers without a promise unless it must wait, so a warm request to a
 * synchronous handler allocates no promise until `handle` returns.
 *
 * @example
 * ```ts
 * const app = createWebhookApp({ handlers, secrets, config, logger });
 * const response = await app.handle({ method: 'POST', path: '/blocking/user.pre_create', headers, body });
 * ```
 */
export function createWebhookApp(options: WebhookAppOptions): WebhookApp {
  const { handlers, config, nonBlockingQueue: queue } = options;
  const routes = serveRoutes(handlers, queue);
  // Remember an id for as long as its event can still pass the freshness check: its age limit,
  // plus the skew it may have been stamped ahead by, plus a second of rounding.
  const replayWindowMs = (Math.max(config.maxEventAgeSeconds, 60) + config.maxClockSkewSeconds + 1) * 1000;
  const pipeline: Pipeline = {
    handlers,
    secrets: options.secrets,
    config,
    logger: options.logger,
    now: options.now ?? Date.now,
    routes: new Map(routes.map((r) => [r.path, r.route] as const)),
    replays: config.rejectRepeatedBlockingEvents ? new ReplayGuard(replayWindowMs) : undefined,
    queue,
    queuedTypes: new Set(queue?.eventTypes ?? handlers.nonBlocking?.keys() ?? []),
    adminApi: options.adminApi,
  };
  const { logger, now } = pipeline;

  const afterAuthentication = (signed: Signed | Outcome, started: number, log: LogFields): Outcome | Promise<Outcome> => {
    if (isOutcome(signed)) return signed;
    const delivery = checkEnvelope(signed, pipeline, log);
    return isOutcome(delivery) ? delivery : dispatch(delivery, pipeline, started, log);
  };

  const run = (request: WebhookRequest, started: number, log: LogFields): Outcome | Promise<Outcome> => {
    const signed = admit(request, pipeline, log);
    if (isOutcome(signed)) return signed;
    const authentic = authenticate(signed, pipeline, started);
    return authentic instanceof Promise
      ? authentic.then((checked) => afterAuthentication(checked, started, log))
      : afterAuthentication(authentic, started, log);
  };

  return {
    routes,
    async handle(request) {
      const arrived = now();
      // An adapter's arrival time, unless it is not a time on this clock at all.
      const started = request.receivedAt !== undefined && request.receivedAt <= arrived ? request.receivedAt : arrived;
      // Method and path carry no personal data and tell the operator which URL was hit.
      const log: LogFields = { method: request.method, path: request.path };
      let result: Outcome | Promise<Outcome>;
      try {
        result = run(request, started, log);
      } catch (error) {
        result = internalError(error);
      }
      if (!(result instanceof Promise)) return finish(result, started, log, logger, now);
      return result.then(
        (outcome) => finish(outcome, started, log, logger, now),
        (error: unknown) => finish(internalError(error), started, log, logger, now),
      );
    },
  };
}
