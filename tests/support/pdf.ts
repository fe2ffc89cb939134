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
