/**
 * `npm run export`: the deck to three PDFs in exports/ (git-ignored).
 *
 *   exports/slides.pdf    one page per slide, in its final state; outline from the titles
 *   exports/steps.pdf     one page per click (Slidev's --with-clicks)
 *   exports/handout.pdf   cover, contents, the slides two to a page with their speaker notes,
 *                         then each demo's program and traceback; A4 (or US Letter)
 *
 * Options:
 *   --out <dir>         write there instead of exports/
 *   --paper <size>      the handout's paper: a4 (default) or letter (--letter is short for it)
 *   --per-page <n>      slides on each handout page: 1 (landscape, large), 2 (default),
 *                       3 (notes beside each slide) or 6
 *   --only <kinds>      only some files: slides, steps, handout (comma-separated, repeatable)
 *   --entry <file.md>   another deck entry than slides.md
 *   --port <n>          the port the built deck is served on (default: a free one)
 *   --timeout <s>       longest wait for the build and for each print page (default 120)
 *
 * Exit codes: 0 done; 1 the export failed (a slide threw, a request left localhost, a
 * timeout) or the deck's files were refused before anything was rendered (a symbolic link
 * or a stray file in demos/, an invalid recordings/manifest.json); 2 the environment or the
 * arguments (no browser, busy port, unknown option).
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { BrowserNotFoundError } from './lib/browser'
import { parseCommandLine, UsageError as CliUsageError, type OptionSpec } from 'async-stacks-engine/cli/options'
import { ROOT } from './lib/paths'
import { DeckInputError, ExportError, UsageError } from './export/errors'
import { PAPER_SIZES, PER_PAGE, type PaperSize, type PerPage } from './export/handout'
import { exportDeck, KINDS, type Kind } from './export/index'
import { Progress } from './export/progress'

const OPTIONS = {
  'out': { type: 'string', value: '<dir>' },
  'paper': { type: 'string', value: '<a4|letter>' },
  'letter': { type: 'boolean', default: false },
  'per-page': { type: 'string', value: '<1|2|3|6>' },
  'only': { type: 'string', multiple: true, value: '<kinds>' },
  'entry': { type: 'string', value: '<deck.md>' },
  'port': { type: 'string', value: '<n>' },
  'timeout': { type: 'string', value: '<s>' },
  'help': { type: 'boolean', short: 'h', default: false },
} satisfies Record<string, OptionSpec>

function parseOptions() {
  let parsed
  try {
    parsed = parseCommandLine(process.argv.slice(2), OPTIONS, false).values
  }
  catch (error) {
    throw error instanceof CliUsageError ? new UsageError(error.message) : error
  }
  const only = (parsed.only ?? []).flatMap(value => value.split(',')).map(value => value.trim()).filter(Boolean)
  const unknown = only.filter(kind => !KINDS.includes(kind as Kind))
  if (unknown.length)
    throw new UsageError(`--only takes ${KINDS.join(', ')}; not ${unknown.join(', ')}`)
  const paperName = parsed.paper?.trim().toLowerCase()
  if (paperName !== undefined && !PAPER_SIZES.includes(paperName as PaperSize))
    throw new UsageError(`--paper takes ${PAPER_SIZES.join(' or ')}, not ${parsed.paper}`)
  if (parsed.letter && paperName !== undefined && paperName !== 'letter')
    throw new UsageError(`--letter and --paper ${parsed.paper} disagree: give one of them`)
  const paper: PaperSize = parsed.letter ? 'letter' : (paperName as PaperSize | undefined) ?? 'a4'
  const perPage = parsed['per-page'] === undefined ? 2 : Number(parsed['per-page'])
  if (!PER_PAGE.includes(perPage as PerPage))
    throw new UsageError(`--per-page takes ${PER_PAGE.slice(0, -1).join(', ')} or ${PER_PAGE.at(-1)}, not ${parsed['per-page']}`)
  const port = parsed.port === undefined ? undefined : Number(parsed.port)
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
    throw new UsageError(`--port takes a port number, not ${parsed.port}`)
  const timeout = parsed.timeout === undefined ? 120 : Number(parsed.timeout)
  if (!(timeout > 0))
    throw new UsageError(`--timeout takes seconds, not ${parsed.timeout}`)
  const outDir = resolve(parsed.out ?? resolve(ROOT, 'exports'))
  if (existsSync(outDir) && !statSync(outDir).isDirectory())
    throw new UsageError(`--out takes a folder: ${parsed.out} is a file`)
  const entry = resolve(parsed.entry ?? resolve(ROOT, 'slides.md'))
  if (!existsSync(entry) || !statSync(entry).isFile())
    throw new UsageError(`--entry takes the deck's Markdown file: there is no file at ${entry}`)
  return {
    help: parsed.help,
    outDir,
    entry,
    only: (only.length ? KINDS.filter(kind => only.includes(kind)) : [...KINDS]) as Kind[],
    paper,
    perPage: perPage as PerPage,
    port,
    timeoutMs: timeout * 1000,
  }
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`
const shown = (path: string) => {
  const rel = relative(process.cwd(), path)
  return rel.startsWith('..') ? path : rel
}

async function main(): Promise<number> {
  let progress: Progress | undefined
  // Ctrl-C: exit through process.exit, so the server (its own process group) is stopped.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress?.abort()
      console.error(`export interrupted (${signal}); the PDFs already in the output folder were left as they were.`)
      process.exit(130)
    })
  }
  try {
    const options = parseOptions()
    if (options.help) {
      const doc = readFileSync(new URL(import.meta.url), 'utf8').match(/\/\*\*([\s\S]*?)\*\//)![1]!
      console.log(doc.replace(/^ \* ?/gm, '').trim())
      return 0
    }
    const started = performance.now()
    progress = new Progress(options.only)
    const result = await exportDeck({ ...options, progress })
    progress.end()
    for (const file of result.files)
      console.log(`✓ ${shown(file.path)}  ${file.pages} pages, ${megabytes(file.bytes)}`)
    console.log(`  ${result.requests} requests, all to localhost · ${((performance.now() - started) / 1000).toFixed(1)} s`)
    for (const warning of result.warnings.slice(0, 8))
      console.error(`warning: ${warning}`)
    if (result.warnings.length > 8)
      console.error(`warning: … and ${result.warnings.length - 8} more`)
    return 0
  }
  catch (error) {
    progress?.abort()
    if (error instanceof BrowserNotFoundError) {
      console.error(error.message)
      return 2
    }
    // Bad arguments, or a deck whose files are refused: one line, nothing was started.
    if (error instanceof UsageError) {
      console.error(`export: ${error.message}`)
      return error.exitCode
    }
    if (error instanceof DeckInputError) {
      console.error(`export failed: ${error.message}`)
      return error.exitCode
    }
    if (error instanceof ExportError) {
      console.error(`export failed: ${error.message}`)
      console.error('The PDFs already in the output folder were left as they were.')
      return error.exitCode
    }
    // Not foreseen: the message, and the stack only when asked for (EXPORT_DEBUG=1).
    console.error(`export failed: ${(error as Error).message ?? String(error)}`)
    if (process.env.EXPORT_DEBUG)
      console.error((error as Error).stack)
    return 1
  }
}

process.exit(await main())
