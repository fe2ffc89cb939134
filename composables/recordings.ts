/**
 * The committed recordings, as the deck sees them (validated against the schema when the
 * server loads them: server/recordings.ts).
 */
import deck from 'virtual:recordings'
import type { ManifestEntry } from '../engine/recordings'
import type { Recording } from '../engine/schema'
import { compareVersions } from '../engine/versions'

const manifest: ManifestEntry[] = deck.manifest

function load(entry: ManifestEntry): Recording {
  return deck.recordings[entry.file]!
}

/**
 * The recording of a demo: its default one, or the one made with a runtime version
 * (`"3.8"` matches `3.8.18`, `"10"` matches Node `10.24.1`).
 */
export function getRecording(demo: string, version?: string): Recording {
  const own = manifest.filter(entry => entry.demo === demo)
  if (!own.length)
    throw new Error(`no recording of demo "${demo}": run \`npm run record -- ${demo}\` (have: ${[...new Set(manifest.map(e => e.demo))].join(', ')})`)
  const entry = version === undefined
    ? own.find(e => e.default) ?? own[0]!
    : own.find(e => e.version === version || e.version.startsWith(`${version}.`))
  if (!entry)
    throw new Error(`no recording of demo "${demo}" with version ${version} (have: ${own.map(e => e.version).join(', ')})`)
  return load(entry)
}

/** Every recording of a demo, oldest runtime version first (for then-and-now comparisons). */
export function getRecordingsOf(demo: string): Recording[] {
  return manifest
    .filter(entry => entry.demo === demo)
    .sort((a, b) => compareVersions(a.version, b.version))
    .map(load)
}

export { compareVersions }

/** "recorded with CPython 3.11.7" */
export function recordingLabel(recording: Recording): string {
  return `recorded with ${recording.runtime.name} ${recording.runtime.version}`
}

/** Every demo that has a recording. */
export function recordedDemos(): string[] {
  return [...new Set(manifest.map(entry => entry.demo))]
}
