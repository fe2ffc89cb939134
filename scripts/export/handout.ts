/**
 * The handout: a cover (title, date, the runtimes the traces were recorded with), a
 * contents page, the slides with their speaker notes, several to a page (two by default:
 * `--per-page 1|2|3|6`), and an appendix with every demo (the whole program and its whole
 * verbatim traceback), one after another.
 *
 * Chromium prints the whole handout from one HTML page with real text in the deck's own
 * fonts (inlined from @fontsource, so nothing is fetched). The slides section is a series
 * of sheets, one per page, each a grid of cells placed here in points (`placeCells`): an
 * empty box for the slide, its caption and its notes. Before printing, the notes of each
 * cell are measured in the browser (`fitNotes`): too long at the layout's size, they get a
 * smaller one down to a readable minimum, then a bigger cell; only notes that fit nowhere
 * stop the export. pdf-lib then draws each slide from slides.pdf into its box as an
 * embedded PDF page, so the slide stays vector text. Chromium's named destinations (the
 * contents page links to every cell) say on which page each box is. The contents page's
 * page numbers come from a first printing's destinations: the second printing has them in
 * the space the first one kept for them, so no page moves.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import MarkdownExit from 'markdown-exit'
import { PDFDocument, rgb } from 'pdf-lib'
import type { Recording } from 'async-stacks-engine/schema'
import type { Deck, DeckDemo } from './deck'
import { ExportError } from './errors'
import { namedDestinations, setMetadata, setOutline, type OutlineItem } from './pdf'

export const PAPER_SIZES = ['a4', 'letter'] as const
export type PaperSize = typeof PAPER_SIZES[number]
export const PER_PAGE = [1, 2, 3, 6] as const
export type PerPage = typeof PER_PAGE[number]

/** Page size in PDF points (portrait), and the margins every box is measured from. */
const PAPER: Record<PaperSize, { css: string, width: number, height: number }> = {
  a4: { css: 'A4', width: 595.28, height: 841.89 },
  letter: { css: 'letter', width: 612, height: 792 },
}
const MARGIN = { top: 40, right: 44, bottom: 48, left: 44 }
/** Between two cells of a sheet. */
const GAP = 14

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

function about(deck: Deck, perPage: PerPage): string {
  const many = deck.slides.length !== 1
  const toAPage = perPage === 1 ? 'one to a page' : `${['', '', 'two', 'three', '', '', 'six'][perPage]} to a page`
  const slides = `${deck.slides.length} slide${many ? 's' : ''}, each with its speaker notes${many ? `, ${toAPage}` : ''}`
  const n = deck.demos.length
  if (!n)
    return `${slides}.`
  return `${slides}, then ${n === 1 ? 'the demo program' : `the ${n} demo programs`} in full with ${n === 1 ? 'its' : 'their'} complete traceback${n === 1 ? '' : 's'}, exactly as the runtime printed ${n === 1 ? 'it' : 'them'}.`
}

function cover(deck: Deck, perPage: PerPage, date: Date): string {
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
    <p class="about">${about(deck, perPage)} <a href="#contents">Contents</a> follow.</p>
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

/** The slides section: one sheet (a page) after another, each holding its cells. */
function slidesSection(deck: Deck, layout: HandoutLayout, plan: HandoutPlan): string {
  const sheets: Placement[][] = []
  for (const placement of plan.placements)
    (sheets[placement.sheet] ??= []).push(placement)
  const rect = (r: Rect) => `left: ${pt(r.x)}; top: ${pt(r.y)}; width: ${pt(r.width)}; height: ${pt(r.height)}`
  const cell = (placement: Placement) => {
    const slide = deck.slides[placement.slide - 1]!
    const kind = layout.kinds[placement.kind]!
    const size = plan.fontSizes?.get(slide.no) ?? kind.font.base
    const notes = slide.note ? renderNote(slide.note) : `<p class="no-notes">No speaker notes.</p>`
    return `<div class="cell ${kind.style}" id="slide-${slide.no}" data-no="${slide.no}" style="${rect({ x: placement.x, y: placement.y, width: kind.width, height: kind.height })}">
      <div class="slide-box" style="${rect(kind.slide)}"></div>
      <div class="caption" style="${rect(kind.caption)}"><span class="no">Slide ${slide.no} of ${deck.slides.length}</span> <span class="title">${escapeHtml(slide.plainTitle)}</span></div>
      <div class="notes" data-base="${kind.font.base}" data-min="${kind.font.min}" style="${rect(kind.notes)}; font-size: ${size}pt">${notes}</div>
    </div>`
  }
  return `<section class="slides per-${layout.perPage}">
    ${sheets.map(sheet => `<div class="sheet">${sheet.map(cell).join('')}</div>`).join('\n')}
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

/**
 * One demo in the appendix: its whole program and what the runtime printed (the traceback,
 * or the output of a run that ended without one), verbatim. The appendix is set in two
 * columns and runs on from demo to demo; the parsed frames are not repeated beside the
 * traceback that holds them.
 */
function demoSection(demo: DeckDemo, index: number): string {
  const lines = demo.source.replace(/\n$/, '').split('\n')
  const program = lines.map((line, i) => `<div class="line"><span class="ln">${i + 1}</span><span class="src">${escapeHtml(line)}</span></div>`).join('')
  const { recording } = demo
  let trace: string
  if (!recording)
    trace = `<p class="none">No recording of this demo yet: run <code>npm run record -- ${escapeHtml(demo.name)}</code>.</p>`
  else if (recording.traceback)
    trace = `<h3>Traceback, verbatim</h3><pre class="traceback">${escapeHtml(recording.traceback.text.replace(/\n$/, ''))}</pre>
      <p class="exception">Uncaught: <code>${escapeHtml(`${recording.traceback.exception.type}: ${recording.traceback.exception.message}`)}</code></p>`
  else
    trace = `<h3>Output, verbatim (no uncaught error)</h3><pre class="traceback">${escapeHtml(recording.run.output.map(chunk => chunk.text).join('').replace(/\n$/, ''))}</pre>`
  return `<article class="demo" id="demo-${index + 1}">
    <h2><span class="no">A.${index + 1}</span> ${escapeHtml(demo.name)} <code class="file">${escapeHtml(demo.file)}</code></h2>
    ${recording ? `<p class="meta">${runSummary(recording)}</p>` : ''}
    <div class="program">${program}</div>
    ${trace}
  </article>`
}

function appendix(deck: Deck): string {
  if (!deck.demos.length)
    return ''
  return `<section class="appendix">
    <div class="kicker">Appendix: the programs and their tracebacks</div>
    <div class="demos">${deck.demos.map(demoSection).join('\n')}</div>
  </section>`
}

interface Rect { x: number, y: number, width: number, height: number }

const pt = (value: number) => `${value.toFixed(2)}pt`

/**
 * How a cell is laid out:
 * - `side-caption`: the slide, its caption in a column to its right, the notes below both;
 * - `beside`: the slide with its caption below it, the notes in a column to the right;
 * - `under`: the slide, a one-line caption, the notes below, all as wide as the slide.
 */
type CellStyle = 'side-caption' | 'beside' | 'under'

export interface CellKind {
  style: CellStyle
  /** Grid slots it takes: columns across, rows down. */
  cols: number
  rows: number
  width: number
  height: number
  /** Relative to the cell, in points. */
  slide: Rect
  caption: Rect
  notes: Rect
  /** Notes' font size in points: the layout's, and the smallest a long note may get. */
  font: { base: number, min: number }
}

export interface HandoutLayout {
  paper: PaperSize
  perPage: PerPage
  /** The slide sheets on landscape pages (one per page); everything else is portrait. */
  landscape: boolean
  /** The sheet: the page less its margins, in points. */
  sheet: { width: number, height: number }
  rows: number
  cols: number
  /** A cell's slot, without the gap. */
  slot: { width: number, height: number }
  /** [the usual cell, the bigger one that notes too long for it get (if any)] */
  kinds: CellKind[]
}

function cellKind(style: CellStyle, span: { cols: number, rows: number }, width: number, height: number, slideWidth: number, aspect: number, font: CellKind['font']): CellKind {
  const slide = { x: 0, y: 0, width: slideWidth, height: slideWidth / aspect }
  const below = slide.height
  const kind = { style, ...span, width, height, slide, font }
  switch (style) {
    case 'side-caption':
      return { ...kind, caption: { x: slideWidth + 12, y: 0, width: width - slideWidth - 12, height: below }, notes: { x: 0, y: below + 10, width, height: height - below - 10 } }
    case 'beside':
      return { ...kind, caption: { x: 0, y: below + 6, width: slideWidth, height: height - below - 6 }, notes: { x: slideWidth + 14, y: 0, width: width - slideWidth - 14, height } }
    case 'under':
      return { ...kind, caption: { x: 0, y: below + 5, width, height: 14 }, notes: { x: 0, y: below + 23, width, height: height - below - 23 } }
  }
}

/**
 * The grid for `perPage` slides a page. Sizes follow the paper; the slide takes what its
 * notes leave, at the deck's aspect ratio:
 *   1  landscape pages: the slide large, its caption beside it, the notes below (11 pt)
 *   2  two rows: the slide, the caption beside it, the notes below (10 pt)
 *   3  three rows: the slide on the left, the notes beside it (9.5 pt)
 *   6  three rows of two: the slide, the notes below it (9 pt)
 */
export function handoutLayout(deck: Deck, paper: PaperSize, perPage: PerPage = 2): HandoutLayout {
  const size = PAPER[paper]
  const landscape = perPage === 1
  const [pageWidth, pageHeight] = landscape ? [size.height, size.width] : [size.width, size.height]
  const sheet = { width: pageWidth - MARGIN.left - MARGIN.right, height: pageHeight - MARGIN.top - MARGIN.bottom }
  const aspect = deck.width / deck.height
  const grid = { 1: [1, 1], 2: [2, 1], 3: [3, 1], 6: [3, 2] }[perPage]
  const [rows, cols] = grid as [number, number]
  const slot = { width: (sheet.width - (cols - 1) * GAP) / cols, height: (sheet.height - (rows - 1) * GAP) / rows }
  const one = { cols: 1, rows: 1 }
  let kinds: CellKind[]
  switch (perPage) {
    case 1:
      kinds = [cellKind('side-caption', one, slot.width, slot.height, slot.width - 130, aspect, { base: 11, min: 9.5 })]
      break
    case 2:
      kinds = [
        cellKind('side-caption', one, slot.width, slot.height, slot.width - 120, aspect, { base: 10, min: 9 }),
        cellKind('side-caption', { cols: 1, rows: 2 }, slot.width, sheet.height, slot.width - 120, aspect, { base: 10, min: 9 }),
      ]
      break
    case 3:
      kinds = [
        cellKind('beside', one, slot.width, slot.height, slot.width * 0.52, aspect, { base: 9.5, min: 8.5 }),
        cellKind('beside', { cols: 1, rows: 2 }, slot.width, 2 * slot.height + GAP, slot.width * 0.52, aspect, { base: 9.5, min: 8.5 }),
      ]
      break
    case 6:
      kinds = [
        cellKind('under', one, slot.width, slot.height, slot.width, aspect, { base: 9, min: 8 }),
        // Notes too long for the cell take the row: the slide where it was, the notes beside it.
        cellKind('beside', { cols: 2, rows: 1 }, sheet.width, slot.height, slot.width, aspect, { base: 9, min: 8 }),
      ]
      break
  }
  return { paper, perPage, landscape, sheet, rows, cols, slot, kinds }
}

export interface Placement {
  /** The slide's number (1-based). */
  slide: number
  /** 0-based: the n-th page of the slides section. */
  sheet: number
  /** Index in layout.kinds. */
  kind: number
  /** The cell's top-left corner on its sheet, in points. */
  x: number
  y: number
}

/**
 * Every slide in its cell, in order, filling each sheet row by row; the slides in `big`
 * (notes too long for the usual cell) get the layout's bigger cell.
 */
export function placeCells(deck: Deck, layout: HandoutLayout, big: ReadonlySet<number> = new Set()): Placement[] {
  const placements: Placement[] = []
  let sheet = 0
  let row = 0
  let col = 0
  for (const slide of deck.slides) {
    const kindIndex = big.has(slide.no) && layout.kinds.length > 1 ? 1 : 0
    const kind = layout.kinds[kindIndex]!
    if (col + kind.cols > layout.cols) {
      col = 0
      row++
    }
    if (row + kind.rows > layout.rows) {
      sheet++
      row = 0
      col = 0
    }
    placements.push({ slide: slide.no, sheet, kind: kindIndex, x: col * (layout.slot.width + GAP), y: row * (layout.slot.height + GAP) })
    col += kind.cols
    if (col >= layout.cols) {
      col = 0
      row += kind.rows
    }
  }
  return placements
}

/** Where every cell is and the notes' font size of each slide (the layout's when absent). */
export interface HandoutPlan {
  placements: Placement[]
  fontSizes?: ReadonlyMap<number, number>
}

/**
 * Runs in the page (print media): each cell's notes at the largest size from its base down
 * to its minimum, in quarter points, that fits its box; null where none does.
 */
export function fitNotes(): { no: number, size: number | null }[] {
  return [...document.querySelectorAll<HTMLElement>('.cell')].map((cell) => {
    const notes = cell.querySelector<HTMLElement>('.notes')!
    const base = Number(notes.dataset.base)
    const min = Number(notes.dataset.min)
    for (let size = base; size >= min - 1e-6; size -= 0.25) {
      notes.style.fontSize = `${size}pt`
      if (notes.scrollHeight <= notes.clientHeight + 0.5 && notes.scrollWidth <= notes.clientWidth + 0.5)
        return { no: Number(cell.dataset.no), size }
    }
    return { no: Number(cell.dataset.no), size: null }
  })
}

/** The whole handout as one HTML document for Chromium to print. */
export function handoutHtml(deck: Deck, layout: HandoutLayout, date: Date, plan: HandoutPlan, pages?: SectionPages): string {
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
@page slides { size: ${size.css} ${layout.landscape ? 'landscape' : 'portrait'}; }
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

.slides { page: slides; }
/* One sheet a page: the page's content box, less a point so rounding never spills a page. */
.sheet { position: relative; width: ${pt(layout.sheet.width)}; height: ${pt(layout.sheet.height - 1)}; overflow: hidden; }
.sheet + .sheet { break-before: page; }
.cell, .cell > * { position: absolute; }
.caption { font-size: 9pt; line-height: 1.3; color: #555; overflow: hidden; }
.caption .no { display: block; font-size: 8.5pt; font-weight: 700; color: #0072b2; margin-bottom: 2pt; }
.caption .title { display: block; font-weight: 700; color: #1d1d1f; }
.side-caption .caption { border-left: 0.75pt solid #ccc; padding-left: 8pt; }
.side-caption .notes { border-top: 0.5pt solid #ddd; padding-top: 5pt; }
.under .caption { white-space: nowrap; text-overflow: ellipsis; }
.under .caption .no, .under .caption .title { display: inline; margin-right: 4pt; }
.notes { line-height: 1.38; overflow: hidden; overflow-wrap: anywhere; }
.notes > :first-child { margin-top: 0; }
.notes p { margin: 0 0 0.5em; }
.notes ul, .notes ol { margin: 0 0 0.5em; padding-left: 1.4em; }
.notes pre { font-size: 0.85em; background: #f5f5f5; padding: 4pt; margin: 0 0 0.5em; white-space: pre-wrap; }
.notes a { color: inherit; }
.no-notes { color: #888; font-style: italic; }

/* The appendix: two columns, running on from demo to demo; monospace at 7.5 pt. */
.appendix .kicker { margin-bottom: 4pt; }
.demos { columns: 2; column-gap: 16pt; column-rule: 0.5pt solid #ddd; column-fill: auto; }
.demo + .demo { margin-top: 9pt; padding-top: 5pt; border-top: 0.75pt solid #ccc; }
.demo h2 { font-size: 10.5pt; margin: 0 0 1pt; break-after: avoid; }
.demo h3, .demo .meta { break-after: avoid; }
.demo h2 .no { color: #0072b2; margin-right: 3pt; }
.demo h2 .file { font-size: 8pt; font-weight: 400; color: #555; margin-left: 4pt; }
.demo .meta { font-size: 7.5pt; line-height: 1.3; color: #555; margin: 0 0 3pt; }
.demo .meta code { font-size: 1em; }
.demo h3 { font-size: 8pt; margin: 4pt 0 2pt; color: #444; }
.program, .traceback { font-size: 7.5pt; line-height: 1.3; }
.program { border-left: 1.5pt solid #ddd; padding-left: 3pt; }
.program .line { display: flex; break-inside: avoid; }
.program .ln { flex: none; width: 2.2em; color: #767676; text-align: right; padding-right: 0.6em; }
.program .src { white-space: pre-wrap; overflow-wrap: anywhere; min-width: 0; }
.exception { margin: 2pt 0 0; font-size: 7.5pt; line-height: 1.3; color: #444; overflow-wrap: anywhere; }
.exception code { font-size: 1em; }
.traceback { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: 3pt 4pt; border-radius: 2pt; }
</style>
</head>
<body>
${cover(deck, layout.perPage, date)}
${contents(deck, pages)}
${slidesSection(deck, layout, plan)}
${appendix(deck)}
</body>
</html>`
}

/**
 * Draw every slide of slides.pdf into its box in the handout Chromium printed, add the
 * outline and metadata. Returns the finished handout.
 */
export async function composeHandout(deck: Deck, layout: HandoutLayout, plan: HandoutPlan, printed: Uint8Array, slidesPdf: Uint8Array, date: Date): Promise<Uint8Array> {
  const doc = await PDFDocument.load(printed, { updateMetadata: false })
  const dests = namedDestinations(doc)
  const pageOf = (id: string) => {
    const page = dests.get(id)
    if (page === undefined)
      throw new ExportError(`handout: Chromium wrote no destination for #${id}, so its page is unknown`)
    return page
  }
  const slides = await doc.embedPdf(slidesPdf, deck.slides.map((_, i) => i))
  const firstSheet = pageOf('slide-1')
  for (const placement of plan.placements) {
    const pageIndex = pageOf(`slide-${placement.slide}`)
    if (pageIndex !== firstSheet + placement.sheet)
      throw new ExportError(`handout: slide ${placement.slide} was printed on page ${pageIndex + 1}, not on its sheet's page ${firstSheet + placement.sheet + 1} (a sheet spilled onto another page)`)
    const page = doc.getPage(pageIndex)
    const box = layout.kinds[placement.kind]!.slide
    const x = MARGIN.left + placement.x + box.x
    const y = page.getHeight() - MARGIN.top - placement.y - box.y - box.height
    page.drawPage(slides[placement.slide - 1]!, { x, y, width: box.width, height: box.height })
    page.drawRectangle({ x, y, width: box.width, height: box.height, borderColor: rgb(0.72, 0.72, 0.72), borderWidth: 0.75 })
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
