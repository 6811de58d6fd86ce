import { describe, expect, it } from 'vitest';
import { BLOCKING_EVENT_TYPES, NON_BLOCKING_EVENT_TYPES } from './constants';
import { NON_BLOCKING_PATH, routePath } from './routes';

describe('routePath', () => {
  it('gives each blocking type its own path under /blocking/', () => {
    // Act
    const paths = BLOCKING_EVENT_TYPES.map(routePath);

    // Assess
    expect(paths).toEqual(BLOCKING_EVENT_TYPES.map((type) => `/blocking/${type}`));
  });

  it('gives every non-blocking type, and an unknown one, the one non-blocking path', () => {
    // Act
    const paths = new Set([...NON_BLOCKING_EVENT_TYPES, 'future.event'].map(routePath));

    // Assess
    expect([...paths]).toEqual(['/non-blocking']);
    expect(NON_BLOCKING_PATH).toBe('/non-blocking');
  });
});
