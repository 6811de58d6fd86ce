/** The load test's seeded mix: the same seed gives the same sequence, and picks follow the weights. */
import { describe, expect, it } from 'vitest';
import { pickWeighted, seededRandom } from './random';

describe('seededRandom', () => {
  it('repeats its sequence for a seed, differs for another, and stays in [0, 1)', () => {
    // Act
    const a = Array.from({ length: 1_000 }, seededRandom(42));
    const again = Array.from({ length: 1_000 }, seededRandom(42));
    const other = Array.from({ length: 1_000 }, seededRandom(43));

    // Assess
    expect(again).toEqual(a);
    expect(other).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(990);
  });
});

describe('pickWeighted', () => {
  const items = [
    { name: 'a', weight: 3 },
    { name: 'b', weight: 1 },
  ];

  it('maps the drawn number onto the weights', () => {
    // Act
    const picks = [0, 0.74, 0.75, 0.999].map((x) => pickWeighted(items, () => x).name);

    // Assess
    expect(picks).toEqual(['a', 'a', 'b', 'b']);
  });

  it('picks each item about as often as its share over many draws', () => {
    // Prepare
    const next = seededRandom(7);

    // Act
    const picks = Array.from({ length: 10_000 }, () => pickWeighted(items, next).name);

    // Assess
    const shareOfA = picks.filter((name) => name === 'a').length / picks.length;
    expect(shareOfA).toBeGreaterThan(0.72);
    expect(shareOfA).toBeLessThan(0.78);
  });
});
