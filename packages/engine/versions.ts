/**
 * Runtime versions compared as people read them (`3.9.18` < `3.10.13`, `8.17.0` < `26.12.1`):
 * for the engine's discovery and the deck's version comparisons alike (no Node API here).
 */

/** The numbers of a version, in order: `3.13.0rc1` → [3, 13, 0, 1]. */
function numbers(version: string): number[] {
  return version.split(/\D+/).filter(Boolean).map(Number)
}

/** Negative when `a` is the older version, positive when newer, 0 when the same. */
export function compareVersions(a: string, b: string): number {
  const pa = numbers(a)
  const pb = numbers(b)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d)
      return d
  }
  return 0
}
