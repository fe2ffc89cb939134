/**
 * `npm run export`: slides.pdf, steps.pdf and handout.pdf. One export of the real deck is
 * shared by every check (it is slow); two tiny broken decks check the failures.
 */
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { listDemos } from 'async-stacks-engine/demos'
import { readManifest, readManifestRecording } from 'async-stacks-engine/recordings'
import type { Recording } from 'async-stacks-engine/schema'
import { DEV_PORT } from '../../playwright.config'
import { loadDeck, ROOT, type DeckSlide } from '../support/deck'
import { pageGraphics, pageInk, pageUse, pdfFonts, readPdf, type Box, type PageGraphics, type PdfContents } from '../support/pdf'

test.describe.configure({ mode: 'serial' })

const EXPORTS = join(ROOT, 'exports')
const FILES = ['slides', 'steps', 'handout'] as const
const SCRATCH = join(ROOT, 'test-results/pdf-export')

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

/** `npm run export -- …args`, as a user runs it. */
function exportSync(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const result = spawnSync('npm', ['run', '--silent', 'export', '--', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CI: '1', ...env },
    timeout: 600_000,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

function exportAsync(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'export', '--', ...args], { cwd: ROOT, env: { ...process.env, CI: '1' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('close', status => resolve({ status, stdout, stderr }))
  })
}

/** Letters and digits only: text as a PDF reader finds it, whatever the layout and Markdown. */
function words(text: string): string {
  return text
    .replace(/\[click(?::\d+)?\]/gi, '')
    .replace(/\]\([^)]*\)/g, '')
    .replace(/<[^>]+>/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, '')
}
const squeeze = (text: string) => text.replace(/\s+/g, '')

/** Each demo's default recording, as the deck shows it. */
function committedRecordings(): Recording[] {
  const demos = listDemos()
  return readManifest()
    .filter(entry => entry.default && demos.some(demo => demo.name === entry.demo))
    .map(entry => readManifestRecording(entry))
}

/**
 * Text of the pages (0-based) an outline entry covers: from its page to the next entry's,
 * that one included (sections share pages: two slides a page, demos one after another).
 */
function sectionText(pdf: PdfContents, titleStart: string): string {
  const entries = pdf.outlineEntries.filter(entry => entry.depth === 1)
  const at = entries.findIndex(entry => entry.title.startsWith(titleStart))
  expect(at, `outline entry "${titleStart}…"`).toBeGreaterThanOrEqual(0)
  const end = entries[at + 1] ? entries[at + 1]!.page + 1 : pdf.pages.length
  return pdf.pages.slice(entries[at]!.page, Math.max(end, entries[at]!.page + 1)).join('\n')
}

/** Clicks of each slide, asked of the running deck (Playwright's dev server), not counted by hand. */
async function clicksOf(page: Page, slides: DeckSlide[]): Promise<number[]> {
  type Nav = { go: (no: number) => Promise<void>, clicksTotal: number, clicksStart: number }
  const read = () => page.evaluate(() => {
    const { nav } = (window as unknown as { __slidev__: { nav: Nav } }).__slidev__
    return Math.max(0, nav.clicksTotal - nav.clicksStart)
  })
  await page.goto(`http://localhost:${DEV_PORT}/1`)
  await page.waitForFunction(() => '__slidev__' in window)
  const clicks: number[] = []
  for (const slide of slides) {
    await page.evaluate(no => (window as unknown as { __slidev__: { nav: Nav } }).__slidev__.nav.go(no), slide.no)
    const current = page.locator(`.slidev-page-${slide.no}`)
    await expect(current).toBeVisible()
    await expect(current.locator('.slidev-slide-loading')).toHaveCount(0)
    // Components register their clicks as they mount: read until the count holds for 450 ms.
    let count = await read()
    for (let same = 0; same < 3; same++) {
      await page.waitForTimeout(150)
      const again = await read()
      if (again !== count)
        same = -1
      count = again
    }
    clicks.push(count)
  }
  return clicks
}


/** The handout's page margins (scripts/export/handout.ts), in points. */
const HANDOUT_MARGIN = { top: 40, bottom: 48 }
const PAPER = { a4: [595.28, 841.89], letter: [612, 792] } as const

/** 0-based pages that end a section (cover, contents, slides, appendix): the only ones allowed to be more than half empty. */
function sectionEnds(pdf: PdfContents): Set<number> {
  const starts = pdf.outlineEntries.filter(entry => entry.depth === 0).map(entry => entry.page)
  return new Set([...starts.slice(1).map(page => page - 1), pdf.pages.length - 1])
}

const inside = (box: Box, x: number, y: number) => x >= box.x0 - 1 && x <= box.x1 + 1 && y >= box.y0 - 1 && y <= box.y1 + 1

/**
 * A handout, as a reader gets it: its slides section laid out `perPage` to a page on
 * `paper`, each slide drawn as a page (vector) with its caption and all its speaker notes
 * beside or under it at a readable size, and no page more than half empty but a section's last.
 */
async function checkHandout(path: string, perPage: 1 | 2 | 3 | 6, paper: keyof typeof PAPER): Promise<{ pages: number, slidePages: number }> {
  const pdf = await readPdf(path)
  const first = pdf.outlineEntries.find(entry => entry.depth === 0 && entry.title.startsWith('Slides'))!.page
  const appendix = pdf.outlineEntries.find(entry => entry.depth === 0 && entry.title.startsWith('Appendix'))?.page ?? pdf.pages.length
  const slidePages = Array.from({ length: appendix - first }, (_, i) => first + i)
  const graphics = await pageGraphics(path)
  const [short, long] = PAPER[paper]

  // Paper: portrait everywhere, but landscape slide pages for one a page.
  for (const [no, page] of graphics) {
    const landscape = perPage === 1 && slidePages.includes(no - 1)
    expect([Math.round(page.width), Math.round(page.height)], `page ${no} size`).toEqual(
      landscape ? [Math.round(long), Math.round(short)] : [Math.round(short), Math.round(long)])
  }

  // The slides, in order, perPage a page (6 a page: a slide whose notes need the row takes two places).
  const seen: number[] = []
  for (const index of slidePages) {
    const page: PageGraphics = graphics.get(index + 1)!
    const captions = page.text.map(item => /^Slide (\d+) of (\d+)$/.exec(item.str.trim())).filter(Boolean).map(match => Number(match![1]))
    const last = index === slidePages.at(-1)
    expect(page.forms, `page ${index + 1}: one drawn slide a caption`).toHaveLength(captions.length)
    if (perPage === 6)
      expect(captions.length, `page ${index + 1}: slides`).toBeGreaterThanOrEqual(last ? 1 : 3)
    else if (!last)
      expect(captions.length, `page ${index + 1}: slides (a slide whose notes did not fit its cell?)`).toBe(perPage)
    expect(captions.length).toBeLessThanOrEqual(perPage)
    seen.push(...captions)

    const content = page.width - 88
    for (const form of page.forms) {
      const width = form.x1 - form.x0
      expect(Math.abs(width / (form.y1 - form.y0) - 980 / 551.25), `page ${index + 1}: a slide at the deck's aspect ratio`).toBeLessThan(0.02)
      expect(width / content, `page ${index + 1}: slide width`).toBeGreaterThan({ 1: 0.8, 2: 0.7, 3: 0.45, 6: 0.45 }[perPage])
    }
    // The handout's own text (not the slides'): notes and captions at a readable size.
    const own = page.text.filter(item => item.y > HANDOUT_MARGIN.bottom && !page.forms.some(form => inside(form, item.x, item.y)))
    // (8 pt as Chromium writes it: 7.995.)
    expect(Math.min(...own.map(item => item.size)), `page ${index + 1}: smallest text`).toBeGreaterThan(7.9)
    const forms = [...page.forms].sort((a, b) => b.y1 - a.y1 || a.x0 - b.x0)
    if (perPage === 2 || perPage === 3) {
      // Stacked: each slide below the one before.
      for (let i = 1; i < forms.length; i++)
        expect(forms[i]!.y1, `page ${index + 1}: slide ${i + 1} below slide ${i}`).toBeLessThan(forms[i - 1]!.y0)
    }
    if (perPage === 3) {
      // The notes beside each slide: text right of it, within its height.
      for (const form of forms)
        expect(own.some(item => item.x > form.x1 && item.y <= form.y1 && item.y >= form.y0 - 60), `page ${index + 1}: notes beside the slide`).toBe(true)
    }
  }
  expect(seen, 'every slide once, in order').toEqual(slides.map(slide => slide.no))
  if (perPage !== 6)
    expect(slidePages).toHaveLength(Math.ceil(slides.length / perPage))
  if (perPage === 6) {
    // Two columns.
    expect(slidePages.some(index => graphics.get(index + 1)!.forms.some(form => form.x0 > graphics.get(index + 1)!.width / 2)), 'a slide in the right column').toBe(true)
  }

  // The appendix: two columns (text on both sides of the middle on each of its pages but the
  // last), nothing under 7.5 pt (as Chromium writes it: 7.495).
  for (let index = appendix; index < pdf.pages.length; index++) {
    const page = graphics.get(index + 1)!
    const own = page.text.filter(item => item.y > HANDOUT_MARGIN.bottom && item.str.trim())
    expect(Math.min(...own.map(item => item.size)), `appendix page ${index + 1}: smallest text`).toBeGreaterThan(7.45)
    if (index < pdf.pages.length - 1)
      expect(own.some(item => item.x > page.width / 2) && own.some(item => item.x < page.width / 2 - 20), `appendix page ${index + 1}: two columns`).toBe(true)
  }

  // Every slide's speaker notes, whole, on the page that holds the slide.
  for (const slide of slides) {
    const entry = pdf.outlineEntries.find(e => e.depth === 1 && e.title.startsWith(`${slide.no}. `))!
    expect(pdf.pages[entry.page], `page ${entry.page + 1} holds slide ${slide.no}`).toContain(`Slide ${slide.no} of ${slides.length}`)
    expect(words(pdf.pages[entry.page]!), `speaker notes of slide ${slide.no}`).toContain(slide.note ? words(slide.note) : 'Nospeakernotes')
  }

  // No page more than half empty, but the last of a section (cover, contents, slides, appendix).
  const ends = sectionEnds(pdf)
  const use = pageUse(path, HANDOUT_MARGIN)
  expect(use).toHaveLength(pdf.pages.length)
  const empty = use.map((share, i) => ({ page: i + 1, share: Math.round(share * 100) })).filter(({ page, share }) => share < 50 && !ends.has(page - 1))
  expect(empty, 'pages more than half empty (page, % of rows used)').toEqual([])
  return { pages: pdf.pages.length, slidePages: slidePages.length }
}

let run: Run
let slides: DeckSlide[]
const pdfs = {} as Record<typeof FILES[number], PdfContents>

test.beforeAll(async () => {
  test.setTimeout(600_000)
  run = exportSync([])
  expect(run.status, `npm run export failed:\n${run.stderr}`).toBe(0)
  slides = await loadDeck()
  for (const file of FILES)
    pdfs[file] = await readPdf(join(EXPORTS, `${file}.pdf`))
})

test('the export reports progress, every file, and no request beyond localhost', () => {
  expect(run.stderr).toMatch(/export: slides \d+\/\d+ · steps \d+\/\d+ · handout \d+\/\d+/)
  for (const file of FILES)
    expect(run.stdout).toMatch(new RegExp(`✓ exports/${file}\\.pdf\\s+\\d+ pages`))
  expect(run.stdout).toMatch(/\d+ requests, all to localhost/)
  expect(readdirSync(EXPORTS).filter(name => name.endsWith('.tmp')), 'temporary files left').toEqual([])
})

test('slides.pdf: one page per slide, its title on it, an outline of the titles', () => {
  const pdf = pdfs.slides
  expect(pdf.pages).toHaveLength(slides.length)
  for (const slide of slides)
    expect(words(pdf.pages[slide.no - 1]!), `slide ${slide.no}`).toContain(words(slide.title))
  expect(pdf.outline.map(words)).toEqual(slides.map(slide => words(slide.title) || `Slide${slide.no}`))
  expect(pdf.outlineEntries.map(entry => entry.page)).toEqual(slides.map(slide => slide.no - 1))
})

test('steps.pdf: one page per click of every slide, each slide\'s title on its first page', async ({ page }) => {
  test.setTimeout(240_000)
  const clicks = await clicksOf(page, slides)
  const pdf = pdfs.steps
  expect(pdf.pages).toHaveLength(slides.length + clicks.reduce((a, b) => a + b, 0))
  let first = 0
  for (const [i, slide] of slides.entries()) {
    const entry = pdf.outlineEntries[i]!
    expect(words(entry.title), `outline entry of slide ${slide.no}`).toBe(words(slide.title) || `Slide${slide.no}`)
    expect(entry.page, `first page of slide ${slide.no}`).toBe(first)
    expect(words(pdf.pages[first]!), `slide ${slide.no}`).toContain(words(slide.title))
    first += 1 + clicks[i]!
  }
})

test('handout.pdf: cover with the runtimes, every slide with its speaker notes, an outline', () => {
  const pdf = pdfs.handout
  const recordings = committedRecordings()
  const cover = pdf.pages[0]!
  expect(cover).toContain('Async Stack Traces')
  for (const recording of recordings)
    expect(cover, 'runtime on the cover').toContain(`${recording.runtime.name} ${recording.runtime.version}`)
  if (!recordings.length)
    expect(cover).toContain('No recordings yet')

  const titles = pdf.outlineEntries.map(entry => words(entry.title)).join('|')
  for (const slide of slides) {
    expect(titles, `outline has slide ${slide.no}`).toContain(words(slide.title))
    const text = words(sectionText(pdf, `${slide.no}. `))
    expect(text, `slide ${slide.no} in the handout`).toContain(words(slide.title))
    if (slide.note)
      expect(text, `speaker notes of slide ${slide.no}`).toContain(words(slide.note))
    else
      expect(text).toContain('Nospeakernotes')
  }
})

test('handout.pdf: the contents page gives the page each slide starts on, and it is right', () => {
  const pdf = pdfs.handout
  const contentsPage = pdf.outlineEntries.find(entry => entry.title === 'Contents')!.page
  const contents = pdf.pages[contentsPage]!
  for (const slide of slides) {
    const entry = pdf.outlineEntries.find(e => e.depth === 1 && e.title.startsWith(`${slide.no}. `))!
    // "12 Title 14": the slide number, its title, then the page (1-based, as the footer counts).
    expect(words(contents), `slide ${slide.no} listed with page ${entry.page + 1}`).toContain(`${words(entry.title)}${entry.page + 1}`)
    expect(pdf.pages[entry.page], `page ${entry.page + 1} holds slide ${slide.no}`).toContain(`Slide ${slide.no} of ${slides.length}`)
  }
})

test('handout.pdf: every demo\'s whole program and verbatim traceback in the appendix', () => {
  const pdf = pdfs.handout
  const demos = listDemos()
  const appendix = pdf.outlineEntries.filter(entry => entry.depth === 1 && entry.title.startsWith('A.'))
  expect(appendix).toHaveLength(demos.length)
  for (const [i, demo] of demos.entries()) {
    const text = squeeze(sectionText(pdf, `A.${i + 1} `))
    for (const line of demo.source.split('\n'))
      expect(text, `${demo.file} in the appendix`).toContain(squeeze(line))
  }
  for (const recording of committedRecordings()) {
    const at = demos.findIndex(demo => demo.name === recording.demo.name)
    const text = squeeze(sectionText(pdf, `A.${at + 1} `))
    const traceback = recording.traceback
    if (!traceback)
      continue
    for (const line of traceback.text.split('\n'))
      expect(text, `traceback of ${recording.demo.name}`).toContain(squeeze(line))
    expect(text, `exception of ${recording.demo.name}`).toContain(squeeze(`${traceback.exception.type}: ${traceback.exception.message}`))
    // The parsed frames are not listed again: each is in the verbatim traceback; the exception is, as parsed, under it.
    // (V8 prints an anonymous function by its location alone: `at demos/x.mjs:7:11`.)
    for (const frame of traceback.frames)
      expect(text, `frame ${frame.function} of ${recording.demo.name}`).toContain(squeeze(frame.function === '(anonymous)' ? `${frame.file}:${frame.line}` : frame.function))
  }
})

test('handout.pdf: two slides a page on A4 by default, notes under each, no page more than half empty but a section\'s last', async () => {
  const { pages, slidePages } = await checkHandout(join(EXPORTS, 'handout.pdf'), 2, 'a4')
  test.info().annotations.push({ type: 'pages', description: `handout.pdf: ${pages} pages, ${slidePages} of them slides` })
  // About half the 65 pages it had with one slide a page and a page a demo (33 with 43 slides and 22 demos).
  expect(pages, 'handout pages at two slides a page').toBeLessThanOrEqual(34)
})

test('handout.pdf: --per-page 3 on Letter, 6 and 1 (landscape) a page', async () => {
  test.setTimeout(420_000)
  for (const [perPage, paper] of [[3, 'letter'], [6, 'a4'], [1, 'a4']] as const) {
    const out = join(SCRATCH, `per-page-${perPage}`)
    rmSync(out, { recursive: true, force: true })
    const result = exportSync(['--only', 'handout', '--per-page', String(perPage), '--paper', paper, '--out', out])
    expect(result.status, `--per-page ${perPage}:\n${result.stderr}`).toBe(0)
    expect(readdirSync(out)).toEqual(['handout.pdf'])
    const { pages, slidePages } = await checkHandout(join(out, 'handout.pdf'), perPage, paper)
    test.info().annotations.push({ type: 'pages', description: `--per-page ${perPage} --paper ${paper}: ${pages} pages, ${slidePages} of them slides` })
  }
})

test('slides.pdf: the stack over time is vector: no image over it, its bars and labels are paths and text', async ({ page }) => {
  const slide = slides.find(s => s.title === 'The stack over time')
  expect(slide, 'the slide "The stack over time"').toBeTruthy()
  // Where the pictures are on the slide, as fractions of the slide (its final state: all shown).
  await page.goto(`http://localhost:${DEV_PORT}/${slide!.no}`)
  const container = page.locator(`.slidev-page-${slide!.no}`)
  await expect(container.locator('.stack-over-time svg')).toHaveCount(4)
  const drawn = await container.evaluate((el) => {
    const frame = el.getBoundingClientRect()
    return [...el.querySelectorAll('.stack-over-time svg')].map((svg) => {
      const r = svg.getBoundingClientRect()
      return {
        x0: (r.left - frame.left) / frame.width,
        x1: (r.right - frame.left) / frame.width,
        y0: (r.top - frame.top) / frame.height,
        y1: (r.bottom - frame.top) / frame.height,
        rects: svg.querySelectorAll('rect').length,
        labels: [...svg.querySelectorAll('text')].map(text => text.textContent!.trim()).filter(Boolean),
      }
    })
  })
  const graphics = (await pageGraphics(join(EXPORTS, 'slides.pdf'), [slide!.no])).get(slide!.no)!
  for (const [i, svg] of drawn.entries()) {
    // In PDF space: y up from the bottom of the page.
    const area: Box = { x0: svg.x0 * graphics.width, x1: svg.x1 * graphics.width, y0: (1 - svg.y1) * graphics.height, y1: (1 - svg.y0) * graphics.height }
    const overlaps = (box: Box) => box.x0 < area.x1 && box.x1 > area.x0 && box.y0 < area.y1 && box.y1 > area.y0
    expect(graphics.images.filter(overlaps), `picture ${i + 1}: raster images over it`).toEqual([])
    const paths = graphics.paths.filter(box => box.x0 >= area.x0 - 1 && box.x1 <= area.x1 + 1 && box.y0 >= area.y0 - 1 && box.y1 <= area.y1 + 1)
    expect(paths.length, `picture ${i + 1}: paths within it (its SVG has ${svg.rects} rects)`).toBeGreaterThanOrEqual(svg.rects)
    const text = graphics.text.filter(item => inside(area, item.x, item.y)).map(item => item.str).join(' ')
    for (const label of svg.labels)
      expect(text, `picture ${i + 1}: label "${label}" as text`).toContain(label)
  }
})

test('all three: fonts embedded, sampled pages not blank', async () => {
  for (const file of FILES) {
    const path = join(EXPORTS, `${file}.pdf`)
    const fonts = await pdfFonts(path)
    expect(fonts.length, `${file}.pdf uses fonts`).toBeGreaterThan(0)
    expect(fonts.filter(font => !font.embedded), `${file}.pdf: fonts not embedded`).toEqual([])
    const count = pdfs[file].pages.length
    for (const sample of pageInk(path, [...new Set([1, Math.ceil(count / 2), count])])) {
      expect(sample.ink, `${file}.pdf page ${sample.page}: share of inked pixels`).toBeGreaterThan(0.002)
      expect(sample.stddev, `${file}.pdf page ${sample.page}: contrast`).toBeGreaterThan(2)
    }
  }
})

test('failures: a slide that throws or a request beyond localhost exits non-zero and keeps the good PDFs', async () => {
  test.setTimeout(300_000)
  const decks = {
    throws: ['# A good slide', '---', '# A slide that throws', '', '<script setup>', 'throw new Error(\'deliberately broken slide\')', '</script>'],
    online: ['# A slide that goes online', '', '<img src="https://example.com/pixel.png">'],
  }
  const runs: Promise<Run>[] = []
  const outs: Record<string, string> = {}
  for (const [name, body] of Object.entries(decks)) {
    const dir = join(ROOT, 'node_modules/.cache/pdf-spec', name)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'slides.md'), ['---', 'theme: default', `title: ${name}`, 'fonts:', '  provider: none', 'favicon: false', '---', '', ...body, ''].join('\n'))
    // The output folder already holds good PDFs: the failed export must leave them alone.
    outs[name] = join(SCRATCH, name)
    rmSync(outs[name], { recursive: true, force: true })
    mkdirSync(outs[name], { recursive: true })
    for (const file of FILES)
      copyFileSync(join(EXPORTS, `${file}.pdf`), join(outs[name], `${file}.pdf`))
    runs.push(exportAsync(['--entry', join(dir, 'slides.md'), '--out', outs[name]]))
  }
  const [throws, online] = await Promise.all(runs)

  expect(throws!.status, throws!.stdout).toBe(1)
  expect(throws!.stderr).toContain('deliberately broken slide')
  expect(online!.status, online!.stdout).toBe(1)
  expect(online!.stderr).toMatch(/request beyond localhost.*https:\/\/example\.com\/pixel\.png/)
  for (const out of Object.values(outs)) {
    expect(readdirSync(out).sort()).toEqual(FILES.map(file => `${file}.pdf`).sort())
    for (const file of FILES)
      expect(readFileSync(join(out, `${file}.pdf`)).equals(readFileSync(join(EXPORTS, `${file}.pdf`))), `${out}/${file}.pdf unchanged`).toBe(true)
  }
})

test('failures: no browser, and a busy port, say so and exit non-zero', async () => {
  const noBrowser = exportSync(['--out', join(SCRATCH, 'no-browser')], { CHROMIUM_PATH: '/nonexistent/chromium' })
  expect(noBrowser.status).toBe(2)
  expect(noBrowser.stderr).toContain('No Chromium browser found')

  const blocker: Server = createServer()
  await new Promise<void>(resolve => blocker.listen(0, 'localhost', resolve))
  const { port } = blocker.address() as { port: number }
  try {
    const busy = exportSync(['--port', String(port), '--out', join(SCRATCH, 'busy')])
    expect(busy.status).toBe(2)
    expect(busy.stderr).toContain(`port ${port} is busy`)
  }
  finally {
    blocker.close()
  }
})
