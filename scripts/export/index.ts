/**
 * The export: ONE server and ONE browser make slides.pdf, steps.pdf and handout.pdf,
 * with the pages rendered concurrently.
 *
 *   Slidev build (child process) ─► static server ─► tab 1: /print?print=true   ─► slides.pdf ─┐
 *                                                 ─► tab 2: /print?print=clicks ─► steps.pdf   │
 *   browser (starts beside the build) ────────────► tab 3: the handout's HTML,  ──────────────┴─► handout.pdf
 *                                                   printed while the deck builds
 *
 * The PDFs are written next to their final names and renamed only when all of them are
 * good, so a failed export never replaces a good PDF with half a one.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext } from 'playwright-core'
import { PDFDocument } from 'pdf-lib'
import { browserArgs, findBrowser } from '../lib/browser'
import { loadDeck, type Deck } from './deck'
import { ExportError } from './errors'
import { Guard } from './guard'
import { composeHandout, exportDate, fitNotes, handoutHtml, handoutLayout, placeCells, type HandoutLayout, type HandoutPlan, type PaperSize, type PerPage, type SectionPages } from './handout'
import { namedDestinations, setMetadata, setOutline } from './pdf'
import type { Progress } from './progress'
import { assertPortFree, buildDeck, serveStatic, type StaticServer } from './server'

export const KINDS = ['slides', 'steps', 'handout'] as const
export type Kind = typeof KINDS[number]

export interface ExportOptions {
  /** The deck's Markdown entry (absolute). */
  entry: string
  outDir: string
  only: Kind[]
  paper: PaperSize
  /** Slides on each handout page. */
  perPage: PerPage
  /** A fixed port for the static server; a free one when undefined. */
  port?: number
  /** Longest wait for the build and for a print page to settle. */
  timeoutMs: number
  progress: Progress
}

export interface ExportedFile {
  kind: Kind
  path: string
  pages: number
  bytes: number
}

export interface ExportResult {
  files: ExportedFile[]
  requests: number
  warnings: string[]
}

/** Chromium resolves no host but this machine's, whatever a page asks for. */
const OFFLINE_ARGS = ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost']

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** `EXPORT_TIMING=1 npm run export`: when each phase ended, for tuning. */
const t0 = performance.now()
function timing(what: string): void {
  if (process.env.EXPORT_TIMING)
    process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(2)} s] ${what}\n`)
}

interface PrintState {
  ids: string[]
  loading: number
  waiting: number
  fontsLoading: boolean
}

interface Printed {
  pdf: Uint8Array
  /** `.print-slide-container` ids in page order: `007-03` is slide 7 after 2 clicks. */
  ids: string[]
}

/**
 * Render Slidev's print page (every slide, or every click of every slide) to one PDF, as
 * `slidev export` does, but settle on the deck's own state instead of a fixed wait:
 * every slide mounted, nothing loading, the page count steady, the network quiet.
 */
async function printDeck(context: BrowserContext, base: string, deck: Deck, withClicks: boolean, guard: Guard, options: ExportOptions): Promise<Printed> {
  const label = withClicks ? 'steps' : 'slides'
  const page = await context.newPage()
  guard.watchPage(page, `${label}.pdf`)
  const open = new Set<string>()
  let lastNetwork = Date.now()
  page.on('request', (request) => {
    open.add(request.url())
    lastNetwork = Date.now()
  })
  const finished = (request: { url: () => string }) => {
    open.delete(request.url())
    lastNetwork = Date.now()
  }
  page.on('requestfinished', finished)
  page.on('requestfailed', finished)

  await page.emulateMedia({ media: 'screen', colorScheme: deck.dark ? 'dark' : 'light' })
  await page.goto(`${base}/print?print=${withClicks ? 'clicks' : 'true'}`, { waitUntil: 'load', timeout: options.timeoutMs })

  const deadline = Date.now() + options.timeoutMs
  let state: PrintState = { ids: [], loading: 0, waiting: 0, fontsLoading: true }
  let lastCount = -1
  let stableSince = Date.now()
  for (;; await sleep(100)) {
    if (Date.now() > deadline) {
      const missing = deck.slides.filter(slide => !state.ids.some(id => Number(id.split('-')[0]) === slide.no)).map(slide => slide.no)
      throw new ExportError(`${label}.pdf: the print page did not settle within ${options.timeoutMs / 1000} s: `
        + [
          missing.length && `slides not rendered: ${missing.join(', ')}`,
          state.loading && `${state.loading} slides still loading`,
          state.waiting && `${state.waiting} [data-waitfor] elements not found`,
          open.size && `requests still open: ${[...open].slice(0, 5).join(', ')}`,
        ].filter(Boolean).join('; '))
    }
    const polled = await page.evaluate(() => ({
      ids: [...document.querySelectorAll('.print-slide-container')].map(element => element.id),
      loading: document.querySelectorAll('.slidev-slide-loading').length,
      waiting: [...document.querySelectorAll('[data-waitfor]')]
        .filter(element => !element.querySelector(element.getAttribute('data-waitfor') || '*')).length,
      fontsLoading: document.fonts.status === 'loading',
    })).catch((error: Error) => {
      // The page navigated (a reload) while being asked: ask again.
      if (/context was destroyed|navigat/i.test(error.message))
        return undefined
      throw error
    })
    if (!polled) {
      stableSince = Date.now()
      continue
    }
    state = polled
    const slidesMounted = new Set(state.ids.map(id => id.split('-')[0])).size
    if (state.ids.length !== lastCount) {
      lastCount = state.ids.length
      stableSince = Date.now()
    }
    const settled = slidesMounted === deck.slides.length && !state.loading && !state.waiting && !state.fontsLoading
      && open.size === 0 && Date.now() - lastNetwork >= 300 && Date.now() - stableSince >= 300
    options.progress.set(label, { done: withClicks ? state.ids.length : slidesMounted, total: withClicks ? (settled ? state.ids.length : undefined) : deck.slides.length })
    if (settled)
      break
  }
  timing(`${label}: settled, ${state.ids.length} pages`)
  await page.evaluate(() => document.fonts.ready.then(() => undefined))
  const pdf = await page.pdf({
    width: `${deck.width}px`,
    height: `${deck.height}px`,
    margin: { top: 0, right: 0, bottom: 0, left: 0 },
    printBackground: true,
    preferCSSPageSize: true,
    // The print page ends with an empty box that Chromium would print as one more page.
    pageRanges: `1-${state.ids.length}`,
  })
  timing(`${label}: printed`)
  await page.close()
  return { pdf, ids: state.ids }
}

/** Slidev's PDF plus outline (each slide's first page) and metadata; checks the page count. */
async function finishDeckPdf(deck: Deck, printed: Printed, label: string, date: Date): Promise<{ bytes: Uint8Array, pages: number }> {
  const doc = await PDFDocument.load(printed.pdf, { updateMetadata: false })
  if (doc.getPageCount() !== printed.ids.length)
    throw new ExportError(`${label}: Chromium printed ${doc.getPageCount()} pages for ${printed.ids.length} slide pages (does a slide overflow its page?)`)
  setOutline(doc, deck.slides.map(slide => ({
    title: slide.plainTitle,
    page: printed.ids.findIndex(id => Number(id.split('-')[0]) === slide.no),
  })))
  setMetadata(doc, { title: deck.title, subject: deck.info, author: deck.author, date })
  return { bytes: await doc.save(), pages: doc.getPageCount() }
}

/**
 * Print the handout's HTML in its own context (no deck, no server, no network). First the
 * cells are planned: every cell's notes measured at print size, those too long for their
 * cell at the smallest readable size given a bigger cell, until all fit. Then it is printed
 * once to learn on which page each section starts, once more with those pages in the contents.
 */
async function printHandout(browser: Browser, deck: Deck, layout: HandoutLayout, date: Date, guard: Guard): Promise<{ pdf: Uint8Array, plan: HandoutPlan }> {
  const context = await browser.newContext()
  guard.watchContext(context)
  try {
    const page = await context.newPage()
    guard.watchPage(page, 'handout.pdf')
    await page.emulateMedia({ media: 'print' })
    const load = async (html: string) => {
      await page.setContent(html, { waitUntil: 'load' })
      await page.evaluate(() => document.fonts.ready.then(() => undefined))
    }

    const big = new Set<number>()
    let plan: HandoutPlan
    for (;;) {
      const placements = placeCells(deck, layout, big)
      await load(handoutHtml(deck, layout, date, { placements }))
      const fits = await page.evaluate(fitNotes)
      const tooLong = fits.filter(fit => fit.size === null).map(fit => fit.no)
      const grow = layout.kinds.length > 1 ? tooLong.filter(no => !big.has(no)) : []
      if (grow.length) {
        grow.forEach(no => big.add(no))
        continue
      }
      if (tooLong.length) {
        const min = Math.min(...layout.kinds.map(kind => kind.font.min))
        throw new ExportError(`handout: the speaker notes of slide${tooLong.length > 1 ? 's' : ''} ${tooLong.join(', ')} do not fit --per-page ${layout.perPage} even at ${min} pt: use fewer slides a page (--per-page 1), or shorten them`)
      }
      plan = { placements, fontSizes: new Map(fits.map(fit => [fit.no, fit.size!])) }
      break
    }
    timing(`handout: planned${big.size ? ` (bigger cells for slides ${[...big].join(', ')})` : ''}`)

    const print = async (pages?: SectionPages) => {
      await load(handoutHtml(deck, layout, date, plan, pages))
      const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true })
      return { pdf, pages: namedDestinations(await PDFDocument.load(pdf, { updateMetadata: false })) }
    }
    const first = await print()
    timing('handout: printed, pages known')
    const final = await print(first.pages)
    const moved = [...first.pages].filter(([id, index]) => final.pages.get(id) !== index).map(([id]) => id)
    if (moved.length)
      throw new ExportError(`handout: adding page numbers to the contents moved ${moved.slice(0, 3).join(', ')}: the contents page has no room for them`)
    timing('handout: printed')
    return { pdf: final.pdf, plan }
  }
  finally {
    await context.close()
  }
}

export async function exportDeck(options: ExportOptions): Promise<ExportResult> {
  const { progress } = options
  const want = (kind: Kind) => options.only.includes(kind)
  // The deck's files first: a refused demo or manifest stops the export before a browser is looked for.
  const deck = await loadDeck(options.entry)
  const executablePath = findBrowser()
  if (options.port !== undefined)
    await assertPortFree(options.port)
  const date = exportDate()
  const guard = new Guard()
  const layout = handoutLayout(deck, options.paper, options.perPage)

  const dist = mkdtempSync(join(tmpdir(), 'slidev-export-'))
  progress.set('slides', { done: 0, total: deck.slides.length })
  progress.message(`export: building ${deck.slides.length} slides with Slidev …`)
  const build = buildDeck(options.entry, deck.root, dist, options.timeoutMs)
  const browserStart = chromium.launch({ executablePath, args: [...browserArgs(), ...OFFLINE_ARGS] })
  browserStart.catch(() => {})

  let server: StaticServer | undefined
  let browser: Browser | undefined
  const temps: string[] = []
  const removeTemps = () => {
    for (const temp of temps.splice(0))
      rmSync(temp, { force: true })
    rmSync(dist, { recursive: true, force: true })
  }
  process.on('exit', removeTemps) // also when Ctrl-C ends the export mid-write
  try {
    browser = await browserStart
    timing('browser up')
    const handoutPrinted = want('handout') ? guard.race(printHandout(browser, deck, layout, date, guard)) : undefined

    await guard.race(build.done)
    timing('deck built')
    server = await serveStatic(dist, options.port ?? 0)
    guard.sourceOf = (path) => {
      try {
        return readFileSync(join(dist, path), 'utf8')
      }
      catch {
        return undefined
      }
    }
    const base = `http://localhost:${server.port}`
    const context = await browser.newContext({
      viewport: { width: deck.width, height: Math.ceil(deck.height * deck.slides.length) },
      deviceScaleFactor: 2, // as `slidev export`: anything rasterised stays sharp
    })
    guard.watchContext(context)
    const needSlides = want('slides') || want('handout')
    const slidesPrinted = needSlides ? guard.race(printDeck(context, base, deck, false, guard, options)) : undefined
    const stepsPrinted = want('steps') ? guard.race(printDeck(context, base, deck, true, guard, options)) : undefined

    const outputs: { kind: Kind, bytes: Uint8Array, pages: number }[] = []
    let slidesPdf: Uint8Array | undefined
    if (slidesPrinted) {
      const slides = await finishDeckPdf(deck, await slidesPrinted, 'slides.pdf', date)
      slidesPdf = slides.bytes
      if (want('slides'))
        outputs.push({ kind: 'slides', ...slides })
    }
    if (handoutPrinted) {
      const handout = await handoutPrinted
      const bytes = await composeHandout(deck, layout, handout.plan, handout.pdf, slidesPdf!, date)
      const pages = (await PDFDocument.load(bytes, { updateMetadata: false })).getPageCount()
      progress.set('handout', { done: pages, total: pages })
      outputs.push({ kind: 'handout', bytes, pages })
    }
    if (stepsPrinted)
      outputs.push({ kind: 'steps', ...await finishDeckPdf(deck, await stepsPrinted, 'steps.pdf', date) })
    if (guard.failure)
      throw guard.failure
    timing('PDFs finished')

    // Every file is good: write them beside their final names, then rename.
    mkdirSync(options.outDir, { recursive: true })
    const tag = `${process.pid}-${randomBytes(3).toString('hex')}`
    const files: ExportedFile[] = []
    for (const kind of KINDS) {
      const output = outputs.find(o => o.kind === kind)
      if (!output)
        continue
      const path = join(options.outDir, `${kind}.pdf`)
      const temp = join(options.outDir, `.${kind}.pdf.${tag}.tmp`)
      temps.push(temp)
      writeFileSync(temp, output.bytes)
      files.push({ kind, path, pages: output.pages, bytes: output.bytes.length })
    }
    for (const [i, file] of files.entries())
      renameSync(temps[i]!, file.path)
    temps.length = 0 // renamed: nothing left to remove
    return { files, requests: guard.requests, warnings: [...deck.warnings, ...guard.warnings] }
  }
  catch (error) {
    // The first failure the guard saw is the cause; later ones (a closed page …) are noise.
    throw guard.failure ?? error
  }
  finally {
    build.stop()
    await browser?.close().catch(() => {})
    await server?.stop()
    removeTemps()
    process.off('exit', removeTemps)
  }
}
