import { answerOverLimit } from '../answer-limit';
import type { RuntimeConfig } from '../config';
import type { EventEnvelope } from '../events';
import type { BlockingHandler } from '../handler';
import { AnsweredLate } from '../late-answer';
import type { LogFields } from '../logger';
import { createRedactor } from '../redact';
import { checkBlockingResponse } from '../response-check';
import { DeadlineExceeded, type Settled } from '../run-handler';
import { answeredBy, reply } from './outcomes';
import type { Outcome } from './types';

const ALLOW = Object.freeze({ is_allowed: true });
const BY_HANDLER = answeredBy('handler');
const BY_ERROR_POLICY = answeredBy('error-policy');
const PLAIN_ALLOW_BODY = JSON.stringify(ALLOW);
const ANSWERED_PLAIN_ALLOW: Outcome = Object.freeze({
  response: reply(200, ALLOW, BY_HANDLER),
  outcome: 'allowed',
  level: 'info',
  message: 'blocking event answered',
});

/**
 * Step 5, the response guard: the blocking handler's answer if Authgear would accept it (checked
 * as serialised, since that is what Authgear receives), else the answer of its error policy, with
 * the reason in the log: `handler_threw`, `deadline_exceeded` or `invalid_response`.
 *
 * @example
 * ```ts
 * guardAnswer(handler, event, { ok: true, value: { is_allowed: true } }, config).response.body; // '{"is_allowed":true}'
 * ```
 */
export function guardAnswer(handler: BlockingHandler, event: EventEnvelope, settled: Settled<unknown>, config: RuntimeConfig): Outcome {
  let failure: { reason: string; message: string; fields?: LogFields };
  if (settled.ok) {
    const serialised = serialise(settled.value);
    // The everyday answer, valid for every blocking event: no need to parse it back and check it.
    if (serialised === PLAIN_ALLOW_BODY) return ANSWERED_PLAIN_ALLOW;
    const tooLarge = serialised === undefined ? undefined : answerOverLimit(serialised, config.maxAnswerBytes);
    if (serialised === undefined) {
      failure = { reason: 'invalid_response', message: 'handler returned nothing, or a value that is not JSON' };
    } else if (tooLarge !== undefined) {
      failure = {
        reason: 'answer_too_large',
        message: `handler's answer is ${tooLarge} bytes, over MAX_ANSWER_BYTES (${config.maxAnswerBytes})`,
        fields: { answer_bytes: tooLarge },
      };
    } else {
      const sent: unknown = JSON.parse(serialised);
      const check = checkBlockingResponse(handler.event, sent, event);
      if (check.ok) {
        const allowed = (sent as { is_allowed: boolean }).is_allowed;
        return {
          response: { status: 200, headers: BY_HANDLER, body: serialised },
          outcome: allowed ? 'allowed' : 'denied',
          level: 'info',
          message: 'blocking event answered',
        };
      }
      failure = {
        reason: 'invalid_response',
        message: 'handler returned a response Authgear would reject',
        fields: { violations: check.violations },
      };
    }
  } else {
    failure = blockingFailure(settled.error, event, config);
  }
  const body = handler.onError === 'allow' ? ALLOW : handler.errorResponse;
  return {
    response: reply(200, body, BY_ERROR_POLICY),
    outcome: `error_policy_${handler.onError}`,
    level: 'error',
    message: `${failure.message}; answered by the ${handler.onError} error policy`,
    fields: { reason: failure.reason, ...failure.fields },
  };
}

/** Why a blocking handler's run failed, for the log line. */
function blockingFailure(
  error: unknown,
  event: EventEnvelope,
  config: RuntimeConfig,
): { reason: string; message: string; fields?: LogFields } {
  const limit = `BLOCKING_DEADLINE_MS (${config.blockingDeadlineMs} ms)`;
  if (error instanceof AnsweredLate) {
    return {
      reason: 'answered_late',
      message: `handler answered after ${error.handlerMs} ms, ${error.lateByMs} ms past ${limit}: synchronous work cannot be interrupted, and Authgear stops waiting at 5 s`,
      fields: { late_by_ms: error.lateByMs },
    };
  }
  if (error instanceof DeadlineExceeded) {
    return error.beforeStart
      ? { reason: 'deadline_exceeded', message: `${limit} passed before the handler could start (the request took that long to arrive)` }
      : { reason: 'deadline_exceeded', message: `handler did not answer within ${limit}` };
  }
  return {
    reason: 'handler_threw',
    message: 'handler threw',
    fields: createRedactor(event, { personalData: config.logPersonalData }).error(error),
  };
}

function serialise(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
