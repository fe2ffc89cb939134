// Build the deck for the export, as a child of scripts/export.ts (plain JS: no TypeScript
// loader to start): Slidev's own `slidev build`, with one difference. Slidev compiles its
// /print page (the page `slidev export` prints) into a build only when the headmatter has
// `download: true`, and then also exports a PDF of its own after building. Here the
// print feature flag is switched on for this one build instead, and nothing else runs.
//
//   node slidev-build.mjs <entry.md> <out dir>
//
// Reports over IPC: { type: 'built', ms } or { type: 'error', message }.
import { readdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { performance } from 'node:perf_hooks'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { resolveOptions } from '@slidev/cli'

const [entry, outDir] = process.argv.slice(2)

function report(message) {
  process.send?.(message, () => process.exit(message.type === 'built' ? 0 : 1))
  if (!process.send)
    process.exit(message.type === 'built' ? 0 : 1)
}

try {
  const started = performance.now()
  // `slidev build` itself is not in @slidev/cli's public exports: find its chunk (the
  // version is pinned in package.json, so this is the build `npm run build` runs).
  const dist = dirname(fileURLToPath(import.meta.resolve('@slidev/cli')))
  const chunk = readdirSync(dist).find(file => /^build-[\w-]+\.mjs$/.test(file))
  const build = chunk && (await import(`@slidev/cli/dist/${chunk}`)).build
  if (typeof build !== 'function')
    throw new Error(`this @slidev/cli has no build-*.mjs exporting build() in ${dist}: the exporter is written for Slidev 52.20`)

  const options = await resolveOptions({ entry }, 'build')
  options.utils.define.__SLIDEV_FEATURE_PRINT__ = 'true'
  // An `ogImage: auto` would make the build start a browser of its own for a screenshot.
  if (options.data.config.seoMeta?.ogImage === 'auto')
    options.data.config.seoMeta.ogImage = undefined
  await build(options, {
    logLevel: 'warn',
    clearScreen: false,
    build: {
      outDir,
      emptyOutDir: true,
      reportCompressedSize: false,
      // Read once by the browser on this machine and thrown away: no minifying, no
      // down-levelling (2 to 6 s of an 8 to 15 s build).
      minify: false,
      cssMinify: false,
      target: 'esnext',
    },
  }, {})
  report({ type: 'built', ms: Math.round(performance.now() - started) })
}
catch (error) {
  report({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) })
}
