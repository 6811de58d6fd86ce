import type { BlockingEventType, NonBlockingEventType } from '../../core/constants';
import type { BlockingEventMap, EventContext, NonBlockingEventMap } from '../../core/events';
import type { Story } from './story';

/** One payload builder per event type, typed by the event maps. */
export type PayloadBuilders = { [K in BlockingEventType]: (s: Story, c: EventContext) => BlockingEventMap[K]['payload'] } & {
  [K in NonBlockingEventType]: (s: Story, c: EventContext) => NonBlockingEventMap[K]['payload'];
};
