/** Read exported PDFs the way a reader would: pages, text, outline, embedded fonts, ink. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRef } from 'pdf-lib'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'
import { decodePng, inkStats } from './png'

export interface OutlineEntry {
  title: string
  /** 0-based page index the entry points to. */
  page: number
  /** 0 for top-level entries. */
  depth: number
}

export interface PdfContents {
  pages: string[]
  /** Top-level outline titles. */
  outline: string[]
  /** Every outline entry, depth first, with its page. */
  outlineEntries: OutlineEntry[]
}

interface RawOutlineItem {
  title: string
  dest: string | unknown[] | null
  items: RawOutlineItem[]
}

export async function readPdf(path: string): Promise<PdfContents> {
  const data = new Uint8Array(await readFile(path))
  const doc = await getDocument({ data, useSystemFonts: false, isEvalSupported: false }).promise
  const pages: string[] = []
  for (let no = 1; no <= doc.numPages; no++) {
    const page = await doc.getPage(no)
    const content = await page.getTextContent()
    pages.push(content.items.map(item => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''))
  }
  const raw = ((await doc.getOutline()) ?? []) as RawOutlineItem[]
  const outlineEntries: OutlineEntry[] = []
  const walk = async (items: RawOutlineItem[], depth: number) => {
    for (const item of items) {
      const dest = typeof item.dest === 'string' ? await doc.getDestination(item.dest) : item.dest
      const target = dest?.[0]
      const page = target && typeof target === 'object' ? await doc.getPageIndex(target as { num: number, gen: number }) : -1
      outlineEntries.push({ title: item.title, page, depth })
      await walk(item.items ?? [], depth + 1)
    }
  }
  await walk(raw, 0)
  await doc.destroy()
  return { pages, outline: raw.map(item => item.title), outlineEntries }
}

/**
 * Every font the PDF uses, and whether its program is embedded. A simple font without a
 * FontDescriptor is one of the standard 14 (Helvetica …), which a PDF never embeds.
 */
export async function pdfFonts(path: string): Promise<{ name: string, embedded: boolean }[]> {
  const pdf = await PDFDocument.load(await readFile(path), { updateMetadata: false })
  const fonts = new Map<string, boolean>()
  const hasProgram = (descriptor: PDFDict | undefined) =>
    !!descriptor && ['FontFile', 'FontFile2', 'FontFile3'].some(key => descriptor.get(PDFName.of(key)) instanceof PDFRef)
  for (const [, object] of pdf.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFDict) || object.get(PDFName.of('Type')) !== PDFName.of('Font'))
      continue
    const subtype = object.get(PDFName.of('Subtype'))
    if (subtype === PDFName.of('CIDFontType0') || subtype === PDFName.of('CIDFontType2'))
      continue // described through its Type0 parent
    const name = String(object.get(PDFName.of('BaseFont')) ?? object.get(PDFName.of('Name')) ?? '?')
    let embedded: boolean
    if (subtype === PDFName.of('Type3')) {
      embedded = true // glyphs drawn by the PDF itself
    }
    else if (subtype === PDFName.of('Type0')) {
      const descendant = object.lookup(PDFName.of('DescendantFonts'), PDFArray).lookup(0, PDFDict)
      embedded = hasProgram(descendant.lookupMaybe(PDFName.of('FontDescriptor'), PDFDict))
    }
    else {
      embedded = hasProgram(object.lookupMaybe(PDFName.of('FontDescriptor'), PDFDict))
    }
    fonts.set(name, (fonts.get(name) ?? true) && embedded)
  }
  return [...fonts].map(([name, embedded]) => ({ name, embedded }))
}

/** Render pages (1-based) with poppler's pdftoppm and measure their ink. */
export function pageInk(path: string, pages: number[]): { page: number, ink: number, stddev: number }[] {
  const dir = mkdtempSync(join(tmpdir(), 'pdf-ink-'))
  try {
    return pages.map((page) => {
      execFileSync('pdftoppm', ['-png', '-gray', '-r', '24', '-f', String(page), '-l', String(page), path, join(dir, `p${page}`)])
      const file = readdirSync(dir).find(name => name.startsWith(`p${page}-`) && name.endsWith('.png'))!
      return { page, ...inkStats(decodePng(readFileSync(join(dir, file)))) }
    })
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A rectangle on a PDF page in points, y up from the page's bottom edge (PDF's own space). */
export interface Box {
  x0: number
  y0: number
  x1: number
  y1: number
}

export interface PageGraphics {
  width: number
  height: number
  /** Each embedded page or form XObject drawn (the handout's slides), where it lands. */
  forms: Box[]
  /** Each raster image painted (XObject, inline or mask), where it lands. */
  images: Box[]
  /** Each path painted (fill, stroke, clip), its bounding box. */
  paths: Box[]
  /** Text as pdf.js finds it: the string, its origin and its size in points. */
  text: { str: string, x: number, y: number, size: number }[]
}

type Matrix = [number, number, number, number, number, number]
const multiply = (m: Matrix, n: Matrix): Matrix => [
  m[0] * n[0] + m[2] * n[1], m[1] * n[0] + m[3] * n[1],
  m[0] * n[2] + m[2] * n[3], m[1] * n[2] + m[3] * n[3],
  m[0] * n[4] + m[2] * n[5] + m[4], m[1] * n[4] + m[3] * n[5] + m[5],
]
function transformBox(m: Matrix, x0: number, y0: number, x1: number, y1: number): Box {
  const xs: number[] = []
  const ys: number[] = []
  for (const [x, y] of [[x0, y0], [x1, y0], [x0, y1], [x1, y1]] as const) {
    xs.push(m[0] * x + m[2] * y + m[4])
    ys.push(m[1] * x + m[3] * y + m[5])
  }
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) }
}

/**
 * What pages (1-based) draw and where, from pdf.js's operator lists: the transformation
 * matrix followed through save/restore and form XObjects, so every image, path and form
 * is placed in page space.
 */
export async function pageGraphics(path: string, pageNumbers?: number[]): Promise<Map<number, PageGraphics>> {
  const { OPS } = await import('pdfjs-dist/legacy/build/pdf.mjs')
  const IMAGE_OPS = new Set<number>([OPS.paintImageXObject, OPS.paintInlineImageXObject, OPS.paintImageMaskXObject, OPS.paintImageXObjectRepeat, OPS.paintSolidColorImageMask, OPS.paintInlineImageXObjectGroup, OPS.paintImageMaskXObjectGroup, OPS.paintImageMaskXObjectRepeat])
  const data = new Uint8Array(await readFile(path))
  const doc = await getDocument({ data, useSystemFonts: false, isEvalSupported: false }).promise
  const result = new Map<number, PageGraphics>()
  try {
    for (const no of pageNumbers ?? Array.from({ length: doc.numPages }, (_, i) => i + 1)) {
      const page = await doc.getPage(no)
      const [vx0, vy0, vx1, vy1] = page.view as [number, number, number, number]
      const graphics: PageGraphics = { width: vx1 - vx0, height: vy1 - vy0, forms: [], images: [], paths: [], text: [] }
      const list = await page.getOperatorList()
      let ctm: Matrix = [1, 0, 0, 1, 0, 0]
      const stack: Matrix[] = []
      for (let i = 0; i < list.fnArray.length; i++) {
        const fn = list.fnArray[i]!
        const args = list.argsArray[i] as unknown[]
        if (fn === OPS.save) {
          stack.push(ctm)
        }
        else if (fn === OPS.restore) {
          ctm = stack.pop() ?? ctm
        }
        else if (fn === OPS.transform) {
          ctm = multiply(ctm, args as unknown as Matrix)
        }
        else if (fn === OPS.paintFormXObjectBegin) {
          stack.push(ctm)
          const [matrix, bbox] = args as [Matrix | null, number[] | null]
          if (matrix)
            ctm = multiply(ctm, [...matrix] as Matrix)
          if (bbox)
            graphics.forms.push(transformBox(ctm, bbox[0]!, bbox[1]!, bbox[2]!, bbox[3]!))
        }
        else if (fn === OPS.paintFormXObjectEnd) {
          ctm = stack.pop() ?? ctm
        }
        else if (IMAGE_OPS.has(fn)) {
          graphics.images.push(transformBox(ctm, 0, 0, 1, 1))
        }
        else if (fn === OPS.constructPath) {
          const minMax = args[2] as ArrayLike<number> | null | undefined
          if (minMax && Number.isFinite(minMax[0]))
            graphics.paths.push(transformBox(ctm, minMax[0]!, minMax[1]!, minMax[2]!, minMax[3]!))
        }
      }
      const content = await page.getTextContent()
      for (const item of content.items) {
        if (!('str' in item) || !item.str.trim())
          continue
        const [a, b, , , e, f] = item.transform as number[]
        graphics.text.push({ str: item.str, x: e!, y: f!, size: Math.hypot(a!, b!) })
      }
      result.set(no, graphics)
    }
  }
  finally {
    await doc.destroy()
  }
  return result
}

/**
 * How much of each page's content area (the page less `margins`, in points) is used: the
 * share of its rows with ink, rendered by pdftoppm at 36 dpi, where blank runs shorter than
 * `gapPt` (a line's leading, the space between a slide and its notes) count as used.
 */
export function pageUse(path: string, margins: { top: number, bottom: number }, gapPt = 24): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'pdf-use-'))
  const dpi = 36
  const px = (points: number) => Math.round((points * dpi) / 72)
  try {
    execFileSync('pdftoppm', ['-png', '-gray', '-r', String(dpi), path, join(dir, 'p')])
    return readdirSync(dir).filter(name => name.endsWith('.png')).sort().map((file) => {
      const { width, height, grey } = decodePng(readFileSync(join(dir, file)))
      const top = px(margins.top)
      const bottom = height - px(margins.bottom)
      const inked: boolean[] = []
      for (let y = top; y < bottom; y++) {
        let ink = false
        for (let x = 0; x < width && !ink; x++)
          ink = grey[y * width + x]! < 245
        inked.push(ink)
      }
      // Close short blank runs between inked rows.
      let used = 0
      let lastInk = -1
      for (const [i, ink] of inked.entries()) {
        if (!ink)
          continue
        used += lastInk >= 0 && i - lastInk - 1 <= px(gapPt) ? i - lastInk : 1
        lastInk = i
      }
      return used / inked.length
    })
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
