import {
  BLOCKING_EVENT_TYPES,
  NON_BLOCKING_EVENT_TYPES,
  isBlockingEventType,
  isNonBlockingEventType,
  type EventType,
} from '../../core/constants';

/** Every event type a sample exists for: the 9 blocking types, then the 31 non-blocking ones. */
export const SAMPLE_EVENT_TYPES: readonly EventType[] = [...BLOCKING_EVENT_TYPES, ...NON_BLOCKING_EVENT_TYPES];

/**
 * True for the 40 event types a sample exists for.
 *
 * @example
 * ```ts
 * isSampleEventType('user.created'); // true
 * isSampleEventType('user.signed_out'); // false: audit log only, never sent to hooks
 * ```
 */
export function isSampleEventType(type: string): type is EventType {
  return isBlockingEventType(type) || isNonBlockingEventType(type);
}
