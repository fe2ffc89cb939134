/**
 * Which recording a demo means, by the manifest: its default one, or the one made with a
 * runtime version (`"3.8"` matches `3.8.18`, `"10"` matches Node `10.24.1`). The one set of
 * rules for the deck (composables/recordings.ts), the export, the server and the tests.
 * Browser-safe: it reads no file (engine/recordings.ts reads them).
 */
import type { ManifestEntry } from './schema'
import { compareVersions } from './versions'

/** Does a runtime version match what a slide or test asked for (`"3.8"` ~ `3.8.18`, `"nightly"` ~ a nightly rustc)? */
export function versionMatches(version: string, asked: string): boolean {
  return version === asked || version.startsWith(`${asked}.`) || (asked === 'nightly' && version.includes('nightly'))
}

/** A demo's default recording: the one marked default, else the first listed; undefined when it has none. */
export function defaultEntry(manifest: readonly ManifestEntry[], demo: string): ManifestEntry | undefined {
  const own = manifest.filter(entry => entry.demo === demo)
  return own.find(entry => entry.default) ?? own[0]
}

/** The entry of a demo's recording (its default one, or of a version); throws saying what there is and how to make it. */
export function findEntry(manifest: readonly ManifestEntry[], demo: string, version?: string): ManifestEntry {
  const own = manifest.filter(entry => entry.demo === demo)
  if (!own.length)
    throw new Error(`no recording of demo "${demo}": run \`npm run record -- ${demo}\` (have: ${recordedDemos(manifest).join(', ')})`)
  const entry = version === undefined ? defaultEntry(own, demo) : own.find(e => versionMatches(e.version, version))
  if (!entry)
    throw new Error(`no recording of demo "${demo}" with version ${version} (have: ${own.map(e => e.version).join(', ')}; \`npm run record -- --matrix\` makes them)`)
  return entry
}

/** Every recording of a demo, oldest runtime version first (for then-and-now comparisons). */
export function entriesOf(manifest: readonly ManifestEntry[], demo: string): ManifestEntry[] {
  return manifest.filter(entry => entry.demo === demo).sort((a, b) => compareVersions(a.version, b.version))
}

/** Every demo that has a recording, in manifest order. */
export function recordedDemos(manifest: readonly ManifestEntry[]): string[] {
  return [...new Set(manifest.map(entry => entry.demo))]
}
