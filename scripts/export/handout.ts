/**
 * The handout: a cover (title, date, the runtimes the traces were recorded with), a
 * contents page, one section per slide (the slide, then its speaker notes), and an
 * appendix page per demo (the whole program and its whole verbatim traceback).
 *
 * Chromium prints the whole handout from one HTML page with real text in the deck's own
 * fonts (inlined from @fontsource, so nothing is fetched); each slide section reserves an
 * empty box at the top of a fresh page. pdf-lib then draws the slide from slides.pdf into
 * that box as an embedded PDF page, so the slide stays vector text. Chromium's named
 * destinations (the contents page links to every section) say on which page each box is.
 * The contents page's page numbers come from a first printing's destinations: the second
 * printing has them in the space the first one kept for them, so no page moves.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import MarkdownExit from 'markdown-exit'
import { PDFDocument, rgb } from 'pdf-lib'
import type { Recording } from '../../engine/schema'
import type { Deck, DeckDemo } from './deck'
import { ExportError } from './errors'
import { namedDestinations, setMetadata, setOutline, type OutlineItem } from './pdf'

export type PaperSize = 'a4' | 'letter'

/** Page size in PDF points, and the margins the slide box is measured from. */
const PAPER: Record<PaperSize, { css: string, width: number, height: number }> = {
  a4: { css: 'A4', width: 595.28, height: 841.89 },
  letter: { css: 'letter', width: 612, height: 792 },
}
const MARGIN = { top: 40, right: 44, bottom: 48, left: 44 }

const require = createRequire(import.meta.url)

/** @font-face rules for a @fontsource CSS file, every font file inlined as a data: URL. */
function inlineFontCss(cssModule: string): string {
  const cssPath = require.resolve(cssModule)
  return readFileSync(cssPath, 'utf8').replace(/src:[^;]+;/g, (src) => {
    const woff2 = src.match(/url\(\.\/files\/([^)]+\.woff2)\)/)?.[1]
    if (!woff2)
      return src
    const data = readFileSync(join(dirname(cssPath), 'files', woff2)).toString('base64')
    return `src: url(data:font/woff2;base64,${data}) format('woff2');`
  })
}

let fontCss: string | undefined
/** The deck's fonts (styles/index.css): Nunito Sans for text, Fira Code for code. */
function fonts(): string {
  fontCss ??= [
    '@fontsource/nunito-sans/400.css',
    '@fontsource/nunito-sans/400-italic.css',
    '@fontsource/nunito-sans/700.css',
    '@fontsource/fira-code/400.css',
    '@fontsource/fira-code/600.css',
  ].map(inlineFontCss).join('\n')
  return fontCss
}

const escapeHtml = (text: string) => text
  .replace(/&/g, '&amp;')
  .replace(/</g, '&lt;')
  .replace(/>/g, '&gt;')
  .replace(/"/g, '&quot;')
const cssString = (text: string) => `"${text.replace(/["\\]/g, '\\$&').replace(/\n/g, ' ')}"`

const markdown = MarkdownExit({ html: true })
/** Speaker notes as the presenter view renders them (Slidev's own renderer), click markers dropped. */
export function renderNote(note: string): string {
  return markdown.render(note.replace(/\[click(?::\d+)?\]/gi, ''))
}

/** `25 November 2026`: the export's date, the same all day (or SOURCE_DATE_EPOCH's). */
export function exportDate(): Date {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH)
  const now = Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date()
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()))
}
const longDate = (date: Date) => date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
const isoDay = (iso: string) => iso.slice(0, 10)

interface RuntimeRow {
  runtime: string
  demos: string[]
  recorded: string
}

/** One row per runtime version: which demos it recorded, and when. */
function runtimeRows(demos: DeckDemo[]): RuntimeRow[] {
  const rows = new Map<string, { demos: string[], days: Set<string> }>()
  for (const { name, recording } of demos) {
    if (!recording)
      continue
    const key = `${recording.runtime.name} ${recording.runtime.version}`
    const row = rows.get(key) ?? { demos: [], days: new Set() }
    row.demos.push(name)
    row.days.add(isoDay(recording.recordedAt))
    rows.set(key, row)
  }
  return [...rows]
    .sort(([a], [b]) => a.localeCompare(b, 'en'))
    .map(([runtime, row]) => {
      const days = [...row.days].sort()
      return { runtime, demos: row.demos, recorded: days.length > 1 ? `${days[0]} – ${days.at(-1)}` : days[0]! }
    })
}

function about(deck: Deck): string {
  const slides = `${deck.slides.length} slide${deck.slides.length === 1 ? '' : 's'}, each with its speaker notes`
  const n = deck.demos.length
  if (!n)
    return `${slides}.`
  return `${slides}, then ${n === 1 ? 'the demo program' : `the ${n} demo programs`} in full with ${n === 1 ? 'its' : 'their'} complete traceback${n === 1 ? '' : 's'}, exactly as the runtime printed ${n === 1 ? 'it' : 'them'}.`
}

function cover(deck: Deck, date: Date): string {
  const rows = runtimeRows(deck.demos)
  const missing = deck.demos.filter(demo => !demo.recording).map(demo => demo.name)
  const recorded = rows.length
    ? `<table class="runtimes">
        <thead><tr><th>Runtime</th><th>Demos</th><th>Recorded</th></tr></thead>
        <tbody>${rows.map(row => `<tr><td class="rt">${escapeHtml(row.runtime)}</td><td>${row.demos.map(escapeHtml).join(', ')}</td><td class="day">${row.recorded}</td></tr>`).join('')}</tbody>
      </table>`
    : `<p class="none">No recordings yet: this handout shows the programs without their traces. Run <code>npm run record</code>, then export again.</p>`
  const notRecorded = rows.length && missing.length
    ? `<p class="none">Not recorded yet: ${missing.map(escapeHtml).join(', ')}.</p>`
    : ''
  return `<section class="cover" id="cover">
    <div class="kicker">Handout</div>
    <h1>${escapeHtml(deck.title)}</h1>
    ${deck.info ? `<p class="info">${escapeHtml(deck.info)}</p>` : ''}
    ${deck.author ? `<p class="author">${escapeHtml(deck.author)}</p>` : ''}
    <p class="date">${longDate(date)}</p>
    <h2>The traces were recorded with</h2>
    ${recorded}
    ${notRecorded}
    <p class="about">${about(deck)} <a href="#contents">Contents</a> follow.</p>
  </section>`
}

/** Where each section starts: destination id → page index (0-based), from a first printing. */
export type SectionPages = ReadonlyMap<string, number>

function contents(deck: Deck, pages?: SectionPages): string {
  // Without pages yet, the same space is kept (hidden), so the numbers never move a page.
  const pageOf = (id: string) => {
    const page = pages?.get(id)
    return page === undefined ? '<span class="page unknown">000</span>' : `<span class="page">${page + 1}</span>`
  }
  const slides = deck.slides.map(slide => `<li><a href="#slide-${slide.no}"><span class="no">${slide.no}</span><span class="title">${escapeHtml(slide.plainTitle)}</span>${pageOf(`slide-${slide.no}`)}</a></li>`).join('')
  const demos = deck.demos.map((demo, i) => `<li><a href="#demo-${i + 1}"><span class="no">A.${i + 1}</span><span class="title">${escapeHtml(demo.name)}</span>${pageOf(`demo-${i + 1}`)}</a></li>`).join('')
  return `<section class="contents" id="contents">
    <h2>Contents</h2>
    <ol class="toc">${slides}</ol>
    ${deck.demos.length ? `<h3>Appendix: programs and tracebacks</h3><ol class="toc">${demos}</ol>` : ''}
  </section>`
}

function slideSection(deck: Deck, index: number, boxHeight: number): string {
  const slide = deck.slides[index]!
  const notes = slide.note
    ? `<div class="notes">${renderNote(slide.note)}</div>`
    : `<p class="no-notes">No speaker notes.</p>`
  return `<section class="slide" id="slide-${slide.no}">
    <div class="slide-box" style="height: ${boxHeight.toFixed(3)}pt"></div>
    <div class="caption"><span class="no">Slide ${slide.no} of ${deck.slides.length}</span> ${escapeHtml(slide.plainTitle)}</div>
    ${notes}
  </section>`
}

function runSummary(recording: Recording): string {
  const { run } = recording
  const end = run.timedOut ? 'timed out' : run.signal ? `killed by ${run.signal}` : `exit code ${run.exitCode}`
  return [
    `${recording.runtime.name} ${recording.runtime.version}`,
    `recorded ${isoDay(recording.recordedAt)}`,
    `<code>${escapeHtml(recording.command.join(' '))}</code>`,
    end,
  ].join(' · ')
}

/** The exception and the parsed frames, outermost first whatever order the runtime printed. */
function frames(recording: Recording): string {
  const { exception, frames } = recording.traceback!
  const rows = frames.map((frame) => {
    const where = [frame.file, frame.line, frame.column].filter(part => part !== null && part !== '').join(':')
    const marks = [frame.isAsync && 'async', !frame.isUser && 'runtime'].filter(Boolean).join(', ')
    return `<tr class="${frame.isUser ? 'user' : 'internal'}"><td class="fn">${escapeHtml(frame.function)}</td><td class="where">${escapeHtml(where)}</td><td class="marks">${marks}</td></tr>`
  }).join('')
  return `<h3>Exception and frames, outermost first</h3>
    <p class="exception"><code>${escapeHtml(`${exception.type}: ${exception.message}`)}</code></p>
    ${frames.length ? `<table class="frames">${rows}</table>` : ''}`
}

function demoSection(demo: DeckDemo, index: number): string {
  const lines = demo.source.replace(/\n$/, '').split('\n')
  const program = lines.map((line, i) => `<div class="line"><span class="ln">${i + 1}</span><span class="src">${escapeHtml(line)}</span></div>`).join('')
  const { recording } = demo
  let trace: string
  if (!recording)
    trace = `<p class="none">No recording of this demo yet: run <code>npm run record -- ${escapeHtml(demo.name)}</code>.</p>`
  else if (recording.traceback)
    trace = `<h3>Traceback, verbatim</h3><pre class="traceback">${escapeHtml(recording.traceback.text.replace(/\n$/, ''))}</pre>${frames(recording)}`
  else
    trace = `<h3>Output (the program ended without an uncaught error)</h3><pre class="traceback">${escapeHtml(recording.run.output.map(chunk => chunk.text).join('').replace(/\n$/, ''))}</pre>`
  return `<section class="demo" id="demo-${index + 1}">
    ${index === 0 ? '<div class="kicker">Appendix: the programs and their tracebacks</div>' : ''}
    <h2><span class="no">A.${index + 1}</span> ${escapeHtml(demo.name)} <code class="file">${escapeHtml(demo.file)}</code></h2>
    ${recording ? `<p class="meta">${runSummary(recording)}</p>` : ''}
    <h3>Program</h3>
    <div class="program">${program}</div>
    ${trace}
  </section>`
}

export interface HandoutLayout {
  paper: PaperSize
  /** The slide box: full content width, the slide's aspect ratio, in PDF points. */
  box: { x: number, top: number, width: number, height: number }
}

export function handoutLayout(deck: Deck, paper: PaperSize): HandoutLayout {
  const size = PAPER[paper]
  const width = size.width - MARGIN.left - MARGIN.right
  return { paper, box: { x: MARGIN.left, top: MARGIN.top, width, height: (width * deck.height) / deck.width } }
}

/** The whole handout as one HTML document for Chromium to print. */
export function handoutHtml(deck: Deck, layout: HandoutLayout, date: Date, pages?: SectionPages): string {
  const size = PAPER[layout.paper]
  const footer = `${deck.title} · handout`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; font-src data:; img-src data:; style-src 'unsafe-inline'">
<title>${escapeHtml(deck.title)} · handout</title>
<style>
${fonts()}
@page {
  size: ${size.css};
  margin: ${MARGIN.top}pt ${MARGIN.right}pt ${MARGIN.bottom}pt ${MARGIN.left}pt;
  @bottom-left { content: ${cssString(footer)}; font: 8pt 'Nunito Sans', sans-serif; color: #777; }
  @bottom-right { content: counter(page) " / " counter(pages); font: 8pt 'Nunito Sans', sans-serif; color: #777; }
}
@page :first {
  @bottom-left { content: none; }
  @bottom-right { content: none; }
}
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; font: 10.5pt/1.45 'Nunito Sans', sans-serif; color: #1d1d1f; }
code, pre, .program { font-family: 'Fira Code', monospace; font-variant-ligatures: none; font-feature-settings: "calt" 0, "liga" 0; }
code { font-size: 0.92em; }
h1, h2, h3 { line-height: 1.2; }
.kicker { font-size: 9pt; font-weight: 700; letter-spacing: 0.08em; text-transform: uppercase; color: #0072b2; }
section + section { break-before: page; }

.cover { padding-top: 120pt; }
.cover h1 { font-size: 34pt; margin: 6pt 0 10pt; }
.cover .info { font-size: 13pt; color: #444; max-width: 30em; margin: 0 0 18pt; }
.cover .author, .cover .date { margin: 0; font-size: 11pt; }
.cover h2 { font-size: 12pt; margin: 42pt 0 8pt; }
.cover .about { margin-top: 28pt; color: #444; max-width: 34em; }
.cover .about a { color: #0072b2; }
.runtimes { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
.runtimes th { text-align: left; font-weight: 700; border-bottom: 0.75pt solid #999; padding: 3pt 8pt 3pt 0; }
.runtimes td { border-bottom: 0.5pt solid #ddd; padding: 3pt 8pt 3pt 0; vertical-align: top; }
.runtimes .rt, .runtimes .day { white-space: nowrap; }
.none { color: #666; font-style: italic; }

.contents h2 { font-size: 16pt; margin: 0 0 10pt; }
.contents h3 { font-size: 11pt; margin: 14pt 0 6pt; }
.toc { list-style: none; padding: 0; margin: 0; columns: 2; column-gap: 24pt; font-size: 9.5pt; }
.toc li { break-inside: avoid; padding: 1.5pt 0; }
.toc a { color: inherit; text-decoration: none; display: flex; align-items: baseline; }
.toc .title { flex: 1; }
.toc .page { min-width: 2.2em; text-align: right; color: #777; font-variant-numeric: tabular-nums; }
.toc .page.unknown { visibility: hidden; }
.toc .no { display: inline-block; min-width: 2.6em; color: #777; }

.slide-box { width: 100%; }
.caption { margin: 8pt 0 8pt; font-size: 9pt; color: #555; border-bottom: 0.5pt solid #ddd; padding-bottom: 4pt; }
.caption .no { font-weight: 700; color: #0072b2; margin-right: 6pt; }
.notes p { margin: 0 0 7pt; }
.notes ul, .notes ol { margin: 0 0 7pt; padding-left: 16pt; }
.notes pre { font-size: 8.5pt; background: #f5f5f5; padding: 6pt; white-space: pre-wrap; }
.notes a { color: inherit; }
.no-notes { color: #888; font-style: italic; }

.demo h2 { font-size: 15pt; margin: 4pt 0 4pt; }
.demo h2 .no { color: #0072b2; margin-right: 4pt; }
.demo h2 .file { font-size: 9pt; font-weight: 400; color: #555; margin-left: 6pt; }
.demo .meta { font-size: 8.5pt; color: #555; margin: 0 0 8pt; }
.demo h3 { font-size: 10pt; margin: 12pt 0 4pt; }
.program { font-size: 8pt; line-height: 1.4; border-left: 2pt solid #ddd; padding-left: 6pt; }
.program .line { display: flex; break-inside: avoid; }
.program .ln { flex: none; width: 2.6em; color: #999; text-align: right; padding-right: 0.9em; }
.program .src { white-space: pre-wrap; overflow-wrap: anywhere; min-width: 0; }
.exception { margin: 0 0 4pt; font-size: 8.5pt; }
.frames { border-collapse: collapse; font-size: 7.6pt; width: 100%; }
.frames td { padding: 1pt 8pt 1pt 0; vertical-align: top; border-bottom: 0.5pt solid #eee; }
.frames .fn { font-family: 'Fira Code', monospace; font-variant-ligatures: none; font-feature-settings: "calt" 0, "liga" 0; overflow-wrap: anywhere; }
.frames .where { color: #555; overflow-wrap: anywhere; }
.frames .marks { color: #888; white-space: nowrap; }
.frames .internal .fn { color: #777; }
.traceback { font-size: 7.6pt; line-height: 1.35; margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: 6pt; border-radius: 3pt; }
</style>
</head>
<body>
${cover(deck, date)}
${contents(deck, pages)}
${deck.slides.map((_, i) => slideSection(deck, i, layout.box.height)).join('\n')}
${deck.demos.map(demoSection).join('\n')}
</body>
</html>`
}

/**
 * Draw every slide of slides.pdf into its box in the handout Chromium printed, add the
 * outline and metadata. Returns the finished handout.
 */
export async function composeHandout(deck: Deck, layout: HandoutLayout, printed: Uint8Array, slidesPdf: Uint8Array, date: Date): Promise<Uint8Array> {
  const doc = await PDFDocument.load(printed, { updateMetadata: false })
  const dests = namedDestinations(doc)
  const pageOf = (id: string) => {
    const page = dests.get(id)
    if (page === undefined)
      throw new ExportError(`handout: Chromium wrote no destination for #${id}, so its page is unknown`)
    return page
  }
  const slides = await doc.embedPdf(slidesPdf, deck.slides.map((_, i) => i))
  const { box } = layout
  for (const slide of deck.slides) {
    const page = doc.getPage(pageOf(`slide-${slide.no}`))
    const y = page.getHeight() - box.top - box.height
    page.drawPage(slides[slide.no - 1]!, { x: box.x, y, width: box.width, height: box.height })
    page.drawRectangle({ x: box.x, y, width: box.width, height: box.height, borderColor: rgb(0.72, 0.72, 0.72), borderWidth: 0.75 })
  }
  const outline: OutlineItem[] = [
    { title: 'Cover', page: 0 },
    { title: 'Contents', page: pageOf('contents') },
    { title: 'Slides and speaker notes', page: pageOf('slide-1'), children: deck.slides.map(slide => ({ title: `${slide.no}. ${slide.plainTitle}`, page: pageOf(`slide-${slide.no}`) })) },
  ]
  if (deck.demos.length) {
    outline.push({
      title: 'Appendix: programs and tracebacks',
      page: pageOf('demo-1'),
      children: deck.demos.map((demo, i) => ({ title: `A.${i + 1} ${demo.name}`, page: pageOf(`demo-${i + 1}`) })),
    })
  }
  setOutline(doc, outline)
  setMetadata(doc, { title: `${deck.title} · handout`, subject: deck.info, author: deck.author, date })
  return doc.save()
}
