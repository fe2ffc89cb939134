/**
 * The runtimes as the deck's components see them: colour, display name and words, each from
 * the runtime's own runtime.json (engine/runtime-manifests.ts). A component never names a
 * language; a runtime added as a plug-in shows with what it declares.
 */
import { BUILTIN_RUNTIMES, type RuntimeLabels, type RuntimeManifest } from 'async-stacks-engine/runtime-manifests'

export type DeckRuntime = Pick<RuntimeManifest, 'language' | 'name' | 'color' | 'label' | 'labels'>

const known = new Map<string, DeckRuntime>(BUILTIN_RUNTIMES.map(runtime => [runtime.language, runtime]))

/** Show programs of another runtime (a plug-in registered outside engine/) with what its runtime.json declares. */
export function addDeckRuntime(runtime: DeckRuntime): void {
  known.set(runtime.language, runtime)
}

/** A language no runtime.json declares (a recording from elsewhere): its id, in the deck's muted colour. */
export function deckRuntime(language: string): DeckRuntime {
  return known.get(language) ?? { language, name: language, color: 'var(--deck-muted)' }
}

const DEFAULT_LABELS: Required<Omit<RuntimeLabels, 'idle' | 'rebuiltBy' | 'chainFound'>> = {
  asyncStack: 'Async stack (logical)',
  noAsyncStack: 'no event loop: the thread stack is the whole story',
  noTask: 'no task running',
  raises: 'raises',
}

/** The words the panes use for this language's programs: its runtime.json's, else the defaults. */
export function runtimeLabels(language: string): typeof DEFAULT_LABELS & Pick<RuntimeLabels, 'idle' | 'rebuiltBy' | 'chainFound'> {
  return { ...DEFAULT_LABELS, ...deckRuntime(language).labels }
}
