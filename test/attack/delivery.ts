/** Where, how and when an attack is delivered: the method, the route, and the event's age on arrival. */
import fc from 'fast-check';
import { isBlockingEventType } from '../../shared/core/constants';
import { MAX_AGE_MS, MAX_SKEW_MS, SERVED_BLOCKING } from './model';

export type Route = { readonly to: 'own' | 'other blocking' | 'non-blocking' } | { readonly to: 'unknown'; readonly path: string };

export const methodArb = fc.oneof(
  { weight: 30, arbitrary: fc.constant('POST') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'post', 'Post', 'POST ', ''),
  },
);

export const routeArb: fc.Arbitrary<Route> = fc.oneof(
  { weight: 30, arbitrary: fc.constant({ to: 'own' as const }) },
  { weight: 2, arbitrary: fc.constantFrom({ to: 'other blocking' as const }, { to: 'non-blocking' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      to: fc.constant('unknown' as const),
      path: fc.oneof(
        fc.constantFrom(
          '',
          '/',
          '/blocking',
          '/blocking/',
          '/blocking/USER.PRE_CREATE',
          '/blocking/user.pre_create/',
          '/blocking/user.pre_create%00',
          '/blocking/%75ser.pre_create',
          '/blocking/../non-blocking',
          '//non-blocking',
          '/non-blocking/',
          '/Non-Blocking',
          '/blocking/user.created',
          '/blocking/user.profile.pre_update',
          '/blocking/__proto__',
          '/blocking/constructor',
        ),
        fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => `/${s}`),
      ),
    }),
  },
);

/** Age at delivery: mostly fresh, sometimes exactly on a boundary, stale or too far ahead. */
export const ageArb = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: -MAX_SKEW_MS, max: MAX_AGE_MS }) },
  { weight: 1, arbitrary: fc.constantFrom(MAX_AGE_MS, MAX_AGE_MS + 1, -MAX_SKEW_MS, -MAX_SKEW_MS - 1, 0) },
  { weight: 1, arbitrary: fc.integer({ min: MAX_AGE_MS + 1, max: 10 * 365 * 86_400_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: -10 * 365 * 86_400_000, max: -MAX_SKEW_MS - 1 }) },
);

export function pathFor(route: Route, type: string, pick: number): string {
  switch (route.to) {
    case 'own':
      return isBlockingEventType(type) ? `/blocking/${type}` : '/non-blocking';
    case 'other blocking':
      return `/blocking/${SERVED_BLOCKING[pick % SERVED_BLOCKING.length]!}`;
    case 'non-blocking':
      return '/non-blocking';
    case 'unknown':
      return route.path;
  }
}
