/**
 * Realistic sample events for every type Authgear delivers to webhooks: the fields, their order
 * and the null-versus-omitted rules of Authgear's Go structs, serialised to the same bytes Go's
 * `encoding/json` writes. Generated, not kept as JSON files, so they follow the types in
 * `shared/core/events.ts` and change with a few options.
 *
 * The samples tell small, consistent stories: a sign-up through the hosted pages, a login, a token
 * exchange, a profile edit in the settings pages, an Admin API call made through the portal, a
 * scheduled background job. Ids, times and tokens are derived from the options, so the same
 * options always give the same bytes.
 */
import type { BlockingEventType, EventType, NonBlockingEventType } from '../core/constants';
import type { BlockingEventMap, EventContext, NonBlockingEventMap } from '../core/events';
import { goJson } from './go-json';
import { BLOCKING_PAYLOADS } from './samples/blocking-payloads';
import { IDENTITY_PAYLOADS } from './samples/identity-payloads';
import type { SampleOptions } from './samples/options';
import type { PayloadBuilders } from './samples/payload-builders';
import { buildContext, eventId, resolveStory, type Story } from './samples/story';
import { USER_PAYLOADS } from './samples/user-payloads';

export { SAMPLE_EVENT_TYPES, isSampleEventType } from './samples/event-types';
export { eventId } from './samples/story';
export type { SampleOptions, SampleUserOptions } from './samples/options';

/** The typed envelope of event type `T`. */
export type SampleEvent<T extends EventType> = T extends BlockingEventType
  ? BlockingEventMap[T]
  : T extends NonBlockingEventType
    ? NonBlockingEventMap[T]
    : never;

// ---------------------------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Builds a realistic event of `type`, typed like the event a handler of that type receives.
 *
 * @throws TypeError for a type Authgear does not deliver to webhooks, RangeError for a bad `seq`/`timestamp`.
 * @example
 * ```ts
 * const event = sampleEvent('user.pre_create', { email: 'ana@example.com' });
 * event.payload.user.standard_attributes.email; // 'ana@example.com'
 * event.id === event.seq.toString(16).padStart(16, '0'); // true
 * ```
 */
export function sampleEvent<T extends EventType>(type: T, options: SampleOptions = {}): SampleEvent<T> {
  const story = resolveStory(type, options);
  const context = buildContext(story, options.context);
  const payload = (PAYLOADS as Record<EventType, (s: Story, c: EventContext) => unknown>)[type](story, context);
  return { id: eventId(story.seq), seq: story.seq, type, payload, context } as unknown as SampleEvent<T>;
}

/**
 * The request body Authgear would send for a sample event: {@link sampleEvent} serialised the way
 * Go does (compact, `\u003c`-style escapes).
 *
 * @example
 * ```ts
 * const body = sampleBody('user.created', { seq: 7 }); // '{"id":"0000000000000007","seq":7,…'
 * ```
 */
export function sampleBody(type: EventType, options: SampleOptions = {}): string {
  return goJson(sampleEvent(type, options));
}

const PAYLOADS: PayloadBuilders = { ...BLOCKING_PAYLOADS, ...USER_PAYLOADS, ...IDENTITY_PAYLOADS };
