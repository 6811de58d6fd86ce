/**
 * A small seeded PRNG (mulberry32), so a run's mix of request kinds is reproducible from its seed.
 *
 * @example
 * ```ts
 * const next = seededRandom(20_261_126);
 * next(); // a number in [0, 1), the same sequence for the same seed
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Picks one item with a chance proportional to its `weight`, drawing one number from `next`.
 *
 * @example
 * ```ts
 * pickWeighted([{ weight: 3 }, { weight: 1 }], () => 0.8); // the second item
 * ```
 */
export function pickWeighted<T extends { readonly weight: number }>(items: readonly T[], next: () => number): T {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let r = next() * total;
  for (const item of items) {
    r -= item.weight;
    if (r < 0) return item;
  }
  return items[items.length - 1]!;
}
