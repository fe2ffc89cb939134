/** Read exported PDFs the way a reader would: pages, text, outline and embedded fonts. */
import { readFile } from 'node:fs/promises'
import { PDFDict, PDFDocument, PDFName, PDFRef } from 'pdf-lib'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'

export interface PdfContents {
  pages: string[]
  outline: string[]
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
  const outline = ((await doc.getOutline()) ?? []).map(item => item.title)
  await doc.destroy()
  return { pages, outline }
}

/** Every font the PDF uses, and whether its program is embedded. */
export async function pdfFonts(path: string): Promise<{ name: string, embedded: boolean }[]> {
  const pdf = await PDFDocument.load(await readFile(path), { updateMetadata: false })
  const fonts = new Map<string, boolean>()
  for (const [, object] of pdf.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFDict) || object.get(PDFName.of('Type')) !== PDFName.of('FontDescriptor'))
      continue
    const name = String(object.get(PDFName.of('FontName')) ?? '?')
    const embedded = ['FontFile', 'FontFile2', 'FontFile3'].some(key => object.get(PDFName.of(key)) instanceof PDFRef)
    fonts.set(name, embedded)
  }
  return [...fonts].map(([name, embedded]) => ({ name, embedded }))
}
