/**
 * `npm run export`: slides.pdf, steps.pdf and handout.pdf. One export of the real deck is
 * shared by every check (it is slow); two tiny broken decks check the failures.
 */
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { listDemos } from '../../engine/demos'
import { readManifest, readManifestRecording } from '../../engine/recordings'
import type { Recording } from '../../engine/schema'
import { DEV_PORT } from '../../playwright.config'
import { loadDeck, ROOT, type DeckSlide } from '../support/deck'
import { pageInk, pdfFonts, readPdf, type PdfContents } from '../support/pdf'

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

/** Pages (0-based) an outline entry covers: from its page to the next entry's. */
function sectionText(pdf: PdfContents, titleStart: string): string {
  const entries = pdf.outlineEntries.filter(entry => entry.depth === 1)
  const at = entries.findIndex(entry => entry.title.startsWith(titleStart))
  expect(at, `outline entry "${titleStart}…"`).toBeGreaterThanOrEqual(0)
  const end = entries[at + 1]?.page ?? pdf.pages.length
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
    for (const frame of traceback.frames)
      expect(text, `frame ${frame.function} of ${recording.demo.name}`).toContain(squeeze(frame.function))
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
