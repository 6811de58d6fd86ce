/** Shared by the tests of `shared/core/response-check.ts`. */
import type { BlockingEventType } from '../../shared/core/constants';
import { checkBlockingResponse, type ResponseViolation } from '../../shared/core/response-check';

/**
 * What {@link checkBlockingResponse} reports for `response`, as a plain list (empty when it passes),
 * so a test can compare every violation at once.
 *
 * @example
 * expect(violationsOf('user.pre_create', { is_allowed: true, title: 'x' })).toEqual([{ path: 'title', rule: '…' }]);
 */
export const violationsOf = (eventType: BlockingEventType, response: unknown, original?: { payload?: unknown }): ResponseViolation[] => {
  const check = checkBlockingResponse(eventType, response, original);
  return check.ok ? [] : [...check.violations];
};
