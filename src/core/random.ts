/**
 * A small seeded PRNG so that every random pick the engine makes (reference samples, shuffles) is reproducible from
 * a seed the user can see and repeat. Math.random cannot be seeded, hence this.
 */

/** mulberry32: a 32-bit state generator, fast and good enough for sampling (not for cryptography). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle in place; returns the same array for chaining. */
export function shuffleInPlace<A extends { length: number; [i: number]: unknown }>(arr: A, rng: () => number): A {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = arr[i];
    arr[i] = arr[j];
    arr[j] = tmp;
  }
  return arr;
}
