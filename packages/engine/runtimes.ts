/**
 * The runtime registry: every runtime the engine can run demos under. The built-in ones are
 * the folders of engine/ with a runtime.json; `registerRuntime(folder)` adds another (a
 * folder anywhere with a runtime.json and its adapter). Demos, the engine, the highlighted
 * code and the server all ask here, so adding a runtime edits nothing else.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { z } from 'zod'
import type { RecordingAdapter } from './adapter'
import { BUILTIN_RUNTIMES, type RuntimeManifest } from './runtime-manifests'

/** A runtime.json (engine/runtime-manifests.ts `RuntimeManifest`), checked. */
export const RuntimeManifestSchema = z.object({
  /** The id demos and recordings name it by (`demo.language`): `python`, `javascript`, `rust`. */
  language: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'must be a lower-case id like "python"'),
  /** What the deck calls it: `Python`. */
  name: z.string().min(1),
  /** The demo files it runs, by extension: `[".py"]`. */
  extensions: z.array(z.string().regex(/^\.[a-z0-9]+$/i, 'must be an extension like ".py"')).min(1),
  /** The shiki grammar that highlights its demos. */
  shiki: z.string().min(1),
  /** Its colour in the deck (a CSS colour; Okabe–Ito for the built-in ones). */
  color: z.string().min(1),
  /** What to tell someone who has no installation of it. */
  installHint: z.string().min(1),
  /** What the deck's badges call its programs (`async JavaScript`); default: its name. */
  label: z.string().min(1).optional(),
  /** The words the deck's panes use for it, where they differ from the defaults (engine/runtime-manifests.ts `RuntimeLabels`). */
  labels: z.object({
    asyncStack: z.string().min(1).optional(),
    noAsyncStack: z.string().min(1).optional(),
    noTask: z.string().min(1).optional(),
    raises: z.string().min(1).optional(),
    idle: z.string().min(1).optional(),
    rebuiltBy: z.string().min(1).optional(),
    chainFound: z.string().min(1).optional(),
  }).strict().optional(),
  /** The adapter module, relative to the folder (default `index.ts`): it exports the adapter as `default`. */
  adapter: z.string().default('index.ts'),
}).strict()

/** Validate one runtime.json; the error names the file and the field. */
export function parseRuntimeManifest(data: unknown, source: string): RuntimeManifest & { adapter: string } {
  const result = RuntimeManifestSchema.safeParse(data)
  if (result.success)
    return result.data
  const issue = result.error.issues[0]!
  throw new Error(`${source}: invalid runtime.json at \`${issue.path.join('.') || '(root)'}\`: ${issue.message}`)
}

export interface RegisteredRuntime extends RuntimeManifest {
  adapter: string
  /** The runtime's folder (absolute). */
  dir: string
}

const ENGINE_DIR = fileURLToPath(new URL('.', import.meta.url))
const registry = new Map<string, RegisteredRuntime>()
const adapters = new Map<string, Promise<RecordingAdapter>>()

function add(runtime: RegisteredRuntime): RegisteredRuntime {
  const taken = [...registry.values()].find(other => other.language !== runtime.language && other.extensions.some(ext => runtime.extensions.includes(ext)))
  if (taken)
    throw new Error(`${runtime.dir}: runtime "${runtime.language}" claims an extension of "${taken.language}" (${runtime.extensions.join(', ')})`)
  registry.set(runtime.language, runtime)
  adapters.delete(runtime.language)
  return runtime
}

for (const { folder, ...manifest } of BUILTIN_RUNTIMES)
  add({ ...parseRuntimeManifest(manifest, `engine/${folder}/runtime.json`), dir: join(ENGINE_DIR, folder) })

/** Add the runtime a folder declares (its runtime.json); a runtime of the same language is replaced. */
export function registerRuntime(folder: string): RegisteredRuntime {
  const dir = resolve(folder)
  const file = join(dir, 'runtime.json')
  return add({ ...parseRuntimeManifest(JSON.parse(readFileSync(file, 'utf8')), file), dir })
}

/** Every registered runtime. */
export function registeredRuntimes(): RegisteredRuntime[] {
  return [...registry.values()]
}

/** The runtime of a language, or undefined. */
export function runtimeOf(language: string): RegisteredRuntime | undefined {
  return registry.get(language)
}

/** The language that runs files with this extension (`.py` → `python`), or undefined. */
export function languageOfExtension(extension: string): string | undefined {
  return [...registry.values()].find(runtime => runtime.extensions.includes(extension))?.language
}

/** `.mjs, .js, .py, .rs`: every extension a runtime handles. */
export function supportedExtensions(): string {
  return [...registry.values()].flatMap(runtime => runtime.extensions).join(', ')
}

/** A language's adapter, its module loaded once. */
export function adapterFor(language: string): Promise<RecordingAdapter> {
  let found = adapters.get(language)
  if (!found) {
    const runtime = registry.get(language)
    if (!runtime)
      return Promise.reject(new Error(`no runtime registered for language "${language}"`))
    // A plug-in is found at run time, not bundled: Vite is not to resolve it.
    found = import(/* @vite-ignore */ pathToFileURL(join(runtime.dir, runtime.adapter)).href).then((module: { default?: RecordingAdapter }) => {
      if (!module.default?.record)
        throw new Error(`${join(runtime.dir, runtime.adapter)} must export its adapter (withPipeline(…)) as default`)
      return module.default
    })
    adapters.set(language, found)
  }
  return found
}
