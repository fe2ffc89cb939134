/**
 * `virtual:recordings`: the committed recordings as the deck gets them. Each file is
 * validated against the schema here, on load, as is the manifest, by the engine's one reader
 * (a broken one fails the build or the dev server naming its file and field; no entry can
 * lead outside recordings/). Default recordings come whole, and so do those that hold what
 * the runtime itself shows (its call graph or a pstree view: CPython 3.14, read by the slides
 * about it); the other versions of the matrix come with their traceback and exit only (their
 * steps and output stay on disk), which keeps the static build small.
 */
import type { Plugin } from 'vite'
import { virtualJsonModule } from './virtual-module'
import { readManifest, readManifestRecording, type ManifestEntry } from 'async-stacks-engine/recordings'
import type { Recording } from 'async-stacks-engine/schema'

export interface DeckRecordings {
  manifest: ManifestEntry[]
  /** By manifest `file`. */
  recordings: Record<string, Recording>
}


export function loadDeckRecordings(recordingsDir: string): DeckRecordings {
  const manifest = readManifest(recordingsDir)
  const recordings: Record<string, Recording> = {}
  for (const entry of manifest) {
    const recording = readManifestRecording(entry, recordingsDir)
    const runtimeShows = recording.outsideView !== undefined || recording.steps.some(step => step.callGraph !== undefined)
    recordings[entry.file] = entry.default || runtimeShows
      ? recording
      : {
          ...recording,
          run: { ...recording.run, output: [] },
          steps: [],
          stepsNote: `steps and output of this version are in ${entry.file}, not in the deck`,
        }
  }
  return { manifest, recordings }
}

/** The deck's recordings folder (its `recordings/`: engine/config.ts), as the slides get it. */
export function deckRecordings(recordingsDir: string): Plugin {
  return virtualJsonModule('recordings', recordingsDir, () => loadDeckRecordings(recordingsDir))
}
