import { bodyText } from '../body';
import { isBlockingEventType } from '../constants';
import { parseEnvelope } from '../envelope';
import { checkFreshness } from '../freshness';
import type { LogFields } from '../logger';
import { routePath } from '../routes';
import { ANSWERS, rejected } from './outcomes';
import type { Delivery, Outcome, Pipeline, Signed } from './types';

/**
 * Step 3, on an authentic body: the envelope (400), the freshness of `context.timestamp` (401), a
 * repeated blocking id when `REJECT_REPEATED_BLOCKING_EVENTS` is on (401), and whether the event
 * came to the route of its type (400). Sets `log.event_id` and `log.event_type`.
 *
 * @returns the delivery ready for {@link dispatch}, or the outcome that ends it.
 * @example
 * ```ts
 * const delivery = checkEnvelope(signed, pipeline, log);
 * if (!isOutcome(delivery)) delivery.event.type; // 'user.pre_create'
 * ```
 */
export function checkEnvelope(signed: Signed, pipeline: Pipeline, log: LogFields): Delivery | Outcome {
  const { config, logger, now } = pipeline;
  const { route, body } = signed;
  const text = bodyText(body);
  const event = text === undefined ? undefined : parseEnvelope(text);
  if (!event) {
    return rejected(
      ANSWERS.invalidBody,
      'invalid_envelope',
      'signed body is not a JSON object with string id and type, object payload, and context with a numeric timestamp',
    );
  }
  log.event_id = event.id;
  log.event_type = event.type;
  if (config.logPersonalData) {
    log.user_id = (event.context as { user_id?: unknown }).user_id;
    logger.debug('event received', { ...log, event });
  }

  const freshness = checkFreshness(event.context.timestamp, now(), config.maxEventAgeSeconds, config.maxClockSkewSeconds);
  if (freshness !== 'fresh') {
    return rejected(
      ANSWERS.unauthorized,
      freshness === 'stale' ? 'timestamp_stale' : 'timestamp_in_future',
      freshness === 'stale'
        ? `signed event is older than MAX_EVENT_AGE_SECONDS (${config.maxEventAgeSeconds}): a replayed request, or this machine's clock is wrong`
        : `signed event is stamped more than MAX_CLOCK_SKEW_SECONDS (${config.maxClockSkewSeconds}) in the future: check this machine's clock`,
    );
  }

  if (route.kind === 'blocking') {
    if (pipeline.replays?.isRepeat(`${route.eventType} ${event.id}`, now())) {
      return rejected(ANSWERS.unauthorized, 'replayed_event', 'this blocking event id was already answered: a replayed request');
    }
    if (event.type !== route.eventType) {
      return rejected(
        ANSWERS.wrongRoute,
        'route_type_mismatch',
        `this URL serves ${route.eventType} but received ${event.type}: the Authgear hook entry points at the wrong URL (use ${routePath(event.type)})`,
      );
    }
  } else if (isBlockingEventType(event.type)) {
    return rejected(
      ANSWERS.wrongRoute,
      'route_type_mismatch',
      `blocking event ${event.type} was sent to the non-blocking URL: point its hook entry at ${routePath(event.type)}`,
    );
  }
  return { route, body, event };
}
