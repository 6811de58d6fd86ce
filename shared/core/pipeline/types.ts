/**
 * The shapes that travel through the request pipeline (`app.ts` composes the steps): the request
 * an adapter hands in, the answer it gets back, and what each step passes to the next.
 */
import type { AdminApiFactory } from '../../admin-api/types';
import type { RawBody } from '../body';
import type { RuntimeConfig } from '../config';
import type { BlockingEventType } from '../constants';
import type { EventEnvelope } from '../events';
import type { ReplayGuard } from '../freshness';
import type { HandlerSet } from '../handler';
import type { LogFields, Logger } from '../logger';
import type { NonBlockingQueue } from '../queued';
import type { SecretStore } from '../secret';
import type { HeaderBag } from '../verify';

/** A request as the adapters hand it to the core. */
export interface WebhookRequest {
  readonly method: string;
  /** Path without query string, e.g. `/blocking/user.pre_create`. */
  readonly path: string;
  readonly headers: HeaderBag;
  /**
   * The raw body: its bytes, already base64-decoded, or a string standing for its UTF-8 bytes
   * (the Lambda adapter passes API Gateway's text body unchanged; see `body.ts`).
   */
  readonly body: RawBody;
  /** Set by an adapter that stopped reading a body over the limit; `body` is then ignored. */
  readonly bodyTooLarge?: boolean;
  /**
   * When the request arrived, on the app's clock (epoch ms): the blocking deadline counts from
   * here, so time spent receiving a slow body counts against it. Default: when `handle` is called.
   */
  readonly receivedAt?: number;
}

export interface WebhookResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Always JSON. Never contains a stack trace or an internal message. */
  readonly body: string;
}

export type Route = { readonly kind: 'blocking'; readonly eventType: BlockingEventType } | { readonly kind: 'non-blocking' };

export interface RouteInfo {
  readonly method: 'POST';
  readonly path: string;
  readonly route: Route;
}

/** How one delivery ended: its answer and its one log line. */
export interface Outcome {
  readonly response: WebhookResponse;
  readonly outcome: string;
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: LogFields;
}

/** A request whose signature header is well-formed, on its way to verification. */
export interface Signed {
  readonly route: Route;
  /** The body as received; a string is made well-formed (see `wellFormed`). */
  readonly body: RawBody;
  /** 64 hex characters. */
  readonly signature: string;
}

/** An authentic, fresh event on the route that serves its type, ready for its handler or the queue. */
export interface Delivery {
  readonly route: Route;
  readonly body: RawBody;
  readonly event: EventEnvelope;
}

/** What the steps share for the life of one app: built once by `createWebhookApp`. */
export interface Pipeline {
  readonly handlers: HandlerSet;
  readonly secrets: SecretStore;
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  readonly now: () => number;
  /** The served routes by path. */
  readonly routes: ReadonlyMap<string, Route>;
  /** Present when `REJECT_REPEATED_BLOCKING_EVENTS` is on. */
  readonly replays: ReplayGuard | undefined;
  /** Where verified non-blocking events go; `/non-blocking` is served only with one. */
  readonly queue: NonBlockingQueue | undefined;
  /** Non-blocking types worth queueing; others are acknowledged and dropped. */
  readonly queuedTypes: ReadonlySet<string>;
  /** Makes each handler's `context.adminApi` (see `shared/admin-api`). */
  readonly adminApi: AdminApiFactory | undefined;
}

/** A step's answer: its outcome now, or a promise of it only when the step must wait. */
export type Step<T> = T | Outcome | Promise<T | Outcome>;
