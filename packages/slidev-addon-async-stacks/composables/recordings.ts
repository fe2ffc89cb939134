/**
 * The committed recordings, as the deck sees them (validated against the schema when the
 * server loads them: server/recordings.ts).
 */
import deck from 'virtual:recordings'
import type { ManifestEntry } from 'async-stacks-engine/recordings'
import type { Recording } from 'async-stacks-engine/schema'
import { entriesOf, findEntry, recordedDemos as demosRecorded } from 'async-stacks-engine/recording-lookup'
import { compareVersions } from 'async-stacks-engine/versions'

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

/** What a component is given: a demo's name (and a runtime version), or a recording itself. */
export interface RecordingSource {
  demo?: string
  version?: string
  /** A recording made by `async-stacks record`, imported by the slide (`import r from './recordings/x/cpython-3.13.1.json'`). */
  recording?: Recording
}

/** A component's recording: the one it was given, else the demo's (its default, or `version`'s). */
export function recordingOf(source: RecordingSource): Recording {
  if (source.recording)
    return source.recording
  if (!source.demo)
    throw new Error('give the component a demo name (demo="…") or a recording (:recording="…")')
  return getRecording(source.demo, source.version)
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
