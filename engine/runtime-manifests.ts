/**
 * The runtimes the deck knows, as each declares itself in its folder's `runtime.json`
 * (engine/<folder>/runtime.json): its language id, display name, file extensions, shiki
 * grammar, colour and install hint. Browser-safe: the deck's components read this list,
 * the engine's registry (engine/runtimes.ts) adds each runtime's adapter to it.
 */
import { z } from 'zod'

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
  /** The adapter module, relative to the folder (default `index.ts`): it exports the adapter as `default`. */
  adapter: z.string().default('index.ts'),
}).strict()
export type RuntimeManifest = z.infer<typeof RuntimeManifestSchema>

/** Validate one runtime.json; the error names the file and the field. */
export function parseRuntimeManifest(data: unknown, source: string): RuntimeManifest {
  const result = RuntimeManifestSchema.safeParse(data)
  if (result.success)
    return result.data
  const issue = result.error.issues[0]!
  throw new Error(`${source}: invalid runtime.json at \`${issue.path.join('.') || '(root)'}\`: ${issue.message}`)
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
  .map(([path, data]) => ({ ...parseRuntimeManifest(data, `engine/${path.slice(2)}`), folder: path.split('/')[1]! }))
