/**
 * The runtimes the deck knows, as each declares itself in its folder's `runtime.json`
 * (engine/<folder>/runtime.json): its language id, display name, file extensions, shiki
 * grammar, colour and install hint. Browser-safe: the deck's pages read this list; the
 * engine's registry (engine/runtimes.ts) validates it and adds each runtime's adapter.
 */
/** What a runtime.json declares; validated by the engine's registry (engine/runtimes.ts), which has zod: the deck's pages need not. */
export interface RuntimeManifest {
  /** The id demos and recordings name it by (`demo.language`): `python`, `javascript`, `rust`. */
  language: string
  /** What the deck calls it: `Python`. */
  name: string
  /** The demo files it runs, by extension: `[".py"]`. */
  extensions: string[]
  /** The shiki grammar that highlights its demos. */
  shiki: string
  /** Its colour in the deck (a CSS colour; Okabe–Ito for the built-in ones). */
  color: string
  /** What to tell someone who has no installation of it. */
  installHint: string
  /** What the deck's badges call its programs (`async JavaScript`); default: its name. */
  label?: string
  /** The words the deck's panes use for it, where they differ from the defaults. */
  labels?: RuntimeLabels
  /** The adapter module, relative to the folder (default `index.ts`): it exports the adapter as `default`. */
  adapter?: string
}

/** What the deck's panes say about a runtime's programs; each has a default (composables/runtimes.ts). */
export interface RuntimeLabels {
  /** The title of the logical stack pane: `debugger async stack (DevTools)`. */
  asyncStack?: string
  /** The logical pane when the runtime records no async stack at all. */
  noAsyncStack?: string
  /** The logical pane when no task runs. */
  noTask?: string
  /** The verb for the exception starting: `raises`, `panics`. */
  raises?: string
  /** The caption of an idle step with no async chains recorded. */
  idle?: string
  /** Who rebuilds the async frames from the promise chain when they are not on the stack (`V8`). */
  rebuiltBy?: string
  /** How the logical chain is found, in one line under its pane: `from the task's coroutine, cr_await by cr_await`. */
  chainFound?: string
}

/** engine/*\/runtime.json: bundled by Vite where it runs (the deck, Vitest), read from disk under plain Node. */
function builtinFiles(): Record<string, unknown> {
  try {
    return import.meta.glob('./*/runtime.json', { eager: true, import: 'default' })
  }
  catch {
    // Plain Node (tsx, Slidev's config loader): no import.meta.glob, but the files are here.
    const fs = process.getBuiltinModule('node:fs')
    const here = new URL('.', import.meta.url)
    const files: Record<string, unknown> = {}
    for (const entry of fs.readdirSync(here, { withFileTypes: true })) {
      const file = new URL(`${entry.name}/runtime.json`, here)
      if (entry.isDirectory() && fs.existsSync(file))
        files[`./${entry.name}/runtime.json`] = JSON.parse(fs.readFileSync(file, 'utf8'))
    }
    return files
  }
}

/** The built-in runtimes, each with the folder it came from (`python`), in folder order. */
export const BUILTIN_RUNTIMES: (RuntimeManifest & { folder: string })[] = Object.entries(builtinFiles())
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([path, data]) => ({ ...(data as RuntimeManifest), folder: path.split('/')[1]! }))
