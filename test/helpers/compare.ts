/** The largest difference between two arrays, relative to the largest magnitude of the expected one. */
export function maxRelDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    d = Math.max(d, Math.abs(got[i] - want[i]));
    m = Math.max(m, Math.abs(want[i]));
  }
  return d / Math.max(m, 1e-12);
}
