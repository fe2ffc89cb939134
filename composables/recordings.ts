/**
 * The committed recordings, as the deck sees them (validated against the schema when the
 * server loads them: server/recordings.ts).
 */
import deck from 'virtual:recordings'
import type { ManifestEntry } from '../engine/recordings'
import type { Recording } from '../engine/schema'
import { entriesOf, findEntry, recordedDemos as demosRecorded } from '../engine/recording-lookup'
import { compareVersions } from '../engine/versions'

const manifest: ManifestEntry[] = deck.manifest

function load(entry: ManifestEntry): Recording {
  return deck.recordings[entry.file]!
}

/**
 * The recording of a demo: its default one, or the one made with a runtime version
 * (`"3.8"` matches `3.8.18`, `"10"` matches Node `10.24.1`): engine/recording-lookup.ts.
 */
export function getRecording(demo: string, version?: string): Recording {
  return load(findEntry(manifest, demo, version))
}

/** Every recording of a demo, oldest runtime version first (for then-and-now comparisons). */
export function getRecordingsOf(demo: string): Recording[] {
  return entriesOf(manifest, demo).map(load)
}

export { compareVersions }

/** "recorded with CPython 3.11.7" */
export function recordingLabel(recording: Recording): string {
  return `recorded with ${recording.runtime.name} ${recording.runtime.version}`
}

/** Every demo that has a recording. */
export function recordedDemos(): string[] {
  return demosRecorded(manifest)
}
